"""Alert intake benchmark (`make bench`).

PagerDuty Events v2 triggers over HTTP from concurrent wrk connections against a real
`warroom serve` (SQLite, and PostgreSQL when WARROOM_BENCH_POSTGRES_URL is set); 10% of
events carry a new dedup key (each opens an incident), the rest update one of 100 open
alerts with a changed payload, so every event is a committed write. Afterwards the
database must hold every event that got a 202.

The same load goes to Debian's Alertmanager (`/api/v2/alerts`, kept in memory only) for
a yardstick. The last line printed is JSON.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bench.common import free_port, wait_ready, warroom_server, wrk
from warroom.alerts.models import Alert
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.services.actions import do_create_service

SECONDS = int(os.environ.get("WARROOM_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("WARROOM_BENCH_CONNECTIONS", "16"))
# HTTP worker processes for `warroom serve` (the machine's cores, by default).
WORKERS = int(os.environ.get("WARROOM_BENCH_WORKERS", str(os.cpu_count() or 1)))
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

# One id per wrk thread, so new keys never collide between threads.
_THREADS = """
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
local counter = 0
local run = 0
function init(args)
  math.randomseed(os.time() + tid * 7919)
  run = math.random(1, 1000000000)
end
"""

_EVENTS_V2 = (
    _THREADS
    + """
function request()
  counter = counter + 1
  local key
  if math.random() < 0.1 then
    key = "new-" .. tid .. "-" .. counter
  else
    key = "hot-" .. math.random(1, 100)
  end
  local body = '{"routing_key":"%s","event_action":"trigger","dedup_key":"' .. key ..
    '","payload":{"summary":"High error rate on checkout","source":"prom-1",' ..
    '"severity":"error","custom_details":{"seq":"' .. run .. '-' .. tid .. '-' .. counter .. '"}}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""
)

_ALERTMANAGER = (
    _THREADS
    + """
function request()
  counter = counter + 1
  local instance
  if math.random() < 0.1 then
    instance = "new-" .. tid .. "-" .. counter
  else
    instance = "hot-" .. math.random(1, 100)
  end
  local body = '[{"labels":{"alertname":"HighErrorRate","instance":"' .. instance ..
    '"},"annotations":{"summary":"High error rate on checkout","seq":"' .. counter .. '"}}]'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""
)

# 12 connections, each waiting 20 ms after every answer: about 500 events/s when answers
# take a few milliseconds.
_PACED = "\nfunction delay()\n  return 20\nend\n"
PACED_CONNECTIONS = 13


def seed(url: str) -> str:
    upgrade(url)
    db = Database(url)
    with db.write() as session:
        created = do_create_service(
            session, name="checkout", now=SystemClock().now(), open_room=False
        )
        key = created.first_key.secret
    db.dispose()
    return key


def stored_events(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        total = conn.scalar(select(func.coalesce(func.sum(Alert.event_count), 0)))
    engine.dispose()
    return int(total or 0)


def run_warroom(label: str, url: str) -> dict[str, Any]:
    key = seed(url)
    script = _EVENTS_V2.replace("%s", key)
    with warroom_server(url, workers=WORKERS, WARROOM_INTAKE_RATE_LIMIT="0") as base:
        endpoint = f"{base}/v2/enqueue"
        burst = wrk(endpoint, script, seconds=SECONDS, connections=CONNECTIONS)
        paced = wrk(endpoint, script + _PACED, seconds=SECONDS, connections=PACED_CONNECTIONS)
    stored = stored_events(url)
    accepted = burst["requests"] + paced["requests"] - burst["non_2xx"] - paced["non_2xx"]
    result = {
        "throughput": burst,
        "paced": paced,
        "accepted": accepted,
        "stored": stored,
        # wrk stops counting at the deadline while a few answers are in flight, so the
        # database may hold slightly more than wrk counted, never fewer.
        "all_accepted_stored": stored >= accepted,
    }
    print(
        f"{label:9} events/s {burst['rps']:8.0f}  p50 {burst['p50_ms']:6.2f} ms  "
        f"p99 {burst['p99_ms']:7.2f} ms  non-2xx {burst['non_2xx']}  |  at "
        f"{paced['rps']:.0f}/s p50 {paced['p50_ms']:.2f} ms p99 {paced['p99_ms']:.2f} ms  |  "
        f"accepted {accepted} stored {stored}"
    )
    return result


def run_alertmanager() -> dict[str, Any] | None:
    if not Path(ALERTMANAGER).exists():
        print("alertmanager: not installed (apt-get install prometheus-alertmanager)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "am.yml"
        config.write_text(
            "route:\n  receiver: none\n  group_wait: 30s\nreceivers:\n  - name: none\n"
        )
        port = free_port()
        am = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={tmp}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}/-/ready")
            endpoint = f"http://127.0.0.1:{port}/api/v2/alerts"
            burst = wrk(endpoint, _ALERTMANAGER, seconds=SECONDS, connections=CONNECTIONS)
        finally:
            am.terminate()
            am.wait(10)
    print(
        f"alertmgr  alerts/s {burst['rps']:8.0f}  p50 {burst['p50_ms']:6.2f} ms  "
        f"p99 {burst['p99_ms']:7.2f} ms  (in memory only)"
    )
    return {"throughput": burst}


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install -y wrk")
    figures: dict[str, Any] = {
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "workers": WORKERS,
    }
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run_warroom("sqlite", f"sqlite:///{tmp}/ingest.db")
    pg = os.environ.get("WARROOM_BENCH_POSTGRES_URL")
    if pg:
        schema = f"bench_ingest_{os.getpid()}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            figures["postgres"] = run_warroom("postgres", f"{pg}?options=-csearch_path%3D{schema}")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    am = run_alertmanager()
    if am is not None:
        figures["alertmanager"] = am
        figures["ratio_sqlite_to_alertmanager"] = round(
            figures["sqlite"]["throughput"]["rps"] / am["throughput"]["rps"], 3
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
