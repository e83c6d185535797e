"""The on-call API on SQLite and PostgreSQL: schedules, who is on call, overrides, gaps,
rendered shifts and the iCal feed with its own token."""

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import text

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.users.actions import do_create_user
from warroom.users.models import UserRole

TEAM = ["ann", "bob", "cat", "dan", "eve", "fay"]


def reference_schedule(name: str = "team") -> dict[str, Any]:
    """The reference rotation: 6 people weekly, Monday 09:00 handoff, secondary shifted."""
    return {
        "name": name,
        "time_zone": "Europe/Berlin",
        "layers": [
            {
                "name": "primary",
                "users": TEAM,
                "rotation_start": "2026-01-05T09:00",
                "turn_length_hours": "weekly",
            },
            {
                "name": "secondary",
                "users": TEAM[1:] + TEAM[:1],
                "rotation_start": "2026-01-05T09:00",
                "turn_length_hours": 168,
                "restrictions": [
                    {
                        "type": "weekly",
                        "start_day": "mon",
                        "start": "09:00",
                        "end_day": "fri",
                        "end": "17:00",
                    }
                ],
            },
        ],
    }


@pytest.fixture
def team(db: Database, clock: FakeClock, people: Personas) -> Personas:
    with db.write() as session:
        for handle in TEAM:
            do_create_user(
                session, handle=handle, name=handle, role=UserRole.RESPONDER, now=clock.now()
            )
    return people


@pytest.fixture
def schedule(app_client: TestClient, team: Personas) -> dict[str, Any]:
    r = app_client.post("/api/v1/schedules", json=reference_schedule(), headers=team.admin.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def test_it_creates_gets_lists_replaces_and_deletes_schedules(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], db: Database
) -> None:
    h = team.admin.headers
    assert schedule["layers"][0]["rotation_start"] == "2026-01-05T09:00:00+01:00"
    assert schedule["layers"][0]["turn_length_hours"] == 168
    by_name = app_client.get("/api/v1/schedules/team", headers=team.viewer.headers).json()
    assert by_name["id"] == schedule["id"]
    listed = app_client.get("/api/v1/schedules", headers=h).json()
    assert [s["name"] for s in listed["items"]] == ["team"]
    replaced = reference_schedule("team-renamed")
    replaced["layers"] = replaced["layers"][:1]
    r = app_client.put(f"/api/v1/schedules/{schedule['id']}", json=replaced, headers=h)
    assert r.status_code == 200, r.text
    assert [layer["name"] for layer in r.json()["layers"]] == ["primary"]
    assert count(db, "schedule_layers") == 1
    assert app_client.delete("/api/v1/schedules/team-renamed", headers=h).status_code == 200
    assert app_client.get("/api/v1/schedules/team-renamed", headers=h).status_code == 404
    assert count(db, "schedule_layers") == 0


def test_it_answers_who_is_on_call_now_and_at_a_time(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], clock: FakeClock
) -> None:
    h = team.viewer.headers
    clock.set(datetime(2026, 1, 7, 12, 0, tzinfo=UTC))  # a Wednesday, week 1
    now = app_client.get("/api/v1/schedules/team/oncall", headers=h).json()
    assert [(e["user"], e["layer"]) for e in now["oncall"]] == [("bob", "secondary")]
    assert now["oncall"][0]["start"] == "2026-01-05T09:00:00+01:00"
    assert now["oncall"][0]["end"] == "2026-01-09T17:00:00+01:00"
    # Saturday night, local (no offset): only primary holds it.
    local = app_client.get("/api/v1/schedules/team/oncall?at=2026-01-10T23:00", headers=h).json()
    assert [(e["user"], e["layer"]) for e in local["oncall"]] == [("ann", "primary")]
    assert local["at"].startswith("2026-01-10T22:00:00")
    # With an offset: 08:30 UTC on Monday 30 March is 10:30 CEST, the DST week's handoff done.
    at = app_client.get(
        "/api/v1/schedules/team/oncall", params={"at": "2026-03-30T08:30:00+00:00"}, headers=h
    ).json()
    assert at["oncall"][0]["user"] == "bob"  # secondary, week 13: bob again
    every = app_client.get("/api/v1/oncall", params={"at": "2026-01-10T22:00:00Z"}, headers=h)
    assert [(e["schedule"], e["user"]) for e in every.json()["oncall"]] == [("team", "ann")]


def test_it_lets_a_responder_override_and_take_it_back(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], db: Database
) -> None:
    h = team.responder.headers
    r = app_client.post(
        "/api/v1/schedules/team/overrides",
        json={"user": "fay", "start": "2026-01-10T08:00", "end": "2026-01-10T20:00"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    at = {"at": "2026-01-10T12:00"}
    found = app_client.get("/api/v1/schedules/team/oncall", params=at, headers=h).json()
    assert [(e["user"], e["layer"]) for e in found["oncall"]] == [("fay", "override")]
    shifts = app_client.get(
        "/api/v1/schedules/team/shifts",
        params={"start": "2026-01-10T00:00", "end": "2026-01-11T00:00"},
        headers=h,
    ).json()
    assert [(s["user"], s["start"][11:16]) for s in shifts["final"]] == [
        ("ann", "00:00"),
        ("fay", "08:00"),
        ("ann", "20:00"),
    ]
    assert [s["user"] for s in shifts["overrides"]] == ["fay"]
    assert (
        app_client.delete(
            f"/api/v1/schedules/team/overrides/{r.json()['id']}", headers=h
        ).status_code
        == 200
    )
    again = app_client.get("/api/v1/schedules/team/oncall", params=at, headers=h).json()
    assert again["oncall"][0]["user"] == "ann"
    assert count(db, "schedule_overrides") == 0


def test_it_reports_coverage_gaps(app_client: TestClient, team: Personas, clock: FakeClock) -> None:
    clock.set(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))  # Monday 09:00 Berlin
    body = reference_schedule("business")
    body["layers"] = body["layers"][1:]
    assert (
        app_client.post("/api/v1/schedules", json=body, headers=team.admin.headers).status_code
        == 201
    )
    gaps = app_client.get("/api/v1/schedules/business/gaps?days=7", headers=team.viewer.headers)
    assert gaps.status_code == 200
    assert [(g["start"], g["hours"]) for g in gaps.json()["gaps"]] == [
        ("2026-01-09T17:00:00+01:00", 64.0)
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"time_zone": "Mars/Olympus"}, "time zone"),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "users": ["nobody", "ann", "ghost"],
                        "rotation_start": "2026-01-05T09:00",
                        "turn_length_hours": 24,
                    }
                ]
            },
            "ghost, nobody",
        ),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "users": ["ann"],
                        "rotation_start": "2026-01-05T09:00",
                        "turn_length_hours": 24,
                        "restrictions": [{"type": "daily", "start": "25:00", "end": "x"}],
                    }
                ]
            },
            "time of day",
        ),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "users": ["ann"],
                        "rotation_start": "2026-01-05T09:00",
                        "turn_length_hours": 24,
                        "restrictions": [
                            {
                                "type": "weekly",
                                "start_day": "funday",
                                "start": "09:00",
                                "end_day": "fri",
                                "end": "17:00",
                            }
                        ],
                    }
                ]
            },
            "weekday",
        ),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "users": ["ann"],
                        "rotation_start": "2026-01-05T09:00",
                        "turn_length_hours": 0,
                    }
                ]
            },
            "turn",
        ),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "users": ["ann"],
                        "rotation_start": "0001-01-01T00:00",
                        "turn_length_hours": 1,
                    }
                ]
            },
            "1971",
        ),
    ],
)
def test_it_refuses_bad_schedules_and_writes_nothing(
    app_client: TestClient, team: Personas, db: Database, change: dict[str, Any], words: str
) -> None:
    r = app_client.post(
        "/api/v1/schedules", json={**reference_schedule(), **change}, headers=team.admin.headers
    )
    assert r.status_code == 422, r.text
    assert words in r.text
    assert count(db, "schedules") == 0
    assert count(db, "schedule_layers") == 0


def test_it_refuses_bad_overrides_and_windows(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], db: Database
) -> None:
    h = team.responder.headers
    for body in (
        {"user": "ghost", "start": "2026-01-10T08:00", "end": "2026-01-10T20:00"},
        {"user": "ann", "start": "2026-01-10T08:00", "end": "2026-01-10T08:00"},
    ):
        assert app_client.post(
            "/api/v1/schedules/team/overrides", json=body, headers=h
        ).status_code in (404, 422)
    assert count(db, "schedule_overrides") == 0
    too_long = {"start": "2026-01-01T00:00", "end": "2027-06-01T00:00"}
    assert (
        app_client.get("/api/v1/schedules/team/shifts", params=too_long, headers=h).status_code
        == 422
    )
    assert (
        app_client.post(
            "/api/v1/schedules", json=reference_schedule(), headers=team.admin.headers
        ).status_code
        == 409
    )


def test_it_serves_an_ical_feed_with_one_event_per_final_shift(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    r = app_client.get("/api/v1/schedules/team/calendar.ics", headers=team.viewer.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(r.content).walk("VEVENT")
    assert len(events) > 20
    summaries = {str(e["SUMMARY"]) for e in events}
    assert "On call: ann (team)" in summaries
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert all(a < b for a, b in itertools.pairwise(starts))


def test_it_opens_the_feed_with_its_token_and_nothing_else(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], db: Database
) -> None:
    issued = app_client.post("/api/v1/schedules/team/feed-token", headers=team.admin.headers)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert f"/api/v1/schedules/{schedule['id']}/calendar.ics?token={token}" in issued.json()["url"]
    feed = app_client.get(
        f"/api/v1/schedules/{schedule['id']}/calendar.ics", params={"token": token}
    )
    assert feed.status_code == 200
    assert Calendar.from_ical(feed.content).walk("VEVENT")
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/schedules/team", "/api/v1/oncall", "/api/v1/schedules/team/shifts"):
        assert app_client.get(path, headers=bearer).status_code == 401
        assert app_client.get(path, params={"token": token}).status_code == 401
    # Another schedule's feed, or a user's, is not this token's.
    other = reference_schedule("other")
    assert (
        app_client.post("/api/v1/schedules", json=other, headers=team.admin.headers).status_code
        == 201
    )
    assert (
        app_client.get("/api/v1/schedules/other/calendar.ics", params={"token": token}).status_code
        == 401
    )
    assert (
        app_client.get("/api/v1/users/ann/calendar.ics", params={"token": token}).status_code == 401
    )
    assert (
        app_client.get(
            "/api/v1/schedules/team/calendar.ics", params={"token": "wrf_nope"}
        ).status_code
        == 401
    )
    with db.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM calendar_feed_tokens")).all())
    assert token not in dump
    # A new token replaces the old one.
    app_client.post("/api/v1/schedules/team/feed-token", headers=team.admin.headers)
    assert (
        app_client.get("/api/v1/schedules/team/calendar.ics", params={"token": token}).status_code
        == 401
    )


def test_it_serves_a_users_own_feed(
    app_client: TestClient, team: Personas, schedule: dict[str, Any], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    issued = app_client.post("/api/v1/users/ann/feed-token", headers=team.admin.headers)
    assert issued.status_code == 201
    feed = app_client.get(
        "/api/v1/users/ann/calendar.ics", params={"token": issued.json()["token"]}
    )
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert events
    assert all("ann" in str(e["SUMMARY"]) for e in events)
    assert (
        app_client.get(
            "/api/v1/users/bob/calendar.ics", params={"token": issued.json()["token"]}
        ).status_code
        == 401
    )
