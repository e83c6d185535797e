"""Scheduled maintenance: announce it, run it, finish it.

A maintenance lists components; the services on those components (Service.component_id)
get one maintenance window each (warroom.services.models.MaintenanceWindow, linked by
`maintenance_id`), which is what alert intake already checks: alerts on them are kept but
open no incident while the window runs. The windows are worked out again from the
maintenance on every change (`window_span`), so a reschedule, an early start, a late or
hand completion and a changed component list all move them the same way.

The engine starts a maintenance at `scheduled_for` and completes it at `scheduled_until`
(unless auto_start / auto_complete are off); its tasks are in
warroom.statuspage.maintenance_tasks. Each task carries the planned time it was made for
and does nothing when the maintenance has since been rescheduled, moved by hand, or
switched to manual: stale tasks are harmless, so a reschedule only adds tasks."""

import secrets
import string
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from warroom.db.lookup import as_id
from warroom.db.pagination import Page, paginate
from warroom.domain.errors import DomainError
from warroom.domain.statuspage import (
    MAINTENANCE_MOVES,
    MaintenanceStatus,
    move_maintenance,
)
from warroom.domain.timeline import SYSTEM_ACTOR
from warroom.engine.tasks import enqueue
from warroom.errors import Conflict, Invalid, NotFound
from warroom.services.models import MaintenanceWindow, Service
from warroom.statuspage import subscriptions
from warroom.statuspage.components import refresh_components
from warroom.statuspage.models import (
    Component,
    Maintenance,
    MaintenanceComponent,
    MaintenanceUpdate,
)
from warroom.statuspage.revision import bump

START = "maintenance_start"
COMPLETE = "maintenance_complete"

# A window that runs until a person says otherwise: an in-progress maintenance with
# auto_complete off keeps its services quiet past its planned end, as its components
# stay under maintenance. Completing it ends the window at that moment.
OPEN_END = datetime(9999, 1, 1, tzinfo=UTC)

CODE_LENGTH = 12
MAX_COMPONENTS = 50
MAX_NAME = 200
MAX_BODY = 10_000

# What a status change says when the person (or the engine) wrote nothing: Statuspage's
# own wording, which readers of status pages know.
DEFAULT_BODIES: dict[MaintenanceStatus, str] = {
    MaintenanceStatus.SCHEDULED: "This maintenance is scheduled.",
    MaintenanceStatus.IN_PROGRESS: (
        "Scheduled maintenance is currently in progress. We will provide updates as necessary."
    ),
    MaintenanceStatus.VERIFYING: "Verification is currently underway for the maintenance items.",
    MaintenanceStatus.COMPLETED: "The scheduled maintenance has been completed.",
}
CANCELLED_BODY = "This scheduled maintenance has been cancelled."


# --- the rule for windows (pure) ---------------------------------------------------------


def window_span(
    *,
    status: MaintenanceStatus,
    scheduled_for: datetime,
    scheduled_until: datetime,
    started_at: datetime | None,
    completed_at: datetime | None,
    auto_complete: bool,
) -> tuple[datetime, datetime] | None:
    """When the services of a maintenance are quiet: from its planned start (or its
    actual start, if earlier) to its planned end; open-ended while it runs with nobody
    but a person to complete it; cut at its completion. None: no window at all (called
    off before its time)."""
    start = scheduled_for if started_at is None else min(scheduled_for, started_at)
    end = scheduled_until
    if status is not MaintenanceStatus.SCHEDULED and started_at is not None and not auto_complete:
        end = OPEN_END
    if status is MaintenanceStatus.COMPLETED and completed_at is not None:
        end = min(end, completed_at)
    return (start, end) if start < end else None


# --- reading -------------------------------------------------------------------------------


def _new_code(session: Session) -> str:
    # Letters only: a path naming a maintenance by digits means its id, so a code can
    # never be mistaken for one.
    while True:
        code = "".join(secrets.choice(string.ascii_lowercase) for _ in range(CODE_LENGTH))
        if session.scalar(select(Maintenance.id).where(Maintenance.code == code)) is None:
            return code


def get_maintenance(session: Session, ref: str | int, *, for_update: bool = False) -> Maintenance:
    """By id (digits) or by public code."""
    text = str(ref)
    query: Select[Maintenance]
    if text.isascii() and text.isdigit():  # codes are letters only
        query = select(Maintenance).where(Maintenance.id == as_id(text))
    else:
        query = select(Maintenance).where(Maintenance.code == text.strip().lower())
    if for_update:
        query = query.with_for_update(of=Maintenance).execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no maintenance with id or code '{text[:40]}'")
    return found


def list_maintenances(
    session: Session,
    *,
    status: Sequence[MaintenanceStatus] | None = None,
    limit: int,
    cursor: str | None,
) -> Page[Maintenance]:
    """Latest planned start first."""
    query = select(Maintenance)
    if status:
        query = query.where(Maintenance.status.in_(list(status)))
    return paginate(
        session,
        query,
        keys=[Maintenance.scheduled_for, Maintenance.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


def windows_of(session: Session, maintenance_id: int) -> list[MaintenanceWindow]:
    return list(
        session.scalars(
            select(MaintenanceWindow)
            .where(MaintenanceWindow.maintenance_id == maintenance_id)
            .order_by(MaintenanceWindow.service_id, MaintenanceWindow.id)
        )
    )


# --- writing: helpers --------------------------------------------------------------------


def _components_named(session: Session, names: Sequence[str]) -> list[Component]:
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if len(wanted) > MAX_COMPONENTS:
        raise Invalid(f"a maintenance can list at most {MAX_COMPONENTS} components")
    if not wanted:
        return []
    found = {
        c.name: c for c in session.scalars(select(Component).where(Component.name.in_(wanted)))
    }
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise Invalid(
            f"no component named {', '.join(repr(n) for n in unknown)}; "
            "use the names GET /api/v1/components lists"
        )
    return [found[n] for n in wanted]


def _check_times(scheduled_for: datetime, scheduled_until: datetime) -> None:
    if scheduled_for.tzinfo is None or scheduled_until.tzinfo is None:
        raise Invalid("times need a UTC offset, e.g. 2026-03-01T02:00:00+00:00")
    if scheduled_until <= scheduled_for:
        raise Invalid("scheduled_until must be after scheduled_for")


def _check_text(name: str, body: str) -> None:
    if not name.strip():
        raise Invalid("a maintenance needs a name")
    if len(name) > MAX_NAME:
        raise Invalid(f"the name can be at most {MAX_NAME} characters")
    if len(body) > MAX_BODY:
        raise Invalid(f"the text can be at most {MAX_BODY} characters")


def _sync_windows(session: Session, maintenance: Maintenance, *, now: datetime) -> None:
    """Make the maintenance's windows what `window_span` says, one per service on its
    components. A service no longer covered keeps the part of its window already
    past (that was true) and loses the rest."""
    span = window_span(
        status=maintenance.status,
        scheduled_for=maintenance.scheduled_for,
        scheduled_until=maintenance.scheduled_until,
        started_at=maintenance.started_at,
        completed_at=maintenance.completed_at,
        auto_complete=maintenance.auto_complete,
    )
    component_ids = [c.id for c in maintenance.components]
    services: set[int] = set()
    if span is not None and component_ids:
        services = set(
            session.scalars(select(Service.id).where(Service.component_id.in_(component_ids)))
        )
    existing: dict[int, MaintenanceWindow] = {}
    for window in windows_of(session, maintenance.id):
        keep = window.service_id in services and window.service_id not in existing
        if keep:
            existing[window.service_id] = window
        elif window.starts_at >= now:
            session.delete(window)
        elif window.ends_at > now:
            window.ends_at = now
    reason = f"scheduled maintenance: {maintenance.name}"[:500]
    for service_id in sorted(services):
        assert span is not None
        window = existing.get(service_id) or MaintenanceWindow(
            service_id=service_id,
            maintenance_id=maintenance.id,
            created_by=maintenance.created_by,
            created_at=now,
        )
        session.add(window)
        window.starts_at, window.ends_at = span
        window.reason = reason


def sync_maintenance_windows(
    session: Session, *, component_ids: Sequence[int], now: datetime
) -> None:
    """For whoever links a service to a component or unlinks it: the windows of the
    maintenances on those components (not yet completed) follow the new membership."""
    if not component_ids:
        return
    session.flush()
    found = session.scalars(
        select(Maintenance)
        .join(MaintenanceComponent, MaintenanceComponent.maintenance_id == Maintenance.id)
        .where(
            MaintenanceComponent.component_id.in_(list(component_ids)),
            Maintenance.status != MaintenanceStatus.COMPLETED,
        )
        .distinct()
        .order_by(Maintenance.id)
    ).all()
    for maintenance in found:
        _sync_windows(session, maintenance, now=now)


def _plan_tasks(session: Session, maintenance: Maintenance, *, now: datetime) -> None:
    """Tasks for the planned start and end as they stand now. Earlier tasks stay queued
    and find their planned time no longer matches."""
    if maintenance.status is MaintenanceStatus.SCHEDULED and maintenance.auto_start:
        enqueue(
            session,
            kind=START,
            now=now,
            due_at=maintenance.scheduled_for,
            payload=_payload(maintenance, maintenance.scheduled_for),
        )
    if maintenance.status is not MaintenanceStatus.COMPLETED and maintenance.auto_complete:
        enqueue(
            session,
            kind=COMPLETE,
            now=now,
            due_at=maintenance.scheduled_until,
            payload=_payload(maintenance, maintenance.scheduled_until),
        )


def _payload(maintenance: Maintenance, planned: datetime) -> dict[str, Any]:
    return {"maintenance_id": maintenance.id, "planned": planned.astimezone(UTC).isoformat()}


def _record(
    session: Session,
    maintenance: Maintenance,
    *,
    body: str,
    actor: str,
    now: datetime,
    refresh: Sequence[int] = (),
) -> MaintenanceUpdate:
    """What every change the public sees ends with: the update, the windows, the
    components, the page revision, and the subscribers told."""
    update = MaintenanceUpdate(
        maintenance_id=maintenance.id,
        status=maintenance.status,
        body=body,
        author=actor,
        created_at=now,
    )
    maintenance.updates.append(update)
    maintenance.updated_at = now
    _sync_windows(session, maintenance, now=now)
    session.flush()
    refresh_components(session, [*refresh, *(c.id for c in maintenance.components)], now=now)
    bump(session, now=now)
    subscriptions.notify_subscribers_of_maintenance(
        session, maintenance=maintenance, update=update, now=now
    )
    return update


def move(
    session: Session,
    maintenance: Maintenance,
    wanted: MaintenanceStatus,
    *,
    body: str | None,
    actor: str,
    now: datetime,
) -> MaintenanceUpdate:
    """Move a maintenance the caller holds (locked) to `wanted`, inside the caller's
    transaction: the actions here and the engine's tasks (maintenance_tasks) share it."""
    current = maintenance.status
    try:
        move_maintenance(current, wanted)
    except DomainError as exc:
        raise Conflict(str(exc), allowed=sorted(MAINTENANCE_MOVES[current])) from exc
    maintenance.status = wanted
    if wanted is MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
        maintenance.started_at = now
    if wanted is MaintenanceStatus.COMPLETED:
        maintenance.completed_at = now
    if not body:
        called_off = current is MaintenanceStatus.SCHEDULED and actor != SYSTEM_ACTOR
        body = CANCELLED_BODY if called_off else DEFAULT_BODIES[wanted]
    return _record(session, maintenance, body=body, actor=actor, now=now)


# --- actions -------------------------------------------------------------------------------


def do_schedule_maintenance(
    session: Session,
    *,
    name: str,
    body: str,
    components: Sequence[str],
    scheduled_for: datetime,
    scheduled_until: datetime,
    auto_start: bool = True,
    auto_complete: bool = True,
    actor: str,
    now: datetime,
) -> Maintenance:
    _check_text(name, body)
    _check_times(scheduled_for, scheduled_until)
    if scheduled_until <= now:
        raise Invalid("scheduled_until has already passed: the maintenance would be over")
    maintenance = Maintenance(
        code=_new_code(session),
        name=name.strip(),
        body=body,
        status=MaintenanceStatus.SCHEDULED,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        auto_start=auto_start,
        auto_complete=auto_complete,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    maintenance.components = _components_named(session, components)
    session.add(maintenance)
    session.flush()
    _record(
        session,
        maintenance,
        body=body or DEFAULT_BODIES[MaintenanceStatus.SCHEDULED],
        actor=actor,
        now=now,
    )
    _plan_tasks(session, maintenance, now=now)
    return maintenance


def do_update_maintenance(
    session: Session,
    *,
    ref: str | int,
    actor: str,
    now: datetime,
    name: str | None = None,
    body: str | None = None,
    components: Sequence[str] | None = None,
    scheduled_for: datetime | None = None,
    scheduled_until: datetime | None = None,
    auto_start: bool | None = None,
    auto_complete: bool | None = None,
) -> Maintenance:
    """Rename, reschedule, change components or the automation. No update is posted
    (a reschedule worth telling subscribers about is worth a sentence: post one)."""
    maintenance = get_maintenance(session, ref, for_update=True)
    if maintenance.status is MaintenanceStatus.COMPLETED:
        raise Conflict("this maintenance is completed; schedule a new one")
    new_for = scheduled_for or maintenance.scheduled_for
    new_until = scheduled_until or maintenance.scheduled_until
    _check_text(name if name is not None else maintenance.name, body or "")
    _check_times(new_for, new_until)
    # An end already past with the engine to complete it would leave it running with
    # its windows over (alerts paging while the page says maintenance) until the engine
    # caught up: the person completes it instead.
    new_auto_complete = maintenance.auto_complete if auto_complete is None else auto_complete
    timing_changed = scheduled_until is not None or auto_complete is not None
    if timing_changed and new_auto_complete and new_until <= now:
        raise Invalid(
            "scheduled_until has already passed; complete the maintenance instead "
            '(POST …/status {"status": "completed"})'
        )
    old_components = [c.id for c in maintenance.components]
    if components is not None:
        maintenance.components = _components_named(session, components)
    if name is not None:
        maintenance.name = name.strip()
    if body is not None:
        maintenance.body = body
    maintenance.scheduled_for, maintenance.scheduled_until = new_for, new_until
    if auto_start is not None:
        maintenance.auto_start = auto_start
    if auto_complete is not None:
        maintenance.auto_complete = auto_complete
    maintenance.updated_at = now
    _sync_windows(session, maintenance, now=now)
    session.flush()
    refresh_components(session, [*old_components, *(c.id for c in maintenance.components)], now=now)
    bump(session, now=now)
    _plan_tasks(session, maintenance, now=now)
    return maintenance


def do_move_maintenance(
    session: Session,
    *,
    ref: str | int,
    status: MaintenanceStatus,
    body: str | None = None,
    actor: str,
    now: datetime,
) -> Maintenance:
    """scheduled → in_progress ⇄ verifying → completed; completing a scheduled one calls
    it off. 409 naming the allowed moves otherwise."""
    _check_text("-", body or "")
    maintenance = get_maintenance(session, ref, for_update=True)
    move(session, maintenance, status, body=body, actor=actor, now=now)
    return maintenance


def do_post_maintenance_update(
    session: Session,
    *,
    ref: str | int,
    body: str,
    status: MaintenanceStatus | None = None,
    actor: str,
    now: datetime,
) -> Maintenance:
    """A note to the page (and its subscribers), moving the status too when asked."""
    if not body.strip():
        raise Invalid("an update needs some text")
    _check_text("-", body)
    maintenance = get_maintenance(session, ref, for_update=True)
    if status is not None and status is not maintenance.status:
        move(session, maintenance, status, body=body, actor=actor, now=now)
    else:
        _record(session, maintenance, body=body, actor=actor, now=now)
    return maintenance
