"""GET /api/v1/reports/incidents, /trend and /oncall-load: SPEC §3's report over the
API, who may read it, and clear refusals for a period or a name that does not work."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock

REPORT = "/api/v1/reports/incidents"
TREND = "/api/v1/reports/trend"
LOAD = "/api/v1/reports/oncall-load"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the FakeClock's start, a Monday


def _incident(
    client: TestClient,
    people: Personas,
    clock: FakeClock,
    *,
    service: str,
    severity: str,
    ack_after: float | None,
    resolve_after: float | None,
) -> int:
    """Declared now; acknowledged and resolved that many minutes later. Leaves the
    clock where it was."""
    headers = people.responder.headers
    began = clock.now()
    body = {"title": "Checkout errors", "severity": severity, "service": service}
    r = client.post("/api/v1/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    incident_id: int = r.json()["id"]
    for after, action in ((ack_after, "acknowledge"), (resolve_after, "resolve")):
        if after is not None:
            clock.set(began + timedelta(minutes=after))
            r = client.post(f"/api/v1/incidents/{incident_id}/{action}", headers=headers)
            assert r.status_code == 200, r.text
    clock.set(began)
    return incident_id


@pytest.fixture
def history(app_client: TestClient, people: Personas, clock: FakeClock) -> None:
    """Three checkout incidents (10, 20 and 50 minutes to acknowledge) and one open
    search one, a day apart."""
    for name in ("checkout", "search"):
        r = app_client.post("/api/v1/services", json={"name": name}, headers=people.admin.headers)
        assert r.status_code == 201, r.text
    for ack, resolve in ((10, 60), (20, 120), (50, 90)):
        _incident(
            app_client,
            people,
            clock,
            service="checkout",
            severity="SEV-2",
            ack_after=ack,
            resolve_after=resolve,
        )
        clock.advance(days=1)
    _incident(
        app_client,
        people,
        clock,
        service="search",
        severity="SEV-1",
        ack_after=None,
        resolve_after=None,
    )
    clock.advance(days=1)


def test_a_viewer_reads_the_report_of_the_last_30_days_by_default(
    app_client: TestClient, people: Personas, clock: FakeClock, history: None
) -> None:
    r = app_client.get(REPORT, headers=people.viewer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["since"] == (clock.now() - timedelta(days=30)).isoformat()
    assert body["until"] == clock.now().isoformat()
    assert body["total_incidents"] == 4
    assert body["mtta_minutes"] == pytest.approx(80 / 3)
    assert body["mttr_minutes"] == pytest.approx((60 + 120 + 90) / 3)
    assert body["mttd_minutes"] == 0.0
    # 10 and 20 minutes met SEV-2's 30; 50 did not; search is far past SEV-1's 15.
    assert body["response_target_compliance"] == pytest.approx(2 / 4)
    # Resolved at +1 h, the next starts a day later: 23 h; then 24 h - 2 h = 22 h.
    assert body["mttf_hours"] == pytest.approx((23 + 22) / 2)
    assert body["repeat_incidents"] == 0
    assert set(body["by_severity"]) == {"SEV-1", "SEV-2"}
    assert body["by_service"]["search"]["mtta_minutes"] is None
    assert body["by_team"] == {}
    assert body["incidents_by_phase"]["detection"] == 1
    assert body["incidents_by_phase"]["analysis"] == 3
    assert body["mean_stage_minutes"]["resolve"] == pytest.approx((50 + 100 + 40) / 3)


def test_it_narrows_to_a_period_a_service_or_drills(
    app_client: TestClient, people: Personas, history: None
) -> None:
    viewer = people.viewer.headers
    day_two = (START + timedelta(days=1)).date().isoformat()
    r = app_client.get(REPORT, params={"since": day_two, "service": "checkout"}, headers=viewer)
    assert r.status_code == 200, r.text
    assert r.json()["total_incidents"] == 2
    assert r.json()["since"] == "2026-01-06T00:00:00+00:00"
    r = app_client.get(
        REPORT,
        params={"since": "2026-01-05T10:00:00+01:00", "until": "2026-01-06T09:00:00Z"},
        headers=viewer,
    )
    # 10:00+01:00 is 09:00Z: the first incident is in, the second starts at `until`.
    assert r.json()["total_incidents"] == 1
    r = app_client.get(REPORT, params={"drill": "true"}, headers=viewer)
    assert r.json()["total_incidents"] == 0
    assert r.json()["drills"] is True


def test_it_needs_a_token(app_client: TestClient, people: Personas) -> None:
    for path in (REPORT, TREND, LOAD):
        assert app_client.get(path).status_code == 401
        assert app_client.get(path, headers=people.outsider.headers).status_code == 401
        assert app_client.get(path, headers=people.viewer.headers).status_code == 200


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"since": "2026-02-01", "until": "2026-01-01"}, "must be before until"),
        ({"since": "2026-01-01", "until": "2026-01-01"}, "must be before until"),
        ({"since": "last tuesday"}, "since: 'last tuesday' is not an ISO 8601"),
        ({"until": "2026-13-01"}, "until: '2026-13-01' is not an ISO 8601"),
        ({"since": "2010-01-01"}, "at most 1830 days"),
        ({"until": "0001-01-02"}, "too early"),
        ({"drill": "sometimes"}, "drill"),
    ],
)
def test_a_period_that_does_not_work_is_a_422_saying_what_to_fix(
    app_client: TestClient, people: Personas, params: dict[str, str], words: str
) -> None:
    for path in (REPORT, TREND, LOAD):
        r = app_client.get(path, params=params, headers=people.viewer.headers)
        assert r.status_code == 422, r.text
        assert words in r.text


def test_an_unknown_service_or_team_is_a_404_naming_it(
    app_client: TestClient, people: Personas
) -> None:
    viewer = people.viewer.headers
    r = app_client.get(REPORT, params={"service": "nope"}, headers=viewer)
    assert r.status_code == 404
    assert r.json()["detail"] == "no service with id or name 'nope'"
    r = app_client.get(LOAD, params={"team": "ghosts"}, headers=viewer)
    assert r.status_code == 404
    assert "no team with id or name 'ghosts'" in r.json()["detail"]


def test_the_trend_has_a_point_per_week_from_monday(
    app_client: TestClient, people: Personas, history: None
) -> None:
    r = app_client.get(
        TREND,
        params={"since": "2026-01-07", "until": "2026-01-21"},
        headers=people.viewer.headers,
    )
    assert r.status_code == 200, r.text
    weeks = r.json()["weeks"]
    # The clock stands on 2026-01-09: weeks after now are not drawn.
    assert [w["week_start"] for w in weeks] == ["2026-01-05"]
    [week] = weeks
    assert week["incidents"] == 2  # the 7th's checkout, the 8th's search
    assert week["by_severity"] == {"SEV-1": 1, "SEV-2": 1, "SEV-3": 0, "SEV-4": 0}
    assert week["mtta_minutes"] == pytest.approx(50.0)
    assert week["mttr_minutes"] == pytest.approx(90.0)
