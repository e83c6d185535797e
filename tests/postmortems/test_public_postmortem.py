"""A published postmortem on the public status page (Statuspage v2 status
`postmortem`), when the team chooses it, for public incidents only, never for drills."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.postmortems.conftest import API, Desk
from warroom.db.session import Database
from warroom.statuspage.models import StatusPageRevision

PM = API + "/{}/postmortem"


@pytest.fixture(autouse=True)
def _page_revision_row(db: Database) -> None:
    # Migration 0011's one revision row; the PostgreSQL fixture empties every table.
    with db.write() as session:
        if session.get(StatusPageRevision, 1) is None:
            session.add(StatusPageRevision(id=1, revision=0, changed_at=None))


def public_incident(desk: Desk, **fields: Any) -> int:
    iid = int(desk.declare(**fields)["id"])
    desk.call(
        "POST",
        f"{API}/{iid}/updates",
        {"kind": "initial", "public": True, "public_title": "Card payments failing"},
    )
    desk.call("POST", f"{API}/{iid}/updates", {"kind": "resolution", "public": True})
    desk.postmortem(iid)
    return iid


def public_status(client: TestClient) -> list[tuple[str, str]]:
    incidents = client.get("/api/v2/incidents.json").json()["incidents"]
    return [(i["name"], i["status"]) for i in incidents]


def test_it_shows_postmortem_on_the_status_page_when_chosen(
    desk: Desk, app_client: TestClient
) -> None:
    iid = public_incident(desk)
    desk.call("PATCH", PM.format(iid), {"show_on_status_page": True})
    assert public_status(app_client) == [("Card payments failing", "resolved")]
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    assert public_status(app_client) == [("Card payments failing", "postmortem")]
    latest = app_client.get("/api/v2/incidents.json").json()["incidents"][0]["incident_updates"][0]
    assert latest["status"] == "postmortem"
    assert "published a postmortem" in latest["body"]
    assert "Checkout" not in latest["body"]  # nothing internal
    # Back in review and published again: announced once.
    desk.call("POST", PM.format(iid) + "/status", {"status": "in_review"})
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    updates = app_client.get("/api/v2/incidents.json").json()["incidents"][0]["incident_updates"]
    assert [u["status"] for u in updates].count("postmortem") == 1


def test_it_announces_at_once_when_chosen_after_publishing(
    desk: Desk, app_client: TestClient
) -> None:
    iid = public_incident(desk)
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    assert public_status(app_client) == [("Card payments failing", "resolved")]
    desk.call("PATCH", PM.format(iid), {"show_on_status_page": True})
    assert public_status(app_client) == [("Card payments failing", "postmortem")]


def test_it_keeps_internal_incidents_off_the_page(desk: Desk, app_client: TestClient) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    desk.call("PATCH", PM.format(iid), {"show_on_status_page": True})
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    assert public_status(app_client) == []
    assert desk.incident(iid)["public"]["public"] is False
