"""The pure handoff rules: what the timer does at an instant, and what the notice says."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.handoff import (
    CHECKLIST,
    READINESS_LEAD,
    Handoff,
    IncidentItem,
    Note,
    Person,
    handoff_message,
    plan_shift_notices,
    readiness_message,
)
from warroom.domain.schedule import Layer, Schedule, Shift

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rotation(hours: float, users: tuple[str, ...] = ("ann", "bob", "cat")) -> Schedule:
    return Schedule("primary", "UTC", (Layer("main", users, T0, hours),))


def test_it_hands_over_only_the_current_shift_after_missing_several() -> None:
    plan = plan_shift_notices(rotation(24), since=T0, now=T0 + timedelta(days=3, hours=2))
    assert plan.handoff is not None
    assert (plan.handoff.user, plan.handoff.start) == ("ann", T0 + timedelta(days=3))
    assert plan.outgoing is not None
    assert plan.outgoing.user == "cat"


def test_it_hands_over_nothing_when_no_shift_began_since_the_last_run() -> None:
    plan = plan_shift_notices(
        rotation(24), since=T0 + timedelta(hours=1), now=T0 + timedelta(hours=5)
    )
    assert plan.handoff is None
    assert plan.next_run == T0 + timedelta(days=1)


@given(
    hours=st.sampled_from([1.0, 8.0, 12.0, 24.0, 168.0]),
    offset_minutes=st.integers(min_value=0, max_value=60 * 24 * 14),
)
def test_it_wakes_at_the_next_change_or_readiness_check_never_later(
    hours: float, offset_minutes: int
) -> None:
    schedule = rotation(hours)
    now = T0 + timedelta(minutes=offset_minutes)
    plan = plan_shift_notices(schedule, since=now, now=now)
    step = timedelta(hours=hours)
    next_change = T0 + step * ((now - T0) // step + 1)
    assert now < plan.next_run <= next_change
    if next_change - READINESS_LEAD > now:
        assert plan.next_run <= next_change - READINESS_LEAD
    assert all(now < s.start <= now + READINESS_LEAD for s in plan.upcoming)
    assert (next_change <= now + READINESS_LEAD) == any(
        s.start == next_change for s in plan.upcoming
    )


def test_it_writes_the_reference_checklist_with_incidents_and_notes() -> None:
    title, body = handoff_message(
        Handoff(
            schedule="primary",
            time_zone="Europe/Berlin",
            schedule_url="https://wr.example/schedules/1",
            start=T0,
            end=T0 + timedelta(days=7),
            incoming=Person("bob", "Bob"),
            outgoing=Person("ann", "Ann"),
            owner=Person("olga", "Olga"),
            secondary=(Person("cat", "Cat"),),
            open_incidents=(
                IncidentItem(7, "Search down", "SEV-1", "investigating", "search", "u/7"),
                IncidentItem(8, "Checkout slow", "SEV-2", "triggered", "checkout", "u/8", True),
            ),
            recent_incidents=(IncidentItem(5, "DNS flap", "SEV-3", "resolved", "edge", "u/5"),),
            documentation=(("Schedule primary", "https://wr.example/schedules/1"),),
            notes=(Note(T0 - timedelta(hours=3), "Cache warmed, watch p99"),),
        )
    )
    assert title == "You are now on call for primary"
    positions = [body.index(item) for item in CHECKLIST]
    assert positions == sorted(positions)
    assert body.index("Checkout slow") < body.index("Search down")  # covered service first
    for expected in (
        "DNS flap",
        "Cache warmed, watch p99",
        "Ann (@ann)",
        "Olga (@olga)",
        "Cat (@cat)",
        "10:00 CET",
        "https://wr.example/schedules/1",
    ):
        assert expected in body


def test_it_words_the_readiness_warning_for_the_person_and_for_the_owner() -> None:
    shift = Shift("bob", "main", T0, T0 + timedelta(days=1))

    def warning(*, to_owner: bool) -> tuple[str, str]:
        return readiness_message(
            schedule="primary",
            time_zone="UTC",
            shift=shift,
            person=Person("bob", "Bob"),
            schedule_url="u",
            to_owner=to_owner,
        )

    mine, owners = warning(to_owner=False), warning(to_owner=True)
    assert "Verify a contact method" in mine[0]
    assert "Bob (@bob)" in owners[0]
    assert "no verified contact method" in owners[1]
