"""Notices: messages to one person that are not pages — a "next update is due"
reminder, a handoff at a shift change, a readiness warning, a test message.

Unlike a page a notice is not part of an escalation: acknowledging the incident does not
cancel it, and it has no pages row. Each notice is one `deliver_notice` task per contact
method of the person, written in the caller's transaction (so it is sent if and only if
the change that calls for it commits), sent after commit by an engine, and retried with
backoff on temporary failure. A notice that fails for good is said on its incident's
timeline when it has one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import record
from warroom.incidents.models import Incident
from warroom.notify.apprise import AppriseNotifier
from warroom.notify.base import DeliveryError, Message, redact
from warroom.users.models import User

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
) -> int:
    """Enqueue `title`/`body` to each of `user`'s contact methods; the number enqueued
    (0: the person has no contact method, and nothing can reach them). `kind` names the
    notice ("reminder", "handoff", "readiness", "test") in logs and on the timeline."""
    contacts = list(dict.fromkeys(c.strip() for c in user.contacts or [] if c.strip()))
    for contact in contacts:
        enqueue(
            session,
            kind=DELIVER_NOTICE,
            incident_id=incident_id,
            payload={
                "user_id": user.id,
                "user": user.handle,
                "contact": contact,
                "notice": kind,
                "title": title[:MAX_TITLE_CHARS],
                "body": body[:MAX_BODY_CHARS],
                "url": url,
                "severity": severity,
            },
            due_at=due_at or now,
            now=now,
        )
    return len(contacts)


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
    except KeyError as exc:
        raise NoticeError(f"deliver_notice task {ctx.task.id} is missing {exc}") from exc
    try:
        AppriseNotifier().send(contact, message)
    except DeliveryError as exc:
        if exc.permanent and ctx.task.incident_id is not None:
            with ctx.db.write() as session:
                incident = session.get(Incident, ctx.task.incident_id)
                if incident is not None:
                    record(
                        session,
                        incident,
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
