"""Public status page benchmark (`make bench`).

A realistic page (50 components, some grouped; 1,000 past public incidents with their
updates; a few open ones) on SQLite, served by a real `warroom serve` in a subprocess and
driven by wrk: /api/v2/summary.json, the HTML /status page, and summary.json again while a
writer (this process, so another process as far as the server's cache knows) publishes a
public update every second; each update must appear in summary.json, and how long it took
is reported. The last line printed is JSON.
"""

import json
import os
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any

import httpx

from bench.common import warroom_server, wrk
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_declare, do_publish_update, do_resolve
from warroom.services.actions import do_create_service
from warroom.statuspage.component_actions import do_create_component, do_create_group

SECONDS = int(os.environ.get("WARROOM_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("WARROOM_BENCH_CONNECTIONS", "50"))
WORKERS = int(os.environ.get("WARROOM_BENCH_WORKERS", str(os.cpu_count() or 1)))
COMPONENTS = 50
PAST_INCIDENTS = 1000
OPEN_INCIDENTS = 3
TARGET_RPS = 2000


def seed(url: str) -> int:
    """The page; returns the id of an open public incident for the writer."""
    upgrade(url)
    db = Database(url)
    clock = SystemClock()
    start = clock.now() - timedelta(days=90)
    with db.write() as s:
        for g in range(5):
            do_create_group(s, name=f"Region {g}", now=start)
        for c in range(COMPONENTS):
            group = f"Region {c % 5}" if c < 30 else None
            do_create_component(s, name=f"Component {c}", group=group, now=start)
        do_create_service(s, name="checkout", now=start, open_room=False)
    for batch in range(PAST_INCIDENTS // 100):
        with db.write() as s:
            for n in range(100):
                at = start + timedelta(minutes=120 * (batch * 100 + n))
                incident = do_declare(
                    s,
                    title=f"internal {batch}-{n}",
                    severity=Severity.SEV3,
                    service="checkout",
                    actor="bench",
                    now=at,
                )
                for minutes, status in ((1, None), (20, UpdateStatus.MONITORING)):
                    do_publish_update(
                        s,
                        incident_id=incident.id,
                        kind=UpdateKind.UPDATE,
                        status=status,
                        body=f"Update on incident {batch}-{n}.",
                        public=True,
                        public_title=f"Slow responses {batch}-{n}",
                        components={f"Component {n % COMPONENTS}": "degraded_performance"},
                        actor="bench",
                        now=at + timedelta(minutes=minutes),
                    )
                do_resolve(s, incident_id=incident.id, actor="bench", now=at + timedelta(hours=1))
    now = clock.now()
    open_ids = []
    with db.write() as s:
        for n in range(OPEN_INCIDENTS):
            incident = do_declare(
                s,
                title=f"open {n}",
                severity=Severity.SEV2,
                service="checkout",
                actor="bench",
                now=now,
            )
            do_publish_update(
                s,
                incident_id=incident.id,
                kind=UpdateKind.INITIAL,
                body="We are investigating.",
                public=True,
                public_title=f"Errors on component {n}",
                components={f"Component {n}": "partial_outage"},
                actor="bench",
                now=now,
            )
            open_ids.append(incident.id)
    db.dispose()
    return open_ids[0]


def publish_every_second(
    url: str, base: str, incident_id: int, stop: threading.Event, lags: list[float]
) -> None:
    """Publishes a public update each second and waits until summary.json shows it."""
    db = Database(url)
    n = 0
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            n += 1
            body = f"Progress report {n}."
            with db.write() as s:
                do_publish_update(
                    s,
                    incident_id=incident_id,
                    kind=UpdateKind.UPDATE,
                    body=body,
                    public=True,
                    actor="bench",
                    now=SystemClock().now(),
                )
            published = time.monotonic()
            while body not in _summary(client):
                if time.monotonic() - published > 10:
                    lags.append(float("inf"))
                    break
                time.sleep(0.02)
            else:
                lags.append(time.monotonic() - published)
            stop.wait(max(0.0, 1.0 - (time.monotonic() - published)))
    db.dispose()


def _summary(client: httpx.Client) -> str:
    # Under load the server may reset a connection now and then; ask again.
    try:
        return client.get("/api/v2/summary.json").text
    except httpx.TransportError:
        return ""


def run(url: str) -> dict[str, Any]:
    incident_id = seed(url)
    figures: dict[str, Any] = {}
    with warroom_server(url, workers=WORKERS) as base:
        with httpx.Client(base_url=base) as client:
            status_ok = client.get("/status").status_code == 200
            size = len(client.get("/api/v2/summary.json").content)
        summary = wrk(f"{base}/api/v2/summary.json", "", seconds=SECONDS, connections=CONNECTIONS)
        figures["summary"] = summary
        figures["summary_bytes"] = size
        if status_ok:
            figures["status"] = wrk(f"{base}/status", "", seconds=SECONDS, connections=CONNECTIONS)
            # As browsers ask for it: the page is sent gzipped (a fraction of the bytes).
            figures["status_gzip"] = wrk(
                f"{base}/status",
                'wrk.headers["Accept-Encoding"] = "gzip"\n',
                seconds=SECONDS,
                connections=CONNECTIONS,
            )
        stop = threading.Event()
        lags: list[float] = []
        writer = threading.Thread(
            target=publish_every_second, args=(url, base, incident_id, stop, lags)
        )
        writer.start()
        try:
            figures["with_updates"] = wrk(
                f"{base}/api/v2/summary.json", "", seconds=SECONDS, connections=CONNECTIONS
            )
        finally:
            stop.set()
            writer.join()
        figures["updates_published"] = len(lags)
        figures["update_visible_max_s"] = round(max(lags), 3) if lags else None
        figures["all_updates_visible"] = bool(lags) and all(lag != float("inf") for lag in lags)
    return figures


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        f = run(f"sqlite:///{tmp}/statuspage.db")
    status = f.get("status")
    result = {
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "workers": WORKERS,
        "summary_rps": f["summary"]["rps"],
        "summary_p50_ms": f["summary"]["p50_ms"],
        "summary_p99_ms": f["summary"]["p99_ms"],
        "summary_non_2xx": f["summary"]["non_2xx"],
        "summary_bytes": f["summary_bytes"],
        "status_rps": status["rps"] if status else None,
        "status_p99_ms": status["p99_ms"] if status else None,
        "status_gzip_rps": f["status_gzip"]["rps"] if status else None,
        "status_gzip_p99_ms": f["status_gzip"]["p99_ms"] if status else None,
        "with_updates_rps": f["with_updates"]["rps"],
        "with_updates_p99_ms": f["with_updates"]["p99_ms"],
        "updates_published": f["updates_published"],
        "update_visible_max_s": f["update_visible_max_s"],
        "all_updates_visible": f["all_updates_visible"],
        "target_summary_rps": TARGET_RPS,
        "target_met": f["summary"]["rps"] >= TARGET_RPS,
    }
    print(
        f"summary.json {result['summary_rps']:8.0f} req/s  p99 {result['summary_p99_ms']} ms | "
        f"/status {result['status_rps']} req/s ({result['status_gzip_rps']} gzipped) | "
        "with an update a second "
        f"{result['with_updates_rps']:.0f} req/s, {result['updates_published']} updates, "
        f"each visible within {result['update_visible_max_s']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
