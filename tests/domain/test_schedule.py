"""On-call schedules as rules: layers, restrictions, overrides, and the DST rules of
docs/adr/0004-schedules-and-dst.md, over several zones."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.schedule import (
    OVERRIDE,
    Layer,
    Override,
    Restriction,
    Schedule,
    gaps,
    localize,
    oncall_at,
    render,
    to_instant,
)

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
TEAM = ("ann", "bob", "cat", "dan", "eve", "fay")
BUDGET = settings(max_examples=40, deadline=None, database=None)


def local(text: str, zone: str) -> datetime:
    """An ISO wall time in `zone`, resolved by the schedule rules."""
    return localize(datetime.fromisoformat(text), ZoneInfo(zone))


def reference(zone: str = "Europe/Berlin") -> Schedule:
    """The reference document's rotation: 6 people weekly, Monday 09:00 handoff;
    secondary is the same list shifted by one."""
    start = local("2026-01-05T09:00", zone)  # a Monday
    return Schedule(
        "team",
        zone,
        (
            Layer("primary", TEAM, start, 168),
            Layer("secondary", TEAM[1:] + TEAM[:1], start, 168),
        ),
    )


def one_layer(zone: str, layer: Layer, *overrides: Override) -> Schedule:
    return Schedule("s", zone, (layer,), overrides)


# --- strategies -----------------------------------------------------------------------

turns = st.sampled_from([24.0, 168.0, 48.0]) | st.sampled_from([1.0, 5.5, 8.0, 12.0, 36.0])
restrictions = st.one_of(
    st.builds(
        Restriction.daily,
        st.sampled_from(["00:00", "02:30", "08:00", "09:00", "22:00"]),
        st.sampled_from(["02:00", "03:00", "17:00", "18:30", "24:00"]),
    ),
    st.builds(
        Restriction.weekly,
        st.sampled_from(["mon", "wed", "fri", "sun"]),
        st.sampled_from(["00:00", "09:00", "02:30"]),
        st.sampled_from(["mon", "thu", "sat"]),
        st.sampled_from(["17:00", "03:00"]),
    ),
)


@st.composite
def schedules(
    draw: st.DrawFn, *, restricted: bool = True, with_overrides: bool = True
) -> tuple[Schedule, datetime, datetime]:
    zone = draw(st.sampled_from(ZONES))
    base = datetime(2026, 1, 1, tzinfo=UTC)
    layers = []
    for n in range(draw(st.integers(1, 3))):
        start = base + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)) * 15 // 15)
        users = tuple(draw(st.lists(st.sampled_from(TEAM), min_size=1, max_size=4)))
        layer_restrictions = tuple(draw(st.lists(restrictions, max_size=2))) if restricted else ()
        layers.append(Layer(f"l{n}", users, start, draw(turns), layer_restrictions))
    overrides = []
    if with_overrides:
        for _ in range(draw(st.integers(0, 3))):
            o_start = base + timedelta(hours=draw(st.integers(24 * 40, 24 * 300)))
            overrides.append(
                Override(
                    draw(st.sampled_from(TEAM)),
                    o_start,
                    o_start + timedelta(hours=draw(st.integers(1, 200))),
                )
            )
    # A window after every layer has started, across both DST changes of each hemisphere.
    window_start = base + timedelta(days=41 + draw(st.integers(0, 30)))
    window_end = window_start + timedelta(days=draw(st.integers(20, 300)))
    return Schedule("s", zone, tuple(layers), tuple(overrides)), window_start, window_end


# --- properties -----------------------------------------------------------------------


@BUDGET
@given(schedules())
def test_it_never_overlaps_final_shifts(case: tuple[Schedule, datetime, datetime]) -> None:
    schedule, start, end = case
    final = render(schedule, start, end).final
    for a, b in itertools.pairwise(final):
        assert a.start < a.end <= b.start
        assert not (a.end == b.start and a.user == b.user)  # continuing shifts are merged
    covered = sum(((s.end - s.start) for s in final), timedelta())
    holes = sum(((g.end - g.start) for g in gaps(schedule, start, end)), timedelta())
    assert covered + holes == end - start


@BUDGET
@given(schedules(restricted=False, with_overrides=False))
def test_it_leaves_no_gap_without_restrictions(case: tuple[Schedule, datetime, datetime]) -> None:
    schedule, start, end = case
    final = render(schedule, start, end).final
    assert final[0].start == start
    assert final[-1].end == end
    for a, b in itertools.pairwise(final):
        assert a.end == b.start
    assert gaps(schedule, start, end) == []


@BUDGET
@given(schedules(), st.floats(0, 1))
def test_it_answers_oncall_as_the_render_shows(
    case: tuple[Schedule, datetime, datetime], where: float
) -> None:
    schedule, start, end = case
    at = start + (end - start) * where
    if at >= end:
        return
    final = render(schedule, start, end).final
    shown = [s for s in final if s.start <= at < s.end]
    found = oncall_at(schedule, at)
    assert [s.user for s in shown] == [s.user for s in found]
    if found:
        assert max(found[0].start, start) == shown[0].start
        assert min(found[0].end, end) == shown[0].end
        assert found[0].start <= at < found[0].end


@BUDGET
@given(schedules(restricted=False), st.integers(0, 2000))
def test_it_lets_overrides_win(case: tuple[Schedule, datetime, datetime], hours: int) -> None:
    schedule, start, _ = case
    o = Override("zed", start + timedelta(hours=hours), start + timedelta(hours=hours + 7))
    with_o = Schedule(schedule.name, schedule.time_zone, schedule.layers, (*schedule.overrides, o))
    for at in (o.start, o.start + timedelta(hours=3), o.end - timedelta(seconds=1)):
        [shift] = oncall_at(with_o, at)
        assert (shift.user, shift.layer) == ("zed", OVERRIDE)
        assert (shift.start, shift.end) == (o.start, o.end)


@BUDGET
@given(st.sampled_from(ZONES), turns, st.integers(0, 24 * 300))
def test_it_lets_later_layers_win(zone: str, turn: float, hours: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = Schedule(
        "s", zone, (Layer("low", ("ann", "bob"), start, turn), Layer("high", ("zed",), start, turn))
    )
    [shift] = oncall_at(schedule, start + timedelta(hours=hours))
    assert (shift.user, shift.layer) == ("zed", "high")


@BUDGET
@given(st.sampled_from(ZONES), st.integers(0, 24 * 300))
def test_it_fills_the_holes_restrictions_carve_from_the_lower_layer(zone: str, hours: int) -> None:
    start = local("2026-01-05T00:00", zone)
    business = Layer(
        "business", ("bea",), start, 168, (Restriction.weekly("mon", "09:00", "fri", "17:00"),)
    )
    schedule = Schedule("s", zone, (Layer("always", ("ann",), start, 24), business))
    at = start + timedelta(hours=hours)
    wall = at.astimezone(ZoneInfo(zone))
    in_hours = (wall.weekday(), wall.hour) >= (0, 9) and (wall.weekday(), wall.hour) < (4, 17)
    [shift] = oncall_at(schedule, at)
    assert shift.user == ("bea" if in_hours else "ann")


# --- DST ------------------------------------------------------------------------------

CHANGES = {
    # zone: (the Monday after spring-forward, the Monday after fall-back), 2026
    "Europe/Berlin": ("2026-03-30", "2026-10-26"),
    "America/New_York": ("2026-03-09", "2026-11-02"),
    "Australia/Sydney": ("2026-10-05", "2026-04-06"),
}


def test_it_keeps_the_weekly_monday_0900_handoff_at_0900_local_across_dst() -> None:
    for zone, mondays in CHANGES.items():
        tz = ZoneInfo(zone)
        schedule = reference(zone)
        final = render(
            schedule, local("2026-01-05T09:00", zone), local("2027-01-04T09:00", zone)
        ).final
        assert len(final) == 52
        for shift in final:
            start = shift.start.astimezone(tz)
            assert (start.weekday(), start.hour, start.minute) == (0, 9, 0), (zone, start)
        # The turns that cross a change last 167 or 169 real hours.
        lengths = {s.start.astimezone(tz).date().isoformat(): s.end - s.start for s in final}
        for monday in mondays:
            before = (datetime.fromisoformat(monday) - timedelta(days=7)).date().isoformat()
            assert lengths[before] in (timedelta(hours=167), timedelta(hours=169)), zone


def test_it_makes_a_12_hour_shift_across_a_change_12_real_hours_and_11_or_13_on_the_wall() -> None:
    for zone, spring, autumn in (
        ("Europe/Berlin", "2026-03-28T20:00", "2026-10-24T20:00"),
        ("America/New_York", "2026-03-07T20:00", "2026-10-31T20:00"),
        ("Australia/Sydney", "2026-10-03T20:00", "2026-04-04T20:00"),
    ):
        tz = ZoneInfo(zone)
        for evening, wall_hours in ((spring, 13), (autumn, 11)):
            start = local(evening, zone)
            layer = Layer("12h", ("ann", "bob"), start, 12)
            final = render(one_layer(zone, layer), start, start + timedelta(days=3)).final
            assert [s.user for s in final] == ["ann", "bob"] * 3  # none skipped or doubled
            night = final[0]
            assert night.end - night.start == timedelta(hours=12)
            wall = night.end.astimezone(tz).replace(tzinfo=None) - night.start.astimezone(
                tz
            ).replace(tzinfo=None)
            assert wall == timedelta(hours=wall_hours), (zone, evening)
            for a, b in itertools.pairwise(final):
                assert a.end == b.start


def test_it_moves_a_nonexistent_local_time_to_the_end_of_the_gap() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moved = to_instant(datetime.fromisoformat("2026-03-29T02:30"), berlin)
    assert moved == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert moved.astimezone(berlin).hour == 3


def test_it_takes_the_first_occurrence_of_an_ambiguous_local_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    first = to_instant(datetime.fromisoformat("2026-10-25T02:30"), berlin)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still CEST (+02:00)


def test_it_hands_a_daily_0230_turn_over_at_0300_on_the_spring_forward_day() -> None:
    zone = "Europe/Berlin"
    start = local("2026-03-27T02:30", zone)
    final = render(
        one_layer(zone, Layer("d", ("ann", "bob"), start, 24)),
        start,
        local("2026-03-31T00:00", zone),
    ).final
    walls = [s.start.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M") for s in final]
    assert walls == ["03-27 02:30", "03-28 02:30", "03-29 03:00", "03-30 02:30"]


# --- the reference rotation -----------------------------------------------------------


def test_it_puts_person_1_on_primary_and_person_2_on_secondary_in_the_first_week() -> None:
    found = render(
        reference(),
        local("2026-01-05T09:00", "Europe/Berlin"),
        local("2026-01-12T09:00", "Europe/Berlin"),
    )
    assert dict(found.layers)["primary"][0].user == "ann"
    assert dict(found.layers)["secondary"][0].user == "bob"


def test_it_rotates_the_six_person_team_weekly_and_back_to_the_start_after_six_weeks() -> None:
    zone = "Europe/Berlin"
    primary = Schedule("primary", zone, (reference().layers[0],))
    secondary = Schedule("secondary", zone, (reference().layers[1],))
    week = timedelta(days=7)
    start = local("2026-01-05T12:00", zone)
    who = [
        (
            oncall_at(primary, start + n * week)[0].user,
            oncall_at(secondary, start + n * week)[0].user,
        )
        for n in range(7)
    ]
    assert who == [
        ("ann", "bob"),
        ("bob", "cat"),
        ("cat", "dan"),
        ("dan", "eve"),
        ("eve", "fay"),
        ("fay", "ann"),
        ("ann", "bob"),
    ]


def test_it_bounds_the_current_shift_by_the_monday_handoffs() -> None:
    zone = "Europe/Berlin"
    primary = Schedule("primary", zone, (reference().layers[0],))
    [shift] = oncall_at(primary, local("2026-03-25T15:00", zone))  # the week DST begins
    assert shift.user == "fay"
    assert shift.start == local("2026-03-23T09:00", zone)
    assert shift.end == local("2026-03-30T09:00", zone)
    assert shift.end - shift.start == timedelta(hours=167)


def test_it_reports_nobody_before_a_layer_starts_and_after_it_ends() -> None:
    zone = "Asia/Kolkata"
    start = local("2026-02-02T09:00", zone)
    layer = Layer("l", ("ann",), start, 168, end=start + timedelta(days=14))
    schedule = one_layer(zone, layer)
    assert oncall_at(schedule, start - timedelta(seconds=1)) == []
    assert oncall_at(schedule, start + timedelta(days=14)) == []
    [shift] = oncall_at(schedule, start + timedelta(days=3))
    assert (shift.start, shift.end) == (start, start + timedelta(days=14))
    holes = gaps(schedule, start - timedelta(days=1), start + timedelta(days=15))
    assert [(g.start, g.end) for g in holes] == [
        (start - timedelta(days=1), start),
        (start + timedelta(days=14), start + timedelta(days=15)),
    ]


def test_it_merges_an_override_into_the_same_persons_layer_shift() -> None:
    zone = "Europe/Berlin"
    primary = Schedule("primary", zone, (reference().layers[0],))
    # bob's week is 12 to 19 January; he also takes the day before it.
    o = Override("bob", local("2026-01-11T09:00", zone), local("2026-01-12T09:00", zone))
    with_o = Schedule("primary", zone, primary.layers, (o,))
    [shift] = oncall_at(with_o, local("2026-01-15T09:00", zone))
    assert (shift.user, shift.layer) == ("bob", "primary")
    assert shift.start == o.start
    assert shift.end == local("2026-01-19T09:00", zone)
