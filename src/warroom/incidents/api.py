from typing import Annotated

from fastapi import APIRouter, Path, Query

from warroom.db.pagination import MAX_LIMIT
from warroom.domain.comms import UpdateKind, UpdateStatus, plan_update
from warroom.domain.components import ComponentStatus as Component
from warroom.domain.lifecycle import Status
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.incidents import actions, repository
from warroom.incidents.public import impact_choice
from warroom.incidents.schemas import (
    ChecklistOut,
    IncidentId,
    IncidentIn,
    IncidentOut,
    NoteIn,
    PublicIn,
    RoleIn,
    SeverityIn,
    StatusIn,
    TimelineEventOut,
    UpdateIn,
    UpdateOut,
)
from warroom.paging import actions as paging_actions
from warroom.paging.api import EscalateIn
from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.web.auth import Ctx, Responder, Viewer

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

ItemNumber = Annotated[int, Path(ge=1, le=10, description="checklist item, 1 to 10")]


@router.post("", status_code=201, response_model=IncidentOut)
def declare(body: IncidentIn, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_declare(
            session,
            title=body.title,
            severity=body.severity,
            service=body.service,
            description=body.description,
            started_at=body.started_at,
            actor=who.handle,
            created_by_id=who.user.id,
            now=now,
            targets=ctx.settings.response_targets_minutes,
        )
        return IncidentOut.of(incident, now=now)


@router.get("", response_model=ListOut[IncidentOut])
def list_incidents(
    who: Viewer,
    ctx: Ctx,
    status: Annotated[list[Status] | None, Query(description="repeat to match several")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    service: Annotated[str | None, Query(max_length=100, description="id or name")] = None,
    drill: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOut[IncidentOut]:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = repository.list_incidents(
            session,
            repository.IncidentFilter(
                status=status, severity=severity, service=service, drill=drill
            ),
            limit=limit,
            cursor=cursor,
        )
        return list_out(page, lambda i: IncidentOut.of(i, now=now))


@router.get("/{incident_id}", response_model=IncidentOut)
def get_incident(incident_id: IncidentId, who: Viewer, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        return IncidentOut.of(repository.get_incident(session, incident_id), now=now)


@router.post("/{incident_id}/acknowledge", response_model=IncidentOut)
def acknowledge(incident_id: IncidentId, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_acknowledge(
            session, incident_id=incident_id, actor=who.handle, now=now
        )
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/escalate", response_model=IncidentOut)
def escalate(
    incident_id: IncidentId, who: Responder, ctx: Ctx, body: EscalateIn | None = None
) -> IncidentOut:
    """Page the next level of the service's escalation policy now; later levels keep
    their spacing from it. With `{"level": n}`: page level n now (even one already paged,
    or after the policy ran out) and go on from it, level n+1 a delay of level n later.
    409 once acknowledged, resolved or closed, or without a policy; 422 for a level the
    policy does not have."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        if body is not None and body.level is not None:
            incident = paging_actions.do_escalate_to_level(
                session, incident_id=incident_id, level=body.level, actor=who.handle, now=now
            )
            return IncidentOut.of(incident, now=now)
        incident = actions.do_escalate_now(
            session, incident_id=incident_id, actor=who.handle, now=now
        )
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/resolve", response_model=IncidentOut)
def resolve(incident_id: IncidentId, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_resolve(session, incident_id=incident_id, actor=who.handle, now=now)
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/close", response_model=IncidentOut)
def close(incident_id: IncidentId, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_close(session, incident_id=incident_id, actor=who.handle, now=now)
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/reopen", response_model=IncidentOut)
def reopen(incident_id: IncidentId, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_reopen(session, incident_id=incident_id, actor=who.handle, now=now)
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/status", response_model=IncidentOut)
def change_status(incident_id: IncidentId, body: StatusIn, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_change_status(
            session, incident_id=incident_id, status=body.status, actor=who.handle, now=now
        )
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/severity", response_model=IncidentOut)
def change_severity(
    incident_id: IncidentId, body: SeverityIn, who: Responder, ctx: Ctx
) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_change_severity(
            session,
            incident_id=incident_id,
            severity=body.severity,
            actor=who.handle,
            now=now,
            targets=ctx.settings.response_targets_minutes,
        )
        return IncidentOut.of(incident, now=now)


@router.put("/{incident_id}/roles/{role}", response_model=IncidentOut)
def assign_role(
    incident_id: IncidentId, role: Role, body: RoleIn, who: Responder, ctx: Ctx
) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_assign_role(
            session, incident_id=incident_id, role=role, user=body.user, actor=who.handle, now=now
        )
        return IncidentOut.of(incident, now=now)


@router.delete("/{incident_id}/roles/{role}", response_model=IncidentOut)
def unassign_role(incident_id: IncidentId, role: Role, who: Responder, ctx: Ctx) -> IncidentOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_assign_role(
            session, incident_id=incident_id, role=role, user=None, actor=who.handle, now=now
        )
        return IncidentOut.of(incident, now=now)


@router.post("/{incident_id}/notes", status_code=201, response_model=TimelineEventOut)
def add_note(incident_id: IncidentId, body: NoteIn, who: Responder, ctx: Ctx) -> TimelineEventOut:
    with ctx.db.write() as session:
        event = actions.do_add_note(
            session,
            incident_id=incident_id,
            text=body.text,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return TimelineEventOut.of(event)


@router.get("/{incident_id}/timeline", response_model=ListOut[TimelineEventOut])
def timeline(
    incident_id: IncidentId, who: Viewer, ctx: Ctx, limit: Limit = MAX_LIMIT, cursor: Cursor = None
) -> ListOut[TimelineEventOut]:
    """Oldest first. Nothing on a timeline is ever edited or removed."""
    with ctx.db.read() as session:
        repository.get_incident(session, incident_id)
        page = repository.page_timeline(session, incident_id, limit=limit, cursor=cursor)
        return list_out(page, TimelineEventOut.of)


@router.get("/{incident_id}/checklist", response_model=ChecklistOut)
def get_checklist(incident_id: IncidentId, who: Viewer, ctx: Ctx) -> ChecklistOut:
    with ctx.db.read() as session:
        return ChecklistOut.of(repository.get_incident(session, incident_id))


@router.post("/{incident_id}/checklist/{n}", response_model=ChecklistOut)
def complete_checklist_item(
    incident_id: IncidentId, n: ItemNumber, who: Responder, ctx: Ctx
) -> ChecklistOut:
    with ctx.db.write() as session:
        incident = actions.do_complete_checklist_item(
            session, incident_id=incident_id, item=n, actor=who.handle, now=ctx.clock.now()
        )
        return ChecklistOut.of(incident)


@router.post("/{incident_id}/updates", status_code=201, response_model=UpdateOut)
def publish_update(incident_id: IncidentId, body: UpdateIn, who: Responder, ctx: Ctx) -> UpdateOut:
    with ctx.db.write() as session:
        update = actions.do_publish_update(
            session,
            incident_id=incident_id,
            actor=who.handle,
            now=ctx.clock.now(),
            status_page_url=ctx.settings.status_page_url,
            **body.model_dump(exclude={"public_impact"}),
            public_impact=impact_choice(body.public_impact),
        )
        return UpdateOut.of(update)


@router.get("/{incident_id}/updates", response_model=ListOut[UpdateOut])
def list_updates(
    incident_id: IncidentId, who: Viewer, ctx: Ctx, limit: Limit = 50, cursor: Cursor = None
) -> ListOut[UpdateOut]:
    """Newest first."""
    with ctx.db.read() as session:
        repository.get_incident(session, incident_id)
        page = repository.page_updates(session, incident_id, limit=limit, cursor=cursor)
        return list_out(page, UpdateOut.of)


@router.put("/{incident_id}/public", response_model=IncidentOut)
def set_public(incident_id: IncidentId, body: PublicIn, who: Responder, ctx: Ctx) -> IncidentOut:
    """Whether and how the incident shows on the public status page. Making it public
    the first time gives it a public code and a public title (default: from its impact and
    public components, never its internal title); `impact`
    "severity" follows the severity again; `components` marks components affected (null:
    as the severity implies). Making it private hides it and keeps its code. 422 names
    an unknown component."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = actions.do_set_public(
            session,
            incident_id=incident_id,
            actor=who.handle,
            now=now,
            public=body.public,
            title=body.title,
            impact=impact_choice(body.impact),
            components=(
                {n: Component(s) if s else None for n, s in body.components.items()}
                if body.components
                else None
            ),
            show_responders=body.show_responders,
        )
        return IncidentOut.of(incident, now=now)


Fact = Annotated[str | None, Query(max_length=10_000)]


@router.get("/{incident_id}/updates/draft/{kind}")
def draft_update(
    incident_id: IncidentId,
    kind: UpdateKind,
    who: Viewer,
    ctx: Ctx,
    status: UpdateStatus | None = None,
    next_update_minutes: Annotated[int | None, Query(ge=1, le=7 * 24 * 60)] = None,
    component: Annotated[
        list[Annotated[str, Query(max_length=100)]] | None,
        Query(max_length=50, description="NAME or NAME=STATUS, repeatable"),
    ] = None,
    impact: Fact = None,
    progress: Fact = None,
    root_cause: Fact = None,
    actions_taken: Fact = None,
    public: Annotated[
        bool, Query(description="draft for the public page: public components and words only")
    ] = False,
) -> dict[str, str | int | None]:
    """The kind's template filled from the incident and the facts given (the same ones
    an update takes), for a composer to start from; nothing is published."""
    now = ctx.clock.now()
    components = {name: None for name, _, _ in (c.partition("=") for c in component or [])}
    with ctx.db.read() as session:
        incident = repository.get_incident(session, incident_id)
        plan = plan_update(
            kind, incident.status, status, next_update_minutes, severity=incident.severity
        )
        body = actions.draft_update(
            incident,
            kind,
            now=now,
            status=status,
            components=components or None,
            next_update_minutes=next_update_minutes,
            impact=impact,
            progress=progress,
            root_cause=root_cause,
            actions_taken=actions_taken,
            status_page_url=ctx.settings.status_page_url,
            public=public,
        )
    return {
        "kind": str(kind),
        "status": str(plan.announced),
        "next_update_minutes": plan.next_update_minutes,
        "body": body,
    }
