"""The engine's paging handlers: `escalate` walks one step of an incident's escalation
policy, `deliver_page` sends one page.

Exactly once, as seen by the person paged:
- a step's pages are rows with a unique (incident, loop, level, user, contact) key,
  written in the same transaction as the step's completion and the next step's timer;
  a step run again (a lost completion, another engine after a lease ran out) finds its
  pages already there and adds none;
- each page is sent by its own `deliver_page` task, claimed by one engine at a time
  (SKIP LOCKED / compare-and-swap on the task row), and marked sent with a
  compare-and-swap on the page's state in the transaction that completes the task.
- Every due time comes from `plan(policy, triggered_at)` (shifted only by levels skipped
  because nobody was there), never from when the previous step happened to run. A run
  that started again (a restart, a jump to a level) plans the same way from its own
  start (`plan_from`, with the base carried in the step's payload) and numbers its loops
  after every earlier one, so its pages never share a key with an earlier run's.

What a page costs (bench/profile_paging.py measures it): one write transaction before the
send reads the page, its incident's message fields and the stored signing key in one
query, then either cancels the page (the incident was answered) or takes the contact's
throttle slot (locking the contact's row); the send happens after that commits; a second
write transaction marks the page sent (the compare-and-swap above), clears the contact's
last error, writes PAGE_SENT and completes the task. A step loads its incident with its
service and policy in one locked query, and inserts its pages with one flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from warroom.db.secrets import SIGNING_KEY, AppSecret
from warroom.domain import escalation as plan_rules
from warroom.domain import notification
from warroom.domain import schedule as schedules
from warroom.domain.errors import DomainError
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine import backoff
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.escalation.repository import to_domain as policy_of
from warroom.incidents.actions import record, record_by_id
from warroom.incidents.models import Incident
from warroom.incidents.repository import get_incident_for_paging
from warroom.notify.apprise import AppriseNotifier
from warroom.notify.base import DeliveryError, Message, redact
from warroom.oncall.repository import find_schedule, overrides_between
from warroom.oncall.repository import to_domain as schedule_of
from warroom.paging import ack_links, notices
from warroom.paging.hooks import DELIVER_PAGE, ESCALATE, MANUAL_LOOP, Run, run_of, step_payload
from warroom.paging.models import Page, PageState
from warroom.services.models import Service
from warroom.settings import Settings
from warroom.users import delivery
from warroom.users.contacts import notification_plan, waking_hours_of
from warroom.users.models import User

__all__ = ["DELIVER_PAGE", "ESCALATE", "deliver_page", "escalate"]

MAX_ERROR_CHARS = 2000


class PagingError(Exception):
    """A paging task that cannot do its work however often it runs."""

    permanent = True


def answered(incident: Incident) -> bool:
    """Acknowledged (or past it), resolved or closed: nobody more is paged."""
    return incident.acknowledged_now or _over(incident.status)


def _over(status: Status) -> bool:
    return status in (Status.RESOLVED, Status.CLOSED)


def escalate(ctx: TaskContext) -> None:
    incident_id = ctx.incident_id
    payload = ctx.task.payload
    try:
        key = plan_rules.StepKey(int(payload["loop"]), int(payload["level"]))
        skipped = [plan_rules.StepKey(int(a), int(b)) for a, b in payload.get("skipped") or []]
        advanced_us = int(payload.get("advanced_us") or 0)
        run = run_of(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise PagingError(f"escalate task {ctx.task.id} names no step") from exc
    now = ctx.clock.now()
    with ctx.db.write() as session:
        # Locked: an acknowledgement in flight either commits first (and this step pages
        # nobody) or waits for this step, then cancels what it enqueued.
        incident = get_incident_for_paging(session, incident_id, for_update=True)
        # This task's state, and whether this step already paged, in one query.
        found = session.execute(
            select(Task.state, _paged_query(incident_id, key).exists()).where(
                Task.id == ctx.task.id
            )
        ).one_or_none()
        state, paged_before = (
            (found[0], bool(found[1]))
            if found is not None
            else (None, _already_paged(session, incident_id, key))
        )
        if state is TaskState.CANCELLED:
            # A restart (or a jump to a level) cancelled this step while it waited for the
            # lock: a newer run pages instead. Left cancelled, not marked done.
            ctx.completed = True
            return
        stored = incident.service.policy
        if answered(incident) or stored is None:
            ctx.complete(session)
            return
        policy = policy_of(stored)
        try:
            steps = (
                plan_rules.plan(policy, incident.triggered_at)
                if run is None
                else plan_rules.plan_from(policy, run.base, plan_rules.StepKey(run.loop, run.level))
            )
        except DomainError:
            steps = []  # the policy lost the level this run started at
        for done in skipped:
            steps = _replan(steps, done)
        if advanced_us > 0 and key in {step.key for step in steps}:
            # "Escalate now" moved this step, and so every later one, earlier.
            steps = plan_rules.advance(steps, key, timedelta(microseconds=advanced_us))
        if key not in {step.key for step in steps} or paged_before:
            # The policy changed under the step, or this step already ran and only its
            # completion was lost: either way there is nothing more to do here.
            ctx.complete(session)
            return
        step = next(s for s in steps if s.key == key)
        level = policy.levels[key.level_index]
        users, missing = _resolve(session, level.targets, now)
        facts = {"level": key.level_index + 1, "loop": key.loop}
        if not users:
            record(
                session,
                incident,
                EventType.LEVEL_SKIPPED,
                actor=SYSTEM_ACTOR,
                at=now,
                targets=[t.as_dict() for t in level.targets],
                reason="; ".join(missing) or "nobody to page",
                **facts,
            )
            steps = plan_rules.replan_after_skip(steps, key)
            skipped.append(key)
        else:
            record(
                session,
                incident,
                EventType.ESCALATED,
                actor=SYSTEM_ACTOR,
                at=now,
                users=[u.handle for u in users],
                unresolved=missing,
                **facts,
            )
            _add_pages(session, incident, users, key=key, due_at=step.due_at, now=now)
        _enqueue_next(session, incident_id, steps, key, skipped, advanced_us, run, now=now)
        ctx.complete(session)


def _replan(steps: list[plan_rules.Step], key: plan_rules.StepKey) -> list[plan_rules.Step]:
    try:
        return plan_rules.replan_after_skip(steps, key)
    except DomainError:
        return steps  # the policy changed since that level was skipped


def _paged_query(incident_id: int, key: plan_rules.StepKey) -> Select[int]:
    return select(Page.id).where(
        Page.incident_id == incident_id,
        Page.loop == key.loop,
        Page.level == key.level_index,
    )


def _already_paged(session: Session, incident_id: int, key: plan_rules.StepKey) -> bool:
    return session.scalar(_paged_query(incident_id, key).limit(1)) is not None


def _add_pages(
    session: Session,
    incident: Incident,
    users: list[User],
    *,
    key: plan_rules.StepKey,
    due_at: datetime,
    now: datetime,
) -> None:
    """One page per (user, notification rule), each due at the step's planned time plus
    the rule's delay, and, for low urgency, not before the person's waking hours. The
    escalation does not wait for any of them: the next level keeps its own due time."""
    pages: list[tuple[Page, datetime]] = []
    for user in users:
        methods, wanted = notification_plan(session, user)
        if not wanted:
            record(
                session,
                incident,
                EventType.PAGE_FAILED,
                actor=SYSTEM_ACTOR,
                at=now,
                user=user.handle,
                level=key.level_index + 1,
                loop=key.loop,
                error="no contact methods: could not be paged",
            )
            continue
        waking = waking_hours_of(user)
        for planned in notification.deliveries(due_at, wanted):
            method = methods[planned.method_id]
            page = Page(
                incident_id=incident.id,
                loop=key.loop,
                level=key.level_index,
                user_id=user.id,
                contact=method.url,
                contact_method_id=method.id,
                delay_minutes=planned.delay_minutes,
                state=PageState.PENDING,
                attempts=0,
                created_at=now,
            )
            # Due at the planned time (the step's, plus the rule's delay), never at when
            # this step happened to run: after downtime, overdue pages go out in the order
            # the plan gave them, interleaved with the steps around them.
            pages.append(
                (
                    page,
                    notification.deliver_at(
                        severity=incident.severity, due_at=planned.due_at, waking_hours=waking
                    ),
                )
            )
    if not pages:
        return
    # One flush for the step's pages (a single multi-row INSERT … RETURNING where the
    # database allows it): their tasks need the ids.
    session.add_all([page for page, _ in pages])
    session.flush()
    for page, deliver_at in pages:
        enqueue(
            session,
            kind=DELIVER_PAGE,
            incident_id=incident.id,
            payload={"page_id": page.id},
            due_at=deliver_at,
            now=now,
        )


def _enqueue_next(
    session: Session,
    incident_id: int,
    steps: list[plan_rules.Step],
    key: plan_rules.StepKey,
    skipped: list[plan_rules.StepKey],
    advanced_us: int,
    run: Run | None = None,
    *,
    now: datetime,
) -> None:
    keys = [step.key for step in steps]
    index = keys.index(key)
    if index + 1 >= len(steps):
        return  # the policy is exhausted
    following = steps[index + 1]
    enqueue(
        session,
        kind=ESCALATE,
        incident_id=incident_id,
        payload=step_payload(
            following.loop,
            following.level_index,
            [[k.loop, k.level_index] for k in skipped],
            advanced_us,
            run,
        ),
        due_at=following.due_at,
        now=now,
    )


def _resolve(
    session: Session, targets: tuple[plan_rules.Target, ...], now: datetime
) -> tuple[list[User], list[str]]:
    """The users a level pages at `now` (each once, in target order), and why any target
    resolved to nobody."""
    handles: list[str] = []
    missing: list[str] = []
    for target in targets:
        if target.kind is plan_rules.TargetKind.USER:
            handles.append(target.name)
            continue
        found = find_schedule(session, target.name)
        if found is None:
            missing.append(f"no schedule '{target.name}'")
            continue
        reach = schedules.SPAN_LIMIT + timedelta(days=1)
        loaded = schedule_of(found, overrides_between(session, found.id, now - reach, now + reach))
        shifts = schedules.oncall_at(loaded, now)
        if not shifts:
            missing.append(f"nobody on call for schedule '{target.name}'")
        handles.extend(shift.user for shift in shifts)
    wanted = list(dict.fromkeys(handles))
    if not wanted:
        return [], missing
    by_handle = {
        user.handle: user for user in session.scalars(select(User).where(User.handle.in_(wanted)))
    }
    missing.extend(f"no user '{h}'" for h in wanted if h not in by_handle)
    return [by_handle[h] for h in wanted if h in by_handle], missing


@dataclass(frozen=True, slots=True)
class _Paged:
    """What sending one page needs: the page, its incident's message fields, and the
    stored signing key (None when WARROOM_SECRET_KEY is set or no key is stored yet)."""

    page_id: int
    state: PageState
    loop: int
    level: int
    user_id: int
    handle: str | None
    contact: str
    method_id: int | None
    delay_minutes: float
    incident_id: int
    title: str
    description: str
    severity: str
    status: Status
    acknowledged_at: datetime | None
    retriggered_at: datetime | None
    service: str
    stored_key: str | None

    @property
    def stop(self) -> bool:
        """Too late to send: the incident was answered (or, for a page a responder asked
        for by hand, loop 0, resolved or closed: pulling in an expert is what people do
        once someone holds it)."""
        if self.loop == MANUAL_LOOP:
            return _over(self.status)
        acknowledged_now = self.acknowledged_at is not None and self.retriggered_at is None
        return acknowledged_now or _over(self.status)

    def facts(self) -> dict[str, object]:
        facts: dict[str, object] = {
            "user": self.handle,
            "target": redact(self.contact),
            "level": self.level + 1,
            "loop": self.loop,
        }
        if self.delay_minutes:
            facts["delay_minutes"] = self.delay_minutes
        return facts


def _load_page(session: Session, page_id: int, *, with_key: bool) -> _Paged | None:
    """The page and what its message says, in one query (no ORM objects, no related
    rows the message does not use)."""
    columns: list[Any] = [
        Page.id,
        Page.state,
        Page.loop,
        Page.level,
        Page.user_id,
        User.handle,
        Page.contact,
        Page.contact_method_id,
        Page.delay_minutes,
        Incident.id,
        Incident.title,
        Incident.description,
        Incident.severity,
        Incident.status,
        Incident.acknowledged_at,
        Incident.retriggered_at,
        Service.name,
    ]
    if with_key:
        columns.append(
            select(AppSecret.value).where(AppSecret.name == SIGNING_KEY).scalar_subquery()
        )
    row = session.execute(
        select(*columns)
        .select_from(Page)
        .join(Incident, Incident.id == Page.incident_id)
        .join(Service, Service.id == Incident.service_id)
        .outerjoin(User, User.id == Page.user_id)
        .where(Page.id == page_id)
    ).one_or_none()
    if row is None:
        return None
    values = tuple(row)
    return _Paged(*values, *(() if with_key else (None,)))


def deliver_page(ctx: TaskContext) -> None:
    _ = ctx.incident_id  # a page task without its incident fails for good, as before
    try:
        page_id = int(ctx.task.payload["page_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PagingError(f"deliver_page task {ctx.task.id} names no page") from exc
    now = ctx.clock.now()
    slot: int | None = None
    # One write transaction before the send: read the page, then cancel it (too late)
    # or take the contact's throttle slot. The send itself happens after the commit.
    with ctx.db.write() as session:
        paged = _load_page(session, page_id, with_key=not ctx.settings.secret_key)
        if paged is None or paged.state is not PageState.PENDING:
            # Sent, failed or cancelled already.
            ctx.complete(session)
            return
        if paged.stop:
            _set_page(session, page_id, PageState.PENDING, state=PageState.CANCELLED)
            ctx.complete(session)
            return
        if paged.method_id is not None:
            taken = delivery.take_slot(session, method_id=paged.method_id, kind="page", now=now)
            if isinstance(taken, datetime):
                # This contact had its messages for the minute: wait, without it counting
                # as a failed attempt (a page storm is not the contact's fault).
                notices.defer(ctx, session, due_at=taken)
                return
            slot = taken
    incident_id = paged.incident_id
    method_id = paged.method_id
    facts = paged.facts()
    if ctx.settings.secret_key or paged.stored_key is None:
        # Set in the settings, or not stored yet (the first page ever): as ack_links says.
        key = ack_links.signing_key(ctx.db, ctx.settings, now=now)
    else:
        key = paged.stored_key.encode()
    token = ack_links.make_token(key, incident_id=incident_id, user_id=paged.user_id, now=now)
    message = _message(paged, ctx.settings, ack_links.ack_url(ctx.settings.base_url, token))
    try:
        AppriseNotifier().send(paged.contact, message)
    except DeliveryError as exc:
        error = exc.message[:MAX_ERROR_CHARS]
        if not exc.permanent and ctx.task.attempts < backoff.MAX_ATTEMPTS:
            with ctx.db.write() as session:
                delivery.give_back_slot(session, slot)
                _count_attempt(session, page_id, error)
            raise  # the runner tries again with backoff
        now = ctx.clock.now()
        with ctx.db.write() as session:
            delivery.give_back_slot(session, slot)
            if _count_attempt(session, page_id, error, state=PageState.FAILED):
                delivery.note_failure(session, method_id=method_id, error=error, now=now)
                record_by_id(
                    session,
                    incident_id,
                    EventType.PAGE_FAILED,
                    actor=SYSTEM_ACTOR,
                    at=now,
                    error=error,
                    permanent=exc.permanent,
                    attempts=ctx.task.attempts,
                    **facts,
                )
            ctx.complete(session)
        return
    now = ctx.clock.now()
    with ctx.db.write() as session:
        # From pending, or from cancelled: an acknowledgement that came while the page was
        # on its way did not stop it, and the timeline says it went out.
        sent = session.execute(
            update(Page)
            .where(Page.id == page_id, Page.state.in_([PageState.PENDING, PageState.CANCELLED]))
            .values(state=PageState.SENT, sent_at=now, attempts=Page.attempts + 1, last_error=None)
            .execution_options(synchronize_session=False)
        )
        if getattr(sent, "rowcount", 0) == 1:
            delivery.note_success(session, method_id=method_id)
            record_by_id(
                session, incident_id, EventType.PAGE_SENT, actor=SYSTEM_ACTOR, at=now, **facts
            )
        ctx.complete(session)


def _set_page(session: Session, page_id: int, current: PageState, **values: object) -> bool:
    result = session.execute(
        update(Page)
        .where(Page.id == page_id, Page.state == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _count_attempt(
    session: Session, page_id: int, error: str, *, state: PageState = PageState.PENDING
) -> bool:
    return _set_page(
        session,
        page_id,
        PageState.PENDING,
        state=state,
        attempts=Page.attempts + 1,
        last_error=error,
    )


def _message(paged: _Paged, settings: Settings, ack_link: str) -> Message:
    link = settings.incident_url(paged.incident_id)
    summary = paged.description.strip()
    lines = [f"Service: {paged.service}", f"Status: {paged.status}"]
    if summary:
        lines += ["", summary[:1000]]
    lines += ["", link, "", f"Acknowledge (no sign-in needed): {ack_link}"]
    return Message(
        title=f"[{paged.severity}] {paged.title}",
        body="\n".join(lines),
        url=link,
        incident_id=paged.incident_id,
        severity=str(paged.severity),
    )
