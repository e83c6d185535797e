"""What a reviewer found the public side could get wrong: a resolved incident lingering on
the page, maintenance on internal systems made public, inbox flooding through the
subscribe form, and bad input that answered 500."""

import itertools
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.notify.test_apprise import Mailbox, smtp
from tests.statuspage.conftest import StatusData
from tests.statuspage.test_subscribers import (
    client,
    mail_settings,
    mailbox,
    mails,
    path_in,
    run_engine,
    text_of,
)
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.settings import Settings
from warroom.statuspage.cache import MAX_ENTRIES, PageCache
from warroom.statuspage.models import Subscriber
from warroom.statuspage.subscriptions import RESEND_GAP, do_subscribe_email

# Fixtures shared with the subscriber tests (pytest finds them by name in this module).
__all__ = ["client", "mail_settings", "mailbox", "smtp"]


def test_resolving_a_public_incident_takes_it_off_the_page_at_once(
    status_data: StatusData, app_client: TestClient, people: Personas
) -> None:
    status_data.component("API")
    status_data.service("checkout", component="API")
    iid = status_data.incident(title="db OOM", service="checkout", public_title="API errors")
    unresolved = app_client.get("/api/v2/incidents/unresolved.json").json()
    assert [i["name"] for i in unresolved["incidents"]] == ["API errors"]
    r = app_client.post(f"/api/v1/incidents/{iid}/resolve", headers=people.responder.headers)
    assert r.status_code == 200, r.text
    # Not through an update: the plain resolve must invalidate the cached page too.
    assert app_client.get("/api/v2/incidents/unresolved.json").json()["incidents"] == []


def test_maintenance_on_internal_components_only_stays_off_the_public_page(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.component("API")
    status_data.component("Billing DB", public=False)
    status_data.maintenance(name="Upgrade billing-db", body="internal", components=["Billing DB"])
    status_data.maintenance(name="API upgrade", body="brief", components=["API", "Billing DB"])
    listed = app_client.get("/api/v2/scheduled-maintenances.json").json()
    assert [m["name"] for m in listed["scheduled_maintenances"]] == ["API upgrade"]
    assert [c["name"] for c in listed["scheduled_maintenances"][0]["components"]] == ["API"]
    assert "billing-db" not in app_client.get("/status").text
    assert "billing-db" not in app_client.get("/status/history.atom").text


def test_a_confirmed_subscriber_is_not_mailed_again_and_resends_slow_down(
    client: TestClient, db: Database, clock: FakeClock, mail_settings: Settings, mailbox: Mailbox
) -> None:
    assert client.post("/status/subscribe", json={"email": "ann@example.com"}).status_code == 202
    run_engine(db, clock, mail_settings)
    [confirm] = mails(mailbox)
    assert client.post(path_in(text_of(confirm), "/status/subscribe/confirm/")).status_code == 200
    clock.advance(hours=1)
    assert client.post("/status/subscribe", json={"email": "ann@example.com"}).status_code == 202
    run_engine(db, clock, mail_settings)
    assert len(mails(mailbox)) == 1

    # An address nobody confirms: the wait between confirmation mails doubles. (Through
    # the action: the form's own per-client rate limit would otherwise stop the tries.)
    sent_at = []
    for _ in range(40):
        with db.write() as session:
            do_subscribe_email(session, address="zed@example.com", now=clock.now())
            sent = session.scalar(
                select(Subscriber.confirm_sent_at).where(Subscriber.address == "zed@example.com")
            )
        if sent not in sent_at:
            sent_at.append(sent)
        clock.advance(seconds=RESEND_GAP.total_seconds())
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert len(sent_at) == 7  # at 0, 10, 20, 40, 80, 160 and 320 minutes of 400
    assert gaps == sorted(gaps)
    assert gaps[-1] == 16 * RESEND_GAP


def test_odd_tokens_and_nested_json_are_refused_not_crashes(client: TestClient) -> None:
    for token in ("\u00b2.x", "1.x", "x"):
        # An unknown link shows a page saying there is nothing to do; never a 500.
        assert client.get(f"/status/unsubscribe/{token}").status_code < 500
        assert client.post(f"/status/unsubscribe/{token}").status_code < 500
    nested = "[" * 3000
    r = client.post(
        "/status/subscribe", content=nested, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_the_page_cache_holds_a_bounded_number_of_entries(db: Database) -> None:
    cache = PageCache(db, check_interval=60)
    for n in range(MAX_ENTRIES * 3):
        cache.get(("status.incident", f"code{n}"), lambda _s: (b"x", "text/plain"))
    assert len(cache._entries) == MAX_ENTRIES
    assert timedelta(0) < RESEND_GAP


def test_a_closed_incident_can_still_be_taken_off_the_status_page(
    status_data: StatusData, app_client: TestClient, people: Personas
) -> None:
    status_data.service("checkout")
    iid = status_data.incident(title="x", service="checkout", public_title="API errors")
    h = people.responder.headers
    assert app_client.post(f"/api/v1/incidents/{iid}/resolve", headers=h).status_code == 200
    closed = app_client.post(f"/api/v1/incidents/{iid}/close", headers=h)
    assert closed.status_code == 200, closed.text
    listed = app_client.get("/api/v2/incidents.json").json()["incidents"]
    assert [i["name"] for i in listed] == ["API errors"]
    retitle = app_client.put(
        f"/api/v1/incidents/{iid}/public", json={"public": True, "title": "y"}, headers=h
    )
    assert retitle.status_code == 409
    hide = app_client.put(f"/api/v1/incidents/{iid}/public", json={"public": False}, headers=h)
    assert hide.status_code == 200, hide.text
    assert app_client.get("/api/v2/incidents.json").json()["incidents"] == []
