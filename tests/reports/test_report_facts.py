"""SQLite's stored report facts (warroom.reports.facts) stay what a rebuild from scratch
computes, whatever the incident actions do and in whatever order: incidents declared with
starts before others', resolved, reopened and re-graded. SQLite only: PostgreSQL keeps
no facts and pairs incidents at report time."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.reports.conftest import T0
from warroom.db.session import Database
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.incidents import actions
from warroom.incidents.models import Incident
from warroom.reports.facts import rebuild_facts
from warroom.reports.queries import ReportFilter, incident_report
from warroom.reports.sql import incidents
from warroom.services.actions import do_create_service

FACTS = (
    incidents.c.previous_triggered_at,
    incidents.c.gap_after_previous_seconds,
    incidents.c.previous_of_severity_triggered_at,
    incidents.c.gap_after_previous_of_severity_seconds,
    incidents.c.is_repeat,
)


@dataclass(frozen=True)
class Declare:
    service: str
    severity: Severity
    lag_minutes: int  # started this long before it was declared
    key: str | None
    drill: bool


@dataclass(frozen=True)
class Resolve:
    pick: int  # which incident, modulo how many there are


@dataclass(frozen=True)
class Reopen:
    pick: int


@dataclass(frozen=True)
class Regrade:
    pick: int
    severity: Severity


steps = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 30, 240, 1440, 5000]),  # minutes since the step before
        st.one_of(
            st.builds(
                Declare,
                service=st.sampled_from(["checkout", "search"]),
                severity=st.sampled_from(Severity),
                lag_minutes=st.sampled_from([0, 0, 5, 90, 600, 3000]),
                key=st.none() | st.sampled_from(["disk-full", "latency"]),
                drill=st.sampled_from([False, False, False, True]),
            ),
            st.builds(Resolve, pick=st.integers(0, 50)),
            st.builds(Reopen, pick=st.integers(0, 50)),
            st.builds(Regrade, pick=st.integers(0, 50), severity=st.sampled_from(Severity)),
        ),
    ),
    min_size=5,
    max_size=40,
)


def _facts(session: Session) -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: tuple(row[1:])
        for row in session.execute(select(incidents.c.id, *FACTS).order_by(incidents.c.id))
    }


def _play(session: Session, plan: list[tuple[int, Any]]) -> None:
    now = T0
    for name in ("checkout", "search"):
        do_create_service(session, name=name, now=now)
    declared: list[int] = []
    for minutes, step in plan:
        now += timedelta(minutes=minutes)
        if isinstance(step, Declare):
            open_keys = set(
                session.scalars(
                    select(Incident.dedup_key).where(
                        Incident.open_dedup_key.is_not(None),
                        Incident.service.has(name=step.service),
                    )
                )
            )
            incident = actions.do_declare(
                session,
                title="Checkout is failing",
                severity=step.severity,
                service=step.service,
                actor="ada",
                now=now,
                drill=step.drill,
                started_at=now - timedelta(minutes=step.lag_minutes),
                dedup_key=step.key if step.key not in open_keys else None,
            )
            declared.append(incident.id)
            continue
        if not declared:
            continue
        incident_id = declared[step.pick % len(declared)]
        status = session.get_one(Incident, incident_id).status
        if isinstance(step, Resolve) and status is not Status.RESOLVED:
            actions.do_resolve(session, incident_id=incident_id, actor="ada", now=now)
        elif isinstance(step, Reopen) and status is Status.RESOLVED:
            actions.do_reopen(session, incident_id=incident_id, actor="ada", now=now)
        elif isinstance(step, Regrade) and status is not Status.RESOLVED:
            actions.do_change_severity(
                session, incident_id=incident_id, severity=step.severity, actor="ada", now=now
            )
    session.flush()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_the_facts_the_actions_keep_are_those_a_rebuild_computes(
    sqlite_db: Database, plan: list[tuple[int, Any]]
) -> None:
    with sqlite_db.read() as session:
        # Everything is rolled back at the end: each example starts empty.
        _play(session, plan)
        kept = _facts(session)
        rebuild_facts(session)
        assert kept == _facts(session)


def test_a_backdated_incident_becomes_the_previous_one_of_the_next(sqlite_db: Database) -> None:
    # Declared last but started first: the incident that was first until then now follows
    # it, and its gap is measured from the backdated one's resolution.
    plan: list[tuple[int, Any]] = [
        (0, Declare("checkout", Severity.SEV2, 0, None, False)),
        (60, Declare("checkout", Severity.SEV2, 600, None, False)),
        (10, Resolve(1)),
    ]
    with sqlite_db.read() as session:
        _play(session, plan)
        first, backdated = _facts(session).values()
    assert backdated[0] is None
    # The backdated one started 9 h before the first and was resolved 70 min after it.
    assert first[0] == T0 + timedelta(minutes=60)  # when the backdated one was triggered
    assert first[1] is None  # they overlapped: no gap


def test_reopening_an_incident_takes_back_the_repeat_it_made(sqlite_db: Database) -> None:
    # disk-full resolved, back two days later (a repeat); then the first one is reopened:
    # it was not really resolved, so the second is no longer a repeat; resolved again
    # after the second one started, it makes no repeat either.
    plan: list[tuple[int, Any]] = [
        (0, Declare("checkout", Severity.SEV2, 0, "disk-full", False)),
        (30, Resolve(0)),
        (2 * 1440, Declare("checkout", Severity.SEV2, 0, "disk-full", False)),
    ]
    with sqlite_db.read() as session:
        _play(session, plan)
        first, second = (int(i) for i in _facts(session))
        assert _facts(session)[second][-1] is True
        later = T0 + timedelta(days=3)
        actions.do_reopen(session, incident_id=first, actor="ada", now=later)
        session.flush()
        assert _facts(session)[second][-1] is False
        actions.do_resolve(session, incident_id=first, actor="ada", now=later)
        session.flush()
        assert _facts(session)[second][-1] is False


def test_a_start_at_the_calendars_edge_still_reports(sqlite_db: Database) -> None:
    # The API refuses starts before 1970; a row written another way with a start in
    # year 1 makes the longest detection lag reach past the calendar: the report pairs
    # every incident instead of failing.
    with sqlite_db.read() as session:
        do_create_service(session, name="checkout", now=T0)
        ancient = actions.do_declare(
            session,
            title="Found in the archive",
            severity=Severity.SEV4,
            service="checkout",
            actor="ada",
            now=T0,
            started_at=datetime(1, 1, 1, tzinfo=UTC),
        )
        actions.do_resolve(session, incident_id=ancient.id, actor="ada", now=T0)
        later = actions.do_declare(
            session,
            title="Checkout is failing",
            severity=Severity.SEV4,
            service="checkout",
            actor="ada",
            now=T0 + timedelta(hours=2),
        )
        actions.do_resolve(session, incident_id=later.id, actor="ada", now=T0 + timedelta(hours=3))
        session.flush()
        got = incident_report(
            session,
            where=ReportFilter(T0 - timedelta(days=1), T0 + timedelta(hours=1)),
            now=T0 + timedelta(days=1),
        )
        assert got.total_incidents == 1
        whole = incident_report(
            session,
            where=ReportFilter(T0 - timedelta(days=1), T0 + timedelta(days=1)),
            now=T0 + timedelta(days=1),
        )
        assert whole.mttf_hours == pytest.approx(2.0)
