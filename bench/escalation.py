"""Escalation benchmark (`make bench`): how late pages go out, and how long an alert takes
to page someone, with real `warroom engine` processes delivering to a local json://
webhook receiver (a threaded http.server noting when each POST arrives).

Lateness: N open incidents (WARROOM_BENCH_INCIDENTS, default 2,000) spread round-robin over
T teams (WARROOM_BENCH_TEAMS, default one per 20 incidents): team k's service has a policy
that pages user l0-k at once and user l1-k WARROOM_BENCH_LEVEL_DELAY_SECONDS (default 10)
later. Each contact allows MAX_THROTTLE_PER_MINUTE messages a minute: many teams rather
than two people paged thousands of times, so the per-contact throttle never holds a page
back and lateness is the engine's own. The incidents' trigger times are spread evenly
over WARROOM_BENCH_WINDOW_SECONDS (default 30) starting just after the engines start, so
pages come due at a steady rate.
Lateness of a page = its arrival at the receiver minus its planned due time (trigger time +
the delays before its level).

Alert-to-first-page: WARROOM_BENCH_ALERTS (default 100) PagerDuty Events v2 triggers,
one every 50 ms, round-robin over the teams' services, to `POST /v2/enqueue` on a running
`warroom serve` against the same database and engines; latency = first receiver POST for
that incident minus the request's send time.

On SQLite with one engine, and on PostgreSQL (WARROOM_BENCH_POSTGRES_URL) with 1 and 3
engines (WARROOM_BENCH_ENGINES, e.g. "1,3"). Each engine runs with `warroom engine`'s
defaults unless WARROOM_BENCH_ENGINE_CONCURRENCY (tasks run at once per engine),
WARROOM_BENCH_ENGINE_BATCH (tasks claimed at a time) or WARROOM_BENCH_ENGINE_IDLE_SECONDS
(longest pause between polls) say otherwise; the JSON records what was used. Targets
(issue 4): lateness p99 ≤ 1 s and max ≤ 5 s; alert-to-first-page p99 ≤ 2 s. The last line
printed is JSON.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text, update

from bench.common import free_port, warroom_server
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.engine.models import Task
from warroom.escalation.actions import do_create_policy
from warroom.incidents.actions import do_declare
from warroom.incidents.models import Incident
from warroom.paging.hooks import ESCALATE
from warroom.services.actions import do_create_service
from warroom.users.actions import do_create_user
from warroom.users.contact_actions import MAX_THROTTLE_PER_MINUTE

INCIDENTS = int(os.environ.get("WARROOM_BENCH_INCIDENTS", "2000"))
WINDOW = float(os.environ.get("WARROOM_BENCH_WINDOW_SECONDS", "30"))
TEAMS = int(os.environ.get("WARROOM_BENCH_TEAMS", "0")) or max(1, -(-INCIDENTS // 20))
LEVEL_DELAY = float(os.environ.get("WARROOM_BENCH_LEVEL_DELAY_SECONDS", "10"))
ALERTS = int(os.environ.get("WARROOM_BENCH_ALERTS", "100"))
PG_ENGINES = [int(n) for n in os.environ.get("WARROOM_BENCH_ENGINES", "1,3").split(",")]
# Unset: `warroom engine`'s defaults.
IDLE = os.environ.get("WARROOM_BENCH_ENGINE_IDLE_SECONDS")
CONCURRENCY = os.environ.get("WARROOM_BENCH_ENGINE_CONCURRENCY")
BATCH = os.environ.get("WARROOM_BENCH_ENGINE_BATCH")
# Engines start this long before the first page is due (they have to connect first).
LEAD = 3.0
# After the last planned page, how long to wait for stragglers before giving up.
DRAIN = float(os.environ.get("WARROOM_BENCH_DRAIN_SECONDS", "60"))

TARGET_LATENESS_P99 = 1.0
TARGET_LATENESS_MAX = 5.0
TARGET_A2P_P99 = 2.0

_INCIDENT = re.compile(r"/incidents/(\d+)")


# --- the receiver ----------------------------------------------------------------------


class Receiver:
    """Each POST as (arrival time, path, incident id or None, title)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str, int | None, str]] = []
        self.changed = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                try:
                    data = json.loads(body)
                except ValueError:
                    data = {}
                title = str(data.get("title") or "")
                found = _INCIDENT.search(str(data.get("message") or "") + " " + title)
                with receiver.changed:
                    receiver.arrivals.append(
                        (at, self.path, int(found.group(1)) if found else None, title)
                    )
                    receiver.changed.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, deadline: float) -> None:
        with self.changed:
            while len(self.arrivals) < count and time.time() < deadline:
                self.changed.wait(min(1.0, max(0.0, deadline - time.time())))

    def clear(self) -> None:
        with self.lock:
            self.arrivals = []


# --- setup -----------------------------------------------------------------------------


def seed(url: str, receiver: Receiver) -> tuple[list[str], dict[int, datetime]]:
    """The teams' users, policies and services; N incidents whose trigger times start once
    engines are up. Each team's integration key, and each incident's trigger time."""
    upgrade(url)
    db = Database(url)
    now = SystemClock().now()
    keys: list[str] = []
    with db.write() as session:
        for team in range(TEAMS):
            for level in ("l0", "l1"):
                handle = f"{level}-{team}"
                do_create_user(
                    session,
                    handle=handle,
                    name=handle,
                    contacts=[receiver.url(handle)],
                    now=now,
                    throttle_per_minute=MAX_THROTTLE_PER_MINUTE,
                )
            do_create_policy(
                session,
                name=f"bench-{team}",
                repeat=0,
                levels=[
                    {"delay_minutes": LEVEL_DELAY / 60, "targets": [{"user": f"l0-{team}"}]},
                    {"delay_minutes": LEVEL_DELAY / 60, "targets": [{"user": f"l1-{team}"}]},
                ],
                now=now,
            )
            keys.append(
                do_create_service(
                    session,
                    name=f"checkout-{team}",
                    now=now,
                    escalation_policy=f"bench-{team}",
                    open_room=False,
                    post_initial_message=False,
                    mark_component=False,
                ).first_key.secret
            )
    # Declared as if long ago (no engine runs yet), then moved to their planned times.
    ids: list[int] = []
    past = now - timedelta(days=1)
    for chunk in range(0, INCIDENTS, 500):
        with db.write() as session:
            for i in range(chunk, min(INCIDENTS, chunk + 500)):
                ids.append(
                    do_declare(
                        session,
                        title=f"bench incident {i}",
                        severity=Severity.SEV2,
                        service=f"checkout-{i % TEAMS}",
                        actor="bench",
                        now=past,
                    ).id
                )
    start = SystemClock().now() + timedelta(seconds=LEAD)
    step = timedelta(seconds=WINDOW / max(1, INCIDENTS))
    triggered = {iid: start + step * n for n, iid in enumerate(ids)}
    with db.write() as session:
        tasks = session.execute(
            select(Task.id, Task.incident_id).where(Task.kind == ESCALATE)
        ).all()
        session.execute(
            update(Incident),
            [{"id": iid, "triggered_at": at} for iid, at in triggered.items()],
        )
        session.execute(
            update(Task),
            [{"id": tid, "due_at": triggered[iid]} for tid, iid in tasks if iid in triggered],
        )
    db.dispose()
    return keys, triggered


@contextmanager
def engines(url: str, count: int) -> Iterator[None]:
    env = dict(os.environ, WARROOM_DATABASE_URL=url)
    args = [sys.executable, "-m", "warroom", "engine"]
    if IDLE:
        args += ["--idle-seconds", IDLE]
    if CONCURRENCY:
        args += ["--concurrency", CONCURRENCY]
    if BATCH:
        args += ["--batch", BATCH]
    procs = [
        subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


# --- figures ---------------------------------------------------------------------------


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_s": None, "p99_s": None, "max_s": None}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 4)

    return {"p50_s": q(0.50), "p99_s": q(0.99), "max_s": round(ordered[-1], 4)}


def lateness(receiver: Receiver, triggered: dict[int, datetime]) -> dict[str, Any]:
    expected = 2 * len(triggered)
    last_due = max(triggered.values()) + timedelta(seconds=LEVEL_DELAY)
    receiver.wait_for(expected, last_due.timestamp() + DRAIN)
    with receiver.lock:
        arrivals = list(receiver.arrivals)
    late: list[float] = []
    seen: set[tuple[int, str]] = set()
    duplicates = 0
    for at, path, iid, _title in arrivals:
        if iid not in triggered:
            continue
        level = path.strip("/").split("-")[0]
        if (iid, level) in seen:
            duplicates += 1
            continue
        seen.add((iid, level))
        due = triggered[iid] + (timedelta(seconds=LEVEL_DELAY) if level == "l1" else timedelta())
        late.append(at - due.timestamp())
    figures: dict[str, Any] = {
        "pages_expected": expected,
        "pages_received": len(seen),
        "duplicates": duplicates,
        "early": sum(1 for x in late if x < 0),
        **quantiles(late),
    }
    figures["meets_p99"] = figures["p99_s"] is not None and figures["p99_s"] <= TARGET_LATENESS_P99
    figures["meets_max"] = (
        figures["max_s"] is not None
        and figures["max_s"] <= TARGET_LATENESS_MAX
        and len(seen) == expected
    )
    return figures


def alert_to_page(url: str, keys: list[str], receiver: Receiver) -> dict[str, Any]:
    receiver.clear()
    sent: dict[str, float] = {}
    with warroom_server(url, WARROOM_INTAKE_RATE_LIMIT="0") as base, httpx.Client() as client:
        for i in range(ALERTS):
            summary = f"a2p-{os.getpid()}-{i}"
            body = {
                "routing_key": keys[i % len(keys)],
                "event_action": "trigger",
                "dedup_key": summary,
                "payload": {"summary": summary, "source": "bench", "severity": "error"},
            }
            sent[summary] = time.time()
            client.post(f"{base}/v2/enqueue", json=body).raise_for_status()
            time.sleep(0.05)
        # Every alert's first page (level l0), or give up after the drain time.
        deadline = time.time() + DRAIN
        while time.time() < deadline:
            with receiver.lock:
                got = {t for _, p, _, t in receiver.arrivals if p.strip("/").startswith("l0-")}
            if sum(1 for s in sent if any(s in t for t in got)) >= ALERTS:
                break
            time.sleep(0.1)
    with receiver.lock:
        arrivals = list(receiver.arrivals)
    first: dict[str, float] = {}
    pattern = re.compile(r"a2p-\d+-\d+")
    for at, _path, _iid, title in arrivals:
        found = pattern.search(title)
        if found and found.group(0) in sent:
            first.setdefault(found.group(0), at)
    latencies = [first[s] - sent[s] for s in first]
    figures: dict[str, Any] = {"alerts": ALERTS, "paged": len(first), **quantiles(latencies)}
    figures["meets_p99"] = (
        figures["p99_s"] is not None and figures["p99_s"] <= TARGET_A2P_P99 and len(first) == ALERTS
    )
    return figures


def run(label: str, url: str, count: int) -> dict[str, Any]:
    ok = lambda b: "met" if b else "NOT met"  # noqa: E731
    with Receiver() as receiver:
        t0 = time.monotonic()
        keys, triggered = seed(url, receiver)
        seeded = time.monotonic() - t0
        with engines(url, count):
            late = lateness(receiver, triggered)
            print(
                f"{label:12} lateness  {late['pages_received']}/{late['pages_expected']} pages  "
                f"p50 {late['p50_s']} s  p99 {late['p99_s']} s  max {late['max_s']} s  "
                f"(p99 ≤ {TARGET_LATENESS_P99} s {ok(late['meets_p99'])}, "
                f"max ≤ {TARGET_LATENESS_MAX} s {ok(late['meets_max'])})  "
                f"seeded in {seeded:.1f} s",
                flush=True,
            )
            try:
                a2p = alert_to_page(url, keys, receiver)
            except RuntimeError as exc:  # the server did not come up: say so, keep going
                a2p = {"alerts": ALERTS, "paged": 0, "error": str(exc), "meets_p99": False}
    print(
        f"{label:12} alert→page {a2p['paged']}/{a2p['alerts']} alerts  "
        f"p50 {a2p.get('p50_s')} s  p99 {a2p.get('p99_s')} s  max {a2p.get('max_s')} s  "
        f"(p99 ≤ {TARGET_A2P_P99} s {ok(a2p['meets_p99'])}) {a2p.get('error', '')}",
        flush=True,
    )
    return {"engines": count, "lateness": late, "alert_to_first_page": a2p}


def engine_options() -> dict[str, float]:
    from warroom.cli.server import DEFAULT_BATCH, DEFAULT_CONCURRENCY
    from warroom.engine.runner import DEFAULT_IDLE_SECONDS

    return {
        "concurrency": int(CONCURRENCY or DEFAULT_CONCURRENCY),
        "batch": int(BATCH or DEFAULT_BATCH),
        "idle_seconds": float(IDLE or DEFAULT_IDLE_SECONDS),
    }


def main() -> None:
    figures: dict[str, Any] = {
        "incidents": INCIDENTS,
        "window_s": WINDOW,
        "level_delay_s": LEVEL_DELAY,
        "alerts": ALERTS,
        "teams": TEAMS,
        "engine": engine_options(),
        "targets": {
            "lateness_p99_s": TARGET_LATENESS_P99,
            "lateness_max_s": TARGET_LATENESS_MAX,
            "alert_to_first_page_p99_s": TARGET_A2P_P99,
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run("sqlite/1", f"sqlite:///{tmp}/escalation.db", 1)
    pg = os.environ.get("WARROOM_BENCH_POSTGRES_URL")
    if pg:
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        for count in PG_ENGINES:
            schema = f"bench_escalation_{os.getpid()}_{count}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                figures[f"postgres_{count}"] = run(
                    f"postgres/{count}", f"{pg}?options=-csearch_path%3D{schema}", count
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
