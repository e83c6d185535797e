"""On-call load: pages sent per person, and those that reached them asleep (22:00-08:00)
or off hours (outside Monday-Friday 08:00-18:00) on their own clock, DST and
half-hour zones included."""

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tests.reports.conftest import T0, Org, Row, insert_rows
from warroom.paging.models import Page, PageState
from warroom.reports.queries import PersonLoad, ReportFilter, oncall_load
from warroom.users.actions import do_create_user

_LEVELS = itertools.count()


def _people(session: Session, zones: dict[str, str]) -> dict[str, int]:
    return {
        handle: do_create_user(
            session, handle=handle, name=handle.title(), time_zone=zone, now=T0
        ).id
        for handle, zone in zones.items()
    }


def _pages(
    session: Session,
    *,
    user_id: int,
    incident_id: int,
    at: Sequence[datetime],
    state: PageState = PageState.SENT,
) -> None:
    session.execute(
        insert(Page),
        [
            {
                "incident_id": incident_id,
                "loop": 1,
                "level": next(_LEVELS),  # a level each: pages' unique key holds
                "user_id": user_id,
                "contact": "mailto://oncall@example.com",
                "delay_minutes": 0.0,
                "state": state,
                "attempts": 1,
                "created_at": moment,
                "sent_at": moment if state is PageState.SENT else None,
            }
            for moment in at
        ],
    )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _by_handle(loads: Sequence[PersonLoad]) -> dict[str, tuple[int, int, int, int]]:
    return {p.handle: (p.pages, p.incidents, p.sleep_pages, p.off_hours_pages) for p in loads}


WHOLE_YEAR = ReportFilter(_utc("2026-01-01T00:00:00"), _utc("2027-01-01T00:00:00"))


def test_it_counts_sleep_and_off_hours_on_each_persons_own_clock(org: Org) -> None:
    with org.db.read() as session:
        [checkout, search] = insert_rows(session, org, [Row("checkout"), Row("search")])
        ids = _people(
            session,
            {"paris": "Europe/Paris", "delhi": "Asia/Kolkata", "kathmandu": "Asia/Kathmandu"},
        )
        _pages(
            session,
            user_id=ids["paris"],
            incident_id=checkout,
            at=[
                _utc("2026-03-02T06:59:59"),  # Monday 07:59:59 CET: asleep, off hours
                _utc("2026-03-02T07:00:00"),  # 08:00 CET: awake, working hours
                _utc("2026-03-02T16:59:59"),  # 17:59:59: working hours
                _utc("2026-03-02T17:00:00"),  # 18:00: off hours, awake
                _utc("2026-03-02T21:00:00"),  # 22:00: asleep
                _utc("2026-03-07T12:00:00"),  # Saturday 13:00: off hours
                # Summer time from 29 March: 06:00 UTC is 08:00 CEST, 05:59 is asleep.
                _utc("2026-03-30T06:00:00"),
                _utc("2026-03-30T05:59:00"),
            ],
        )
        _pages(
            session,
            user_id=ids["paris"],
            incident_id=search,
            at=[_utc("2026-03-03T10:00:00")],  # Tuesday 11:00: working hours
        )
        # Half-hour and quarter-hour zones: 22:00 falls inside a UTC hour.
        _pages(
            session,
            user_id=ids["delhi"],
            incident_id=checkout,
            at=[_utc("2026-03-03T16:29:59"), _utc("2026-03-03T16:30:00")],  # 21:59:59, 22:00
        )
        _pages(
            session,
            user_id=ids["kathmandu"],
            incident_id=checkout,
            at=[_utc("2026-03-03T16:14:59"), _utc("2026-03-03T16:15:00")],  # 21:59:59, 22:00
        )
        loads = oncall_load(session, where=WHOLE_YEAR)
    assert [p.handle for p in loads] == ["paris", "delhi", "kathmandu"]  # most paged first
    assert _by_handle(loads) == {
        "paris": (9, 2, 3, 5),
        "delhi": (2, 1, 1, 2),
        "kathmandu": (2, 1, 1, 2),
    }
    assert loads[0].time_zone == "Europe/Paris"
    assert loads[0].name == "Paris"


def test_a_quarter_hour_that_straddles_a_local_hour_is_counted_page_by_page(org: Org) -> None:
    # Monrovia kept -0:44:30 until 1972: 22:00 local was 22:44:30 UTC, inside a quarter
    # hour; each page there is placed on the clock by itself.
    with org.db.read() as session:
        [incident] = insert_rows(session, org, [Row("checkout")])
        ids = _people(session, {"monrovia": "Africa/Monrovia"})
        _pages(
            session,
            user_id=ids["monrovia"],
            incident_id=incident,
            at=[_utc("1971-06-01T22:44:29"), _utc("1971-06-01T22:44:30")],  # a Tuesday
        )
        where = ReportFilter(_utc("1971-06-01T00:00:00"), _utc("1971-06-02T00:00:00"))
        loads = oncall_load(session, where=where)
    assert _by_handle(loads) == {"monrovia": (2, 1, 1, 2)}


def test_only_pages_sent_in_the_period_for_the_reports_incidents_count(org: Org) -> None:
    with org.db.read() as session:
        [checkout, search, drill] = insert_rows(
            session, org, [Row("checkout"), Row("search"), Row("checkout", drill=True)]
        )
        ids = _people(session, {"ann": "UTC", "bob": "Not/AZone"})
        noon = _utc("2026-03-04T12:00:00")  # a Wednesday
        _pages(session, user_id=ids["ann"], incident_id=checkout, at=[noon])
        _pages(
            session, user_id=ids["ann"], incident_id=search, at=[noon, noon + timedelta(minutes=5)]
        )
        _pages(session, user_id=ids["ann"], incident_id=drill, at=[noon])
        _pages(
            session,
            user_id=ids["ann"],
            incident_id=checkout,
            at=[noon + timedelta(hours=1)],
            state=PageState.FAILED,
        )
        _pages(session, user_id=ids["bob"], incident_id=checkout, at=[_utc("2025-12-31T23:59:59")])
        _pages(session, user_id=ids["bob"], incident_id=search, at=[_utc("2026-03-04T23:00:00")])
        everything = oncall_load(session, where=WHOLE_YEAR)
        checkout_only = oncall_load(
            session,
            where=ReportFilter(WHOLE_YEAR.since, WHOLE_YEAR.until, service="checkout"),
        )
        payments = oncall_load(
            session, where=ReportFilter(WHOLE_YEAR.since, WHOLE_YEAR.until, team="payments")
        )
        drills = oncall_load(
            session, where=ReportFilter(WHOLE_YEAR.since, WHOLE_YEAR.until, drill=True)
        )
    # An unknown time zone reads as UTC: 23:00 is asleep.
    assert _by_handle(everything) == {"ann": (3, 2, 0, 0), "bob": (1, 1, 1, 1)}
    assert _by_handle(checkout_only) == {"ann": (1, 1, 0, 0)}
    assert _by_handle(payments) == _by_handle(checkout_only)
    assert _by_handle(drills) == {"ann": (1, 1, 0, 0)}
