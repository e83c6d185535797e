"""The forms on the incident page. Each one parses its fields, calls one action in one
transaction, and redirects back (POST/redirect/GET); a refusal re-renders the page with
the reason, the right 4xx status and what the person typed."""

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain import checklist
from warroom.domain.components import ComponentStatus
from warroom.domain.roles import Role
from warroom.errors import NotFound
from warroom.incidents import actions, repository
from warroom.incidents.public import impact_choice
from warroom.incidents.schemas import (
    IncidentId,
    NoteIn,
    PublicIn,
    RoleIn,
    SeverityIn,
    StatusIn,
    UpdateIn,
)
from warroom.web.context import AppContext
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, Writer, error_of
from warroom.web.pages.composer import component_pins
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


ComponentNames = Annotated[list[str], Form(max_length=200)]


class ComposerForm:
    """The composer's fields as posted (FastAPI reads each parameter from the form)."""

    def __init__(
        self,
        kind: Short = "",
        status: Short = "",
        body: Field = "",
        public: Short = "",
        next_update_minutes: Short = "",
        public_title: Field = "",
        public_impact: Short = "",
        impact_text: Field = "",
        progress: Field = "",
        root_cause: Field = "",
        actions_taken: Field = "",
        component_name: ComponentNames = [],  # noqa: B006 (FastAPI copies defaults)
        component_status: ComponentNames = [],  # noqa: B006
    ) -> None:
        self.kind, self.status, self.body, self.public = kind, status, body, public
        self.next_update_minutes = next_update_minutes
        self.public_title, self.public_impact = public_title, public_impact
        self.impact_text, self.progress = impact_text, progress
        self.root_cause, self.actions_taken = root_cause, actions_taken
        self.component_name, self.component_status = component_name, component_status

    def parsed(self, *, body: str | None = None) -> tuple[dict[str, str], dict[str, object]]:
        """As typed (to show again after a refusal or a preview), and as UpdateIn's shape
        (validated by the caller); `body` in place of the posted one."""
        body = self.body if body is None else body
        pins = component_pins(self.component_name, self.component_status)
        typed = {
            "body": body,
            "status": self.status,
            "public": self.public,
            "next_update_minutes": self.next_update_minutes,
            "public_title": self.public_title,
            "public_impact": self.public_impact,
            "impact_text": self.impact_text,
            "progress": self.progress,
            "root_cause": self.root_cause,
            "actions_taken": self.actions_taken,
            **{f"component:{name}": str(s) for name, s in pins.items() if s},
        }
        fields: dict[str, object] = {
            "kind": self.kind,
            "status": self.status or None,
            "body": body.strip() or None,
            "public": self.public == "on",
            "next_update_minutes": self.next_update_minutes.strip() or None,
            "components": {n: s for n, s in pins.items() if s} or None,
            "impact": self.impact_text.strip() or None,
            "progress": self.progress.strip() or None,
            "root_cause": self.root_cause.strip() or None,
            "actions_taken": self.actions_taken.strip() or None,
        }
        if self.public == "on":
            # The public title and impact apply with a public update only.
            fields["public_title"] = self.public_title.strip() or None
            fields["public_impact"] = self.public_impact or None
        return typed, fields


Composer = Annotated[ComposerForm, Depends()]


@router.post("/updates")
def publish_update(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, composer: Composer
) -> Response:
    form, fields = composer.parsed()

    def change(session: Session, now: datetime) -> None:
        update = UpdateIn.model_validate(fields)
        actions.do_publish_update(
            session,
            incident_id=incident_id,
            actor=who.handle,
            now=now,
            status_page_url=ctx.settings.status_page_url,
            **update.model_dump(exclude={"public_impact"}),
            public_impact=impact_choice(update.public_impact),
        )

    return _act(
        request,
        ctx,
        who,
        incident_id,
        change,
        done="update",
        form=form,
        compose=composer.kind,
        anchor="#updates",
    )


@router.post("/updates/preview")
def preview_update(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, composer: Composer
) -> Response:
    """The composer's "Preview": the kind's template filled from the fields, put in the
    text box to edit before publishing. Writes nothing."""
    form, fields = composer.parsed(body="")
    now = ctx.clock.now()
    try:
        wanted = UpdateIn.model_validate(fields)
        with ctx.db.read() as session:
            incident = repository.get_incident(session, incident_id)
            form["body"] = actions.draft_update(
                incident,
                wanted.kind,
                now=now,
                status=wanted.status,
                components=wanted.components,
                next_update_minutes=wanted.next_update_minutes,
                impact=wanted.impact,
                progress=wanted.progress,
                root_cause=wanted.root_cause,
                actions_taken=wanted.actions_taken,
                status_page_url=ctx.settings.status_page_url,
                public=wanted.public,
            )
    except REFUSALS as exc:
        status_code, message = error_of(exc)
        form["body"] = composer.body
        return incident_page(
            request,
            ctx,
            who,
            incident_id,
            compose=composer.kind,
            form=form,
            error=message,
            status_code=status_code,
        )
    return incident_page(
        request,
        ctx,
        who,
        incident_id,
        compose=composer.kind,
        form=form,
        notice="Preview: edit the text if you like, then Publish.",
    )


@router.post("/public")
def set_public(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    public: Short = "",
    title: Field = "",
    impact: Short = "",
    show_responders: Short = "",
    component_name: ComponentNames = [],  # noqa: B006
    component_status: ComponentNames = [],  # noqa: B006
) -> Response:
    pins = component_pins(component_name, component_status)
    form = {"public_form": "1", "public": public, "title": title}

    def change(session: Session, now: datetime) -> None:
        wanted = PublicIn.model_validate(
            {
                "public": public == "on",
                "title": title.strip() or None,
                "impact": impact or None,
                "components": pins or None,
                "show_responders": show_responders == "on",
            }
        )
        actions.do_set_public(
            session,
            incident_id=incident_id,
            actor=who.handle,
            now=now,
            public=wanted.public,
            title=wanted.title,
            impact=impact_choice(wanted.impact),
            components=(
                {n: ComponentStatus(s) if s else None for n, s in wanted.components.items()}
                if wanted.components
                else None
            ),
            show_responders=wanted.show_responders,
        )

    return _act(request, ctx, who, incident_id, change, done="public", form=form, anchor="#public")
