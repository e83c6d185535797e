"""The generic JSON webhook as docs/integrations.md documents it, in-process on SQLite and
PostgreSQL: one event or a batch, dedup and group keys, acknowledge and resolve, and
every documented refusal storing nothing."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Personas
from tests.integrations.test_alertmanager_payloads import Warroom, open_warroom
from warroom.clock import FakeClock
from warroom.db.session import Database


@pytest.fixture
def hook(db: Database, clock: FakeClock, people: Personas) -> Iterator[Warroom]:
    yield from open_warroom(db, clock, people)


def send(warroom: Warroom, body: Any, *, expect: int = 202) -> dict[str, Any]:
    r = warroom.post(f"/integrations/webhook/{warroom.key}", body)
    assert r.status_code == expect, r.text
    answer: dict[str, Any] = r.json()
    return answer


def event(**fields: Any) -> dict[str, Any]:
    return {"summary": "Disk 95% full on db-1", **fields}


def test_it_opens_an_incident_and_returns_a_generated_dedup_key(hook: Warroom) -> None:
    answer = send(hook, event(severity="critical", source="db-1"))
    assert answer["status"] == "accepted"
    [result] = answer["results"]
    assert result["outcome"] == "opened"
    assert len(result["dedup_key"]) == 32
    [incident] = hook.incidents()
    assert result["incident_id"] == incident["id"]
    assert (incident["title"], incident["severity"]) == ("Disk 95% full on db-1", "SEV-1")
    [alert] = hook.alerts()
    assert (alert["source"], alert["source_name"], alert["severity"]) == (
        "webhook",
        "db-1",
        "critical",
    )


def test_it_keeps_every_documented_field(hook: Warroom) -> None:
    full = event(
        action="trigger",
        dedup_key="disk-db-1",
        group_key="disk",
        severity="warning",
        source="db-1",
        started_at="2026-01-05T10:50:00+02:00",
        labels={"team": "storage", "region": "eu"},
        details={"free_bytes": 1024, "mounts": ["/", "/var"]},
        links=[
            {"href": "https://grafana.example/d/disk", "text": "Dashboard"},
            {"href": "https://x.example"},
        ],
    )
    [result] = send(hook, full)["results"]
    assert result["dedup_key"] == "disk-db-1"
    [alert] = hook.alerts()
    assert alert["incident_key"] == "disk"
    assert alert["started_at"].startswith("2026-01-05T08:50:00")
    assert alert["labels"] == {"team": "storage", "region": "eu"}
    assert alert["details"] == {"free_bytes": 1024, "mounts": ["/", "/var"]}
    assert alert["links"] == [
        {"href": "https://grafana.example/d/disk", "text": "Dashboard"},
        {"href": "https://x.example", "text": "https://x.example"},
    ]
    assert hook.incidents()[0]["severity"] == "SEV-3"


def test_it_groups_alerts_sharing_a_group_key_in_one_batch(hook: Warroom) -> None:
    batch = {
        "events": [
            event(dedup_key="disk-db-1", group_key="storage"),
            event(dedup_key="disk-db-2", group_key="storage", summary="Disk full on db-2"),
            event(dedup_key="cpu-web-1", summary="CPU high on web-1"),
        ]
    }
    results = send(hook, batch)["results"]
    assert [r["outcome"] for r in results] == ["opened", "attached", "opened"]
    assert results[0]["incident_id"] == results[1]["incident_id"] != results[2]["incident_id"]
    assert len(hook.incidents()) == 2


def test_it_changes_nothing_when_the_same_event_comes_again(hook: Warroom) -> None:
    send(hook, event(dedup_key="disk-db-1"))
    [incident] = hook.incidents()
    timeline = hook.timeline(incident["id"])
    assert send(hook, event(dedup_key="disk-db-1"))["results"][0]["outcome"] == "unchanged"
    assert hook.timeline(incident["id"]) == timeline
    assert hook.alerts()[0]["event_count"] == 1
    changed = send(hook, event(dedup_key="disk-db-1", summary="Disk 99% full on db-1"))
    assert changed["results"][0]["outcome"] == "deduplicated"


def test_it_acknowledges_and_resolves_by_dedup_key(hook: Warroom) -> None:
    send(hook, event(dedup_key="disk-db-1"))
    ack = send(hook, {"action": "acknowledge", "dedup_key": "disk-db-1"})
    assert ack["results"][0]["outcome"] == "acknowledged"
    assert hook.incidents()[0]["status"] == "acknowledged"
    resolve = send(hook, {"action": "resolve", "dedup_key": "disk-db-1"})
    assert resolve["results"][0]["outcome"] == "resolved"
    assert hook.incidents()[0]["status"] == "resolved"
    again = send(hook, {"action": "resolve", "dedup_key": "disk-db-1"})
    assert again["results"] == [
        {"dedup_key": "disk-db-1", "outcome": "ignored", "incident_id": None}
    ]


def test_it_takes_the_key_as_a_bearer_token(hook: Warroom) -> None:
    r = hook.post("/integrations/webhook", event(), headers={"Authorization": f"Bearer {hook.key}"})
    assert r.status_code == 202, r.text
    assert hook.stored() == (1, 1)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/integrations/webhook/wri_unknown", {}),
        ("/integrations/webhook", {}),
        ("/integrations/webhook", {"Authorization": "Token abc"}),
        ("/integrations/webhook", {"Authorization": "Bearer wri_unknown"}),
    ],
)
def test_it_refuses_a_missing_or_unknown_key(
    hook: Warroom, path: str, headers: dict[str, str]
) -> None:
    r = hook.post(path, event(), headers=headers)
    assert r.status_code == 401, r.text
    assert r.json()["status"] == "unauthorized"
    assert "Bearer" in r.headers["WWW-Authenticate"]
    assert hook.stored() == (0, 0)


INVALID: dict[str, tuple[Any, str]] = {
    "not JSON": (b"summary=disk", "body"),
    "a JSON string": ("Disk full", "body"),
    "no summary to trigger": ({"severity": "error"}, "summary"),
    "blank summary": (event(summary="  "), "summary"),
    "summary too long": (event(summary="x" * 1025), "summary"),
    "unknown action": (event(action="escalate"), "action"),
    "unknown severity": (event(severity="page"), "severity"),
    "unknown field": (event(priority="P1"), "priority"),
    "acknowledge without dedup_key": ({"action": "acknowledge"}, "dedup_key"),
    "resolve without dedup_key": ({"action": "resolve"}, "dedup_key"),
    "empty dedup_key": (event(dedup_key=""), "dedup_key"),
    "dedup_key too long": (event(dedup_key="k" * 256), "dedup_key"),
    "group_key too long": (event(group_key="g" * 256), "group_key"),
    "source not text": (event(source=42), "source"),
    "started_at without zone": (event(started_at="2026-01-05T08:50:00"), "started_at"),
    "started_at as a number": (event(started_at=1767603000), "started_at"),
    "started_at before 1970": (event(started_at="1969-12-31T00:00:00Z"), "started_at"),
    "labels not text": (event(labels={"team": 1}), "labels.team"),
    "101 labels": (event(labels={f"l{i}": "v" for i in range(101)}), "labels"),
    "details not an object": (event(details=["a"]), "details"),
    "link without href": (event(links=[{"text": "x"}]), "links.0.href"),
    "links not a list": (event(links={"href": "x"}), "links"),
    "empty batch": ({"events": []}, "events"),
    "101 events": ({"events": [event(dedup_key=f"k{i}") for i in range(101)]}, "events"),
    "bad event in a batch": ({"events": [event(), event(severity="sev1")]}, "events.1.severity"),
    "batch with extra field": ({"events": [event()], "source": "x"}, "source"),
    "NUL in details": (event(details={"x": "\x00"}), "body"),
    "nested 40 deep": (event(details={"x": json.loads("[" * 40 + "]" * 40)}), "body"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_it_refuses_an_invalid_event_and_stores_nothing(hook: Warroom, case: str) -> None:
    body, field = INVALID[case]
    r = hook.post(f"/integrations/webhook/{hook.key}", body)
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["status"] == "invalid"
    assert answer["message"].startswith("webhook event is invalid: ")
    assert field in [e["field"] for e in answer["errors"]], answer
    assert all(set(e) == {"field", "message"} for e in answer["errors"])
    assert hook.stored() == (0, 0)


def test_it_answers_429_with_retry_after_when_rate_limited(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    for hook in open_warroom(db, clock, people, intake_rate_limit=3):
        send(hook, {"events": [event(dedup_key="a"), event(dedup_key="b")]})
        r = hook.post(
            f"/integrations/webhook/{hook.key}",
            {"events": [event(dedup_key="c"), event(dedup_key="d")]},
        )
        assert r.status_code == 429, r.text
        assert r.json()["status"] == "throttled"
        assert int(r.headers["Retry-After"]) >= 1
        assert hook.stored()[0] == 2


def test_it_documents_the_shape_in_openapi(hook: Warroom) -> None:
    paths = hook.client.get("/openapi.json").json()["paths"]
    for path in ("/integrations/webhook/{integration_key}", "/integrations/webhook"):
        operation = paths[path]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        single, batch = schema["anyOf"]
        assert single["additionalProperties"] is False
        assert {"action", "dedup_key", "group_key", "summary", "severity"} <= set(
            single["properties"]
        )
        assert batch["properties"]["events"]["maxItems"] == 100
        assert {"202", "400", "401", "429"} <= set(operation["responses"])
