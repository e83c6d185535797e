"""Status-page components and groups over the API: admins configure, viewers read,
outsiders get nothing; bad input is a 4xx that says what to fix and writes nothing; a
service names its component (SPEC §3). SQLite and PostgreSQL."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.statuspage.revision import current

Json = dict[str, Any]
API = "/api/v1/components"
GROUPS = "/api/v1/component-groups"


@pytest.fixture
def admin(people: Personas) -> dict[str, str]:
    return people.admin.headers


def create(client: TestClient, admin: dict[str, str], **fields: Any) -> Json:
    r = client.post(API, json={"name": "Checkout"} | fields, headers=admin)
    assert r.status_code == 201, r.text
    body: Json = r.json()
    return body


def names(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [c["name"] for c in client.get(API, headers=headers).json()["items"]]


def revision(client: TestClient, headers: dict[str, str]) -> int:
    db = client.app.state.ctx.db  # type: ignore[attr-defined]
    with db.read() as session:
        return current(session)


# --- create, read ----------------------------------------------------------------------


def test_it_creates_a_component_with_a_public_code_and_reads_it_back(
    app_client: TestClient, admin: dict[str, str], people: Personas, clock: FakeClock
) -> None:
    before = revision(app_client, admin)
    c = create(app_client, admin, description="Card payments and orders")
    assert c["name"] == "Checkout"
    assert c["description"] == "Card payments and orders"
    assert c["group"] is None
    assert c["public"] is True
    assert c["status"] == c["manual_status"] == "operational"
    assert c["services"] == []
    # The public id is random, 12 lowercase characters, and never the row number.
    assert len(c["code"]) == 12
    assert c["code"].isalnum()
    assert c["code"].islower()
    assert c["code"] != str(c["id"])
    assert revision(app_client, admin) > before
    # By id, by name and by code, for any signed-in reader.
    for ref in (c["id"], "Checkout", c["code"]):
        r = app_client.get(f"{API}/{ref}", headers=people.viewer.headers)
        assert r.status_code == 200, r.text
        assert r.json() == c


def test_it_lists_components_in_position_order_with_the_list_shape(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    create(app_client, admin, name="Search", position=2)
    create(app_client, admin, name="API", position=0)
    create(app_client, admin, name="Web", position=1)
    listed = app_client.get(f"{API}?limit=2", headers=admin).json()
    assert [c["name"] for c in listed["items"]] == ["API", "Web"]
    assert listed["total"] == 3
    rest = app_client.get(f"{API}?limit=2&cursor={listed['next']}", headers=admin).json()
    assert [c["name"] for c in rest["items"]] == ["Search"]
    assert rest["next"] is None


def test_it_puts_a_new_component_after_the_others_when_no_position_is_given(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    first = create(app_client, admin, name="A")
    second = create(app_client, admin, name="B")
    assert second["position"] == first["position"] + 1


def test_it_sets_a_status_by_hand_and_keeps_it_in_the_component_history(
    app_client: TestClient, admin: dict[str, str], clock: FakeClock
) -> None:
    c = create(app_client, admin)
    clock.advance(minutes=5)
    r = app_client.patch(
        f"{API}/Checkout", json={"manual_status": "degraded_performance"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == r.json()["manual_status"] == "degraded_performance"
    assert r.json()["status_changed_at"] != c["status_changed_at"]
    clock.advance(minutes=5)
    app_client.patch(f"{API}/Checkout", json={"manual_status": "operational"}, headers=admin)
    history = app_client.get(f"{API}/Checkout/history", headers=admin).json()["items"]
    assert [h["status"] for h in history] == ["operational", "degraded_performance"]


def test_it_creates_a_component_already_in_a_hand_set_status(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    c = create(app_client, admin, manual_status="under_maintenance")
    assert c["status"] == "under_maintenance"
    history = app_client.get(f"{API}/{c['id']}/history", headers=admin).json()["items"]
    assert [h["status"] for h in history] == ["under_maintenance"]


def test_it_renames_regroups_hides_and_reorders_a_component(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    c = create(app_client, admin)
    r = app_client.post(GROUPS, json={"name": "Payments"}, headers=admin)
    assert r.status_code == 201, r.text
    r = app_client.patch(
        f"{API}/{c['id']}",
        json={"name": "Checkout API", "group": "Payments", "public": False, "position": 7},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["name"], changed["group"], changed["public"], changed["position"]) == (
        "Checkout API",
        "Payments",
        False,
        7,
    )
    assert changed["code"] == c["code"]  # the public id survives a rename
    group = app_client.get(f"{GROUPS}/Payments", headers=admin).json()
    assert group["components"] == ["Checkout API"]
    # Fields not sent stay; an explicit null group takes it out of its group.
    out = app_client.patch(f"{API}/{c['id']}", json={"group": None}, headers=admin).json()
    assert out["group"] is None
    assert out["name"] == "Checkout API"
    assert out["public"] is False


def test_it_deletes_a_component_and_its_services_stay_without_one(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post(
        "/api/v1/services", json={"name": "checkout", "component": "Checkout"}, headers=admin
    )
    assert r.status_code == 201, r.text
    r = app_client.delete(f"{API}/Checkout", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["services"] == ["checkout"]
    assert app_client.get(f"{API}/Checkout", headers=admin).status_code == 404
    service = app_client.get("/api/v1/services/checkout", headers=admin).json()
    assert (service["component"], service["component_status"]) == (None, None)


def test_it_manages_groups_and_deleting_one_keeps_its_components(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post(GROUPS, json={"name": "Core", "description": "What we sell"}, headers=admin)
    assert r.status_code == 201, r.text
    g = r.json()
    assert len(g["code"]) == 12
    assert g["components"] == []
    create(app_client, admin, name="API", group="Core")
    r = app_client.patch(f"{GROUPS}/{g['id']}", json={"name": "Platform"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Platform"
    assert r.json()["components"] == ["API"]
    listed = app_client.get(GROUPS, headers=admin).json()
    assert listed["total"] == 1
    assert listed["items"][0]["name"] == "Platform"
    r = app_client.delete(f"{GROUPS}/Platform", headers=admin)
    assert r.status_code == 200, r.text
    assert app_client.get(f"{API}/API", headers=admin).json()["group"] is None
    assert app_client.get(GROUPS, headers=admin).json()["total"] == 0


# --- conflicts and validation ---------------------------------------------------------


def test_it_refuses_a_second_component_or_group_of_the_same_name(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    create(app_client, admin)
    r = app_client.post(API, json={"name": "Checkout"}, headers=admin)
    assert r.status_code == 409
    assert "a component named 'Checkout' already exists" in r.json()["detail"]
    other = create(app_client, admin, name="Search")
    r = app_client.patch(f"{API}/{other['id']}", json={"name": "Checkout"}, headers=admin)
    assert r.status_code == 409
    app_client.post(GROUPS, json={"name": "Core"}, headers=admin)
    r = app_client.post(GROUPS, json={"name": "Core"}, headers=admin)
    assert r.status_code == 409
    assert "already exists" in r.json()["detail"]
    assert names(app_client, admin) == ["Checkout", "Search"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"name": ""}, 422, "name"),
        ({"name": "x" * 101}, 422, "name"),
        ({"name": "bad\nname"}, 422, "name"),
        ({"name": "123"}, 409, "digits"),
        ({"name": "A", "manual_status": "on fire"}, 422, "manual_status"),
        ({"name": "A", "position": -1}, 422, "position"),
        ({"name": "A", "description": "d" * 2001}, 422, "description"),
        ({"name": "A", "group": "Nope"}, 422, "no component group named 'Nope'"),
        ({"name": "A", "colour": "red"}, 422, "colour"),
        ({"name": "A", "public": "perhaps"}, 422, "public"),
    ],
)
def test_it_refuses_bad_components_saying_what_to_fix_and_writes_nothing(
    body: Json, status: int, says: str, app_client: TestClient, admin: dict[str, str]
) -> None:
    before = revision(app_client, admin)
    r = app_client.post(API, json=body, headers=admin)
    assert r.status_code == status, r.text
    assert says in r.text
    assert names(app_client, admin) == []
    assert revision(app_client, admin) == before


def test_it_refuses_a_bad_patch_and_leaves_the_component_as_it_was(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    c = create(app_client, admin)
    for body in (
        {"manual_status": "sideways"},
        {"group": "Missing"},
        {"name": ""},
        {"position": 100_001},
    ):
        r = app_client.patch(f"{API}/{c['id']}", json=body, headers=admin)
        assert 400 <= r.status_code < 500, (body, r.text)
    assert app_client.get(f"{API}/{c['id']}", headers=admin).json() == c


def test_it_answers_404_for_a_component_or_group_that_does_not_exist(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    for method, path in (
        ("GET", f"{API}/nope"),
        ("PATCH", f"{API}/99999"),
        ("DELETE", f"{API}/nope"),
        ("GET", f"{API}/nope/history"),
        ("GET", f"{GROUPS}/nope"),
        ("PATCH", f"{GROUPS}/nope"),
        ("DELETE", f"{GROUPS}/nope"),
    ):
        r = app_client.request(method, path, json={} if method == "PATCH" else None, headers=admin)
        assert r.status_code == 404, (method, path, r.text)
        assert "nope" in r.json()["detail"] or "99999" in r.json()["detail"]


# --- who may do what -------------------------------------------------------------------


def test_it_lets_viewers_read_and_only_admins_write(
    app_client: TestClient, admin: dict[str, str], people: Personas
) -> None:
    c = create(app_client, admin)
    app_client.post(GROUPS, json={"name": "Core"}, headers=admin)
    for persona in (people.viewer, people.responder):
        h = persona.headers
        assert app_client.get(API, headers=h).status_code == 200
        assert app_client.get(f"{API}/{c['id']}", headers=h).status_code == 200
        assert app_client.get(f"{API}/{c['id']}/history", headers=h).status_code == 200
        assert app_client.get(GROUPS, headers=h).status_code == 200
        writes = [
            app_client.post(API, json={"name": "Other"}, headers=h),
            app_client.patch(f"{API}/{c['id']}", json={"manual_status": "major_outage"}, headers=h),
            app_client.delete(f"{API}/{c['id']}", headers=h),
            app_client.post(GROUPS, json={"name": "G"}, headers=h),
            app_client.patch(f"{GROUPS}/Core", json={"name": "H"}, headers=h),
            app_client.delete(f"{GROUPS}/Core", headers=h),
        ]
        assert [w.status_code for w in writes] == [403] * 6
    for h in (people.outsider.headers, {}):
        assert app_client.get(API, headers=h).status_code == 401
        assert app_client.get(GROUPS, headers=h).status_code == 401
        assert app_client.post(API, json={"name": "X"}, headers=h).status_code == 401
    assert app_client.get(f"{API}/{c['id']}", headers=admin).json() == c
    assert names(app_client, admin) == ["Checkout"]


def test_it_describes_every_component_operation_in_the_served_openapi(
    app_client: TestClient,
) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/components"]) >= {"get", "post"}
    assert set(paths["/api/v1/components/{component}"]) >= {"get", "patch", "delete"}
    assert set(paths["/api/v1/component-groups"]) >= {"get", "post"}
    assert set(paths["/api/v1/component-groups/{group}"]) >= {"get", "patch", "delete"}
    assert "get" in paths["/api/v1/components/{component}/history"]


# --- services name their component (SPEC §3) -----------------------------------------


def test_it_makes_a_public_component_for_a_service_that_names_a_new_one(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post(
        "/api/v1/services", json={"name": "payments", "component": "Payments"}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert (r.json()["component"], r.json()["component_status"]) == ("Payments", "operational")
    c = app_client.get(f"{API}/Payments", headers=admin).json()
    assert c["public"] is True
    assert c["services"] == ["payments"]


def test_it_links_services_to_an_existing_component_by_name(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    create(app_client, admin, manual_status="partial_outage", public=False)
    for name in ("checkout-api", "checkout-web"):
        r = app_client.post(
            "/api/v1/services", json={"name": name, "component": "Checkout"}, headers=admin
        )
        assert r.status_code == 201, r.text
        assert r.json()["component_status"] == "partial_outage"
    c = app_client.get(f"{API}/Checkout", headers=admin).json()
    assert c["services"] == ["checkout-api", "checkout-web"]
    assert c["public"] is False  # linking does not change the component
    assert names(app_client, admin) == ["Checkout"]


def test_it_changes_and_clears_a_services_component_with_patch(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    app_client.post(
        "/api/v1/services", json={"name": "checkout", "component": "Checkout"}, headers=admin
    )
    r = app_client.patch(
        "/api/v1/services/checkout", json={"component": "Storefront"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["component"] == "Storefront"
    assert app_client.get(f"{API}/Checkout", headers=admin).json()["services"] == []
    r = app_client.patch("/api/v1/services/checkout", json={"component": None}, headers=admin)
    assert (r.json()["component"], r.json()["component_status"]) == (None, None)
    assert app_client.get(f"{API}/Storefront", headers=admin).json()["services"] == []
    # A service without a component, from the start.
    r = app_client.post("/api/v1/services", json={"name": "search"}, headers=admin)
    assert (r.json()["component"], r.json()["component_status"]) == (None, None)


def test_it_refuses_a_service_component_name_with_control_characters(
    app_client: TestClient, admin: dict[str, str]
) -> None:
    r = app_client.post(
        "/api/v1/services", json={"name": "checkout", "component": "bad\tname"}, headers=admin
    )
    assert r.status_code == 422
    assert "component" in r.text
    assert names(app_client, admin) == []
