"""Subscribers and internal audiences hear of updates.

Subscribers are the public's: an email address, subscribed on /status/subscribe and
confirmed by following a link in a mail to it (double opt-in), or a webhook URL an admin
adds. They hear every PUBLIC update of a public incident, and every maintenance update.
Internal audiences (a chat channel or a mailing list, as an Apprise URL) hear every update
of incidents on their service at their severities, public or not.

Everything goes through the outbox: a published update writes ONE `subscribers_fanout`
task in the publishing transaction (so it is sent if and only if the update commits); the
engine turns it into one `deliver_subscriber` task per confirmed subscriber, a chunk at a
time (warroom.statuspage.deliveries). Audiences are few, so each gets its delivery task at
once.

Links: a confirm link carries a random secret of which only the SHA-256 is stored. An
unsubscribe link goes in every message, so it must be made again at send time: it is
signed instead (HMAC over the subscriber's id, kind and address with the server's key),
stops working when the row is deleted, and never expires (List-Unsubscribe links must keep
working for as long as the mail sits in someone's inbox)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from warroom.db.lookup import as_id, find_by_ref
from warroom.domain.errors import DomainError
from warroom.domain.notification import url_scheme
from warroom.domain.severity import Severity
from warroom.domain.subscribers import (
    BadAddress,
    audience_hears,
    check_webhook_url,
    normalise_email,
)
from warroom.engine.tasks import enqueue
from warroom.errors import Conflict, Invalid, NotFound
from warroom.incidents.models import Incident, StakeholderUpdate
from warroom.links import b64
from warroom.services.models import Service
from warroom.services.repository import find_service
from warroom.statuspage.models import Audience, Maintenance, MaintenanceUpdate, Subscriber

SUBSCRIBERS_FANOUT = "subscribers_fanout"
DELIVER_SUBSCRIBER = "deliver_subscriber"
DELIVER_AUDIENCE = "deliver_audience"

EMAIL = "email"
WEBHOOK = "webhook"
KINDS = (EMAIL, WEBHOOK)

# A confirm link works this long after it was sent; unconfirmed rows older than this are
# removed (someone typed an address that is not theirs, or never looked).
CONFIRM_WINDOW = timedelta(days=7)
# Subscribing the same address again sooner sends no second mail: the form cannot be used
# to flood someone's inbox.
RESEND_GAP = timedelta(minutes=10)

MAX_AUDIENCES = 200
MAX_TITLE_CHARS = 250
MAX_BODY_CHARS = 20_000

_UNSUBSCRIBE_LABEL = b"warroom unsubscribe link v1\n"


# --- links ------------------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def unsubscribe_token(key: bytes, subscriber: Subscriber) -> str:
    return f"{subscriber.id}.{_unsubscribe_mac(key, subscriber)}"


def _unsubscribe_mac(key: bytes, subscriber: Subscriber) -> str:
    body = f"{subscriber.id}:{subscriber.kind}:{subscriber.address}".encode()
    return b64(hmac.new(key, _UNSUBSCRIBE_LABEL + body, hashlib.sha256).digest())


def subscriber_by_unsubscribe_token(session: Session, key: bytes, token: str) -> Subscriber | None:
    """The subscriber an unsubscribe link names, or None (tampered, or already gone)."""
    raw_id, dot, mac = token.partition(".")
    subscriber_id = as_id(raw_id)
    if not dot or subscriber_id is None:
        return None
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    if not hmac.compare_digest(_unsubscribe_mac(key, subscriber).encode(), mac.encode()):
        return None
    return subscriber


def subscriber_by_confirm_secret(session: Session, secret: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.token_hash == secret_hash(secret)))


def confirm_expired(subscriber: Subscriber, *, now: datetime) -> bool:
    sent = subscriber.confirm_sent_at or subscriber.created_at
    return subscriber.confirmed_at is None and now - sent > CONFIRM_WINDOW


# --- subscribers: the public's own actions ---------------------------------------------


def do_subscribe_email(session: Session, *, address: str, now: datetime) -> None:
    """Start (or restart) the double opt-in for `address`: a mail with a confirm link.
    Says nothing about whether the address was subscribed already, so the form cannot be
    used to find out who is; a confirmed address gets no mail, and an unconfirmed one is
    sent another link only after a wait that doubles each time."""
    try:
        email = normalise_email(address)
    except BadAddress as exc:
        raise Invalid(f"email: {exc}") from None
    # Old unconfirmed rows go first: they hold addresses nobody vouched for.
    session.execute(
        delete(Subscriber)
        .where(Subscriber.confirmed_at.is_(None), Subscriber.created_at < now - CONFIRM_WINDOW)
        .execution_options(synchronize_session=False)
    )
    subscriber = session.scalar(
        select(Subscriber).where(Subscriber.kind == EMAIL, Subscriber.address == email)
    )
    if subscriber is not None and subscriber.confirmed_at is not None:
        return  # subscribed already: nothing to confirm, and no mail to pester them with
    sent = subscriber.confirm_sent_at if subscriber is not None else None
    # The wait doubles with each resend (10 min, 10, 20, 40 …): someone who lost the mail
    # gets another soon, but nobody can have a stranger's inbox flooded (about ten mails
    # in the week before an unconfirmed row is dropped).
    if (
        subscriber is not None
        and sent is not None
        and now - sent < max(RESEND_GAP, sent - subscriber.created_at)
    ):
        return
    secret = new_secret()
    if subscriber is None:
        subscriber = Subscriber(kind=EMAIL, address=email, created_at=now)
        session.add(subscriber)
    # A new secret each time: only the newest confirm link works.
    subscriber.token_hash = secret_hash(secret)
    subscriber.confirm_sent_at = now
    session.flush()
    enqueue(
        session,
        kind=DELIVER_SUBSCRIBER,
        payload={"subscriber_id": subscriber.id, "event": "confirm", "secret": secret},
        now=now,
    )


def do_confirm_subscriber(session: Session, *, secret: str, now: datetime) -> Subscriber:
    subscriber = subscriber_by_confirm_secret(session, secret)
    if subscriber is None:
        raise NotFound(
            "This confirmation link is not valid (a newer one may have been sent): "
            "subscribe again to get a new one."
        )
    if confirm_expired(subscriber, now=now):
        raise Invalid("This confirmation link has expired: subscribe again to get a new one.")
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
    return subscriber


def do_unsubscribe(session: Session, *, subscriber: Subscriber) -> None:
    """The row goes: nothing is kept about someone who asked to hear no more. Deliveries
    already queued find no subscriber and send nothing."""
    session.delete(subscriber)


# --- subscribers: what admins do ------------------------------------------------------


def do_add_subscriber(session: Session, *, kind: str, address: str, now: datetime) -> Subscriber:
    """An admin adds a webhook (or an email address they vouch for): confirmed at once."""
    try:
        if kind == EMAIL:
            address = normalise_email(address)
        elif kind == WEBHOOK:
            address = check_webhook_url(address)
        else:
            raise BadAddress(f"kind must be one of {', '.join(KINDS)}")
    except BadAddress as exc:
        raise Invalid(f"{'url' if kind == WEBHOOK else 'email'}: {exc}") from None
    existing = session.scalar(
        select(Subscriber).where(Subscriber.kind == kind, Subscriber.address == address)
    )
    if existing is not None:
        if existing.confirmed_at is not None:
            raise Conflict(f"that {kind} subscriber exists already (id {existing.id})")
        existing.confirmed_at = now
        return existing
    subscriber = Subscriber(
        kind=kind,
        address=address,
        # Never sent: an admin-added subscriber has no confirm link, only the row needs one.
        token_hash=secret_hash(new_secret()),
        confirmed_at=now,
        created_at=now,
    )
    session.add(subscriber)
    session.flush()
    return subscriber


def do_delete_subscriber(session: Session, *, subscriber_id: int) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    session.delete(subscriber)
    return subscriber


def list_subscribers(
    session: Session, *, kind: str | None = None, limit: int = 500, after_id: int = 0
) -> Sequence[Subscriber]:
    query = select(Subscriber).where(Subscriber.id > after_id)
    if kind is not None:
        query = query.where(Subscriber.kind == kind)
    return session.scalars(query.order_by(Subscriber.id).limit(limit)).all()


def count_subscribers(session: Session) -> dict[str, int]:
    """{"email": confirmed, "email_pending": unconfirmed, "webhook": n}."""
    rows = session.execute(
        select(Subscriber.kind, Subscriber.confirmed_at.is_not(None), func.count()).group_by(
            Subscriber.kind, Subscriber.confirmed_at.is_not(None)
        )
    ).all()
    counts = {EMAIL: 0, f"{EMAIL}_pending": 0, WEBHOOK: 0, f"{WEBHOOK}_pending": 0}
    for kind, confirmed, n in rows:
        counts[kind if confirmed else f"{kind}_pending"] = int(n)
    return counts


# --- audiences ------------------------------------------------------------------------


def do_add_audience(
    session: Session,
    *,
    name: str,
    url: str,
    service: str | None,
    severities: Sequence[str],
    now: datetime,
) -> Audience:
    name = name.strip()
    if not name:
        raise Invalid("name: an audience needs a name")
    if name.isdigit():
        raise Invalid("name: an audience's name cannot be a number (numbers are ids)")
    try:
        url_scheme(url)
    except DomainError as exc:
        raise Invalid(f"url: {exc}") from None
    levels = []
    for raw in severities:
        try:
            levels.append(str(Severity(raw)))
        except ValueError:
            raise Invalid(
                f"severities: {raw!r} is not one of {', '.join(str(s) for s in Severity)}"
            ) from None
    if (session.scalar(select(func.count()).select_from(Audience)) or 0) >= MAX_AUDIENCES:
        raise Invalid(f"at most {MAX_AUDIENCES} audiences")
    if session.scalar(select(Audience.id).where(Audience.name == name)) is not None:
        raise Conflict(f"an audience named {name!r} exists already")
    found: Service | None = None
    if service:
        found = find_service(session, service)
        if found is None:
            raise Invalid(f"service: there is no service {service!r} (give its id or name)")
    audience = Audience(
        name=name,
        url=url.strip(),
        service_id=found.id if found else None,
        severities=sorted(set(levels)),
        created_at=now,
    )
    session.add(audience)
    session.flush()
    return audience


def find_audience(session: Session, ref: str) -> Audience:
    audience = find_by_ref(session, Audience, Audience.name, ref)
    if audience is None:
        raise NotFound(f"no audience {ref!r}")
    return audience


def do_delete_audience(session: Session, *, ref: str) -> Audience:
    audience = find_audience(session, ref)
    session.delete(audience)
    return audience


def list_audiences(session: Session) -> Sequence[Audience]:
    return session.scalars(select(Audience).order_by(Audience.name)).all()


# --- hearing of updates ---------------------------------------------------------------


def _confirmed_subscribers(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Subscriber).where(Subscriber.confirmed_at.is_not(None))
        )
        or 0
    )


def notify_subscribers_of_update(
    session: Session, *, incident: Incident, update: StakeholderUpdate, now: datetime
) -> int:
    """Enqueue the public `update` to every confirmed subscriber; the number of
    subscribers it goes to (one fan-out task does the rest after commit). Internal
    updates, private incidents and drills reach no subscriber."""
    if not update.public or not incident.public or incident.drill:
        return 0
    return _fan_out(session, event="incident", update=update, now=now)


def notify_subscribers_of_maintenance(
    session: Session, *, maintenance: Maintenance, update: MaintenanceUpdate, now: datetime
) -> int:
    """Enqueue a maintenance's update (scheduled, started, verifying, completed or a
    posted note) to every confirmed subscriber; the number of subscribers it goes to.
    A maintenance on internal components only is nobody outside's news: none."""
    if not maintenance.public:
        return 0
    return _fan_out(session, event="maintenance", update=update, now=now)


def _fan_out(
    session: Session, *, event: str, update: StakeholderUpdate | MaintenanceUpdate, now: datetime
) -> int:
    """One task that, after commit, enqueues the delivery to each confirmed subscriber;
    the number of subscribers it will reach."""
    count = _confirmed_subscribers(session)
    if count:
        if update.id is None:
            session.flush()
        enqueue(
            session,
            kind=SUBSCRIBERS_FANOUT,
            payload={"event": event, "update_id": update.id, "after_id": 0},
            now=now,
        )
    return count


def notify_audiences_of_update(
    session: Session, *, incident: Incident, update: StakeholderUpdate, now: datetime
) -> int:
    """Enqueue `update` (public or not) to each internal audience that matches the
    incident's service and severity; the number enqueued. The message is written now (it
    is the update as published); the audience's URL is read at send time, so an audience
    deleted or changed meanwhile is honoured, and no secret is copied into the task."""
    audiences = [
        a
        for a in list_audiences(session)
        if audience_hears(
            audience_service_id=a.service_id,
            audience_severities=a.severities or (),
            service_id=incident.service_id,
            severity=str(incident.severity),
        )
    ]
    if not audiences:
        return 0
    if update.id is None:
        session.flush()
    title, body = audience_message(incident, update)
    for audience in audiences:
        enqueue(
            session,
            kind=DELIVER_AUDIENCE,
            incident_id=incident.id,
            payload={
                "audience_id": audience.id,
                "update_id": update.id,
                "public": bool(update.public),
                "title": title[:MAX_TITLE_CHARS],
                "body": body[:MAX_BODY_CHARS],
                "severity": str(incident.severity),
            },
            now=now,
        )
    return len(audiences)


def audience_message(incident: Incident, update: StakeholderUpdate) -> tuple[str, str]:
    """The title and body an internal audience gets: what the update says, whether the
    public saw it, and the incident's status; the incident link is added at send time."""
    where = "PUBLIC" if update.public else "INTERNAL"
    # A drill started from warroom.drills carries the mark in its own title already.
    marked = incident.title.upper().startswith("[DRILL]")
    drill = "[DRILL] " if incident.drill and not marked else ""
    kind = str(update.kind).replace("_", " ")
    status = str(update.status).replace("_", " ")
    title = f"{drill}[{incident.severity}] #{incident.id} {incident.title}: {kind} ({status})"
    body = f"{where} {kind} · status {status} · {incident.service.name}\n\n{update.body}"
    return title, body
