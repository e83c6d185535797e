"""Action items over the API on SQLite and PostgreSQL: adding, changing and finishing
them, the lists (mine, open, overdue in the owner's time zone), what a closed incident
refuses, and who may do what."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.postmortems.conftest import API, Desk, Json
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.users.repository import get_user

ITEMS = "/api/v1/action-items"


def add(desk: Desk, iid: int, **fields: Any) -> Json:
    out: Json = desk.call("POST", f"{API}/{iid}/action-items", {"title": "Add a canary"} | fields)
    return out


def titles(page: Json) -> list[str]:
    return [i["title"] for i in page["items"]]


def test_it_adds_an_item_with_its_owner_due_date_priority_and_tracker(desk: Desk) -> None:
    iid = desk.resolved()
    item = add(
        desk,
        iid,
        title="Alert on card-decline rate",
        description="Page when declines pass 2% for 5 minutes.",
        owner="vic",
        due_on="2026-01-20",
        priority="high",
        tracker_url="https://tracker.example.com/OPS-12",
    )
    assert item["incident_id"] == iid
    assert (item["owner"], item["due_on"], item["priority"]) == ("vic", "2026-01-20", "high")
    assert (item["status"], item["overdue"], item["kind"]) == ("open", False, "follow_up")
    assert desk.call("GET", f"{ITEMS}/{item['id']}") == item
    event = desk.call("GET", f"{API}/{iid}/timeline")["items"][-1]
    assert event["type"] == "action_item_created"
    assert event["data"]["owner"] == "vic"
    assert event["data"]["due_on"] == "2026-01-20"


REFUSED: list[tuple[Json, int]] = [
    ({"title": ""}, 422),
    ({"title": "x" * 301}, 422),
    ({"priority": "urgent"}, 422),
    ({"due_on": "next week"}, 422),
    ({"tracker_url": "javascript:alert(1)"}, 422),
    ({"tracker_url": "ftp://tracker.example.com/1"}, 422),
    # Would end the postmortem table's [title](<url>) link early.
    ({"tracker_url": "https://tracker.example.com/a b|c"}, 422),
    # Reminders count days from it: 9999-12-31 has no next day.
    ({"due_on": "9999-12-31"}, 422),
    ({"owner": "nobody"}, 404),
    ({"owner": "Bad Handle"}, 422),
    ({"surprise": 1}, 422),
]


def test_it_refuses_bad_input_and_writes_nothing(desk: Desk, app_client: TestClient) -> None:
    iid = desk.resolved()
    before = desk.items(iid)
    events = desk.call("GET", f"{API}/{iid}/timeline")["total"]
    for fields, status in REFUSED:
        body = {"title": "Add a canary"} | fields
        r = app_client.post(f"{API}/{iid}/action-items", json=body, headers=desk.h)
        assert r.status_code == status, (fields, r.text)
    assert desk.items(iid) == before
    assert desk.call("GET", f"{API}/{iid}/timeline")["total"] == events


def test_it_changes_any_field_and_says_so_on_the_timeline(desk: Desk) -> None:
    iid = desk.resolved()
    item = add(desk, iid, owner="vic", tracker_url="https://t.example.com/1")
    out = desk.call(
        "PATCH",
        f"{ITEMS}/{item['id']}",
        {
            "title": "Add a canary stage",
            "owner": "ada",
            "due_on": "2026-02-01",
            "priority": "low",
            "status": "in_progress",
            "tracker_url": None,
        },
    )
    assert (out["title"], out["owner"], out["due_on"]) == (
        "Add a canary stage",
        "ada",
        "2026-02-01",
    )
    assert (out["priority"], out["status"], out["tracker_url"]) == ("low", "in_progress", None)
    event = desk.call("GET", f"{API}/{iid}/timeline")["items"][-1]
    assert event["type"] == "action_item_changed"
    assert event["data"]["changes"] == {
        "title": "Add a canary stage",
        "owner": "ada",
        "due_on": "2026-02-01",
        "priority": "low",
        "status": "in_progress",
        "tracker_url": None,
    }
    # Fields not sent stay as they are; null clears the owner.
    out = desk.call("PATCH", f"{ITEMS}/{item['id']}", {"owner": None})
    assert (out["owner"], out["due_on"]) == (None, "2026-02-01")


def test_it_finishes_an_item_as_done_or_wont_do(desk: Desk, clock: FakeClock) -> None:
    iid = desk.resolved()
    a, b = add(desk, iid), add(desk, iid, title="Rewrite billing")
    done = desk.call("PATCH", f"{ITEMS}/{a['id']}", {"status": "done"})
    assert done["status"] == "done"
    assert done["completed_at"] is not None
    skipped = desk.call("PATCH", f"{ITEMS}/{b['id']}", {"status": "wont_do"})
    assert skipped["status"] == "wont_do"
    reopened = desk.call("PATCH", f"{ITEMS}/{b['id']}", {"status": "open"})
    assert reopened["status"] == "open"
    assert reopened["completed_at"] is None


def test_it_lists_items_by_owner_status_incident_and_overdue(
    desk: Desk, clock: FakeClock, db: Database
) -> None:
    first, second = desk.resolved(), desk.resolved(title="Search is slow")
    today = clock.now().date()
    add(desk, first, title="Mine, late", owner="vic", due_on=str(today - timedelta(days=1)))
    add(desk, first, title="Mine, due today", owner="vic", due_on=str(today))
    add(desk, second, title="Unowned, late", due_on=str(today - timedelta(days=3)))
    done = add(desk, second, title="Done, late", due_on=str(today - timedelta(days=3)))
    desk.call("PATCH", f"{ITEMS}/{done['id']}", {"status": "done"})

    mine = desk.call("GET", ITEMS, params={"owner": "vic"})
    assert sorted(titles(mine)) == ["Mine, due today", "Mine, late"]
    late = desk.call("GET", ITEMS, params={"overdue": "true"})
    assert sorted(titles(late)) == ["Mine, late", "Unowned, late"]
    assert all(i["overdue"] for i in late["items"])
    assert titles(desk.call("GET", ITEMS, params={"status": "done"})) == ["Done, late"]
    of_second = desk.call("GET", ITEMS, params={"incident": second, "status": ["open"]})
    assert sorted(titles(of_second)) == [
        "Review the checkout runbook after this incident",
        "Unowned, late",
    ]
    page = desk.call("GET", ITEMS, params={"limit": 2})
    assert len(page["items"]) == 2
    assert page["total"] == 6
    assert page["next"]
    rest = desk.call("GET", ITEMS, params={"limit": 2, "cursor": page["next"]})
    assert not set(titles(rest)) & set(titles(page))


def test_it_counts_overdue_in_the_owners_time_zone(
    desk: Desk, clock: FakeClock, db: Database
) -> None:
    # At 09:40 UTC on 5 January it is still 4 January in Honolulu (UTC-10).
    with db.write() as session:
        get_user(session, "vic").time_zone = "Pacific/Honolulu"
    iid = desk.resolved()
    due = str(date(2026, 1, 4))
    island = add(desk, iid, title="Honolulu", owner="vic", due_on=due)
    utc = add(desk, iid, title="UTC", owner="ada", due_on=due)
    assert desk.call("GET", f"{ITEMS}/{island['id']}")["overdue"] is False
    assert desk.call("GET", f"{ITEMS}/{utc['id']}")["overdue"] is True
    assert titles(desk.call("GET", ITEMS, params={"overdue": "true"})) == ["UTC"]
    clock.advance(hours=15)  # 00:40 on 5 January in Honolulu
    assert sorted(titles(desk.call("GET", ITEMS, params={"overdue": "true"}))) == [
        "Honolulu",
        "UTC",
    ]


def test_it_refuses_new_items_on_a_closed_incident(desk: Desk, app_client: TestClient) -> None:
    iid = desk.resolved()
    desk.call("POST", f"{API}/{iid}/close")
    r = app_client.post(f"{API}/{iid}/action-items", json={"title": "Late idea"}, headers=desk.h)
    assert r.status_code == 409
    assert "closed" in r.json()["detail"]


def test_it_lets_open_items_of_a_closed_incident_be_finished_but_never_reopened(
    desk: Desk, app_client: TestClient
) -> None:
    iid = desk.resolved()
    item = add(desk, iid)
    desk.call("POST", f"{API}/{iid}/close")  # closed by hand, with work still open
    desk.call("PATCH", f"{ITEMS}/{item['id']}", {"status": "done"})
    r = app_client.patch(f"{ITEMS}/{item['id']}", json={"status": "open"}, headers=desk.h)
    assert r.status_code == 409
    assert "cannot be reopened" in r.json()["detail"]
    assert desk.call("GET", f"{ITEMS}/{item['id']}")["status"] == "done"


def test_a_recurrence_waits_for_its_postmortem_before_the_incident_closes(desk: Desk) -> None:
    # Published with items open; the problem came back (reopened) and the items were
    # finished while it was worked again. Resolved again, it does not close by itself:
    # the recurrence may belong in the postmortem. Republishing closes it.
    iid = desk.resolved()
    desk.postmortem(iid)
    item = add(desk, iid)
    desk.call("POST", f"{API}/{iid}/postmortem/status", {"status": "published"})
    assert desk.incident(iid)["phase"] == "improvement"
    desk.call("POST", f"{API}/{iid}/reopen")
    desk.call("PATCH", f"{ITEMS}/{item['id']}", {"status": "done"})
    desk.finish_all(iid)  # the runbook review the first resolution opened, too
    desk.call("POST", f"{API}/{iid}/resolve")
    assert (desk.incident(iid)["status"], desk.incident(iid)["phase"]) == ("resolved", "analysis")
    desk.call("POST", f"{API}/{iid}/postmortem/status", {"status": "in_review"})
    desk.call("POST", f"{API}/{iid}/postmortem/status", {"status": "published"})
    assert desk.incident(iid)["status"] == "closed"


def test_it_answers_404_for_an_unknown_item(desk: Desk, app_client: TestClient) -> None:
    assert app_client.get(f"{ITEMS}/999", headers=desk.h).status_code == 404
    r = app_client.patch(f"{ITEMS}/999", json={"status": "done"}, headers=desk.h)
    assert r.status_code == 404


def test_it_lets_viewers_read_and_only_responders_write(
    desk: Desk, app_client: TestClient, people: Personas
) -> None:
    iid = desk.resolved()
    item = add(desk, iid)
    desk.postmortem(iid)
    viewer, outsider = people.viewer.headers, people.outsider.headers
    reads = [
        f"{ITEMS}",
        f"{ITEMS}/{item['id']}",
        f"{API}/{iid}/postmortem",
        f"{API}/{iid}/postmortem.md",
        f"{API}/{iid}/postmortem.html",
        "/api/v1/postmortems",
    ]
    for path in reads:
        assert app_client.get(path, headers=viewer).status_code == 200, path
        assert app_client.get(path).status_code == 401, path
        assert app_client.get(path, headers=outsider).status_code == 401, path
    writes: list[tuple[str, str, Json]] = [
        ("POST", f"{API}/{iid}/action-items", {"title": "x"}),
        ("PATCH", f"{ITEMS}/{item['id']}", {"status": "done"}),
        ("POST", f"{API}/{iid}/postmortem", {}),
        ("PATCH", f"{API}/{iid}/postmortem", {"markdown": "x"}),
        ("POST", f"{API}/{iid}/postmortem/status", {"status": "published"}),
    ]
    for method, path, body in writes:
        assert app_client.request(method, path, json=body, headers=viewer).status_code == 403
        assert app_client.request(method, path, json=body).status_code == 401
    assert desk.call("GET", f"{ITEMS}/{item['id']}")["status"] == "open"
    assert desk.call("GET", f"{API}/{iid}/postmortem")["status"] == "draft"


def test_it_lists_postmortems_with_their_open_and_overdue_items(
    desk: Desk, clock: FakeClock
) -> None:
    first, second = desk.resolved(), desk.resolved(title="Search is slow")
    desk.postmortem(first)
    desk.postmortem(second)
    add(desk, second, due_on=str(date(2026, 1, 1)))
    desk.call("POST", f"{API}/{first}/postmortem/status", {"status": "published"})
    page = desk.call("GET", "/api/v1/postmortems")
    assert [(r["incident_id"], r["status"]) for r in page["items"]] == [
        (second, "draft"),
        (first, "published"),
    ]
    assert [(r["open_action_items"], r["overdue_action_items"]) for r in page["items"]] == [
        (2, 1),
        (1, 0),
    ]
    published = desk.call("GET", "/api/v1/postmortems", params={"status": "published"})
    assert [r["incident_id"] for r in published["items"]] == [first]
