"""Users, tokens and services (SPEC §3) on SQLite and PostgreSQL."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas

Json = dict[str, Any]


@pytest.fixture
def admin(people: Personas) -> dict[str, str]:
    return people.admin.headers


def _create_service(client: TestClient, headers: dict[str, str], **fields: Any) -> Json:
    r = client.post("/api/v1/services", json={"name": "checkout"} | fields, headers=headers)
    assert r.status_code == 201, r.text
    body: Json = r.json()
    return body


# --- users ---------------------------------------------------------------------------


def test_it_creates_a_user_with_the_spec_fields(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post(
        "/api/v1/users",
        json={
            "handle": "alice",
            "name": "Alice Doe",
            "email": "alice@example.com",
            "time_zone": "Europe/Paris",
            "role": "viewer",
            "contacts": ["mailto://alice@example.com", "json://hooks.example.com/a"],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["handle"] == "alice"
    assert user["name"] == "Alice Doe"
    assert user["email"] == "alice@example.com"
    assert user["time_zone"] == "Europe/Paris"
    assert user["role"] == "viewer"
    assert user["contacts"] == ["mailto://alice@example.com", "json://hooks.example.com/a"]
    assert app_client.get("/api/v1/users/alice", headers=admin).json() == user


def test_it_defaults_a_new_user_to_a_responder_in_utc(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post("/api/v1/users", json={"handle": "bob", "name": "Bob"}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "responder"
    assert r.json()["time_zone"] == "UTC"
    assert r.json()["contacts"] == []
    assert r.json()["email"] is None


def test_it_lists_users_by_handle(
    app_client: TestClient, admin: dict[str, str], people: Personas
) -> None:
    listed = app_client.get("/api/v1/users", headers=people.viewer.headers).json()
    assert [u["handle"] for u in listed["items"]] == ["ada", "rita", "vic"]
    assert listed["total"] == 3
    assert listed["next"] is None


def test_it_refuses_a_duplicate_handle_with_409(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post("/api/v1/users", json={"handle": "rita", "name": "Other"}, headers=admin)
    assert r.status_code == 409
    assert "rita" in r.json()["detail"]
    users = app_client.get("/api/v1/users", headers=admin).json()["items"]
    assert [u["name"] for u in users if u["handle"] == "rita"] == ["Rita"]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"handle": "Alice"}, "handle"),
        ({"handle": "a b"}, "handle"),
        ({"handle": ""}, "handle"),
        ({"handle": "a" * 65}, "handle"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"role": "owner"}, "role"),
        ({"contacts": ["alice@example.com"]}, "contacts.0"),
        ({"nickname": "al"}, "nickname"),
        ({"name": "A\x00"}, "name"),
    ],
)
def test_it_refuses_invalid_users_with_422_naming_the_field(
    fields: Json, where: str, app_client: TestClient, admin: dict[str, str]
) -> None:
    body = {"handle": "alice", "name": "Alice"} | fields
    r = app_client.post("/api/v1/users", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert where in [e["field"] for e in r.json()["errors"]]
    assert app_client.get("/api/v1/users", headers=admin).json()["total"] == 3


def test_it_answers_404_for_an_unknown_user(app_client: TestClient, admin: dict[str, str]) -> None:
    r = app_client.get("/api/v1/users/nobody", headers=admin)
    assert r.status_code == 404
    assert "nobody" in r.json()["detail"]


def test_it_tells_callers_who_they_are(app_client: TestClient, people: Personas) -> None:
    me = app_client.get("/api/v1/me", headers=people.responder.headers)
    assert me.status_code == 200
    assert me.json()["handle"] == "rita"
    assert me.json()["role"] == "responder"


# --- tokens --------------------------------------------------------------------------


def test_it_issues_a_working_token_shown_once(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    app_client.post("/api/v1/users", json={"handle": "bob", "name": "Bob"}, headers=admin)
    r = app_client.post("/api/v1/tokens", json={"user": "bob", "name": "laptop"}, headers=admin)
    assert r.status_code == 201, r.text
    token = r.json()
    assert token["user"] == "bob"
    assert token["role"] == "responder"
    assert token["name"] == "laptop"
    assert token["token"].startswith("wr_")
    assert token["token"].startswith(token["prefix"])
    me = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.json()["handle"] == "bob"


def test_it_refuses_a_token_for_an_unknown_user(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post("/api/v1/tokens", json={"user": "nobody"}, headers=admin)
    assert r.status_code == 404


# --- services ------------------------------------------------------------------------


def test_it_creates_a_service_with_an_integration_key(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    service = _create_service(app_client, admin, description="Takes payments", component="Payments")
    assert service["name"] == "checkout"
    assert service["description"] == "Takes payments"
    assert service["component"] == "Payments"
    assert service["integration_key"].startswith("wri_")
    assert len(service["integration_key"]) == 36
    other = _create_service(app_client, admin, name="search")
    assert other["integration_key"] != service["integration_key"]


def test_it_addresses_a_service_by_id_or_by_name(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    service = _create_service(app_client, admin)
    by_id = app_client.get(f"/api/v1/services/{service['id']}", headers=admin)
    by_name = app_client.get("/api/v1/services/checkout", headers=admin)
    assert by_id.status_code == by_name.status_code == 200
    # The key is in the answer to creating the service, and never again.
    assert by_id.json() == by_name.json() == service | {"integration_key": None}


@pytest.mark.parametrize("ref", ["nope", "99999", "99999999999999999999", "²", "٣", "a%00b"])
def test_it_answers_404_for_a_service_that_does_not_exist(
    ref: str, app_client: TestClient, admin: dict[str, str]
) -> None:
    _create_service(app_client, admin)
    r = app_client.get(f"/api/v1/services/{ref}", headers=admin)
    assert r.status_code == 404, r.text
    r = app_client.get(f"/api/v1/incidents?service={ref}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 0


def test_it_lists_services_by_name(app_client: TestClient, admin: dict[str, str]) -> None:
    _create_service(app_client, admin, name="search")
    _create_service(app_client, admin, name="checkout")
    listed = app_client.get("/api/v1/services", headers=admin).json()
    assert [s["name"] for s in listed["items"]] == ["checkout", "search"]
    assert listed["total"] == 2


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"name": "checkout"}, 409),
        ({"name": "12345"}, 409),
        ({"name": ""}, 422),
        ({"name": "-leading-dash"}, 422),
        ({"name": "x" * 101}, 422),
        ({"escalation": "x"}, 422),
    ],
)
def test_it_refuses_duplicate_numeric_or_invalid_service_names(
    fields: Json, status: int, app_client: TestClient, admin: dict[str, str]
) -> None:
    _create_service(app_client, admin)
    r = app_client.post("/api/v1/services", json=fields, headers=admin)
    assert r.status_code == status, r.text
    assert app_client.get("/api/v1/services", headers=admin).json()["total"] == 1


def test_it_renames_a_service_and_clears_its_component(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    service = _create_service(app_client, admin, component="Payments")
    r = app_client.patch(
        f"/api/v1/services/{service['id']}",
        json={"name": "payments", "description": "Card payments"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    renamed = r.json()
    assert renamed["name"] == "payments"
    assert renamed["description"] == "Card payments"
    assert renamed["component"] == "Payments"  # untouched when not sent
    assert app_client.get("/api/v1/services/checkout", headers=admin).status_code == 404
    cleared = app_client.patch(
        "/api/v1/services/payments", json={"component": ""}, headers=admin
    ).json()
    assert cleared["component"] is None


def test_it_refuses_renaming_a_service_onto_another(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    _create_service(app_client, admin)
    search = _create_service(app_client, admin, name="search")
    r = app_client.patch(
        f"/api/v1/services/{search['id']}", json={"name": "checkout"}, headers=admin
    )
    assert r.status_code == 409
    same = app_client.patch(
        f"/api/v1/services/{search['id']}", json={"name": "search"}, headers=admin
    )
    assert same.status_code == 200
    names = [s["name"] for s in app_client.get("/api/v1/services", headers=admin).json()["items"]]
    assert names == ["checkout", "search"]


def test_it_answers_404_when_patching_a_missing_service(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.patch("/api/v1/services/nope", json={"description": "x"}, headers=admin)
    assert r.status_code == 404
