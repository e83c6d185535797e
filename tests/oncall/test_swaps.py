"""Shift swaps and handoff notes over the API, on SQLite and PostgreSQL: a request by the
person on call, accepted by the taker, becomes an override that changes who is on call;
declines change nothing; only the taker (or an admin) decides; a swap is decided once."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Persona, Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.engine.models import Task
from warroom.paging.notices import DELIVER_NOTICE
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import ContactMethod, UserRole
from warroom.users.repository import get_user


@pytest.fixture
def crew(db: Database, clock: FakeClock, people: Personas) -> dict[str, Persona]:
    """rita (responder, on call), bob and cat (responders), ada (admin), vic (viewer)."""
    made = {"rita": people.responder, "ada": people.admin, "vic": people.viewer}
    with db.write() as session:
        rita = get_user(session, "rita")
        session.add(
            ContactMethod(user_id=rita.id, url="json://127.0.0.1:9/rita", created_at=clock.now())
        )
        for handle in ("bob", "cat"):
            user = do_create_user(
                session,
                handle=handle,
                name=handle.title(),
                role=UserRole.RESPONDER,
                contacts=[f"json://127.0.0.1:9/{handle}"],
                now=clock.now(),
            )
            made[handle] = Persona(
                handle, do_create_token(session, user=user, now=clock.now()).secret
            )
    return made


@pytest.fixture
def schedule_id(app_client: TestClient, crew: dict[str, Persona], clock: FakeClock) -> int:
    start = (clock.now() - timedelta(days=1)).replace(tzinfo=None).isoformat()
    r = app_client.post(
        "/api/v1/schedules",
        json={
            "name": "primary",
            "time_zone": "UTC",
            "owner": "ada",
            "layers": [
                {
                    "name": "weekly",
                    "users": ["rita"],
                    "rotation_start": start,
                    "turn_length_hours": "weekly",
                }
            ],
        },
        headers=crew["ada"].headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == "ada"
    return int(r.json()["id"])


def window(clock: FakeClock, start_h: int, end_h: int) -> dict[str, str]:
    now = clock.now()
    return {
        "start": (now + timedelta(hours=start_h)).isoformat(),
        "end": (now + timedelta(hours=end_h)).isoformat(),
    }


def oncall(client: TestClient, sid: int, who: Persona, at: str) -> list[str]:
    r = client.get(f"/api/v1/schedules/{sid}/oncall", params={"at": at}, headers=who.headers)
    assert r.status_code == 200, r.text
    return [e["user"] for e in r.json()["oncall"]]


def ask(client: TestClient, sid: int, who: Persona, **body: Any) -> Any:
    return client.post(f"/api/v1/schedules/{sid}/swaps", json=body, headers=who.headers)


def notices_to(db: Database, handle: str) -> list[dict[str, Any]]:
    with db.read() as session:
        tasks = session.scalars(select(Task).where(Task.kind == DELIVER_NOTICE))
        return [t.payload for t in tasks if t.payload.get("user") == handle]


def test_it_turns_an_accepted_swap_into_an_override_that_changes_who_is_on_call(
    app_client: TestClient,
    crew: dict[str, Persona],
    schedule_id: int,
    clock: FakeClock,
    db: Database,
) -> None:
    w = window(clock, 2, 5)
    r = ask(app_client, schedule_id, crew["rita"], taker="bob", note="dentist", **w)
    assert r.status_code == 201, r.text
    swap = r.json()
    assert (swap["state"], swap["requester"], swap["taker"]) == ("requested", "rita", "bob")
    [asked] = [n for n in notices_to(db, "bob") if n["notice"] == "swap"]
    assert "rita" in asked["title"]
    assert "dentist" in asked["body"]
    middle = (clock.now() + timedelta(hours=3)).isoformat()
    assert oncall(app_client, schedule_id, crew["vic"], middle) == ["rita"]

    r = app_client.post(
        f"/api/v1/schedules/{schedule_id}/swaps/{swap['id']}/accept", headers=crew["bob"].headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"
    assert r.json()["override_id"] is not None

    assert oncall(app_client, schedule_id, crew["vic"], middle) == ["bob"]
    after = (clock.now() + timedelta(hours=6)).isoformat()
    assert oncall(app_client, schedule_id, crew["vic"], after) == ["rita"]
    overrides = app_client.get(
        f"/api/v1/schedules/{schedule_id}/overrides", headers=crew["vic"].headers
    ).json()["items"]
    assert [o["user"] for o in overrides] == ["bob"]
    assert any(n["notice"] == "swap" and "accepted" in n["body"] for n in notices_to(db, "rita"))

    again = app_client.post(
        f"/api/v1/schedules/{schedule_id}/swaps/{swap['id']}/accept", headers=crew["bob"].headers
    )
    assert again.status_code == 409
    assert "already accepted" in again.json()["detail"]
    assert (
        len(
            app_client.get(
                f"/api/v1/schedules/{schedule_id}/overrides", headers=crew["vic"].headers
            ).json()["items"]
        )
        == 1
    )


def test_it_changes_nothing_when_the_taker_declines(
    app_client: TestClient, crew: dict[str, Persona], schedule_id: int, clock: FakeClock
) -> None:
    swap = ask(app_client, schedule_id, crew["rita"], taker="bob", **window(clock, 2, 5)).json()
    r = app_client.post(
        f"/api/v1/schedules/{schedule_id}/swaps/{swap['id']}/decline", headers=crew["bob"].headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "declined"
    middle = (clock.now() + timedelta(hours=3)).isoformat()
    assert oncall(app_client, schedule_id, crew["vic"], middle) == ["rita"]
    assert (
        app_client.get(
            f"/api/v1/schedules/{schedule_id}/overrides", headers=crew["vic"].headers
        ).json()["items"]
        == []
    )
    late = app_client.post(
        f"/api/v1/schedules/{schedule_id}/swaps/{swap['id']}/accept", headers=crew["bob"].headers
    )
    assert late.status_code == 409


def test_it_lets_only_the_taker_or_an_admin_accept(
    app_client: TestClient, crew: dict[str, Persona], schedule_id: int, clock: FakeClock
) -> None:
    swap = ask(app_client, schedule_id, crew["rita"], taker="bob", **window(clock, 2, 5)).json()
    accept = f"/api/v1/schedules/{schedule_id}/swaps/{swap['id']}/accept"
    assert app_client.post(accept, headers=crew["vic"].headers).status_code == 403
    other = app_client.post(accept, headers=crew["cat"].headers)
    assert other.status_code == 403
    assert "@bob" in other.json()["detail"]
    assert app_client.post(accept, headers=crew["rita"].headers).status_code == 403
    listed = app_client.get(
        f"/api/v1/schedules/{schedule_id}/swaps", headers=crew["vic"].headers
    ).json()["items"]
    assert [s["state"] for s in listed] == ["requested"]

    assert app_client.post(accept, headers=crew["ada"].headers).status_code == 200


def test_it_refuses_a_swap_from_someone_not_on_call_in_the_window(
    app_client: TestClient, crew: dict[str, Persona], schedule_id: int, clock: FakeClock
) -> None:
    r = ask(app_client, schedule_id, crew["bob"], taker="cat", **window(clock, 2, 5))
    assert r.status_code == 409
    assert "not on call" in r.json()["detail"]
    backwards = ask(app_client, schedule_id, crew["rita"], taker="bob", **window(clock, 5, 2))
    assert backwards.status_code == 422
    nobody = ask(app_client, schedule_id, crew["rita"], taker="zed", **window(clock, 2, 5))
    assert nobody.status_code == 422
    assert "zed" in str(nobody.json())
    viewer = ask(app_client, schedule_id, crew["vic"], taker="bob", **window(clock, 2, 5))
    assert viewer.status_code == 403
    assert (
        app_client.get(
            f"/api/v1/schedules/{schedule_id}/swaps", headers=crew["vic"].headers
        ).json()["items"]
        == []
    )


def test_it_keeps_handoff_notes_and_sets_the_owner(
    app_client: TestClient, crew: dict[str, Persona], schedule_id: int
) -> None:
    r = app_client.post(
        f"/api/v1/schedules/{schedule_id}/handoff-notes",
        json={"text": "Cache warmed, watch p99"},
        headers=crew["rita"].headers,
    )
    assert r.status_code == 201, r.text
    notes = app_client.get(
        f"/api/v1/schedules/{schedule_id}/handoff-notes", headers=crew["vic"].headers
    ).json()["items"]
    assert [(n["user"], n["text"]) for n in notes] == [("rita", "Cache warmed, watch p99")]

    r = app_client.patch(
        f"/api/v1/schedules/{schedule_id}", json={"owner": "cat"}, headers=crew["ada"].headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == "cat"
    refused = app_client.patch(
        f"/api/v1/schedules/{schedule_id}", json={"owner": "bob"}, headers=crew["rita"].headers
    )
    assert refused.status_code == 403
