"""Issue 5's acceptance scenario, end to end on SQLite and PostgreSQL: "An incident's
update, published once, appears on /status, in summary.json, in the feed and at
subscribers, and the comms lead is reminded when the next one is due."

Everything is set up through the public HTTP API by the personas; mail goes through a real
SMTP server (aiosmtpd on loopback), webhooks and the comms lead's contact method to a real
HTTP receiver on loopback, and the engine runs by hand on the FakeClock."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.notify.test_apprise import Mailbox, Receiver, receiver, smtp
from tests.statuspage.statuspage_client import StatuspageClient
from tests.statuspage.test_subscribers import (
    mails,
    path_in,
    run_engine,
    subscribe_and_confirm,
    text_of,
)
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.settings import Settings
from warroom.web.app import create_app

__all__ = ["receiver", "smtp"]

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

BASE = "http://warroom.test"
ATOM = "{http://www.w3.org/2005/Atom}"
INTERNAL_TITLE = "payments-db primary OOM-killed on db-7"
PUBLIC_TITLE = "Card payments are failing"
BODY = "We found the cause of failing card payments and are rolling out a fix."
FIXED = "Card payments work again."
NEXT_MINUTES = 20


@pytest.fixture
def mail_settings(db: Database, smtp: tuple[int, Mailbox]) -> Settings:
    return Settings(
        database_url=db.url,
        base_url=BASE,
        status_page_title="Acme Status",
        status_page_mail_url=f"mailto://127.0.0.1:{smtp[0]}?from=status@acme.test&mode=insecure",
    )


@pytest.fixture
def client(db: Database, clock: FakeClock, mail_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(mail_settings, db=db, clock=clock)) as c:
        yield c


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def reminders(receiver: Receiver) -> list[dict[str, Any]]:
    """What the comms lead's contact method received."""
    return [body for path, body in receiver.requests if path == "/cleo"]


def setup_through_the_api(client: TestClient, people: Personas, receiver: Receiver) -> None:
    """The admin's one-time setup: a public component, a service that is part of it, the
    comms lead with a contact method, and a webhook subscriber."""
    admin = people.admin.headers
    ok(client.post("/api/v1/components", json={"name": "Payments"}, headers=admin), 201)
    service = client.post(
        "/api/v1/services", json={"name": "checkout", "component": "Payments"}, headers=admin
    )
    assert ok(service, 201)["component"] == "Payments"
    user = {"handle": "cleo", "name": "Cleo Comms", "contacts": [receiver.url("/cleo")]}
    ok(client.post("/api/v1/users", json=user, headers=admin), 201)
    hook = {"kind": "webhook", "url": f"http://127.0.0.1:{receiver.port}/hooks/status"}
    ok(client.post("/api/v1/subscribers", json=hook, headers=admin), 201)


def test_one_public_update_reaches_page_api_feed_subscribers_and_then_the_comms_lead(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    mail_settings: Settings,
    smtp: tuple[int, Mailbox],
    receiver: Receiver,
    people: Personas,
) -> None:
    mailbox = smtp[1]
    setup_through_the_api(client, people, receiver)
    subscribe_and_confirm(client, db, clock, mail_settings, mailbox)
    confirmations = len(mailbox.messages)
    statuspage = StatuspageClient(client)
    rita = people.responder.headers

    # The responder declares, names the comms lead and publishes ONE public update.
    declared = client.post(
        "/api/v1/incidents",
        json={"title": INTERNAL_TITLE, "severity": "SEV-3", "service": "checkout"},
        headers=rita,
    )
    iid = ok(declared, 201)["id"]
    role = client.put(
        f"/api/v1/incidents/{iid}/roles/comms_lead", json={"user": "cleo"}, headers=rita
    )
    ok(role)
    update = {
        "kind": "update",
        "status": "identified",
        "body": BODY,
        "public": True,
        "public_title": PUBLIC_TITLE,
        "components": {"Payments": "partial_outage"},
        "next_update_minutes": NEXT_MINUTES,
    }
    ok(client.post(f"/api/v1/incidents/{iid}/updates", json=update, headers=rita), 201)

    # /status: the public title and the update, never the internal title.
    page = client.get("/status")
    assert page.status_code == 200
    assert PUBLIC_TITLE in page.text
    assert BODY in page.text
    assert INTERNAL_TITLE not in page.text

    # summary.json, read with a strict Statuspage client.
    summary = statuspage.summary()
    [incident] = summary.incidents
    assert (incident.name, incident.status) == (PUBLIC_TITLE, "identified")
    assert [(u.status, u.body) for u in incident.incident_updates] == [("identified", BODY)]
    assert {c.name: c.status for c in summary.components} == {"Payments": "partial_outage"}
    assert summary.status.indicator == "major"
    assert INTERNAL_TITLE not in client.get("/api/v2/summary.json").text

    # The Atom feed has an entry carrying the update.
    feed = ET.fromstring(client.get("/status/history.atom").content)  # noqa: S314 (ours)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == PUBLIC_TITLE
    assert BODY in (entry.findtext(f"{ATOM}content") or "")

    # The engine tells subscribers: one mail with the body and an unsubscribe link, one
    # webhook POST in Statuspage's shape.
    run_engine(db, clock, mail_settings)
    [mail] = mails(mailbox)[confirmations:]
    assert mailbox.messages[-1].rcpt_tos == ["ann@example.com"]
    assert PUBLIC_TITLE in str(mail["Subject"])
    assert BODY in text_of(mail)
    unsubscribe = path_in(text_of(mail), "/status/unsubscribe/")
    assert client.get(unsubscribe).status_code == 200  # the link leads somewhere real
    [(path, doc)] = [(p, d) for p, d in receiver.requests if p.startswith("/hooks/")]
    assert path == "/hooks/status"
    assert set(doc) == {"meta", "page", "incident"}
    assert doc["incident"]["name"] == PUBLIC_TITLE
    assert doc["incident"]["incident_updates"][0]["body"] == BODY
    assert doc["page"]["status_indicator"] == "major"
    assert INTERNAL_TITLE not in str(doc)

    # A minute before the promised time nothing comes; once it passes the comms lead is
    # reminded, and the incident's JSON and page say the update is overdue.
    clock.advance(minutes=NEXT_MINUTES - 1)
    run_engine(db, clock, mail_settings)
    assert reminders(receiver) == []
    clock.advance(minutes=2)
    run_engine(db, clock, mail_settings)
    [reminder] = reminders(receiver)
    assert reminder["title"] == f"[SEV-3] Stakeholder update due: {INTERNAL_TITLE}"
    cadence = ok(client.get(f"/api/v1/incidents/{iid}", headers=rita))["update_cadence"]
    assert cadence["overdue"] is True
    client.cookies.set("warroom_token", people.viewer.token)
    assert "Next update OVERDUE by 1 min" in client.get(f"/incidents/{iid}").text
    client.cookies.clear()
    assert len(mailbox.messages) == confirmations + 1  # the reminder is not for subscribers

    # The resolution update gives the component back and closes the incident publicly.
    resolution = {"kind": "resolution", "status": "resolved", "body": FIXED, "public": True}
    ok(client.post(f"/api/v1/incidents/{iid}/updates", json=resolution, headers=rita), 201)
    summary = statuspage.summary()
    assert {c.name: c.status for c in summary.components} == {"Payments": "operational"}
    assert summary.status.indicator == "none"
    assert statuspage.unresolved().incidents == []
    [resolved] = statuspage.incidents().incidents
    assert resolved.status == "resolved"
    assert resolved.incident_updates[0].body == FIXED
    # Subscribers hear of the resolution; a resolution promises nothing, so the comms
    # lead is not reminded again.
    run_engine(db, clock, mail_settings)
    assert FIXED in text_of(mails(mailbox)[-1])
    assert len(mailbox.messages) == confirmations + 2
    assert len([p for p, _ in receiver.requests if p == "/hooks/status"]) == 2
    clock.advance(hours=24)
    run_engine(db, clock, mail_settings)
    assert len(reminders(receiver)) == 1
