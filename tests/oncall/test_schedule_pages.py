"""The schedule pages, as a browser without JavaScript uses them: the list, the 14-day
view with coverage gaps, and the override, swap and note forms (with CSRF)."""

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole


@pytest.fixture
def tokens(db: Database, clock: FakeClock, people: Personas) -> dict[str, str]:
    made = {"ada": people.admin.token, "rita": people.responder.token, "vic": people.viewer.token}
    with db.write() as session:
        bob = do_create_user(
            session, handle="bob", name="Bob", role=UserRole.RESPONDER, now=clock.now()
        )
        made["bob"] = do_create_token(session, user=bob, now=clock.now()).secret
    return made


@pytest.fixture
def office_hours(app_client: TestClient, people: Personas, clock: FakeClock) -> int:
    """rita, weekdays and weekends alike, 09:00-17:00 UTC only: 16 hours a day uncovered."""
    start = (clock.now() - timedelta(days=1)).replace(tzinfo=None).isoformat()
    r = app_client.post(
        "/api/v1/schedules",
        json={
            "name": "office",
            "time_zone": "UTC",
            "layers": [
                {
                    "name": "days",
                    "users": ["rita"],
                    "rotation_start": start,
                    "turn_length_hours": "weekly",
                    "restrictions": [{"type": "daily", "start": "09:00", "end": "17:00"}],
                }
            ],
        },
        headers=people.admin.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found
    return found.group(1)


def post(client: TestClient, page: str, path: str, **data: str) -> httpx.Response:
    token = csrf(client.get(page).text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False)


def test_it_lists_schedules_with_who_is_on_call_and_the_gaps_ahead(
    app_client: TestClient, tokens: dict[str, str], office_hours: int
) -> None:
    sign_in(app_client, tokens["vic"])
    page = app_client.get("/schedules")
    assert page.status_code == 200
    assert f'href="/schedules/{office_hours}"' in page.text
    assert "office" in page.text
    # 14 days of 16-hour nights (plus the part of today outside 09-17).
    gaps = re.search(r'data-gaps="(\d+)"', page.text)
    assert gaps
    assert int(gaps.group(1)) >= 14
    assert 'href="/schedules"' in page.text  # the nav link


def test_it_shows_the_next_14_days_with_the_gaps_marked(
    app_client: TestClient, tokens: dict[str, str], office_hours: int
) -> None:
    sign_in(app_client, tokens["vic"])
    page = app_client.get(f"/schedules/{office_hours}")
    assert page.status_code == 200
    assert page.text.count("gap: nobody on call") >= 14
    assert "09:00&ndash;17:00" in page.text
    assert "@rita" in page.text
    assert f"/api/v1/schedules/{office_hours}/calendar.ics" in page.text
    # A viewer gets no forms.
    assert 'action="/schedules/' not in page.text


def test_it_closes_a_gap_with_an_override_from_the_form(
    app_client: TestClient, tokens: dict[str, str], office_hours: int, clock: FakeClock
) -> None:
    sign_in(app_client, tokens["rita"])
    page = f"/schedules/{office_hours}"
    before = app_client.get(page).text
    assert "17:00&ndash;23:59" not in before
    day = (clock.now() + timedelta(days=2)).date().isoformat()
    r = post(
        app_client,
        page,
        f"{page}/overrides",
        user="bob",
        start=f"{day}T17:00",
        end=f"{day}T23:59",
    )
    assert r.status_code == 303, r.text
    after = app_client.get(page).text
    assert "Override added" in app_client.get(r.headers["location"]).text
    # That evening's gap (17:00-24:00) is bob's now, but for its last minute.
    assert re.search(r"17:00&ndash;23:59</span>\s*<strong>@bob</strong>", after)
    assert "23:59&ndash;00:00" in after


def test_it_lets_the_taker_accept_a_swap_from_the_page_and_no_one_else(
    app_client: TestClient, tokens: dict[str, str], office_hours: int, clock: FakeClock
) -> None:
    page = f"/schedules/{office_hours}"
    day = (clock.now() + timedelta(days=3)).date().isoformat()
    sign_in(app_client, tokens["rita"])
    r = post(
        app_client, page, f"{page}/swaps", taker="bob", start=f"{day}T09:00", end=f"{day}T17:00"
    )
    assert r.status_code == 303, r.text
    swap_id = re.search(r'data-swap-id="(\d+)"', app_client.get(page).text)
    assert swap_id
    accept = f"{page}/swaps/{swap_id.group(1)}/accept"
    # The requester sees Cancel but no Accept.
    assert accept not in app_client.get(page).text

    sign_in(app_client, tokens["vic"])
    refused = post(app_client, page, accept)
    assert refused.status_code == 403

    sign_in(app_client, tokens["bob"])
    assert accept in app_client.get(page).text
    r = post(app_client, page, accept)
    assert r.status_code == 303, r.text
    shown = app_client.get(page).text
    assert "swap-accepted" in shown

    again = post(app_client, page, accept)
    assert again.status_code == 409


def test_it_saves_a_handoff_note_from_the_page(
    app_client: TestClient, tokens: dict[str, str], office_hours: int
) -> None:
    page = f"/schedules/{office_hours}"
    sign_in(app_client, tokens["rita"])
    r = post(app_client, page, f"{page}/notes", text="Payments vendor maintenance at 02:00")
    assert r.status_code == 303, r.text
    assert "Payments vendor maintenance at 02:00" in app_client.get(page).text
    empty = post(app_client, page, f"{page}/notes", text="   ")
    assert empty.status_code == 422
