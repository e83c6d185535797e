"""The engine's side of subscriptions: fanning a published update out to every confirmed
subscriber, delivering to one subscriber (email through Apprise, webhook by HTTP POST),
and delivering to one internal audience.

Each delivery builds its message when it runs, from the rows: a subscriber deleted
(unsubscribed) before then gets nothing, and an incident made private again reaches no
one. Failures say whether trying again can help; the engine retries temporary ones with
backoff and marks the task failed after its last attempt. Either way the subscriber's (or
audience's) row keeps the last error, for the admin page."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.domain.subscribers import shown_webhook_url, webhook_outcome
from warroom.engine import backoff
from warroom.engine.models import Task
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.incidents.models import Incident, StakeholderUpdate
from warroom.notify.apprise import AppriseNotifier
from warroom.notify.base import DeliveryError, Message, redact
from warroom.paging.ack_links import signing_key
from warroom.settings import Settings
from warroom.statuspage import public, v2
from warroom.statuspage.models import Audience, Maintenance, MaintenanceUpdate, Subscriber
from warroom.statuspage.subscriptions import (
    DELIVER_SUBSCRIBER,
    EMAIL,
    SUBSCRIBERS_FANOUT,
    secret_hash,
    unsubscribe_token,
)

log = logging.getLogger(__name__)

# Subscribers enqueued per fan-out task: one transaction each, so a big list neither holds
# a long write nor loses its place (the next chunk is a new task, committed with this one).
FANOUT_CHUNK = 200
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_ERROR_CHARS = 2000
# What a Statuspage-shaped webhook's `meta.documentation` points at: the shape is theirs.
WEBHOOK_DOCUMENTATION = (
    "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/"
)


class SubscriberDeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class MalformedDelivery(Exception):
    permanent = True


# --- fan-out -------------------------------------------------------------------------


def _published_at(session: Session, event: str, update_id: int) -> datetime | None:
    if event == "incident":
        return session.scalar(
            select(StakeholderUpdate.published_at).where(StakeholderUpdate.id == update_id)
        )
    return session.scalar(
        select(MaintenanceUpdate.created_at).where(MaintenanceUpdate.id == update_id)
    )


def subscribers_fanout(ctx: TaskContext) -> None:
    """One chunk of subscribers (ids after `after_id`) gets a delivery task each; a full
    chunk also enqueues the fan-out of the next one. All in one transaction with this task's
    completion, so a re-run (the engine died mid-way) enqueues nothing twice."""
    payload: dict[str, Any] = ctx.task.payload
    try:
        event = str(payload["event"])
        update_id = int(payload["update_id"])
        after_id = int(payload.get("after_id") or 0)
        if event not in ("incident", "maintenance"):
            raise ValueError(f"unknown event {event!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedDelivery(f"{SUBSCRIBERS_FANOUT} task {ctx.task.id}: {exc}") from exc
    now = ctx.clock.now()
    with ctx.db.write() as session:
        published = _published_at(session, event, update_id)
        if published is not None:
            # Who had confirmed when it was published: someone confirming later starts
            # with the next update, as they would have on the page.
            ids = session.scalars(
                select(Subscriber.id)
                .where(
                    Subscriber.confirmed_at.is_not(None),
                    Subscriber.confirmed_at <= published,
                    Subscriber.id > after_id,
                )
                .order_by(Subscriber.id)
                .limit(FANOUT_CHUNK)
            ).all()
            for subscriber_id in ids:
                enqueue(
                    session,
                    kind=DELIVER_SUBSCRIBER,
                    payload={
                        "subscriber_id": subscriber_id,
                        "event": event,
                        "update_id": update_id,
                    },
                    now=now,
                )
            if len(ids) == FANOUT_CHUNK:
                enqueue(
                    session,
                    kind=SUBSCRIBERS_FANOUT,
                    payload={"event": event, "update_id": update_id, "after_id": ids[-1]},
                    now=now,
                )
        ctx.complete(session)


# --- one subscriber --------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    kind: str  # "email" | "webhook"
    address: str
    title: str
    body: str
    unsubscribe_url: str
    document: dict[str, Any] = field(default_factory=dict)  # the webhook's JSON


def deliver_subscriber(ctx: TaskContext) -> None:
    payload: dict[str, Any] = ctx.task.payload
    try:
        subscriber_id = int(payload["subscriber_id"])
        event = str(payload["event"])
        if event not in ("confirm", "incident", "maintenance"):
            raise ValueError(f"unknown event {event!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedDelivery(f"{DELIVER_SUBSCRIBER} task {ctx.task.id}: {exc}") from exc
    now = ctx.clock.now()
    key = signing_key(ctx.db, ctx.settings, now=now)
    with ctx.db.read() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        outgoing = (
            _compose(session, ctx.settings, subscriber, payload, key=key, now=now)
            if subscriber is not None
            else None
        )
    if outgoing is None:
        with ctx.db.write() as session:
            _forget_secret(session, ctx)
            ctx.complete(session)
        return
    try:
        _send(outgoing, ctx.settings)
    except (DeliveryError, SubscriberDeliveryError) as exc:
        last = exc.permanent or ctx.task.attempts >= backoff.MAX_ATTEMPTS
        with ctx.db.write() as session:
            found = session.get(Subscriber, subscriber_id)
            if found is not None:
                found.last_failed_at = ctx.clock.now()
                found.last_error = (exc.message if last else f"{exc.message} (will retry)")[
                    :MAX_ERROR_CHARS
                ]
        raise
    with ctx.db.write() as session:
        found = session.get(Subscriber, subscriber_id)
        if found is not None:
            found.last_delivered_at = ctx.clock.now()
        _forget_secret(session, ctx)
        ctx.complete(session)


def _forget_secret(session: Session, ctx: TaskContext) -> None:
    """A confirm task carries the link's secret until it is sent; no longer after."""
    if "secret" in ctx.task.payload:
        kept = {k: v for k, v in ctx.task.payload.items() if k != "secret"}
        session.execute(
            update(Task)
            .where(Task.id == ctx.task.id)
            .values(payload=kept)
            .execution_options(synchronize_session=False)
        )


def _compose(
    session: Session,
    settings: Settings,
    subscriber: Subscriber,
    payload: dict[str, Any],
    *,
    key: bytes,
    now: datetime,
) -> Outgoing | None:
    """The message for this subscriber, or None when nothing is to be sent (unconfirmed,
    a stale confirm link, an update that is gone or no longer public)."""
    base = settings.base_url.rstrip("/")
    unsubscribe_url = f"{base}/status/unsubscribe/{unsubscribe_token(key, subscriber)}"
    event = str(payload["event"])
    page_title = settings.status_page_title
    if event == "confirm":
        secret = str(payload.get("secret") or "")
        if subscriber.confirmed_at is not None and not secret:
            return None
        if secret_hash(secret) != subscriber.token_hash:
            return None  # a newer confirmation mail replaced this one
        link = f"{base}/status/subscribe/confirm/{secret}"
        return Outgoing(
            kind=subscriber.kind,
            address=subscriber.address,
            title=f"[{page_title}] Confirm your subscription",
            body=(
                f"Someone (hopefully you) asked to receive updates from the {page_title} page at "
                f"{subscriber.address}.\n\n"
                f"Confirm the subscription (the link works for 7 days): {link}\n\n"
                "If it was not you, ignore this mail: nothing will be sent to you unless "
                "the link is followed."
            ),
            unsubscribe_url=unsubscribe_url,
        )
    if subscriber.confirmed_at is None:
        return None
    update_id = int(payload["update_id"])
    if event == "incident":
        return _incident_message(
            session, settings, subscriber, update_id, unsubscribe_url=unsubscribe_url, now=now
        )
    return _maintenance_message(
        session, settings, subscriber, update_id, unsubscribe_url=unsubscribe_url, now=now
    )


def _footer(settings: Settings, subscriber: Subscriber, unsubscribe_url: str) -> str:
    return (
        f"\n\n--\nYou receive this because {subscriber.address} is subscribed to "
        f"updates from the {settings.status_page_title} page ({settings.status_page_url}).\n"
        f"Unsubscribe: {unsubscribe_url}"
    )


def _label(status: str) -> str:
    return status.replace("_", " ").capitalize()


def _webhook_document(
    session: Session,
    settings: Settings,
    *,
    unsubscribe_url: str,
    now: datetime,
    item: dict[str, Any],
) -> dict[str, Any]:
    page = public.load_page(session, settings=settings, now=now)
    return {
        "meta": {"unsubscribe": unsubscribe_url, "documentation": WEBHOOK_DOCUMENTATION},
        "page": {
            "id": page.info.id,
            "status_indicator": str(page.indicator.indicator),
            "status_description": page.indicator.description,
        },
        "incident": item,
    }


def _incident_message(
    session: Session,
    settings: Settings,
    subscriber: Subscriber,
    update_id: int,
    *,
    unsubscribe_url: str,
    now: datetime,
) -> Outgoing | None:
    found = session.get(StakeholderUpdate, update_id)
    if found is None or not found.public:
        return None
    incident = session.get(Incident, found.incident_id)
    if incident is None or not incident.public or not incident.public_code:
        return None
    name = public.public_name(incident)
    link = f"{settings.status_page_url.rstrip('/')}/incidents/{incident.public_code}"
    document: dict[str, Any] = {}
    if subscriber.kind != EMAIL:
        shown = public.load_incident(session, incident.public_code, settings=settings)
        if shown is None:
            return None
        document = _webhook_document(
            session,
            settings,
            unsubscribe_url=unsubscribe_url,
            now=now,
            item=v2.incident_object(shown, public.page_info(session, settings=settings, now=now)),
        )
    status = _label(str(found.status))
    when = found.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Outgoing(
        kind=subscriber.kind,
        address=subscriber.address,
        title=f"[{settings.status_page_title}] {name}: {status}",
        body=(
            f"{name}\n\n{status} — {found.body}\n\n{when}\n\nFollow this incident: {link}"
            + _footer(settings, subscriber, unsubscribe_url)
        ),
        unsubscribe_url=unsubscribe_url,
        document=document,
    )


def _maintenance_message(
    session: Session,
    settings: Settings,
    subscriber: Subscriber,
    update_id: int,
    *,
    unsubscribe_url: str,
    now: datetime,
) -> Outgoing | None:
    found = session.get(MaintenanceUpdate, update_id)
    if found is None:
        return None
    maintenance = session.get(Maintenance, found.maintenance_id)
    if maintenance is None:
        return None
    link = f"{settings.status_page_url.rstrip('/')}/maintenances/{maintenance.code}"
    document: dict[str, Any] = {}
    if subscriber.kind != EMAIL:
        shown = public.load_maintenance(session, maintenance.code, settings=settings)
        if shown is None:
            return None
        document = _webhook_document(
            session,
            settings,
            unsubscribe_url=unsubscribe_url,
            now=now,
            item=v2.maintenance_object(
                shown, public.page_info(session, settings=settings, now=now)
            ),
        )
    status = _label(str(found.status))
    window = (
        f"{maintenance.scheduled_for.astimezone(UTC):%Y-%m-%d %H:%M} to "
        f"{maintenance.scheduled_until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )
    body = found.body or maintenance.body
    return Outgoing(
        kind=subscriber.kind,
        address=subscriber.address,
        title=f"[{settings.status_page_title}] Maintenance {maintenance.name}: {status}",
        body=(
            f"{maintenance.name}\nScheduled: {window}\n\n{status}"
            + (f" — {body}" if body else "")
            + f"\n\nDetails: {link}"
            + _footer(settings, subscriber, unsubscribe_url)
        ),
        unsubscribe_url=unsubscribe_url,
        document=document,
    )


def _send(outgoing: Outgoing, settings: Settings) -> None:
    if outgoing.kind == EMAIL:
        if not settings.status_page_mail_url:
            raise SubscriberDeliveryError(
                "subscriber emails are off: set WARROOM_STATUS_PAGE_MAIL_URL", permanent=True
            )
        AppriseNotifier().send(
            mail_url(
                settings.status_page_mail_url,
                to=outgoing.address,
                unsubscribe=outgoing.unsubscribe_url,
            ),
            Message(title=outgoing.title, body=outgoing.body),
        )
        return
    _post_webhook(outgoing.address, outgoing.document)


def mail_url(base: str, *, to: str, unsubscribe: str) -> str:
    """The mail server's Apprise URL addressed to one subscriber, with the
    List-Unsubscribe headers (RFC 2369, and RFC 8058's one-click POST) that mail clients
    show as an "Unsubscribe" button. Apprise's mailto takes extra headers as `+Name=value`
    arguments (apprise.plugins.email: qsd+ → headers)."""
    args = [
        f"to={quote(to, safe='@')}",
        f"+List-Unsubscribe={quote(f'<{unsubscribe}>', safe='')}",
        f"+List-Unsubscribe-Post={quote('List-Unsubscribe=One-Click', safe='')}",
    ]
    return base.strip() + ("&" if "?" in base else "?") + "&".join(args)


def _post_webhook(url: str, document: dict[str, Any]) -> None:
    shown = shown_webhook_url(url)
    try:
        response = httpx.post(
            url,
            json=document,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
            headers={"User-Agent": "warroom-statuspage-webhook"},
        )
    except httpx.TimeoutException:
        raise SubscriberDeliveryError(f"{shown}: timed out", permanent=False) from None
    except httpx.HTTPError as exc:
        raise SubscriberDeliveryError(
            f"{shown}: {exc.__class__.__name__}", permanent=False
        ) from None
    outcome = webhook_outcome(response.status_code)
    if outcome.ok:
        return
    retry_after = response.headers.get("retry-after", "")
    raise SubscriberDeliveryError(
        f"{shown}: HTTP {response.status_code}",
        permanent=outcome.permanent,
        retry_after=float(retry_after) if retry_after.isascii() and retry_after.isdigit() else None,
    )


# --- one audience ----------------------------------------------------------------------


def deliver_audience(ctx: TaskContext) -> None:
    payload: dict[str, Any] = ctx.task.payload
    try:
        audience_id = int(payload["audience_id"])
        title = str(payload["title"])
        body = str(payload["body"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedDelivery(f"deliver_audience task {ctx.task.id}: {exc}") from exc
    with ctx.db.read() as session:
        audience = session.get(Audience, audience_id)
        url = audience.url if audience is not None else None
    if url is None:
        # Removed since: it is not to hear any more.
        with ctx.db.write() as session:
            ctx.complete(session)
        return
    incident_id = ctx.task.incident_id
    message = Message(
        title=title,
        body=body,
        url=ctx.settings.incident_url(incident_id) if incident_id is not None else None,
        incident_id=incident_id,
        severity=payload.get("severity"),
    )
    try:
        AppriseNotifier().send(url, message)
    except DeliveryError as exc:
        last = exc.permanent or ctx.task.attempts >= backoff.MAX_ATTEMPTS
        with ctx.db.write() as session:
            found = session.get(Audience, audience_id)
            if found is not None:
                found.last_failed_at = ctx.clock.now()
                found.last_error = (exc.message if last else f"{exc.message} (will retry)")[
                    :MAX_ERROR_CHARS
                ]
        log.info("audience %s: %s", redact(url), exc.message)
        raise
    with ctx.db.write() as session:
        found = session.get(Audience, audience_id)
        if found is not None:
            found.last_delivered_at = ctx.clock.now()
        ctx.complete(session)
