"""A real Prometheus Alertmanager (Debian's package) with a webhook receiver pointing at a
running warroom: alerts posted to Alertmanager's own API open one incident per group in
warroom, and resolving them there resolves it here."""

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, missing
from tests.servers import free_port
from warroom.clock import FakeClock

pytestmark = pytest.mark.xdist_group("alertmanager")

BINARY = "prometheus-alertmanager"
WAIT_SECONDS = 30

# Alertmanager notifies group_wait after a group's first alert and then at most every
# group_interval; both as short as it takes, so the test waits for warroom, not timers.
CONFIG = """\
route:
  receiver: warroom
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1h
  routes:
    - receiver: warroom-bearer
      matchers: ['via="bearer"']
receivers:
  - name: warroom
    webhook_configs:
      - url: {url}/integrations/alertmanager/{key}
        send_resolved: true
  - name: warroom-bearer
    webhook_configs:
      - url: {url}/integrations/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""

Start = Callable[[str, str], str]


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Start]:
    """Starts an Alertmanager whose receivers post to warroom at (url, key); returns its
    base URL. Stopped when the test ends."""
    binary = shutil.which(BINARY) or (
        f"/usr/bin/{BINARY}" if Path(f"/usr/bin/{BINARY}").exists() else None
    )
    if binary is None:
        missing(f"{BINARY} is not installed (Debian package prometheus-alertmanager)")
    assert binary is not None
    started: list[subprocess.Popen[bytes]] = []

    def start(warroom_url: str, key: str) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(CONFIG.format(url=warroom_url, key=key))
        port = free_port()
        log = (tmp_path / "alertmanager.log").open("wb")
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "Alertmanager did not become ready:\n"
                    + (tmp_path / "alertmanager.log").read_text()
                )
            time.sleep(0.05)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _alerts(
    started: datetime, *, ends_at: datetime | None = None, **extra_labels: str
) -> list[dict[str, Any]]:
    alerts = []
    for instance in ("web-1", "web-2"):
        alert: dict[str, Any] = {
            "labels": {
                "alertname": "CheckoutLatencyHigh",
                "instance": instance,
                "severity": "critical",
                **extra_labels,
            },
            "annotations": {
                "summary": f"p99 latency above 2s on {instance}",
                "runbook_url": "https://runbooks.example/checkout",
            },
            "startsAt": _stamp(started),
            "generatorURL": f"http://prometheus.example/graph?g0.expr=latency%7Binstance%3D%22{instance}%22%7D",
        }
        if ends_at is not None:
            alert["endsAt"] = _stamp(ends_at)
        alerts.append(alert)
    return alerts


def _wait_for(what: str, probe: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {WAIT_SECONDS}s waiting for {what}")
        time.sleep(0.1)


def _incidents(live: LiveServer) -> list[dict[str, Any]]:
    r = live.client.get("/api/v1/incidents", headers=live.admin.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _alerts_of(live: LiveServer, incident_id: int) -> list[dict[str, Any]]:
    r = live.client.get(f"/api/v1/incidents/{incident_id}/alerts", headers=live.admin.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _run_group_through(live: LiveServer, am_url: str, clock: FakeClock, **labels: str) -> None:
    # warroom's clock is the tests' fake one, and it takes no start from the future.
    started = clock.now().replace(microsecond=0) - timedelta(minutes=3)
    sent = _alerts(started, **labels)
    r = httpx.post(f"{am_url}/api/v2/alerts", json=sent, timeout=10)
    assert r.status_code == 200, r.text

    def one_incident_with_both_alerts() -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        incidents = _incidents(live)
        if len(incidents) != 1:
            return None
        alerts = _alerts_of(live, incidents[0]["id"])
        return (incidents[0], alerts) if len(alerts) == 2 else None

    incident, alerts = _wait_for("one incident with both alerts", one_incident_with_both_alerts)
    assert incident["status"] == "triggered"
    assert incident["severity"] == "SEV-1"
    by_instance = {a["labels"]["instance"]: a for a in alerts}
    for original in sent:
        alert = by_instance[original["labels"]["instance"]]
        assert alert["source"] == "alertmanager"
        assert alert["labels"] == original["labels"]
        assert alert["annotations"] == original["annotations"]
        assert datetime.fromisoformat(alert["started_at"]) == datetime.fromisoformat(
            original["startsAt"]
        )
        assert {"href": original["generatorURL"], "text": "Source"} in alert["links"]
        assert alert["details"]["generatorURL"] == original["generatorURL"]
        # Alertmanager's fingerprint of the label set is the alert's key.
        assert len(alert["alert_key"]) == 16
        assert alert["alert_key"] == alert["details"]["fingerprint"]
        assert alert["source_name"] == original["labels"]["instance"]
    assert alerts[0]["incident_key"].startswith("alertmanager:")
    assert alerts[0]["incident_key"] == alerts[1]["incident_key"]

    # Resolving in Alertmanager: the same alerts with an end in the past.
    ended = _alerts(started, ends_at=datetime.now(UTC) - timedelta(seconds=5), **labels)
    r = httpx.post(f"{am_url}/api/v2/alerts", json=ended, timeout=10)
    assert r.status_code == 200, r.text
    resolved = _wait_for(
        "the incident to resolve",
        lambda: [i for i in _incidents(live) if i["status"] == "resolved"],
    )
    assert [i["id"] for i in resolved] == [incident["id"]]
    assert all(a["status"] == "resolved" for a in _alerts_of(live, incident["id"]))


def test_it_opens_one_incident_per_alert_group_and_resolves_it(
    live: LiveServer, alertmanager: Start, clock: FakeClock
) -> None:
    _, key = live.service("checkout")
    am_url = alertmanager(live.url, key)
    _run_group_through(live, am_url, clock)


def test_it_takes_the_key_from_alertmanagers_authorization_config(
    live: LiveServer, alertmanager: Start, clock: FakeClock
) -> None:
    _, key = live.service("checkout")
    am_url = alertmanager(live.url, key)
    _run_group_through(live, am_url, clock, via="bearer")
