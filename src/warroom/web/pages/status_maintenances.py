"""Scheduled maintenance, for the people who run it: what is running, what is coming and
what is done; responders schedule one, move it through its states, post updates and
reschedule it. Times on the forms are in the reader's own time zone."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.statuspage import MAINTENANCE_ACTIVE, MaintenanceStatus
from warroom.errors import Invalid
from warroom.services.models import Service
from warroom.statuspage import maintenances as actions
from warroom.statuspage.maintenance_schemas import MaintenanceOut
from warroom.statuspage.models import Component, Maintenance
from warroom.web.context import AppContext
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, SignedIn, Writer, render
from warroom.web.pages.forms import Ok, RowForms, submit
from warroom.web.pages.views import version_of

PAGE = "/statuspage/maintenances"
router = APIRouter(prefix=PAGE, route_class=PageRoute)

MaintenanceRef = Annotated[str, Path(min_length=1, max_length=40)]
Name = Annotated[str, Form(max_length=actions.MAX_NAME)]
Body = Annotated[str, Form(max_length=actions.MAX_BODY)]
Moment = Annotated[str, Form(max_length=40)]
Flag = Annotated[str, Form(max_length=8)]
Names = Annotated[list[str], Form(max_length=actions.MAX_COMPONENTS)]
Status = Annotated[str, Form(max_length=20)]

PAST_SHOWN = 20

NOTICES: Mapping[str, str] = {
    "scheduled": "Maintenance scheduled. Its services' alerts open no incident in its window.",
    "saved": "Maintenance saved.",
    "in_progress": "Maintenance started: its components show under maintenance.",
    "verifying": "Maintenance is verifying.",
    "completed": "Maintenance completed: its components and alerts are back to normal.",
    "update": "Update posted.",
}
VERBS: Mapping[MaintenanceStatus, str] = {
    MaintenanceStatus.IN_PROGRESS: "Start",
    MaintenanceStatus.VERIFYING: "Verifying",
    MaintenanceStatus.COMPLETED: "Complete",
}


@dataclass(frozen=True, slots=True)
class Lists:
    active: list[MaintenanceOut]
    upcoming: list[MaintenanceOut]
    past: list[MaintenanceOut]


def _lists(session: Session) -> Lists:
    def of(
        statuses: list[MaintenanceStatus], *, latest_first: bool, limit: int
    ) -> list[MaintenanceOut]:
        order = Maintenance.scheduled_for.desc() if latest_first else Maintenance.scheduled_for
        rows = session.scalars(
            select(Maintenance)
            .where(Maintenance.status.in_(statuses))
            .order_by(order, Maintenance.id)
            .limit(limit)
        )
        return [MaintenanceOut.of(m) for m in rows]

    return Lists(
        active=of(sorted(MAINTENANCE_ACTIVE), latest_first=False, limit=100),
        upcoming=of([MaintenanceStatus.SCHEDULED], latest_first=False, limit=100),
        past=of([MaintenanceStatus.COMPLETED], latest_first=True, limit=PAST_SHOWN),
    )


def _component_names(session: Session) -> list[str]:
    return list(
        session.scalars(select(Component.name).order_by(Component.position, Component.name))
    )


def _local(value: datetime, who: PageUser) -> str:
    """As a datetime-local input shows it."""
    return value.astimezone(who.zone).strftime("%Y-%m-%dT%H:%M")


def _moment(text: str, what: str, who: PageUser) -> datetime:
    """A time typed on a form: local to the reader unless it names its offset."""
    text = text.strip()
    if not text:
        raise Invalid(f"choose when it {what}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"'{text[:40]}' is not a date and time") from None
    return (value.replace(tzinfo=who.zone) if value.tzinfo is None else value).astimezone(UTC)


def _status(text: str) -> MaintenanceStatus:
    try:
        return MaintenanceStatus(text)
    except ValueError:
        raise Invalid(f"'{text[:20]}' is not a maintenance status") from None


class MaintenanceForm:
    """The schedule / edit form as posted (FastAPI reads each parameter from the form)."""

    def __init__(
        self,
        name: Name = "",
        body: Body = "",
        components: Names = [],  # noqa: B006 - FastAPI copies form defaults per request
        scheduled_for: Moment = "",
        scheduled_until: Moment = "",
        auto_start: Flag = "",
        auto_complete: Flag = "",
    ) -> None:
        self.name, self.body, self.components = name, body, components
        self.scheduled_for, self.scheduled_until = scheduled_for, scheduled_until
        self.auto_start, self.auto_complete = auto_start, auto_complete

    def typed(self) -> dict[str, str]:
        """What was typed, to show again when the form is refused (names one a line)."""
        return {
            "name": self.name,
            "body": self.body,
            "components": "\n".join(self.components),
            "scheduled_for": self.scheduled_for,
            "scheduled_until": self.scheduled_until,
            "auto_start": "1" if self.auto_start else "",
            "auto_complete": "1" if self.auto_complete else "",
        }

    def fields(self, who: PageUser) -> dict[str, Any]:
        """As the schedule and update actions take them; times read in `who`'s zone."""
        return {
            "name": self.name,
            "body": self.body.strip(),
            "components": self.components,
            "scheduled_for": _moment(self.scheduled_for, "starts", who),
            "scheduled_until": _moment(self.scheduled_until, "ends", who),
            "auto_start": bool(self.auto_start),
            "auto_complete": bool(self.auto_complete),
        }


Posted = Annotated[MaintenanceForm, Depends()]


def list_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    with ctx.db.read() as session:
        lists = _lists(session)
        names = _component_names(session)
    return render(
        request,
        "status_maintenances.html",
        who=who,
        status_code=status_code,
        version=version_of(lists.active, lists.upcoming, lists.past, names),
        refresh_url=PAGE,
        lists=lists,
        component_names=names,
        form={"auto_start": "1", "auto_complete": "1", **(form or {})},
        notice=notice,
        error=error,
    )


def maintenance_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    ref: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    with ctx.db.read() as session:
        maintenance = actions.get_maintenance(session, ref)
        out = MaintenanceOut.of(maintenance)
        names = _component_names(session)
        service_names = dict(session.execute(select(Service.id, Service.name)).all())
        windows = [
            (service_names.get(w.service_id, "?"), w.starts_at, w.ends_at)
            for w in actions.windows_of(session, maintenance.id)
        ]
    values: dict[str, str] = {
        "name": out.name,
        "body": out.body,
        "components": "\n".join(c.name for c in out.components),
        "scheduled_for": _local(out.scheduled_for, who),
        "scheduled_until": _local(out.scheduled_until, who),
        "auto_start": "1" if out.auto_start else "",
        "auto_complete": "1" if out.auto_complete else "",
        **(form or {}),
    }
    return render(
        request,
        "status_maintenance.html",
        who=who,
        status_code=status_code,
        version=version_of(out, windows),
        refresh_url=f"{PAGE}/{out.id}",
        m=out,
        windows=windows,
        open_end=actions.OPEN_END,
        verbs={str(k): v for k, v in VERBS.items()},
        component_names=names,
        form=values,
        notice=notice,
        error=error,
    )


@router.get("")
def maintenance_list(request: Request, ctx: PageCtx, who: SignedIn, ok: Ok = "") -> Response:
    return list_page(request, ctx, who, notice=NOTICES.get(ok))


@router.get("/{ref}")
def maintenance_detail(
    request: Request, ctx: PageCtx, who: SignedIn, ref: MaintenanceRef, ok: Ok = ""
) -> Response:
    return maintenance_page(request, ctx, who, ref, notice=NOTICES.get(ok))


# --- forms (responders) ------------------------------------------------------------------


@router.post("")
def schedule(request: Request, ctx: PageCtx, who: Writer, posted: Posted) -> Response:
    form = posted.typed()

    def write(session: Session) -> str:
        made = actions.do_schedule_maintenance(
            session, **posted.fields(who), actor=who.handle, now=ctx.clock.now()
        )
        return f"{PAGE}/{made.id}?ok=scheduled"

    def refused(*, error: str, status_code: int) -> Response:
        return list_page(request, ctx, who, error=error, status_code=status_code, form=form)

    return submit(ctx, write, refused)


_act = RowForms[Maintenance](PAGE, actions.get_maintenance, maintenance_page).act


@router.post("/{ref}/status")
def move(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: MaintenanceRef,
    status: Status = "",
    body: Body = "",
) -> Response:
    def change(session: Session, maintenance: Maintenance, now: datetime) -> None:
        actions.do_move_maintenance(
            session,
            ref=maintenance.id,
            status=_status(status),
            body=body.strip() or None,
            actor=who.handle,
            now=now,
        )

    done = status if status in NOTICES else "saved"
    return _act(request, ctx, who, ref, change, done=done, form={"update_body": body})


@router.post("/{ref}/updates")
def post_update(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: MaintenanceRef,
    body: Body = "",
    status: Status = "",
) -> Response:
    def change(session: Session, maintenance: Maintenance, now: datetime) -> None:
        actions.do_post_maintenance_update(
            session,
            ref=maintenance.id,
            body=body.strip(),
            status=_status(status) if status else None,
            actor=who.handle,
            now=now,
        )

    return _act(
        request, ctx, who, ref, change, done="update", anchor="#updates", form={"update_body": body}
    )


@router.post("/{ref}/edit")
def edit(
    request: Request, ctx: PageCtx, who: Writer, ref: MaintenanceRef, posted: Posted
) -> Response:
    form = posted.typed()

    def change(session: Session, maintenance: Maintenance, now: datetime) -> None:
        actions.do_update_maintenance(
            session, ref=maintenance.id, **posted.fields(who), actor=who.handle, now=now
        )

    return _act(request, ctx, who, ref, change, done="saved", form=form)
