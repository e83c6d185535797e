"""The escalation-policy API on SQLite and PostgreSQL: policies with their planned
timing, targets that must exist, and services that page through a policy."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.users.actions import do_create_user
from warroom.users.models import UserRole

URL = "/api/v1/escalation-policies"
PEOPLE = {"ann": "Ann", "bob": "Bob", "lena": "Lena (team lead)", "dora": "Dora (director)"}
PEOPLE["vera"] = "Vera (VP of engineering)"


def demo_policy(name: str = "checkout-oncall", repeat: int = 0) -> dict[str, Any]:
    """The reference policy: primary on call (5 min), then secondary on call and the team
    lead (10 min), then the director and the VP of engineering (15 min)."""
    return {
        "name": name,
        "repeat": repeat,
        "levels": [
            {"delay_minutes": 5, "targets": [{"schedule": "primary"}]},
            {"delay_minutes": 10, "targets": [{"schedule": "secondary"}, {"user": "lena"}]},
            {"delay_minutes": 15, "targets": [{"user": "dora"}, {"user": "vera"}]},
        ],
    }


def schedule_body(name: str, users: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "time_zone": "Europe/Berlin",
        "layers": [
            {
                "name": "weekly",
                "users": users,
                "rotation_start": "2026-01-05T09:00",
                "turn_length_hours": "weekly",
            }
        ],
    }


@pytest.fixture
def org(app_client: TestClient, db: Database, clock: FakeClock, people: Personas) -> Personas:
    with db.write() as session:
        for handle, name in PEOPLE.items():
            do_create_user(
                session, handle=handle, name=name, role=UserRole.RESPONDER, now=clock.now()
            )
    for name, users in (("primary", ["ann", "bob"]), ("secondary", ["bob", "ann"])):
        r = app_client.post(
            "/api/v1/schedules", json=schedule_body(name, users), headers=people.admin.headers
        )
        assert r.status_code == 201, r.text
    return people


@pytest.fixture
def policy(app_client: TestClient, org: Personas) -> dict[str, Any]:
    r = app_client.post(URL, json=demo_policy(), headers=org.admin.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def timing(body: dict[str, Any]) -> list[tuple[int, int, float]]:
    return [(p["loop"], p["level"], p["at_minutes"]) for p in body["timeline"]]


def test_it_stores_the_demo_policy_and_previews_when_each_level_is_paged(
    app_client: TestClient, org: Personas, policy: dict[str, Any]
) -> None:
    assert policy["name"] == "checkout-oncall"
    assert policy["repeat"] == 0
    assert policy["levels"] == [
        {"delay_minutes": 5, "targets": [{"schedule": "primary"}]},
        {"delay_minutes": 10, "targets": [{"schedule": "secondary"}, {"user": "lena"}]},
        {"delay_minutes": 15, "targets": [{"user": "dora"}, {"user": "vera"}]},
    ]
    assert timing(policy) == [(1, 1, 0), (1, 2, 5), (1, 3, 15)]
    assert policy["timeline"][1]["targets"] == [{"schedule": "secondary"}, {"user": "lena"}]
    assert policy["services"] == []

    # Repeating once: the last level's 15 minutes pass, then the levels start over.
    r = app_client.put(
        f"{URL}/checkout-oncall", json=demo_policy(repeat=1), headers=org.admin.headers
    )
    assert r.status_code == 200, r.text
    assert [m for _, _, m in timing(r.json())] == [0, 5, 15, 30, 35, 45]
    assert [(loop, level) for loop, level, _ in timing(r.json())][3:] == [(2, 1), (2, 2), (2, 3)]


def test_it_takes_fractional_delays_and_caps_the_preview(
    app_client: TestClient, org: Personas
) -> None:
    body = {
        "name": "fast",
        "repeat": 10,
        "levels": [{"delay_minutes": 0.5, "targets": [{"user": "ann"}]}] * 20,
    }
    r = app_client.post(URL, json=body, headers=org.admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["levels"][0]["delay_minutes"] == 0.5
    assert len(r.json()["timeline"]) == 50
    assert [m for _, _, m in timing(r.json())][:4] == [0, 0.5, 1, 1.5]
    assert r.json()["timeline"][-1] == {
        "loop": 3,
        "level": 10,
        "at_minutes": 24.5,
        "targets": [{"user": "ann"}],
    }


def test_it_gets_lists_renames_and_deletes_policies(
    app_client: TestClient, org: Personas, policy: dict[str, Any], db: Database
) -> None:
    h = org.admin.headers
    by_id = app_client.get(f"{URL}/{policy['id']}", headers=org.viewer.headers)
    assert by_id.status_code == 200
    assert by_id.json() == policy
    other = app_client.post(URL, json=demo_policy("analytics"), headers=h)
    assert other.status_code == 201
    listed = app_client.get(URL, headers=org.viewer.headers).json()
    assert [p["name"] for p in listed["items"]] == ["analytics", "checkout-oncall"]
    assert (listed["total"], listed["next"]) == (2, None)
    first = app_client.get(URL, params={"limit": 1}, headers=h).json()
    second = app_client.get(URL, params={"limit": 1, "cursor": first["next"]}, headers=h).json()
    assert [p["name"] for p in first["items"] + second["items"]] == ["analytics", "checkout-oncall"]

    renamed = demo_policy("payments-oncall")
    renamed["description"] = "pages payments"
    r = app_client.put(f"{URL}/{policy['id']}", json=renamed, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["description"]) == (policy["id"], "pages payments")
    assert app_client.get(f"{URL}/checkout-oncall", headers=h).status_code == 404
    taken = app_client.put(f"{URL}/payments-oncall", json=demo_policy("analytics"), headers=h)
    assert taken.status_code == 409
    assert "analytics" in taken.text
    again = app_client.post(URL, json=demo_policy("analytics"), headers=h)
    assert again.status_code == 409

    gone = app_client.delete(f"{URL}/payments-oncall", headers=h)
    assert gone.status_code == 200
    assert gone.json()["name"] == "payments-oncall"
    assert app_client.get(f"{URL}/payments-oncall", headers=h).status_code == 404
    assert app_client.delete(f"{URL}/payments-oncall", headers=h).status_code == 404
    assert count(db, "escalation_policies") == 1


def test_it_refuses_targets_that_name_nobody(
    app_client: TestClient, org: Personas, db: Database
) -> None:
    body = demo_policy()
    body["levels"][1]["targets"] = [{"schedule": "tertiary"}, {"user": "zed"}, {"user": "lena"}]
    body["levels"][2]["targets"].append({"user": "amy"})
    r = app_client.post(URL, json=body, headers=org.admin.headers)
    assert r.status_code == 422, r.text
    assert "no such user: amy, zed" in r.text
    assert "no such schedule: tertiary" in r.text
    assert count(db, "escalation_policies") == 0


def _with_level(**level: Any) -> dict[str, Any]:
    body = demo_policy()
    body["levels"][0] = {"delay_minutes": 5, "targets": [{"user": "ann"}], **level}
    return body


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_with_level(delay_minutes=-1), "greater than or equal to 0"),
        (_with_level(delay_minutes=10081), "less than or equal to 10080"),
        (_with_level(delay_minutes=True), "delay_minutes"),
        (_with_level(delay_minutes="5"), "delay_minutes"),
        (_with_level(targets=[]), "at least 1"),
        (_with_level(targets=[{}]), "exactly one key"),
        (_with_level(targets=[{"user": "ann", "schedule": "primary"}]), "exactly one key"),
        (_with_level(targets=[{"team": "sre"}]), "team"),
        (_with_level(paging="loud"), "paging"),
        ({**demo_policy(), "repeat": 11}, "less than or equal to 10"),
        ({**demo_policy(), "repeat": -1}, "greater than or equal to 0"),
        ({**demo_policy(), "repeat": 1.5}, "repeat"),
        ({**demo_policy(), "levels": []}, "at least 1"),
        ({**demo_policy(), "name": ""}, "name"),
        ({**demo_policy(), "owner": "ann"}, "owner"),
        ({"name": "x", "repeat": 0}, "levels"),
    ],
)
def test_it_refuses_bad_policies_and_writes_nothing(
    app_client: TestClient, org: Personas, db: Database, body: dict[str, Any], words: str
) -> None:
    r = app_client.post(URL, json=body, headers=org.admin.headers)
    assert r.status_code == 422, r.text
    assert words in r.text
    assert count(db, "escalation_policies") == 0


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_it_refuses_delays_that_are_not_finite(
    app_client: TestClient, org: Personas, db: Database, raw: str
) -> None:
    body = json.dumps(demo_policy()).replace('"delay_minutes": 5', f'"delay_minutes": {raw}')
    r = app_client.post(
        URL,
        content=body,
        headers={**org.admin.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert "delay_minutes" in r.text
    assert count(db, "escalation_policies") == 0


def test_it_refuses_a_name_of_only_digits(app_client: TestClient, org: Personas) -> None:
    r = app_client.post(URL, json=demo_policy("42"), headers=org.admin.headers)
    assert r.status_code == 409
    assert "digits" in r.text


def test_it_links_services_to_a_policy_by_name(
    app_client: TestClient, org: Personas, policy: dict[str, Any], db: Database
) -> None:
    h = org.admin.headers
    made = app_client.post(
        "/api/v1/services",
        json={"name": "checkout", "escalation_policy": "checkout-oncall"},
        headers=h,
    )
    assert made.status_code == 201, made.text
    assert made.json()["escalation_policy"] == "checkout-oncall"
    plain = app_client.post("/api/v1/services", json={"name": "search"}, headers=h)
    assert plain.json()["escalation_policy"] is None

    unknown = app_client.post(
        "/api/v1/services", json={"name": "cart", "escalation_policy": "nope"}, headers=h
    )
    assert unknown.status_code == 422
    assert "no such escalation policy: nope" in unknown.text
    assert count(db, "services") == 2
    bad_patch = app_client.patch(
        "/api/v1/services/search", json={"escalation_policy": "nope"}, headers=h
    )
    assert bad_patch.status_code == 422

    linked = app_client.patch(
        "/api/v1/services/search", json={"escalation_policy": "checkout-oncall"}, headers=h
    )
    assert linked.json()["escalation_policy"] == "checkout-oncall"
    shown = app_client.get(f"{URL}/checkout-oncall", headers=org.viewer.headers).json()
    assert shown["services"] == ["checkout", "search"]

    # Renaming the policy keeps its services; a PATCH without the field leaves it alone.
    r = app_client.put(f"{URL}/checkout-oncall", json=demo_policy("shop-oncall"), headers=h)
    assert r.status_code == 200
    kept = app_client.patch("/api/v1/services/checkout", json={"description": "cart"}, headers=h)
    assert kept.json()["escalation_policy"] == "shop-oncall"
    listed = app_client.get("/api/v1/services", headers=org.viewer.headers).json()["items"]
    assert {s["name"]: s["escalation_policy"] for s in listed} == {
        "checkout": "shop-oncall",
        "search": "shop-oncall",
    }

    # An explicit null detaches the policy.
    detached = app_client.patch(
        "/api/v1/services/search", json={"escalation_policy": None}, headers=h
    )
    assert detached.status_code == 200
    assert detached.json()["escalation_policy"] is None


def test_it_refuses_to_delete_a_policy_a_service_uses(
    app_client: TestClient, org: Personas, policy: dict[str, Any], db: Database
) -> None:
    h = org.admin.headers
    for name in ("checkout", "payments"):
        r = app_client.post(
            "/api/v1/services", json={"name": name, "escalation_policy": policy["name"]}, headers=h
        )
        assert r.status_code == 201
    refused = app_client.delete(f"{URL}/{policy['id']}", headers=h)
    assert refused.status_code == 409
    assert "checkout, payments" in refused.text
    assert count(db, "escalation_policies") == 1

    for name in ("checkout", "payments"):
        app_client.patch(f"/api/v1/services/{name}", json={"escalation_policy": None}, headers=h)
    assert app_client.delete(f"{URL}/{policy['id']}", headers=h).status_code == 200
    assert count(db, "escalation_policies") == 0


def test_it_lets_everyone_read_and_only_admins_write(
    app_client: TestClient, org: Personas, policy: dict[str, Any], db: Database
) -> None:
    for persona in (org.viewer, org.responder):
        assert app_client.get(URL, headers=persona.headers).status_code == 200
        assert app_client.get(f"{URL}/checkout-oncall", headers=persona.headers).status_code == 200
        writes = [
            app_client.post(URL, json=demo_policy("mine"), headers=persona.headers),
            app_client.put(
                f"{URL}/checkout-oncall", json=demo_policy(repeat=2), headers=persona.headers
            ),
            app_client.delete(f"{URL}/checkout-oncall", headers=persona.headers),
        ]
        assert [w.status_code for w in writes] == [403, 403, 403]
    assert app_client.get(URL).status_code == 401
    assert app_client.get(URL, headers=org.outsider.headers).status_code == 401
    unchanged = app_client.get(f"{URL}/checkout-oncall", headers=org.admin.headers).json()
    assert unchanged == policy
    assert count(db, "escalation_policies") == 1
