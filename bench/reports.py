"""Reports benchmark (`make bench`): SPEC §2's report over 1,000,000 incidents on SQLite.

Builds a migrated SQLite database with ~3 years of history (50 services in 5 teams, a
realistic mix of severities, detection lags, acknowledgement and repair times, alert
keys that repeat, a few drills and still-open incidents), inserted in bulk, then times,
best of 3 each: `incident_report` over the whole period and over the last 30 days,
`weekly_trend` over 90 days, and `GET /api/v1/reports/incidents` (whole period) on a real
`warroom serve`. The target: the whole-period report under 1 s. The last line printed is
JSON.

WARROOM_BENCH_INCIDENTS sets how many incidents (default 1,000,000)."""

import json
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.common import warroom_server
from warroom.db.migrate import upgrade
from warroom.db.session import Database, sqlite_driver
from warroom.domain.lifecycle import Status
from warroom.domain.severity import DEFAULT_RESPONSE_TARGETS_MINUTES, Severity
from warroom.reports.facts import rebuild_facts
from warroom.reports.queries import ReportFilter, incident_report, weekly_trend
from warroom.services.models import Service
from warroom.teams.models import Team
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole

INCIDENTS = int(os.environ.get("WARROOM_BENCH_INCIDENTS", "1000000"))
SERVICES = 50
TEAMS = ("payments", "search", "platform", "growth", "data")
YEARS = 3
BATCH = 50_000
TARGET_SECONDS = 1.0
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# (severity, share, median minutes to acknowledge, median minutes to repair)
MIX = (
    (Severity.SEV1, 0.03, 4.0, 50.0),
    (Severity.SEV2, 0.12, 9.0, 110.0),
    (Severity.SEV3, 0.35, 25.0, 240.0),
    (Severity.SEV4, 0.50, 90.0, 900.0),
)
# Each service has this many alert rules; a few fire often (and repeat), most rarely.
ALERTS_PER_SERVICE = 400


def _stamp(epoch: float) -> str:
    # SQLAlchemy's SQLite DateTime text form (what UTCDateTime stores), written directly
    # so a million rows go in without a million bind-processor calls.
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _rows(n: int, service_ids: list[int], rng: random.Random) -> Iterator[tuple[Any, ...]]:
    end = NOW.timestamp()
    start = end - YEARS * 365 * 86400
    # Busier services get more incidents (a Zipf-like spread, as in real fleets).
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(service_ids))]
    services = rng.choices(service_ids, weights, k=n)
    alert_weights = [1 / (rank + 1) for rank in range(ALERTS_PER_SERVICE)]
    alerts = rng.choices(range(ALERTS_PER_SERVICE), alert_weights, k=n)
    times = sorted(rng.uniform(start, end) for _ in range(n))
    severities = rng.choices(MIX, [m[1] for m in MIX], k=n)
    for triggered, service_id, alert, (severity, _, ack_median, repair_median) in zip(
        times, services, alerts, severities, strict=True
    ):
        from_alert = rng.random() < 0.8
        lag = rng.expovariate(1 / 180) if from_alert else 0.0
        started = triggered - lag
        age_hours = (end - triggered) / 3600
        acked = (
            triggered + rng.lognormvariate(math.log(ack_median * 60), 0.9)
            if rng.random() < 0.96
            else None
        )
        repair = rng.lognormvariate(math.log(repair_median * 60), 1.0)
        resolved = triggered + repair if triggered + repair < end else None
        if resolved is not None and age_hours < 48 and rng.random() < 0.3:
            resolved = None  # a few recent ones are still being worked on
        if acked is not None and (acked > end or (resolved is not None and acked > resolved)):
            acked = None  # resolved (by its source) before anyone took it
        if resolved is None:
            status = Status.ACKNOWLEDGED if acked is not None else Status.TRIGGERED
        else:
            status = Status.CLOSED if age_hours > 24 * 30 else Status.RESOLVED
        key = f"service-{service_id}/alertname=rule-{alert}" if from_alert else None
        # Time by phase (warroom.incidents.phase_time): waiting for someone, then triage,
        # response and recovery sharing the repair, then analysis until closed.
        waited = (acked or resolved or end) - triggered
        work = (resolved - (acked or triggered)) if resolved is not None else 0.0
        analysis = 7 * 86400.0 if status is Status.CLOSED else 0.0
        phase_since = resolved or acked or triggered
        yield (
            f"{severity} on service {service_id}",
            "",
            str(severity),
            str(status),
            service_id,
            rng.random() < 0.01,  # drill
            True,
            _stamp(started),
            _stamp(triggered),
            _stamp(triggered),
            None if acked is None else _stamp(acked),
            None if resolved is None else _stamp(resolved),
            DEFAULT_RESPONSE_TARGETS_MINUTES[severity],
            key,
            _stamp(resolved or acked or triggered),
            _stamp(phase_since),
            waited,
            0.1 * work,
            0.6 * work,
            0.3 * work,
            analysis,
        )


INSERT = (
    "INSERT INTO incidents (title, description, severity, status, service_id, drill, "
    "severity_assessed, started_at, detected_at, triggered_at, acknowledged_at, "
    "resolved_at, response_target_minutes, dedup_key, updated_at, phase_since, "
    "detection_seconds, triage_seconds, response_seconds, recovery_seconds, "
    "analysis_seconds, reopen_count, updates_on_time, updates_late, public, "
    "public_responders) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)"
)


def seed(url: str, n: int) -> str:
    """The database; returns a viewer's API token."""
    upgrade(url)
    db = Database(url)
    with db.write() as session:
        teams = [Team(name=name, description="", created_at=NOW) for name in TEAMS]
        session.add_all(teams)
        session.flush()
        services = [
            Service(
                name=f"service-{i:02d}",
                # The last five belong to nobody: reports leave them out of by_team.
                team_id=teams[i % len(TEAMS)].id if i < SERVICES - 5 else None,
                created_at=NOW,
            )
            for i in range(SERVICES)
        ]
        session.add_all(services)
        session.flush()
        service_ids = [s.id for s in services]
        user = do_create_user(session, handle="bench", name="Bench", role=UserRole.VIEWER, now=NOW)
        token = do_create_token(session, user=user, now=NOW).secret
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        rows = _rows(n, service_ids, random.Random(6))
        while True:
            batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            cursor.execute("BEGIN")
            cursor.executemany(INSERT, batch)
            cursor.execute("COMMIT")
        cursor.close()
    finally:
        raw.close()
    # What the incident actions keep for each incident, computed at once for the bulk.
    with db.engine.begin() as connection:
        rebuild_facts(connection)
    db.dispose()
    return token


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """The best wall-clock and CPU seconds of `runs` runs (CPU: this process's, which
    is where SQLite works; on a busy machine it is the steadier figure)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return round(min(walls), 4), round(min(cpus), 4)


def run(url: str, n: int) -> dict[str, Any]:
    began = time.perf_counter()
    token = seed(url, n)
    figures: dict[str, Any] = {"incidents": n, "seed_s": round(time.perf_counter() - began, 1)}
    whole = ReportFilter(since=NOW - timedelta(days=YEARS * 366), until=NOW)
    # Two years ending a week ago: both boundaries cut through the history.
    years = ReportFilter(since=NOW - timedelta(days=737), until=NOW - timedelta(days=7))
    month = ReportFilter(since=NOW - timedelta(days=30), until=NOW)
    quarter = ReportFilter(since=NOW - timedelta(days=90), until=NOW)
    db = Database(url)
    with db.read() as session:
        figures["counted"] = incident_report(session, where=whole, now=NOW).total_incidents
        for name, work in (
            ("report_all", lambda: incident_report(session, where=whole, now=NOW)),
            ("report_2y", lambda: incident_report(session, where=years, now=NOW)),
            ("report_30d", lambda: incident_report(session, where=month, now=NOW)),
            ("trend_90d", lambda: weekly_trend(session, where=quarter, now=NOW)),
        ):
            figures[f"{name}_s"], figures[f"{name}_cpu_s"] = best_of(3, work)
    db.dispose()
    with warroom_server(url) as base, httpx.Client(base_url=base, timeout=120) as client:
        params = {"since": whole.since.isoformat(), "until": whole.until.isoformat()}
        headers = {"Authorization": f"Bearer {token}"}

        def ask() -> None:
            response = client.get("/api/v1/reports/incidents", params=params, headers=headers)
            response.raise_for_status()

        figures["http_report_all_s"], _ = best_of(3, ask)
    figures["sqlite_version"] = sqlite_driver().sqlite_version
    figures["target_s"] = TARGET_SECONDS
    figures["target_met"] = figures["report_all_s"] < TARGET_SECONDS
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = run(f"sqlite:///{tmp}/reports.db", INCIDENTS)
    print(
        f"{f['incidents']:,} incidents (seeded in {f['seed_s']} s): report, whole period "
        f"{f['report_all_s']} s, two years {f['report_2y_s']} s, last 30 days "
        f"{f['report_30d_s']} s; weekly trend, 90 days "
        f"{f['trend_90d_s']} s; over HTTP {f['http_report_all_s']} s (best of 3)"
    )
    print(json.dumps(f))


if __name__ == "__main__":
    main()
