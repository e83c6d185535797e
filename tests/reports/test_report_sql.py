"""The SQL report equals SPEC §2's definitions (warroom.domain.metrics) computed in
Python from the same rows, on SQLite and on PostgreSQL, for any set of incidents."""

import random
from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.conftest import SERVICES, T0, Org, Row, insert_rows
from warroom.domain.action_items import ActionItemStatus
from warroom.domain.lifecycle import Status
from warroom.domain.metrics import Figures, IncidentTimes, figures, report
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.severity import Severity
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.reports import gaps, sql
from warroom.reports.queries import ReportFilter, incident_report
from warroom.reports.schemas import FiguresOut, ReportOut

DAY = 24 * 60  # minutes
SINCE, UNTIL, NOW = T0 + timedelta(days=5), T0 + timedelta(days=15), T0 + timedelta(days=20)


def _row(
    service: str,
    severity: Severity,
    triggered: int,
    lag: int,
    ack: int | None,
    repair: int | None,
    target: float,
    key: str | None,
    drill: bool,
) -> Row:
    # What the data model guarantees (incidents.actions): started <= detected =
    # triggered; acknowledged and resolved after the trigger, resolved after the
    # acknowledgement, neither after now. Times are whole seconds: SQLite's date functions
    # count milliseconds, so finer times would differ by rounding, not by definition.
    acknowledged = triggered + ack if ack is not None else None
    resolved = max(triggered, acknowledged or triggered) + repair if repair is not None else None
    limit = 20 * DAY
    return Row(
        service=service,
        severity=severity,
        triggered=triggered,
        detect_lag=lag,
        acknowledged=acknowledged if acknowledged is not None and acknowledged <= limit else None,
        resolved=resolved if resolved is not None and resolved <= limit else None,
        target=target,
        key=key,
        drill=drill,
    )


# Times on a half-hour grid over twenty days, around a period from day 5 to day 15:
# incidents before it (history for repeats), in it and after it, dense enough that
# incidents overlap, repeat, and meet exactly (a start at the previous resolution, a
# repeat exactly 7 days on, an acknowledgement exactly on target).
SLOTS = 20 * DAY // 30
rows_strategy = st.lists(
    st.builds(
        _row,
        service=st.sampled_from(sorted(SERVICES)),
        severity=st.sampled_from(Severity),
        triggered=st.integers(0, SLOTS).map(lambda slot: slot * 30),
        lag=st.sampled_from([0, 0, 1, 30, 95, 600]),
        ack=st.none() | st.sampled_from([0, 10, 15, 30, 31, 120, 600]),
        repair=st.none() | st.integers(0, 6 * 48).map(lambda slot: slot * 30),
        target=st.sampled_from([15.0, 30.0, 120.0]),
        key=st.none() | st.sampled_from(["disk-full", "latency"]),
        drill=st.sampled_from([False] * 5 + [True]),
    ),
    min_size=20,
    max_size=60,
)


def random_rows(seed: int, n: int) -> list[Row]:
    """The same distribution, seeded: a larger set than hypothesis draws quickly."""
    rng = random.Random(seed)
    return [
        _row(
            service=rng.choice(sorted(SERVICES)),
            severity=rng.choice(list(Severity)),
            triggered=rng.randint(0, SLOTS) * 30,
            lag=rng.choice([0, 0, 1, 30, 95, 600]),
            ack=rng.choice([None, 0, 10, 15, 30, 31, 120, 600]),
            repair=rng.choice([None, rng.randint(0, 6 * 48) * 30]),
            target=rng.choice([15.0, 30.0, 120.0]),
            key=rng.choice([None, "disk-full", "latency"]),
            drill=rng.random() < 0.15,
        )
        for _ in range(n)
    ]


FILTERS = [
    ReportFilter(SINCE, UNTIL),
    ReportFilter(SINCE, UNTIL, service="checkout"),
    ReportFilter(SINCE, UNTIL, team="payments"),
    ReportFilter(SINCE, UNTIL, drill=True),
]


def _times(row: Row) -> IncidentTimes:
    return IncidentTimes(
        severity=row.severity,
        service=row.service,
        started_at=row.started_at,
        detected_at=row.triggered_at,
        triggered_at=row.triggered_at,
        acknowledged_at=row.at(row.acknowledged),
        resolved_at=row.at(row.resolved),
        response_target_minutes=row.target,
        dedup_key=row.key,
    )


def _same(actual: FiguresOut, expected: Figures) -> None:
    assert actual.total_incidents == expected.total_incidents
    assert actual.repeat_incidents == expected.repeat_incidents
    for name in (
        "mtta_minutes",
        "mttd_minutes",
        "mttr_minutes",
        "mttf_hours",
        "response_target_compliance",
    ):
        value, wanted = getattr(actual, name), getattr(expected, name)
        if wanted is None:
            assert value is None, name
        else:
            assert value == pytest.approx(wanted, rel=1e-6, abs=1e-6), name


def _check(got: ReportOut, rows: Sequence[Row], where: ReportFilter) -> None:
    # Every incident of the same kind (drills or not) is history: a repeat may point
    # back before the period, and to an incident of another severity. The period's
    # incidents are the same objects, so one never counts as its own repeat.
    kind = [(row, _times(row)) for row in rows if row.drill == where.drill]
    history = [times for _, times in kind]
    team_of = SERVICES
    chosen = [
        times
        for row, times in kind
        if where.since <= row.triggered_at < where.until
        and where.service in (None, row.service)
        and where.team in (None, team_of[row.service])
    ]
    expected = report(chosen, now=NOW, history=history)
    _same(got, expected.overall)
    assert set(got.by_severity) == {str(s) for s in expected.by_severity}
    for severity, wanted in expected.by_severity.items():
        _same(got.by_severity[str(severity)], wanted)
    assert set(got.by_service) == set(expected.by_service)
    for service, wanted in expected.by_service.items():
        _same(got.by_service[service], wanted)
    teams = {team_of[t.service] for t in chosen} - {None}
    assert set(got.by_team) == teams
    for team in teams:
        items = [t for t in chosen if team_of[t.service] == team]
        _same(got.by_team[str(team)], figures(items, now=NOW, history=history))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows_strategy, bounds=st.tuples(st.integers(0, SLOTS), st.integers(1, SLOTS)))
def test_the_sql_report_equals_the_domain_definitions(
    org: Org, rows: list[Row], bounds: tuple[int, int]
) -> None:
    # Rows go in uncommitted and the session rolls back: each example starts empty. Any
    # period on the grid too: its boundaries fall between, on and across incidents.
    first, length = bounds
    since = T0 + timedelta(minutes=first * 30)
    anywhere = ReportFilter(since, since + timedelta(minutes=length * 30))
    with org.db.read() as session:
        insert_rows(session, org, rows)
        for where in [*FILTERS, anywhere]:
            _check(incident_report(session, where=where, now=NOW), rows, where)


@pytest.mark.parametrize("limit", [gaps.BOUNDARY_LIMIT, 0], ids=["stored-facts", "pairing"])
@pytest.mark.parametrize("seed", range(3))
def test_stored_facts_and_pairing_give_the_same_figures(
    org: Org, seed: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite sums stored gaps and pairs the incidents around the period's boundaries; with
    # too many there, it pairs every incident of the period instead. Periods that cut
    # through incidents at both ends, and the whole history.
    monkeypatch.setattr(gaps, "BOUNDARY_LIMIT", limit)
    rows = random_rows(seed, 300)
    rng = random.Random(seed)
    periods = [ReportFilter(T0 - timedelta(days=1), NOW + timedelta(days=1))]
    for _ in range(15):
        start = rng.randint(0, SLOTS) * 30 + rng.choice([0, 1, 15])
        periods.append(
            ReportFilter(
                T0 + timedelta(minutes=start),
                T0 + timedelta(minutes=start + rng.randint(1, SLOTS) * 30),
                drill=rng.random() < 0.2,
            )
        )
    with org.db.read() as session:
        insert_rows(session, org, rows)
        for where in periods:
            _check(incident_report(session, where=where, now=NOW), rows, where)


@pytest.mark.parametrize("share", [1, 10**9], ids=["seek-the-period", "scan-the-index"])
@pytest.mark.parametrize("seed", range(4))
def test_the_sql_report_equals_the_domain_definitions_on_larger_sets(
    org: Org, seed: int, share: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite reads a short period through the (drill, triggered_at) index and a long one
    # by scanning the report indexes: both ways give the same figures.
    monkeypatch.setattr(sql, "NARROW_SHARE", share)
    rows = random_rows(seed, 400)
    with org.db.read() as session:
        insert_rows(session, org, rows)
        for where in FILTERS:
            _check(incident_report(session, where=where, now=NOW), rows, where)


def test_it_handles_the_hand_worked_cases(org: Org) -> None:
    hour = 60
    start = 6 * DAY
    rows = [
        # checkout: resolved after 1 h, the next one starts 2 h after that.
        Row(
            "checkout", triggered=start, detect_lag=2, acknowledged=start + 4, resolved=start + hour
        ),
        Row(
            "checkout",
            triggered=start + 3 * hour,
            acknowledged=start + 3 * hour + 10,
            resolved=start + 4 * hour,
            key="disk",
        ),
        # Overlaps the one before it: no gap.
        Row("checkout", triggered=start + 3 * hour + 30, key="disk"),
        # Repeats a search incident resolved before the period.
        Row("search", triggered=2 * DAY, resolved=2 * DAY + 30, key="disk"),
        Row("search", triggered=start + 5 * hour, acknowledged=start + 5 * hour + 45, key="disk"),
        # A drill: left out.
        Row("checkout", triggered=start, drill=True),
    ]
    with org.db.read() as session:
        insert_rows(session, org, rows)
        got = incident_report(session, where=ReportFilter(SINCE, UNTIL), now=NOW)
    assert got.total_incidents == 4
    assert got.mtta_minutes == pytest.approx((4 + 10 + 45) / 3)
    assert got.mttd_minutes == pytest.approx(2 / 4)
    assert got.mttr_minutes == pytest.approx((62 + 60) / 2)
    assert got.mttf_hours == pytest.approx(2.0)
    assert got.repeat_incidents == 1
    # 4 and 10 minutes met a 30-minute target, 45 missed it, the open one is past it.
    assert got.response_target_compliance == pytest.approx(2 / 4)
    assert got.by_service["search"].repeat_incidents == 1
    assert set(got.by_team) == {"payments", "discovery"}
    assert got.by_team["payments"].total_incidents == 3
    assert got.mean_stage_minutes.resolve == pytest.approx((56 + 50) / 2)
    assert got.incidents_by_phase == {
        "detection": 1,
        "triage": 1,
        "response": 0,
        "recovery": 0,
        "analysis": 2,
        "improvement": 0,
        "closed": 0,
    }


def test_the_boundaries_are_the_definitions_own(org: Org) -> None:
    start, week, second = 6 * DAY, 7 * DAY, 1 / 60
    rows = [
        # Resolved exactly 7 days before the next one starts: a repeat …
        Row("checkout", triggered=start - week - 60, resolved=start - week, key="a"),
        Row("checkout", triggered=start, acknowledged=start + 30, target=30.0, key="a"),
        # … a second more is not; nor is an incident its own repeat (resolved at once).
        Row("search", triggered=start - week - 60, resolved=start - week - second, key="b"),
        Row("search", triggered=start, resolved=start, key="b"),
        # Each starts the moment the one before it resolved: gaps of zero.
        Row("search", triggered=start, acknowledged=start + 1, resolved=start + 60),
        Row("search", triggered=start + 60, target=120.0),
        # Unacknowledged exactly as long as its target, now: not late yet.
        Row("wiki", triggered=20 * DAY - 15, target=15.0),
    ]
    with org.db.read() as session:
        insert_rows(session, org, rows)
        got = incident_report(session, where=ReportFilter(SINCE, NOW), now=NOW)
    assert got.by_service["checkout"].repeat_incidents == 1
    assert got.by_service["checkout"].response_target_compliance == 1.0  # 30 min of 30
    assert got.by_service["search"].repeat_incidents == 0
    assert got.by_service["search"].mttf_hours == 0.0
    assert got.by_service["wiki"].response_target_compliance is None


def test_it_counts_incidents_by_the_phase_they_are_in_now(org: Org) -> None:
    day = 6 * DAY
    statuses = [
        Status.TRIGGERED,
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.IDENTIFIED,
        Status.MONITORING,
        Status.RESOLVED,  # postmortem published, an action item open: improvement
        Status.RESOLVED,  # postmortem published, every item done: analysis
        Status.RESOLVED,  # postmortem in review: analysis
        Status.CLOSED,
    ]
    rows = [Row("checkout", triggered=day + n, status=s) for n, s in enumerate(statuses)]
    with org.db.read() as session:
        ids = insert_rows(session, org, rows)
        for incident_id, review, item in (
            (ids[5], PostmortemStatus.PUBLISHED, ActionItemStatus.OPEN),
            (ids[6], PostmortemStatus.PUBLISHED, ActionItemStatus.DONE),
            (ids[7], PostmortemStatus.IN_REVIEW, ActionItemStatus.OPEN),
        ):
            session.add(
                Postmortem(
                    incident_id=incident_id,
                    status=review,
                    created_by="ada",
                    created_at=T0,
                    updated_by="ada",
                    updated_at=T0,
                )
            )
            session.add(
                ActionItem(
                    incident_id=incident_id,
                    title="Fix it",
                    status=item,
                    created_by="ada",
                    created_at=T0,
                    updated_at=T0,
                )
            )
        session.flush()
        got = incident_report(session, where=ReportFilter(SINCE, UNTIL), now=NOW)
    assert got.incidents_by_phase == {
        "detection": 1,
        "triage": 1,
        "response": 2,
        "recovery": 1,
        "analysis": 2,
        "improvement": 1,
        "closed": 1,
    }


def test_an_empty_period_has_no_figures_rather_than_zeros(org: Org) -> None:
    with org.db.read() as session:
        got = incident_report(session, where=ReportFilter(SINCE, UNTIL), now=NOW)
    assert got.total_incidents == 0
    assert got.mtta_minutes is None
    assert got.mttf_hours is None
    assert got.response_target_compliance is None
    assert got.by_severity == got.by_service == got.by_team == {}
    assert sum(got.incidents_by_phase.values()) == 0


@pytest.mark.parametrize("limit", [gaps.BOUNDARY_LIMIT, 0], ids=["stored-facts", "pairing"])
def test_incidents_outside_the_period_do_not_break_a_pair(
    org: Org, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In order of start: one that began long before it was detected, inside the period;
    # one triggered just before the period; the next one of the period. MTTF pairs the
    # period's two; the one outside sits between them. The same at `until`.
    monkeypatch.setattr(gaps, "BOUNDARY_LIMIT", limit)
    since, until = 6 * DAY, 12 * DAY
    rows = [
        Row("checkout", triggered=since + 5, detect_lag=60, resolved=since + 10),
        Row("checkout", triggered=since - 10, resolved=since - 5),
        Row("checkout", triggered=since + 70, resolved=since + 80),
        Row("search", triggered=until - 60, resolved=until - 50),
        Row("search", triggered=until + 5, detect_lag=30, resolved=until + 6),
        Row("search", triggered=until - 10, resolved=until - 8),
    ]
    where = ReportFilter(T0 + timedelta(minutes=since), T0 + timedelta(minutes=until))
    with org.db.read() as session:
        insert_rows(session, org, rows)
        got = incident_report(session, where=where, now=NOW)
    assert got.by_service["checkout"].mttf_hours == pytest.approx(60 / 60)
    assert got.by_service["search"].mttf_hours == pytest.approx(40 / 60)
    assert got.mttf_hours == pytest.approx(50 / 60)


@pytest.mark.parametrize("seed", range(6))
def test_bounds_between_milliseconds_pair_as_the_full_pairing_does(
    org: Org, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API's default period ends now, to the microsecond; SQLite's julianday() keeps
    # milliseconds. Incidents triggered within a millisecond of a bound that is itself
    # between two milliseconds: the stored facts and boundary pairs give what pairing
    # every incident of the period gives.
    rng = random.Random(seed)
    ms = 1 / 60_000  # a millisecond, in minutes
    since, until = 6 * DAY + 0.5 * ms, 8 * DAY + 0.5 * ms
    rows = []
    for bound in [since] * 30 + [until] * 30 + [7 * DAY] * 10:
        triggered = bound + rng.choice([-2, -1, -0.7, -0.3, 0.2, 0.6, 1]) * ms
        took = rng.choice([0, 0.3 * ms, ms, 30, None])
        rows.append(
            Row(
                rng.choice(["checkout", "search"]),
                triggered=triggered,
                detect_lag=rng.choice([0, 0.4 * ms, 90]),
                resolved=triggered + took if took is not None else None,
            )
        )
    where = ReportFilter(T0 + timedelta(minutes=since), T0 + timedelta(minutes=until))
    with org.db.read() as session:
        insert_rows(session, org, rows)
        got = incident_report(session, where=where, now=NOW)
        monkeypatch.setattr(gaps, "BOUNDARY_LIMIT", 0)
        paired = incident_report(session, where=where, now=NOW)
    assert got.total_incidents == paired.total_incidents
    for name in ("checkout", "search"):
        assert got.by_service[name].mttf_hours == pytest.approx(paired.by_service[name].mttf_hours)
    for severity, wanted in paired.by_severity.items():
        assert got.by_severity[severity].mttf_hours == pytest.approx(wanted.mttf_hours)
