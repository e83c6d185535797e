"""The Alertmanager webhook, payload by payload, in-process on SQLite and PostgreSQL:
grouping, repeats, resolves, severities, keys, and every malformed payload refused with
nothing stored. (test_alertmanager_real.py drives it with a real Alertmanager.)"""

import base64
import json
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.settings import Settings
from warroom.web.app import create_app

GROUP = '{}:{alertname="CheckoutLatencyHigh"}'


@dataclass
class Warroom:
    """An app on the test's database, a service on it and its integration key."""

    client: TestClient
    admin: dict[str, str]
    key: str
    clock: FakeClock

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        if isinstance(body, (bytes, str)):
            return self.client.post(
                path, content=body, headers={"Content-Type": "application/json"}, **kwargs
            )
        return self.client.post(path, json=body, **kwargs)

    def get(self, path: str) -> Any:
        r = self.client.get(path, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()

    def incidents(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get("/api/v1/incidents?limit=500")["items"]
        return items

    def alerts(self, incident_id: int | None = None) -> list[dict[str, Any]]:
        path = f"/api/v1/incidents/{incident_id}/alerts" if incident_id else "/api/v1/alerts"
        items: list[dict[str, Any]] = self.get(f"{path}?limit=500")["items"]
        return items

    def timeline(self, incident_id: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(
            f"/api/v1/incidents/{incident_id}/timeline?limit=500"
        )["items"]
        return items

    def stored(self) -> tuple[int, int]:
        """(alerts, incidents) in the database."""
        return (
            self.get("/api/v1/alerts")["total"],
            self.get("/api/v1/incidents")["total"],
        )


def open_warroom(
    db: Database, clock: FakeClock, people: Personas, **settings: Any
) -> Iterator[Warroom]:
    app = create_app(
        Settings(database_url=db.url, base_url="http://warroom.test", **settings),
        db=db,
        clock=clock,
    )
    with TestClient(app) as client:
        r = client.post("/api/v1/services", json={"name": "checkout"}, headers=people.admin.headers)
        assert r.status_code == 201, r.text
        yield Warroom(client, people.admin.headers, r.json()["integration_key"], clock)


@pytest.fixture
def warroom(db: Database, clock: FakeClock, people: Personas) -> Iterator[Warroom]:
    yield from open_warroom(db, clock, people)


# Computed from the clock at read time, not stored: they move while nothing changes.
_CLOCK_DERIVED = {
    "response_target_seconds_left",
    "response_target_breached",
    "response_target_breached_at",
}


def stored_fields(incident: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in incident.items() if k not in _CLOCK_DERIVED}


def am_alert(
    instance: str = "web-1",
    *,
    status: str = "firing",
    name: str = "CheckoutLatencyHigh",
    severity: str | None = "critical",
    fingerprint: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    labels = {"alertname": name, "instance": instance, "job": "checkout"}
    if severity is not None:
        labels["severity"] = severity
    alert: dict[str, Any] = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"p99 latency above 2s on {instance}"},
        "startsAt": "2026-01-05T08:55:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-01-05T09:10:00Z",
        "generatorURL": f"http://prometheus.example/graph?g0.expr=up%7Binstance%3D%22{instance}%22%7D",
        "fingerprint": fingerprint if fingerprint is not None else f"fp{instance}".ljust(16, "0"),
    }
    alert.update(fields)
    return alert


def am_payload(*alerts: dict[str, Any], group: str = GROUP, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": "warroom",
        "groupLabels": {"alertname": "CheckoutLatencyHigh"},
        "commonLabels": {"alertname": "CheckoutLatencyHigh"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }
    payload.update(fields)
    return payload


def send(warroom: Warroom, payload: Any, *, expect: int = 200) -> dict[str, Any]:
    r = warroom.post(f"/integrations/alertmanager/{warroom.key}", payload)
    assert r.status_code == expect, r.text
    body: dict[str, Any] = r.json()
    return body


def test_it_opens_one_incident_per_alert_group(warroom: Warroom) -> None:
    answer = send(warroom, am_payload(am_alert("web-1"), am_alert("web-2")))
    assert answer["status"] == "ok"
    assert answer["alerts"] == 2
    assert (answer["opened"], answer["attached"]) == (1, 1)
    [incident] = warroom.incidents()
    assert answer["incidents"] == [incident["id"]]
    assert incident["title"] == "p99 latency above 2s on web-1"
    alerts = warroom.alerts(incident["id"])
    assert sorted(a["labels"]["instance"] for a in alerts) == ["web-1", "web-2"]
    alert = next(a for a in alerts if a["labels"]["instance"] == "web-1")
    assert alert["alert_key"] == "fpweb-1000000000"
    assert alert["incident_key"] == "alertmanager:" + GROUP
    assert alert["annotations"] == {"summary": "p99 latency above 2s on web-1"}
    assert alert["started_at"].startswith("2026-01-05T08:55:00")
    assert alert["source_name"] == "web-1"
    assert alert["links"] == [
        {"href": am_alert("web-1")["generatorURL"], "text": "Source"},
        {"href": "http://alertmanager.example:9093", "text": "Alertmanager"},
    ]

    other = am_payload(am_alert("db-1", name="DiskFull"), group='{}:{alertname="DiskFull"}')
    assert send(warroom, other)["opened"] == 1
    assert len(warroom.incidents()) == 2


def test_it_changes_nothing_when_the_same_payload_comes_again(warroom: Warroom) -> None:
    payload = am_payload(am_alert("web-1"), am_alert("web-2"))
    send(warroom, payload)
    [incident] = warroom.incidents()
    timeline = warroom.timeline(incident["id"])

    warroom.clock.advance(minutes=5)
    again = send(warroom, payload)
    assert again["unchanged"] == 2
    assert again["incidents"] == [incident["id"]]
    assert [stored_fields(i) for i in warroom.incidents()] == [stored_fields(incident)]
    assert warroom.timeline(incident["id"]) == timeline
    assert [a["event_count"] for a in warroom.alerts()] == [1, 1]


def test_it_keeps_the_incident_open_until_its_last_alert_resolves(warroom: Warroom) -> None:
    send(warroom, am_payload(am_alert("web-1"), am_alert("web-2")))
    partly = send(warroom, am_payload(am_alert("web-1"), am_alert("web-2", status="resolved")))
    assert (partly["unchanged"], partly["resolved"]) == (1, 1)
    [incident] = warroom.incidents()
    assert incident["status"] == "triggered"

    resolved = am_payload(
        am_alert("web-1", status="resolved"), am_alert("web-2", status="resolved")
    )
    answer = send(warroom, resolved)
    assert (answer["resolved"], answer["ignored"]) == (1, 1)
    [incident] = warroom.incidents()
    assert incident["status"] == "resolved"
    assert {a["status"] for a in warroom.alerts()} == {"resolved"}

    # Alertmanager re-sends a resolved notification after a restart or a retry.
    timeline = warroom.timeline(incident["id"])
    warroom.clock.advance(minutes=5)
    assert send(warroom, resolved)["ignored"] == 2
    assert [stored_fields(i) for i in warroom.incidents()] == [stored_fields(incident)]
    assert warroom.timeline(incident["id"]) == timeline


def test_it_attaches_a_newly_firing_alert_before_resolving_the_last_open_one(
    warroom: Warroom,
) -> None:
    send(warroom, am_payload(am_alert("web-1")))
    # One payload: web-1 ends (listed first) while web-2 starts firing in the same group.
    answer = send(warroom, am_payload(am_alert("web-1", status="resolved"), am_alert("web-2")))
    assert (answer["attached"], answer["resolved"]) == (1, 1)
    [incident] = warroom.incidents()
    assert incident["status"] == "triggered"
    assert len(warroom.alerts(incident["id"])) == 2


def test_it_opens_a_new_incident_when_a_resolved_alert_fires_again(warroom: Warroom) -> None:
    send(warroom, am_payload(am_alert("web-1")))
    send(warroom, am_payload(am_alert("web-1", status="resolved")))
    assert send(warroom, am_payload(am_alert("web-1")))["opened"] == 1
    assert sorted(i["status"] for i in warroom.incidents()) == ["resolved", "triggered"]


@pytest.mark.parametrize(
    ("label", "severity"),
    [("critical", "SEV-1"), ("warning", "SEV-3"), (None, "SEV-2"), ("info", "SEV-4")],
)
def test_it_maps_the_severity_label_to_the_incident_severity(
    warroom: Warroom, label: str | None, severity: str
) -> None:
    send(warroom, am_payload(am_alert(severity=label)))
    [incident] = warroom.incidents()
    assert incident["severity"] == severity


def test_it_ignores_gos_zero_start_time(warroom: Warroom) -> None:
    send(warroom, am_payload(am_alert(startsAt="0001-01-01T00:00:00Z")))
    [alert] = warroom.alerts()
    assert alert["started_at"].startswith(warroom.clock.now().strftime("%Y-%m-%dT%H:%M:%S"))


def test_it_keys_an_alert_without_fingerprint_by_its_labels(warroom: Warroom) -> None:
    payload = am_payload(am_alert(fingerprint=""))
    send(warroom, payload)
    assert send(warroom, payload)["unchanged"] == 1
    [alert] = warroom.alerts()
    assert alert["alert_key"].startswith("labels:")


def test_it_summarises_from_description_then_alertname(warroom: Warroom) -> None:
    described = am_alert("web-1", annotations={"description": "Latency is high"})
    bare = am_alert("web-2", annotations={})
    send(warroom, am_payload(described, bare))
    summaries = sorted(a["summary"] for a in warroom.alerts())
    assert summaries == ["CheckoutLatencyHigh", "Latency is high"]


def test_it_keeps_a_long_group_key_in_a_bounded_incident_key(warroom: Warroom) -> None:
    group = "{}:{" + ",".join(f'l{i}="{"v" * 50}"' for i in range(40)) + "}"
    payload = am_payload(am_alert("web-1"), group=group)
    send(warroom, payload)
    assert send(warroom, am_payload(am_alert("web-2"), group=group))["attached"] == 1
    [alert, _] = warroom.alerts()
    assert alert["incident_key"].startswith("alertmanager:sha256:")


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
def test_it_takes_the_key_from_the_authorization_header(warroom: Warroom, scheme: str) -> None:
    credentials = (
        f"Bearer {warroom.key}"
        if scheme == "bearer"
        else "Basic " + base64.b64encode(f"alertmanager:{warroom.key}".encode()).decode()
    )
    r = warroom.post(
        "/integrations/alertmanager",
        am_payload(am_alert()),
        headers={"Authorization": credentials},
    )
    assert r.status_code == 200, r.text
    assert len(warroom.incidents()) == 1


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/integrations/alertmanager/not-a-key", {}),
        ("/integrations/alertmanager", {}),
        ("/integrations/alertmanager", {"Authorization": "Bearer not-a-key"}),
        ("/integrations/alertmanager", {"Authorization": "Basic !!!"}),
    ],
)
def test_it_refuses_a_missing_or_unknown_key(
    warroom: Warroom, path: str, headers: dict[str, str]
) -> None:
    r = warroom.post(path, am_payload(am_alert()), headers=headers)
    assert r.status_code == 401, r.text
    assert r.json()["status"] == "unauthorized"
    assert warroom.stored() == (0, 0)


def _without(alert: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in alert.items() if k != name}


def _without_top(name: str) -> dict[str, Any]:
    return {k: v for k, v in am_payload(am_alert()).items() if k != name}


MALFORMED: dict[str, tuple[Any, str]] = {
    "not JSON": (b"{alerts: [", "body"),
    "not UTF-8": (b'{"version": "4", "x": "\xff"}', "body"),
    "a JSON array": ([am_alert()], "body"),
    "wrong version": (am_payload(am_alert(), version="3"), "version"),
    "version as a number": (am_payload(am_alert(), version=4), "version"),
    "no version": (_without_top("version"), "version"),
    "no groupKey": (_without_top("groupKey"), "groupKey"),
    "empty groupKey": (am_payload(am_alert(), group=""), "groupKey"),
    "alerts not a list": (am_payload(am_alert(), alerts={"0": am_alert()}), "alerts"),
    "no alerts": (_without_top("alerts"), "alerts"),
    "alert not an object": (am_payload(am_alert(), alerts=["firing"]), "alerts.0"),
    "alert without labels": (
        am_payload(am_alert(), _without(am_alert("web-2"), "labels")),
        "alerts.1.labels",
    ),
    "labels not strings": (
        am_payload(am_alert(labels={"alertname": 1})),
        "alerts.0.labels.alertname",
    ),
    "unknown alert status": (am_payload(am_alert(status="pending")), "alerts.0.status"),
    "startsAt not a time": (am_payload(am_alert(startsAt="yesterday")), "alerts.0.startsAt"),
    "startsAt without zone": (
        am_payload(am_alert(startsAt="2026-01-05T08:55:00")),
        "alerts.0.startsAt",
    ),
    "startsAt as a number": (am_payload(am_alert(startsAt=1767603300)), "alerts.0.startsAt"),
    "endsAt not a time": (am_payload(am_alert(endsAt="soon")), "alerts.0.endsAt"),
    "fingerprint too long": (am_payload(am_alert(fingerprint="f" * 256)), "alerts.0.fingerprint"),
    "negative truncatedAlerts": (am_payload(am_alert(), truncatedAlerts=-1), "truncatedAlerts"),
    "NUL in a label": (am_payload(am_alert(annotations={"summary": "a\x00b"})), "body"),
    "NaN": (b'{"version": "4", "groupKey": "g", "alerts": [], "x": NaN}', "body"),
    "nested 10,000 deep": (b"[" * 10_000 + b"]" * 10_000, "body"),
    "nested 40 deep": (am_payload(am_alert(), extra=json.loads("[" * 40 + "]" * 40)), "body"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_it_refuses_a_malformed_payload_and_stores_nothing(warroom: Warroom, case: str) -> None:
    payload, field = MALFORMED[case]
    r = warroom.post(f"/integrations/alertmanager/{warroom.key}", payload)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"] == "invalid"
    assert body["message"].startswith("Alertmanager webhook (version 4) is invalid: ")
    assert field in [e["field"] for e in body["errors"]], body
    assert warroom.stored() == (0, 0)


def test_it_refuses_a_body_over_one_megabyte(warroom: Warroom) -> None:
    big = am_payload(am_alert(annotations={"summary": "x" * 1_100_000}))
    r = warroom.post(f"/integrations/alertmanager/{warroom.key}", big)
    assert r.status_code in (400, 413), r.text
    assert warroom.stored() == (0, 0)


def test_it_accepts_an_empty_group(warroom: Warroom) -> None:
    answer = send(warroom, am_payload())
    assert answer["alerts"] == 0
    assert warroom.stored() == (0, 0)


def test_it_answers_503_with_retry_after_when_rate_limited(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    for warroom in open_warroom(db, clock, people, intake_rate_limit=2):
        send(warroom, am_payload(am_alert("web-1"), am_alert("web-2")))
        r = warroom.post(f"/integrations/alertmanager/{warroom.key}", am_payload(am_alert("web-3")))
        assert r.status_code == 503, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert warroom.stored()[0] == 2


def test_it_admits_a_group_larger_than_a_minutes_allowance_once(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    # Refusing it forever would make Alertmanager retry it forever.
    for warroom in open_warroom(db, clock, people, intake_rate_limit=2):
        alerts = [am_alert(f"web-{i}") for i in range(5)]
        assert send(warroom, am_payload(*alerts))["alerts"] == 5
        r = warroom.post(f"/integrations/alertmanager/{warroom.key}", am_payload(am_alert()))
        assert r.status_code == 503


def test_it_answers_503_when_the_database_cannot_write(
    warroom: Warroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(**_: Any) -> "Future[Any]":
        future: Future[Any] = Future()
        future.set_exception(OperationalError("INSERT", {}, Exception("database is locked")))
        return future

    app_ctx = warroom.client.app.state.ctx  # type: ignore[attr-defined]
    monkeypatch.setattr(app_ctx.intake, "submit", failing)
    r = warroom.post(f"/integrations/alertmanager/{warroom.key}", am_payload(am_alert()))
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "1"


def test_it_stores_alert_times_in_utc(warroom: Warroom) -> None:
    send(warroom, am_payload(am_alert(startsAt="2026-01-05T10:55:00.123456789+02:00")))
    [alert] = warroom.alerts()
    assert alert["started_at"].startswith("2026-01-05T08:55:00.123456")


def test_it_documents_both_routes_with_a_request_body(warroom: Warroom) -> None:
    paths = warroom.client.get("/openapi.json").json()["paths"]
    for path in ("/integrations/alertmanager/{integration_key}", "/integrations/alertmanager"):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert {"version", "groupKey", "alerts"} <= set(body["required"])
        assert "labels" in body["properties"]["alerts"]["items"]["required"]
