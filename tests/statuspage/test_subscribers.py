"""Status-page subscribers, end to end: double opt-in through a real SMTP server (aiosmtpd
on loopback), updates mailed with an unsubscribe link and List-Unsubscribe headers,
webhooks in Statuspage's shape to a local HTTP receiver, retries and failures, and who may
manage subscribers. Every test runs on SQLite and PostgreSQL (the `db` fixture)."""

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Personas
from tests.notify.test_apprise import Mailbox, Receiver, receiver, smtp
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.engine import backoff
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import Engine
from warroom.settings import Settings
from warroom.statuspage.models import Subscriber
from warroom.statuspage.subscriptions import DELIVER_SUBSCRIBER, RESEND_GAP, SUBSCRIBERS_FANOUT
from warroom.web.app import create_app

__all__ = ["receiver", "smtp"]

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

INCIDENTS = "/api/v1/incidents"
SUBSCRIBERS = "/api/v1/subscribers"
BASE = "http://warroom.test"


@pytest.fixture
def mail_settings(db: Database, smtp: tuple[int, Mailbox]) -> Settings:
    port, _ = smtp
    return Settings(
        database_url=db.url,
        base_url=BASE,
        status_page_title="Acme Status",
        status_page_mail_url=f"mailto://127.0.0.1:{port}?from=status@acme.test&mode=insecure",
    )


@pytest.fixture
def client(db: Database, clock: FakeClock, mail_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(mail_settings, db=db, clock=clock)) as c:
        yield c


@pytest.fixture
def mailbox(smtp: tuple[int, Mailbox]) -> Mailbox:
    return smtp[1]


def run_engine(db: Database, clock: FakeClock, settings: Settings) -> None:
    engine = Engine(db, clock, settings, default_handlers(), name="t")
    while engine.run_once():
        pass


def mails(mailbox: Mailbox) -> list[EmailMessage]:
    return [
        message_from_bytes(m.content, policy=policy.default)  # type: ignore[misc]
        for m in mailbox.messages
    ]


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain", "html"))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def path_in(text: str, prefix: str) -> str:
    found = re.search(re.escape(BASE) + "(" + re.escape(prefix) + r"[A-Za-z0-9_\-.]+)", text)
    assert found, text
    return found.group(1)


def public_incident(client: TestClient, people: Personas, *, title: str = "db down") -> int:
    h = people.admin.headers
    r = client.post("/api/v1/services", json={"name": "checkout"}, headers=h)
    assert r.status_code in (201, 409), r.text
    r = client.post(
        INCIDENTS, json={"title": title, "severity": "SEV-2", "service": "checkout"}, headers=h
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def publish(
    client: TestClient, people: Personas, iid: int, body: str, *, public: bool = True
) -> None:
    r = client.post(
        f"{INCIDENTS}/{iid}/updates",
        json={"kind": "update", "status": "identified", "body": body, "public": public},
        headers=people.responder.headers,
    )
    assert r.status_code == 201, r.text


def subscribe_and_confirm(
    client: TestClient, db: Database, clock: FakeClock, settings: Settings, mailbox: Mailbox
) -> str:
    """Subscribes ann@example.com through the form, follows the mailed link; the mail's
    text."""
    r = client.post("/status/subscribe", data={"email": "ann@example.com"})
    assert r.status_code == 200, r.text
    run_engine(db, clock, settings)
    confirm = text_of(mails(mailbox)[-1])
    link = path_in(confirm, "/status/subscribe/confirm/")
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm" in page.text
    done = client.post(link)
    assert done.status_code == 200
    assert "You are subscribed" in done.text
    return confirm


def test_it_runs_the_whole_double_opt_in_and_unsubscribe_through_real_smtp(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    mailbox: Mailbox,
    people: Personas,
) -> None:
    r = client.get("/status/subscribe")
    assert r.status_code == 200
    assert 'name="email"' in r.text
    r = client.post("/status/subscribe", data={"email": "ann@example.com"})
    assert r.status_code == 200
    assert "confirmation link" in r.text
    run_engine(db, clock, mail_settings)
    [confirm] = mails(mailbox)
    assert mailbox.messages[0].rcpt_tos == ["ann@example.com"]
    assert "Confirm your subscription" in str(confirm["Subject"])
    link = path_in(text_of(confirm), "/status/subscribe/confirm/")
    # Only the hash of the link's secret is stored.
    secret = link.rsplit("/", 1)[1]
    with db.read() as session:
        row = session.scalars(select(Subscriber)).one()
        assert row.confirmed_at is None
        assert secret not in row.token_hash
        # ... and the sent task no longer carries it either.
        payloads = [t.payload for t in session.scalars(select(Task)).all()]
        assert all("secret" not in p for p in payloads)

    # A GET (what a mail scanner does) changes nothing.
    assert client.get(link).status_code == 200
    with db.read() as session:
        assert session.scalars(select(Subscriber)).one().confirmed_at is None
    assert client.post(link).status_code == 200

    iid = public_incident(client, people)
    publish(client, people, iid, "We found the broken index.")
    run_engine(db, clock, mail_settings)
    update = mails(mailbox)[-1]
    assert len(mailbox.messages) == 2
    body = text_of(update)
    assert "We found the broken index." in body
    assert "Identified" in body
    # The public title (a default built from public facts), never the internal "db down".
    assert "Partial outage under investigation" in str(update["Subject"])
    assert "db down" not in str(update["Subject"])
    assert "/status/incidents/" in body
    unsubscribe = path_in(body, "/status/unsubscribe/")
    assert update["List-Unsubscribe"] == f"<{BASE}{unsubscribe}>"
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = client.get(unsubscribe)
    assert page.status_code == 200
    assert "a***n@example.com" in page.text
    # A mail client's one-click unsubscribe (RFC 8058).
    r = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    assert "Unsubscribed" in r.text
    publish(client, people, iid, "Fix deployed.")
    run_engine(db, clock, mail_settings)
    assert len(mailbox.messages) == 2  # nothing more
    assert client.get(unsubscribe).status_code == 404


def test_unconfirmed_subscribers_get_nothing_but_the_confirmation(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    mailbox: Mailbox,
    people: Personas,
) -> None:
    client.post("/status/subscribe", json={"email": "bob@example.com"})
    iid = public_incident(client, people)
    publish(client, people, iid, "Still looking.")
    run_engine(db, clock, mail_settings)
    [only] = mails(mailbox)
    assert "Confirm" in str(only["Subject"])


def test_internal_updates_never_reach_subscribers(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    mailbox: Mailbox,
    people: Personas,
    receiver: Receiver,
) -> None:
    subscribe_and_confirm(client, db, clock, mail_settings, mailbox)
    add = client.post(
        SUBSCRIBERS,
        json={"kind": "webhook", "url": f"http://127.0.0.1:{receiver.port}/hook"},
        headers=people.admin.headers,
    )
    assert add.status_code == 201, add.text
    iid = public_incident(client, people)
    publish(client, people, iid, "SECRET-internal-note", public=False)
    run_engine(db, clock, mail_settings)
    assert len(mailbox.messages) == 1  # the confirmation only
    assert receiver.requests == []
    with db.read() as session:
        kinds = {t.kind for t in session.scalars(select(Task)).all()}
    assert SUBSCRIBERS_FANOUT not in kinds


def test_resubscribing_says_the_same_and_does_not_flood_the_inbox(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    mailbox: Mailbox,
) -> None:
    first = client.post("/status/subscribe", json={"email": "ann@example.com"})
    again = client.post("/status/subscribe", json={"email": "ann@example.com"})
    fresh = client.post("/status/subscribe", json={"email": "zed@example.com"})
    assert first.status_code == again.status_code == fresh.status_code == 202
    assert first.json() == again.json() == fresh.json()
    run_engine(db, clock, mail_settings)
    assert sorted(m.rcpt_tos[0] for m in mailbox.messages) == [
        "ann@example.com",
        "zed@example.com",
    ]
    clock.advance(seconds=RESEND_GAP.total_seconds())
    client.post("/status/subscribe", json={"email": "ann@example.com"})
    run_engine(db, clock, mail_settings)
    assert len(mailbox.messages) == 3
    # Only the newest link works.
    old, new = (path_in(text_of(m), "/status/subscribe/confirm/") for m in mails(mailbox)[::2])
    assert client.post(old).status_code == 404
    assert client.post(new).status_code == 200


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not-an-address",
        "a@b",
        "a b@example.com",
        "x@exa mple.com",
        "<a@example.com>",
        "a" * 300,
    ],
)
def test_it_refuses_what_is_not_an_email_address(client: TestClient, email: str) -> None:
    r = client.post("/status/subscribe", json={"email": email})
    assert r.status_code == 422, r.text
    assert "email" in r.json()["detail"].lower()
    r = client.post("/status/subscribe", data={"email": email})
    assert r.status_code == 422
    assert "sub-error" in r.text


def test_it_refuses_unknown_fields_and_huge_bodies(client: TestClient) -> None:
    assert client.post("/status/subscribe", json={"email": "a@x.io", "admin": 1}).status_code == 422
    huge = client.post("/status/subscribe", json={"email": "a@x.io", "pad": "x" * 10_000})
    assert huge.status_code == 413


def test_it_rate_limits_the_public_form(client: TestClient) -> None:
    codes = [
        client.post("/status/subscribe", json={"email": f"p{n}@example.com"}).status_code
        for n in range(7)
    ]
    assert codes[:5] == [202] * 5
    assert codes[5] == 429
    r = client.post("/status/subscribe", json={"email": "q@example.com"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0


def test_email_subscriptions_are_off_without_a_mail_server(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    settings = Settings(database_url=db.url, base_url=BASE)
    with TestClient(create_app(settings, db=db, clock=clock)) as c:
        r = c.post("/status/subscribe", json={"email": "ann@example.com"})
        assert r.status_code == 403
        assert "WARROOM_STATUS_PAGE_MAIL_URL" in r.json()["detail"]
        assert "not available" in c.get("/status/subscribe").text
        r = c.post(
            SUBSCRIBERS,
            json={"kind": "email", "email": "ann@example.com"},
            headers=people.admin.headers,
        )
        assert r.status_code == 422
        assert "WARROOM_STATUS_PAGE_MAIL_URL" in r.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_a_tampered_unsubscribe_or_confirm_link_does_nothing(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    mailbox: Mailbox,
    people: Personas,
) -> None:
    subscribe_and_confirm(client, db, clock, mail_settings, mailbox)
    with db.read() as session:
        sid = session.scalars(select(Subscriber.id)).one()
    assert client.get(f"/status/unsubscribe/{sid}.AAAA").status_code == 404
    assert client.post(f"/status/unsubscribe/{sid}.AAAA").status_code == 200
    assert client.post("/status/subscribe/confirm/not-a-secret").status_code == 404
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1


# --- webhooks ---------------------------------------------------------------------------


def add_webhook(client: TestClient, people: Personas, url: str) -> dict[str, Any]:
    r = client.post(SUBSCRIBERS, json={"kind": "webhook", "url": url}, headers=people.admin.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_webhook_subscriber_receives_statuspages_shape(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    hook = add_webhook(client, people, f"http://127.0.0.1:{receiver.port}/hooks/status?key=s3cret")
    assert hook["confirmed"] is True
    assert "s3cret" not in hook["address"]
    iid = public_incident(client, people, title="internal title")
    r = client.put(
        f"{INCIDENTS}/{iid}/public",
        json={"public": True, "title": "Checkout is slow"},
        headers=people.responder.headers,
    )
    assert r.status_code == 200, r.text
    publish(client, people, iid, "We are on it.")
    run_engine(db, clock, mail_settings)
    [(path, doc)] = receiver.requests
    assert path == "/hooks/status?key=s3cret"
    assert set(doc) == {"meta", "page", "incident"}
    assert doc["meta"]["unsubscribe"].startswith(f"{BASE}/status/unsubscribe/")
    assert doc["meta"]["documentation"]
    assert set(doc["page"]) == {"id", "status_indicator", "status_description"}
    assert doc["page"]["status_indicator"] in ("none", "minor", "major", "critical")
    incident = doc["incident"]
    assert incident["name"] == "Checkout is slow"
    assert incident["status"] == "identified"
    assert incident["incident_updates"][0]["body"] == "We are on it."
    assert incident["id"] != str(iid)
    assert "internal title" not in str(doc)
    # The webhook's own unsubscribe link works.
    link = doc["meta"]["unsubscribe"].removeprefix(BASE)
    assert client.post(link).status_code == 200
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_a_failing_webhook_is_retried_then_shown_as_failed(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    receiver.status = [503]
    hook = add_webhook(client, people, f"http://127.0.0.1:{receiver.port}/hook")
    iid = public_incident(client, people)
    publish(client, people, iid, "Investigating.")
    for _ in range(backoff.MAX_ATTEMPTS + 2):
        run_engine(db, clock, mail_settings)
        clock.advance(seconds=backoff.CAP.total_seconds())
    assert len(receiver.requests) == backoff.MAX_ATTEMPTS
    with db.read() as session:
        task = session.scalars(select(Task).where(Task.kind == DELIVER_SUBSCRIBER)).one()
        assert task.state is TaskState.FAILED
        assert "HTTP 503" in (task.last_error or "")
    [shown] = client.get(SUBSCRIBERS, headers=people.admin.headers).json()["items"]
    assert shown["id"] == hook["id"]
    assert "HTTP 503" in shown["last_error"]
    assert "will retry" not in shown["last_error"]
    assert shown["last_delivered_at"] is None
    client.cookies.set("warroom_token", people.admin.token)
    page = client.get("/statuspage/subscribers")
    assert page.status_code == 200
    assert "failing" in page.text


def test_a_client_error_is_not_retried(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    receiver.status = [404]
    add_webhook(client, people, f"http://127.0.0.1:{receiver.port}/gone")
    publish(client, people, public_incident(client, people), "Investigating.")
    run_engine(db, clock, mail_settings)
    clock.advance(seconds=backoff.CAP.total_seconds())
    run_engine(db, clock, mail_settings)
    assert len(receiver.requests) == 1
    with db.read() as session:
        task = session.scalars(select(Task).where(Task.kind == DELIVER_SUBSCRIBER)).one()
        assert task.state is TaskState.FAILED


def test_a_subscriber_deleted_before_delivery_gets_nothing(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    hook = add_webhook(client, people, f"http://127.0.0.1:{receiver.port}/hook")
    publish(client, people, public_incident(client, people), "Investigating.")
    engine = Engine(db, clock, mail_settings, default_handlers(), name="t", batch=1)
    engine.run_once()  # the fan-out only: one delivery task is queued
    r = client.delete(f"{SUBSCRIBERS}/{hook['id']}", headers=people.admin.headers)
    assert r.status_code == 200
    run_engine(db, clock, mail_settings)
    assert receiver.requests == []


def test_the_fan_out_goes_in_chunks_and_reaches_everyone_once(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    people: Personas,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from warroom.statuspage import deliveries

    monkeypatch.setattr(deliveries, "FANOUT_CHUNK", 2)
    for n in range(5):
        add_webhook(client, people, f"http://127.0.0.1:{receiver.port}/hook/{n}")
    publish(client, people, public_incident(client, people), "Investigating.")
    run_engine(db, clock, mail_settings)
    assert sorted(path for path, _ in receiver.requests) == [f"/hook/{n}" for n in range(5)]
    with db.read() as session:
        fanouts = session.scalars(select(Task).where(Task.kind == SUBSCRIBERS_FANOUT)).all()
    assert len(fanouts) == 3  # 2 + 2 + 1


# --- who may manage subscribers ---------------------------------------------------------


def test_only_admins_manage_subscribers(client: TestClient, people: Personas) -> None:
    body = {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}
    for persona, code in ((people.responder, 403), (people.viewer, 403), (people.outsider, 401)):
        assert client.get(SUBSCRIBERS, headers=persona.headers).status_code == code
        assert client.post(SUBSCRIBERS, json=body, headers=persona.headers).status_code == code
        assert client.delete(f"{SUBSCRIBERS}/1", headers=persona.headers).status_code == code
    assert client.get(SUBSCRIBERS).status_code == 401
    client.cookies.set("warroom_token", people.viewer.token)
    page = client.get("/statuspage/subscribers")
    assert page.status_code == 403


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"kind": "webhook", "url": "ftp://example.com/x"}, "http"),
        ({"kind": "webhook", "url": "http://"}, "http"),
        ({"kind": "webhook"}, "url"),
        ({"kind": "email", "url": "http://example.com"}, "email"),
        ({"kind": "sms", "email": "a@example.com"}, "kind"),
        ({"kind": "webhook", "url": "http://example.com/" + "x" * 2100}, "url"),
    ],
)
def test_it_refuses_bad_subscribers_saying_what_to_fix(
    client: TestClient, people: Personas, body: dict[str, str], needle: str
) -> None:
    r = client.post(SUBSCRIBERS, json=body, headers=people.admin.headers)
    assert r.status_code == 422, r.text
    assert needle in r.text.lower()


def test_admins_add_list_and_remove_subscribers(client: TestClient, people: Personas) -> None:
    h = people.admin.headers
    hook = add_webhook(client, people, "https://hooks.example.com/status")
    mail = client.post(SUBSCRIBERS, json={"kind": "email", "email": "Ann@Example.COM"}, headers=h)
    assert mail.status_code == 201
    assert mail.json()["address"] == "Ann@example.com"
    again = client.post(
        SUBSCRIBERS, json={"kind": "webhook", "url": "https://hooks.example.com/status"}, headers=h
    )
    assert again.status_code == 409
    listed = client.get(SUBSCRIBERS, headers=h).json()
    assert listed["total"] == 2
    assert [s["kind"] for s in listed["items"]] == ["webhook", "email"]
    assert client.get(f"{SUBSCRIBERS}?kind=email", headers=h).json()["total"] == 1
    page1 = client.get(f"{SUBSCRIBERS}?limit=1", headers=h).json()
    page2 = client.get(f"{SUBSCRIBERS}?limit=1&cursor={page1['next']}", headers=h).json()
    assert [page1["items"][0]["id"], page2["items"][0]["id"]] == [hook["id"], mail.json()["id"]]
    assert client.delete(f"{SUBSCRIBERS}/{hook['id']}", headers=h).status_code == 200
    assert client.delete(f"{SUBSCRIBERS}/{hook['id']}", headers=h).status_code == 404
    assert client.get(SUBSCRIBERS, headers=h).json()["total"] == 1


def test_subscribers_hear_of_scheduled_maintenance(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    mailbox: Mailbox,
    people: Personas,
    receiver: Receiver,
    status_data: StatusData,
) -> None:
    subscribe_and_confirm(client, db, clock, mail_settings, mailbox)
    add_webhook(client, people, f"http://127.0.0.1:{receiver.port}/hook")
    status_data.component("Database")
    status_data.maintenance(name="DB upgrade", body="Minor version bump.", components=["Database"])
    run_engine(db, clock, mail_settings)
    mail = mails(mailbox)[-1]
    assert "Maintenance DB upgrade: Scheduled" in str(mail["Subject"])
    text = text_of(mail)
    assert "Minor version bump." in text
    assert "/status/maintenances/" in text
    assert "/status/unsubscribe/" in text
    [(_, doc)] = receiver.requests
    assert doc["incident"]["name"] == "DB upgrade"
    assert doc["incident"]["impact"] == "maintenance"
    assert doc["incident"]["status"] == "scheduled"
    assert doc["meta"]["unsubscribe"].startswith(f"{BASE}/status/unsubscribe/")
