"""Tokens (mint, list, revoke, expiry, last use), browser sessions, and what a viewer
may see of other people."""

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.users.models import ApiToken

TOKENS = "/api/v1/tokens"


def test_it_never_lets_a_narrowed_token_mint_a_wider_one(
    app_client: TestClient, people: Personas
) -> None:
    narrowed = app_client.post(TOKENS, json={"role": "viewer"}, headers=people.admin.headers)
    assert narrowed.status_code == 201
    h = {"Authorization": f"Bearer {narrowed.json()['token']}"}
    unnamed = app_client.post(TOKENS, json={}, headers=h)
    assert unnamed.status_code == 201
    assert unnamed.json()["role"] == "viewer"
    assert app_client.post(TOKENS, json={"role": "admin"}, headers=h).status_code == 403


def test_it_revokes_a_token_so_it_stops_working_at_once(
    app_client: TestClient, people: Personas
) -> None:
    made = app_client.post(TOKENS, json={"name": "ci"}, headers=people.responder.headers).json()
    h = {"Authorization": f"Bearer {made['token']}"}
    assert app_client.get("/api/v1/me", headers=h).status_code == 200
    listed = app_client.get(TOKENS, headers=people.responder.headers).json()["items"]
    assert made["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)  # secrets are shown once, at creation
    r = app_client.delete(f"{TOKENS}/{made['id']}", headers=people.responder.headers)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    assert app_client.get("/api/v1/me", headers=h).status_code == 401


def test_it_hides_other_peoples_tokens_from_a_non_admin(
    app_client: TestClient, people: Personas
) -> None:
    theirs = app_client.post(TOKENS, json={}, headers=people.responder.headers).json()
    assert (
        app_client.delete(f"{TOKENS}/{theirs['id']}", headers=people.viewer.headers).status_code
        == 404
    )
    assert app_client.get(f"{TOKENS}?user=rita", headers=people.viewer.headers).status_code == 403
    assert app_client.get(f"{TOKENS}?user=rita", headers=people.admin.headers).status_code == 200


def test_it_records_when_a_token_was_last_used(
    app_client: TestClient, people: Personas, clock: FakeClock
) -> None:
    app_client.get("/api/v1/me", headers=people.viewer.headers)
    mine = app_client.get(TOKENS, headers=people.viewer.headers).json()["items"]
    assert mine[0]["last_used_at"] is not None


def test_it_shows_contact_urls_only_to_admins_and_their_owner(
    app_client: TestClient, people: Personas
) -> None:
    secret_url = "slack://T000/B000/XXXXsecret"
    r = app_client.post(
        "/api/v1/users",
        json={"handle": "sam", "name": "Sam", "contacts": [secret_url]},
        headers=people.admin.headers,
    )
    assert r.status_code == 201
    as_viewer = app_client.get("/api/v1/users/sam", headers=people.viewer.headers).json()
    assert as_viewer["contacts"] is None
    listed = app_client.get("/api/v1/users", headers=people.viewer.headers).text
    assert secret_url not in listed
    as_admin = app_client.get("/api/v1/users/sam", headers=people.admin.headers).json()
    assert as_admin["contacts"] == [secret_url]


def test_it_pages_users_by_handle(app_client: TestClient, people: Personas) -> None:
    first = app_client.get("/api/v1/users?limit=2", headers=people.viewer.headers).json()
    assert [u["handle"] for u in first["items"]] == ["ada", "rita"]
    assert first["total"] == 3
    rest = app_client.get(
        f"/api/v1/users?limit=2&cursor={first['next']}", headers=people.viewer.headers
    ).json()
    assert [u["handle"] for u in rest["items"]] == ["vic"]
    assert rest["next"] is None


def test_it_refuses_a_service_name_that_could_not_be_used_in_a_path(
    app_client: TestClient, people: Personas
) -> None:
    r = app_client.post(
        "/api/v1/services", json={"name": "eu/checkout"}, headers=people.admin.headers
    )
    assert r.status_code == 422


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found
    return found.group(1)


def test_it_signs_a_browser_in_with_a_session_token_of_its_own_and_revokes_it_on_sign_out(
    app_client: TestClient, people: Personas, db: Database
) -> None:
    r = app_client.post("/login", data={"token": people.responder.token}, follow_redirects=False)
    assert r.status_code == 303
    cookie = app_client.cookies.get("warroom_token")
    assert cookie
    assert cookie != people.responder.token
    with db.read() as session:
        row: Any = session.scalar(select(ApiToken).where(ApiToken.name == "web sign-in"))
        assert row is not None
        assert row.expires_at is not None
    page = app_client.get("/incidents")
    app_client.post("/logout", data={"csrf": _csrf(page.text)}, follow_redirects=False)
    gone = {"Authorization": f"Bearer {cookie}"}
    assert app_client.get("/api/v1/me", headers=gone).status_code == 401
    # The token the person pasted still works for their scripts.
    assert app_client.get("/api/v1/me", headers=people.responder.headers).status_code == 200


def test_it_refuses_a_sign_in_posted_from_another_site(
    app_client: TestClient, people: Personas
) -> None:
    r = app_client.post(
        "/login",
        data={"token": people.responder.token},
        headers={"sec-fetch-site": "cross-site"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "warroom_token" not in app_client.cookies


def test_it_expires_a_browser_session(
    app_client: TestClient, people: Personas, clock: FakeClock
) -> None:
    app_client.post("/login", data={"token": people.responder.token}, follow_redirects=False)
    assert app_client.get("/incidents", follow_redirects=False).status_code == 200
    clock.advance(days=15)
    r = app_client.get("/incidents", follow_redirects=False)
    assert r.status_code in (302, 303, 307)
    assert "/login" in r.headers["location"]
