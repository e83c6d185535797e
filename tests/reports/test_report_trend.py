"""The weekly trend: a point per week (Monday 00:00 UTC) over the period, incidents by
severity and each week's MTTA and MTTR, equal to the same figures computed from the
rows in Python."""

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from tests.reports.conftest import SERVICES, T0, Org, Row, insert_rows
from warroom.domain.metrics import IncidentTimes, mtta_minutes, mttr_minutes
from warroom.domain.severity import Severity
from warroom.reports.queries import ReportFilter, weekly_trend

DAY = 24 * 60
WEEK = 7 * DAY


def test_weeks_start_on_monday_and_an_incident_at_midnight_opens_its_week(org: Org) -> None:
    # T0 is Monday 09:00; the period starts on Wednesday and ends (exclusive) three
    # Mondays later at 00:00.
    monday = -9 * 60  # T0's Monday 00:00, in minutes from T0
    rows = [
        Row("checkout", Severity.SEV1, triggered=2 * DAY, acknowledged=2 * DAY + 6),
        Row("search", Severity.SEV3, triggered=monday + WEEK - 1 / 60, resolved=monday + WEEK),
        Row("search", Severity.SEV3, triggered=monday + WEEK, acknowledged=monday + WEEK + 2),
        Row("checkout", Severity.SEV2, triggered=monday + 3 * WEEK),  # at `until`: out
        Row("checkout", Severity.SEV2, triggered=DAY),  # before `since` (Tuesday): out
    ]
    where = ReportFilter(T0 + timedelta(days=2), T0 + timedelta(minutes=monday + 3 * WEEK))
    with org.db.read() as session:
        insert_rows(session, org, rows)
        weeks = weekly_trend(session, where=where, now=T0 + timedelta(days=60))
    assert [w.week_start.isoformat() for w in weeks] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert [w.incidents for w in weeks] == [2, 1, 0]
    assert weeks[0].by_severity == {"SEV-1": 1, "SEV-2": 0, "SEV-3": 1, "SEV-4": 0}
    assert weeks[0].mtta_minutes == pytest.approx(6.0)
    # SQLite subtracts julianday() floats: exact to the millisecond.
    assert weeks[0].mttr_minutes == pytest.approx(1 / 60, abs=1e-5)
    assert weeks[1].mtta_minutes == pytest.approx(2.0)
    assert weeks[1].mttr_minutes is None
    assert weeks[2].mtta_minutes is None


def test_it_stops_at_the_week_of_now_and_is_empty_for_a_future_period(org: Org) -> None:
    where = ReportFilter(T0, T0 + timedelta(days=60))
    with org.db.read() as session:
        weeks = weekly_trend(session, where=where, now=T0 + timedelta(days=8))
        assert [w.week_start.isoformat() for w in weeks] == ["2026-03-02", "2026-03-09"]
        later = ReportFilter(T0 + timedelta(days=30), T0 + timedelta(days=60))
        assert len(weekly_trend(session, where=later, now=T0)) == 5


@pytest.mark.parametrize("seed", range(3))
def test_the_weekly_figures_equal_the_rows_grouped_by_week(org: Org, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(300):
        triggered = rng.randint(0, 40 * DAY)
        ack = rng.choice([None, rng.randint(0, 300)])
        rows.append(
            Row(
                rng.choice(sorted(SERVICES)),
                rng.choice(list(Severity)),
                triggered=triggered,
                detect_lag=rng.choice([0, 3]),
                acknowledged=None if ack is None else triggered + ack,
                resolved=rng.choice([None, triggered + 400 + rng.randint(0, 2000)]),
                drill=rng.random() < 0.1,
            )
        )
    where = ReportFilter(T0 + timedelta(days=3), T0 + timedelta(days=33), team="payments")
    with org.db.read() as session:
        insert_rows(session, org, rows)
        weeks = weekly_trend(session, where=where, now=T0 + timedelta(days=50))
    by_week: dict[int, list[Row]] = defaultdict(list)
    first_monday = T0 - timedelta(hours=9)
    for row in rows:
        if (
            not row.drill
            and SERVICES[row.service] == "payments"
            and where.since <= row.triggered_at < where.until
        ):
            by_week[(row.triggered_at - first_monday) // timedelta(weeks=1)].append(row)
    assert len(weeks) == 5
    for n, point in enumerate(weeks):
        items = [
            IncidentTimes(
                severity=r.severity,
                service=r.service,
                started_at=r.started_at,
                detected_at=r.triggered_at,
                triggered_at=r.triggered_at,
                acknowledged_at=r.at(r.acknowledged),
                resolved_at=r.at(r.resolved),
                response_target_minutes=r.target,
            )
            for r in by_week[n]
        ]
        assert point.week_start == (first_monday + timedelta(weeks=n)).date()
        assert point.incidents == len(items)
        assert point.by_severity == {
            str(s): sum(1 for i in items if i.severity is s) for s in Severity
        }
        for got, wanted in (
            (point.mtta_minutes, mtta_minutes(items)),
            (point.mttr_minutes, mttr_minutes(items)),
        ):
            assert got == pytest.approx(wanted) if wanted is not None else got is None
