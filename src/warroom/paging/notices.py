"""Notices: messages to one person that are not pages — a "next update is due"
reminder, a handoff at a shift change, a readiness warning, a test message.

Unlike a page a notice is not part of an escalation: acknowledging the incident does not
cancel it, and it has no pages row. Each notice is one `deliver_notice` task per contact
method it goes to (the person's first choice: the methods of their earliest notification
rules, or every method when they set none; or the one method a test names), written in
the caller's transaction (so it is sent if and only if the change that calls for it
commits), sent after commit by an engine, and retried with backoff on temporary failure.
Notices count against each contact's throttle like pages do. A notice that fails for
good is said on its incident's timeline when it has one, and on the contact method.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.claims import LeaseLost
from warroom.engine.models import Task
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import record_by_id
from warroom.incidents.models import Incident
from warroom.notify.apprise import AppriseNotifier
from warroom.notify.base import DeliveryError, Message, redact
from warroom.users import delivery, verify_links
from warroom.users.contacts import first_methods
from warroom.users.models import ContactMethod, User

DELIVER_NOTICE = "deliver_notice"

MAX_TITLE_CHARS = 250
MAX_BODY_CHARS = 20_000


class NoticeError(Exception):
    permanent = True


def notify_user(
    session: Session,
    *,
    user: User,
    kind: str,
    title: str,
    body: str,
    now: datetime,
    incident_id: int | None = None,
    url: str | None = None,
    severity: str | None = None,
    due_at: datetime | None = None,
    contact_method: ContactMethod | None = None,
) -> int:
    """Enqueue `title`/`body` to `user` (see the module docstring for which of their
    contact methods), or only to `contact_method`; the number enqueued (0: the person has
    no contact method, and nothing can reach them). `kind` names the notice ("reminder",
    "handoff", "readiness", "test") in logs and on the timeline."""
    methods = [contact_method] if contact_method is not None else first_methods(session, user)
    for method in methods:
        enqueue(
            session,
            kind=DELIVER_NOTICE,
            incident_id=incident_id,
            payload={
                "user_id": user.id,
                "user": user.handle,
                "contact": method.url,
                "contact_method_id": method.id,
                "notice": kind,
                "title": title[:MAX_TITLE_CHARS],
                "body": body[:MAX_BODY_CHARS],
                "url": url,
                "severity": severity,
            },
            due_at=due_at or now,
            now=now,
        )
    return len(methods)


def defer(ctx: TaskContext, session: Session, *, due_at: datetime) -> None:
    """Put the running task back to pending until `due_at` without charging it the
    attempt (waiting out a throttle is not a failure), in the caller's transaction."""
    task = ctx.task
    moved = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.version == task.version, Task.claimed_by == task.claimed_by)
        .values(
            version=task.version + 1,
            due_at=due_at,
            attempts=max(0, task.attempts - 1),
            claimed_by=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise LeaseLost(f"task {task.id} ({task.kind}) is no longer claimed by {task.claimed_by}")
    # Settled here: the runner must not mark it done.
    ctx.completed = True


def deliver_notice(ctx: TaskContext) -> None:
    payload: dict[str, Any] = ctx.task.payload
    try:
        contact = str(payload["contact"])
        message = Message(
            title=str(payload["title"]),
            body=str(payload["body"]),
            url=payload.get("url"),
            incident_id=ctx.task.incident_id,
            severity=payload.get("severity"),
        )
        raw_method = payload.get("contact_method_id")
        method_id = int(raw_method) if raw_method is not None else None
    except (KeyError, TypeError, ValueError) as exc:
        raise NoticeError(f"deliver_notice task {ctx.task.id} is malformed: {exc}") from exc
    now = ctx.clock.now()
    slot: int | None = None
    if method_id is not None:
        with ctx.db.write() as session:
            taken = delivery.take_slot(
                session, method_id=method_id, kind=str(payload.get("notice") or "notice"), now=now
            )
            if isinstance(taken, datetime):
                defer(ctx, session, due_at=taken)
                return
            if taken is None:
                # The person removed that contact method since: it is not theirs to use.
                ctx.complete(session)
                return
            slot = taken
    try:
        AppriseNotifier().send(contact, message)
    except DeliveryError as exc:
        with ctx.db.write() as session:
            delivery.give_back_slot(session, slot)
            if exc.permanent:
                delivery.note_failure(
                    session, method_id=method_id, error=exc.message, now=ctx.clock.now()
                )
                incident_id = (
                    session.scalar(select(Incident.id).where(Incident.id == ctx.task.incident_id))
                    if ctx.task.incident_id is not None
                    else None
                )
                if incident_id is not None:
                    record_by_id(
                        session,
                        incident_id,
                        EventType.PAGE_FAILED,
                        actor=SYSTEM_ACTOR,
                        at=ctx.clock.now(),
                        user=payload.get("user"),
                        target=redact(contact),
                        notice=payload.get("notice"),
                        error=exc.message[:2000],
                        permanent=True,
                    )
        raise  # the runner retries a temporary failure, and fails a permanent one
    with ctx.db.write() as session:
        # The method works (its last failure cleared) and the task is done, together.
        delivery.note_success(session, method_id=method_id)
        ctx.complete(session)


TEST = "test"


def send_test_page(
    session: Session,
    *,
    user: User,
    method: ContactMethod,
    key: bytes,
    base_url: str,
    now: datetime,
) -> None:
    """A test message to that one method, carrying a link that verifies it when followed."""
    link = verify_links.verify_url(
        base_url, verify_links.make_token(key, method_id=method.id, url=method.url, now=now)
    )
    notify_user(
        session,
        user=user,
        kind=TEST,
        title="warroom test page",
        body=(
            f"This is a test page for @{user.handle}: this contact method "
            f"({redact(method.url)}) can reach you.\n\n"
            f"Confirm it arrived (no sign-in needed; the link lasts 24 hours): {link}"
        ),
        url=link,
        now=now,
        contact_method=method,
    )
    method.last_test_at = now
