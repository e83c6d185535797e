"""The forms on the incident page. Each one parses its fields, calls one action in one
transaction, and redirects back (POST/redirect/GET); a refusal re-renders the page with
the reason, the right 4xx status and what the person typed."""

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain import checklist
from warroom.domain.roles import Role
from warroom.errors import NotFound
from warroom.incidents import actions
from warroom.incidents.schemas import IncidentId, NoteIn, RoleIn, SeverityIn, StatusIn, UpdateIn
from warroom.web.context import AppContext
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, Writer
from warroom.web.pages.forms import Short, submit
from warroom.web.pages.views import incident_page

router = APIRouter(prefix="/incidents/{incident_id}", route_class=PageRoute)


Field = Annotated[str, Form(max_length=20_000)]
Change = Callable[[Session, datetime], object]


def _act(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    incident_id: int,
    change: Change,
    *,
    done: str,
    form: Mapping[str, str] | None = None,
    compose: str | None = None,
    anchor: str = "",
) -> Response:
    now = ctx.clock.now()

    def write(session: Session) -> str:
        change(session, now)
        return f"/incidents/{incident_id}?ok={done}{anchor}"

    # When the incident itself is missing, rendering the refusal raises NotFound again
    # and the route answers with a plain 404 page.
    refused = partial(incident_page, request, ctx, who, incident_id, compose=compose, form=form)
    return submit(ctx, write, refused)


@router.post("/acknowledge")
def acknowledge(request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_acknowledge(session, incident_id=incident_id, actor=who.handle, now=now)

    return _act(request, ctx, who, incident_id, change, done="acknowledged")


@router.post("/status")
def change_status(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, status: Short = ""
) -> Response:
    def change(session: Session, now: datetime) -> None:
        body = StatusIn(status=status)
        actions.do_change_status(
            session, incident_id=incident_id, status=body.status, actor=who.handle, now=now
        )

    return _act(request, ctx, who, incident_id, change, done="status")


@router.post("/resolve")
def resolve(request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_resolve(session, incident_id=incident_id, actor=who.handle, now=now)

    return _act(request, ctx, who, incident_id, change, done="resolved")


@router.post("/close")
def close(request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_close(session, incident_id=incident_id, actor=who.handle, now=now)

    return _act(request, ctx, who, incident_id, change, done="closed")


@router.post("/reopen")
def reopen(request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_reopen(session, incident_id=incident_id, actor=who.handle, now=now)

    return _act(request, ctx, who, incident_id, change, done="reopened")


@router.post("/severity")
def change_severity(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, severity: Short = ""
) -> Response:
    def change(session: Session, now: datetime) -> None:
        body = SeverityIn(severity=severity)
        actions.do_change_severity(
            session,
            incident_id=incident_id,
            severity=body.severity,
            actor=who.handle,
            now=now,
            targets=ctx.settings.response_targets_minutes,
        )

    return _act(request, ctx, who, incident_id, change, done="severity")


@router.post("/roles/{role}")
def assign_role(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    role: Annotated[str, Path(max_length=50)],
    user: Short = "",
) -> Response:
    """An empty user unassigns the role."""

    def change(session: Session, now: datetime) -> None:
        try:
            which = Role(role)
        except ValueError:
            names = ", ".join(str(r) for r in Role)
            raise NotFound(f"there is no role '{role}'; roles are {names}") from None
        body = RoleIn(user=user.strip() or None)
        actions.do_assign_role(
            session, incident_id=incident_id, role=which, user=body.user, actor=who.handle, now=now
        )

    return _act(request, ctx, who, incident_id, change, done="role")


@router.post("/notes")
def add_note(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, text: Field = ""
) -> Response:
    def change(session: Session, now: datetime) -> None:
        body = NoteIn(text=text)
        actions.do_add_note(
            session, incident_id=incident_id, text=body.text, actor=who.handle, now=now
        )

    return _act(
        request, ctx, who, incident_id, change, done="note", form={"note": text}, anchor="#timeline"
    )


@router.post("/checklist/{n}")
def complete_checklist_item(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    n: Annotated[int, Path(ge=1, le=len(checklist.ITEMS))],
) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_complete_checklist_item(
            session, incident_id=incident_id, item=n, actor=who.handle, now=now
        )

    return _act(request, ctx, who, incident_id, change, done="checklist", anchor="#checklist")


@router.post("/updates")
def publish_update(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    kind: Short = "",
    status: Short = "",
    body: Field = "",
    public: Short = "",
    next_update_minutes: Short = "",
) -> Response:
    form = {
        "body": body,
        "status": status,
        "public": public,
        "next_update_minutes": next_update_minutes,
    }

    def change(session: Session, now: datetime) -> None:
        update = UpdateIn.model_validate(
            {
                "kind": kind,
                "status": status or None,
                "body": body.strip() or None,
                "public": public == "on",
                "next_update_minutes": next_update_minutes.strip() or None,
            }
        )
        actions.do_publish_update(
            session,
            incident_id=incident_id,
            kind=update.kind,
            status=update.status,
            body=update.body,
            public=update.public,
            next_update_minutes=update.next_update_minutes,
            actor=who.handle,
            now=now,
            status_page_url=ctx.settings.status_page_url,
        )

    return _act(
        request,
        ctx,
        who,
        incident_id,
        change,
        done="update",
        form=form,
        compose=kind,
        anchor="#updates",
    )
