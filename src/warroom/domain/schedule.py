"""On-call schedules: who is on call at an instant, and the rendered shifts of a window.

Pure: standard library and zoneinfo only; every function takes the instants it needs.
All instants are aware and computed in UTC; wall-clock times exist only inside the
schedule's zone. The DST rules (docs/adr/0004-schedules-and-dst.md):

- A turn of whole days (24, 168, … hours) is counted in local calendar days, so a weekly
  Monday 09:00 handoff is at 09:00 local on both sides of a DST change.
- A turn of N hours that is not whole days is counted in elapsed hours: a 12-hour turn is
  always 12 real hours, which reads 11 or 13 hours on the wall clock across a change;
  no turn is skipped or doubled.
- A local time that does not exist (spring-forward gap) moves forward to the first
  instant after the gap; an ambiguous one (fall-back) is its first occurrence (fold=0).
"""

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.domain.errors import DomainError

DAY_MINUTES = 1440
WEEK_MINUTES = 7 * DAY_MINUTES
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OVERRIDE = "override"
# How far oncall_at looks either side of the instant for where a shift begins and ends;
# a longer continuous shift is reported clipped to this.
SPAN_LIMIT = timedelta(days=366)


class ScheduleError(DomainError):
    """A schedule that cannot be evaluated: an unknown zone, an empty layer, …"""


# --- wall clock ----------------------------------------------------------------------


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"'{name}' is not an IANA time zone such as 'Europe/Paris'") from exc


def wall_of(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of an aware instant."""
    return at.astimezone(zone).replace(tzinfo=None)


def to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time: an ambiguous time is its first
    occurrence; a time in a spring-forward gap is the first instant after the gap."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if wall_of(first, zone) == wall:
        return first
    # In a gap: fold=0 read it with the offset before the change (too late an instant),
    # fold=1 with the offset after (too early). The change lies between; find the first
    # second whose wall time is not before `wall` (changes fall on whole seconds).
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = first
    if lo > hi:
        lo, hi = hi, lo
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp()) + 1
    while lo_s < hi_s:
        mid = (lo_s + hi_s) // 2
        if wall_of(datetime.fromtimestamp(mid, UTC), zone) >= wall:
            hi_s = mid
        else:
            lo_s = mid + 1
    return datetime.fromtimestamp(lo_s, UTC)


def localize(at: datetime, zone: ZoneInfo) -> datetime:
    """An instant from API input: aware times keep their offset, naive ones are local."""
    if at.tzinfo is None:
        return to_instant(at, zone)
    return at.astimezone(UTC)


def parse_clock(text: str) -> int:
    """'09:00' → minutes after midnight; '24:00' is allowed (as an end: midnight after)."""
    hours, sep, minutes = text.partition(":")
    if (
        not sep
        or not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit())
        or len(minutes) != 2
        or len(hours) not in (1, 2)
    ):
        raise ScheduleError(f"'{text}' is not a time of day such as '09:00'")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > DAY_MINUTES:
        raise ScheduleError(f"'{text}' is not a time of day such as '09:00'")
    return value


def parse_day(text: str) -> int:
    day = text.strip().lower()[:3]
    if day not in DAYS or text.strip().lower() not in (day, _long_day(day)):
        raise ScheduleError(f"'{text}' is not a weekday; use one of {', '.join(DAYS)}")
    return DAYS.index(day)


def _long_day(short: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[short]


# --- shapes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restriction:
    """A recurring window the layer is in force: every day (period 1440 minutes) or every
    week (10080, counted from Monday 00:00). `start` is minutes into the period;
    `minutes` its length (a window may wrap past midnight or the end of the week)."""

    period: int
    start: int
    minutes: int

    @classmethod
    def daily(cls, start: str, end: str) -> "Restriction":
        s, e = parse_clock(start), parse_clock(end)
        if s == DAY_MINUTES:
            raise ScheduleError("a daily window cannot start at 24:00; use 00:00")
        return cls(DAY_MINUTES, s, (e - s) % DAY_MINUTES or DAY_MINUTES)

    @classmethod
    def weekly(cls, start_day: str, start: str, end_day: str, end: str) -> "Restriction":
        s = parse_day(start_day) * DAY_MINUTES + parse_clock(start)
        e = parse_day(end_day) * DAY_MINUTES + parse_clock(end)
        return cls(WEEK_MINUTES, s % WEEK_MINUTES, (e - s) % WEEK_MINUTES or WEEK_MINUTES)


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    users: tuple[str, ...]
    # The first handoff, an aware instant; its local wall time anchors whole-day turns.
    rotation_start: datetime
    turn_length_hours: float
    restrictions: tuple[Restriction, ...] = ()
    end: datetime | None = None

    @property
    def whole_days(self) -> int | None:
        hours = self.turn_length_hours
        return int(hours // 24) if hours >= 24 and hours % 24 == 0 else None


@dataclass(frozen=True, slots=True)
class Override:
    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    time_zone: str
    layers: tuple[Layer, ...]
    # Later ones win where overrides overlap.
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True, slots=True)
class Shift:
    user: str
    layer: str  # the layer's name, or "override"
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class FinalSchedule:
    start: datetime
    end: datetime
    final: tuple[Shift, ...]
    layers: tuple[tuple[str, tuple[Shift, ...]], ...]
    overrides: tuple[Shift, ...]
    gaps: tuple[Gap, ...] = field(default=())


def check_schedule(schedule: Schedule) -> None:
    zone_of(schedule.time_zone)
    for layer in schedule.layers:
        if not layer.users:
            raise ScheduleError(f"layer '{layer.name}' has no users")
        if not layer.turn_length_hours > 0:
            raise ScheduleError(f"layer '{layer.name}': turn length must be positive")
        if layer.end is not None and layer.end <= layer.rotation_start:
            raise ScheduleError(f"layer '{layer.name}' ends before its rotation starts")
    for o in schedule.overrides:
        if o.end <= o.start:
            raise ScheduleError("an override must end after it starts")


# --- one layer -----------------------------------------------------------------------


class _Turns:
    """Turn k of a layer runs from handoff(k) to handoff(k+1); k = 0 at rotation_start."""

    def __init__(self, layer: Layer, zone: ZoneInfo) -> None:
        self.layer = layer
        self.zone = zone
        self.days = layer.whole_days
        self.step = timedelta(hours=layer.turn_length_hours)
        self.wall0 = wall_of(layer.rotation_start, zone)

    def handoff(self, k: int) -> datetime:
        if self.days is not None:
            return to_instant(self.wall0 + timedelta(days=k * self.days), self.zone)
        return self.layer.rotation_start + k * self.step

    def index_at(self, at: datetime) -> int:
        if self.days is None:
            return (at - self.layer.rotation_start) // self.step
        k = (wall_of(at, self.zone) - self.wall0).days // self.days
        while self.handoff(k + 1) <= at:
            k += 1
        while self.handoff(k) > at:
            k -= 1
        return k

    def user(self, k: int) -> str:
        return self.layer.users[k % len(self.layer.users)]


Span = tuple[datetime, datetime]


def _windows(r: Restriction, start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[Span]:
    """The restriction's windows that overlap [start, end), as instants."""
    first = wall_of(start, zone).date() - timedelta(days=8 if r.period == WEEK_MINUTES else 1)
    if r.period == WEEK_MINUTES:
        first -= timedelta(days=first.weekday())
    last = wall_of(end, zone).date() + timedelta(days=1)
    step = timedelta(minutes=r.period)
    day: date = first
    while day <= last:
        wall = datetime(day.year, day.month, day.day) + timedelta(minutes=r.start)  # noqa: DTZ001 (wall time, resolved next)
        lo = to_instant(wall, zone)
        hi = to_instant(wall + timedelta(minutes=r.minutes), zone)
        if lo < end and hi > start and lo < hi:
            yield lo, hi
        day += step


def _union(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The layer's own shifts within [start, end): its turns, cut by its restrictions."""
    lo = max(start, layer.rotation_start)
    hi = min(end, layer.end) if layer.end is not None else end
    if lo >= hi:
        return []
    turns = _Turns(layer, zone)
    pieces: list[Shift] = []
    k = turns.index_at(lo)
    at = turns.handoff(k)
    while at < hi:
        nxt = turns.handoff(k + 1)
        pieces.append(Shift(turns.user(k), layer.name, max(at, lo), min(nxt, hi)))
        k, at = k + 1, nxt
    if not layer.restrictions:
        return pieces
    allowed = _union([w for r in layer.restrictions for w in _windows(r, lo, hi, zone)])
    cut: list[Shift] = []
    i = 0
    for piece in pieces:
        while i < len(allowed) and allowed[i][1] <= piece.start:
            i += 1
        j = i
        while j < len(allowed) and allowed[j][0] < piece.end:
            a, b = max(piece.start, allowed[j][0]), min(piece.end, allowed[j][1])
            if a < b:
                cut.append(Shift(piece.user, piece.layer, a, b))
            j += 1
    return cut


# --- the final schedule --------------------------------------------------------------


def _merge(shifts: Sequence[Shift]) -> list[Shift]:
    """Consecutive pieces of the same person become one shift (named by its first piece)."""
    out: list[Shift] = []
    for s in shifts:
        if out and out[-1].user == s.user and out[-1].end == s.start:
            out[-1] = Shift(s.user, out[-1].layer, out[-1].start, s.end)
        else:
            out.append(s)
    return out


def _pieces(schedule: Schedule, start: datetime, end: datetime) -> FinalSchedule:
    zone = zone_of(schedule.time_zone)
    per_layer = [layer_shifts(layer, zone, start, end) for layer in schedule.layers]
    overrides = [
        Shift(o.user, OVERRIDE, max(o.start, start), min(o.end, end))
        for o in schedule.overrides
        if o.start < end and o.end > start
    ]
    points = {start, end}
    for shifts in [*per_layer, overrides]:
        for s in shifts:
            points.add(s.start)
            points.add(s.end)
    cuts = sorted(points)
    cursors = [0] * len(per_layer)
    final: list[Shift] = []
    gaps: list[Gap] = []
    for a, b in itertools.pairwise(cuts):
        winner: Shift | None = None
        for o in overrides:  # few; the last one covering wins
            if o.start <= a < o.end:
                winner = o
        if winner is None:
            for n in range(len(per_layer) - 1, -1, -1):
                shifts = per_layer[n]
                while cursors[n] < len(shifts) and shifts[cursors[n]].end <= a:
                    cursors[n] += 1
                if cursors[n] < len(shifts) and shifts[cursors[n]].start <= a:
                    winner = shifts[cursors[n]]
                    break
        if winner is None:
            if gaps and gaps[-1].end == a:
                gaps[-1] = Gap(gaps[-1].start, b)
            else:
                gaps.append(Gap(a, b))
        else:
            final.append(Shift(winner.user, winner.layer, a, b))
    return FinalSchedule(
        start=start,
        end=end,
        final=tuple(final),
        layers=tuple(
            (layer.name, tuple(_merge(s)))
            for layer, s in zip(schedule.layers, per_layer, strict=True)
        ),
        overrides=tuple(overrides),
        gaps=tuple(gaps),
    )


def render(schedule: Schedule, start: datetime, end: datetime) -> FinalSchedule:
    """Final shifts (merged where the same person continues), each layer's shifts and the
    overrides, all clipped to [start, end)."""
    if end <= start:
        raise ScheduleError("the window must end after it starts")
    pieces = _pieces(schedule, start, end)
    return FinalSchedule(
        start=pieces.start,
        end=pieces.end,
        final=tuple(_merge(pieces.final)),
        layers=pieces.layers,
        overrides=pieces.overrides,
        gaps=pieces.gaps,
    )


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[Gap]:
    """Stretches of [start, end) in which nobody is on call."""
    return list(render(schedule, start, end).gaps)


def oncall_at(schedule: Schedule, at: datetime) -> list[Shift]:
    """Who is on call at `at` (nobody in a gap): the layer (or "override") that puts them
    there now, and the bounds of their continuous shift in the final schedule."""
    reach = timedelta(days=8)
    while True:
        lo, hi = at - reach, at + reach
        pieces = _pieces(schedule, lo, hi).final
        here = next((i for i, p in enumerate(pieces) if p.start <= at < p.end), None)
        if here is None:
            return []
        first = last = here
        while (
            first > 0
            and pieces[first - 1].user == pieces[here].user
            and (pieces[first - 1].end == pieces[first].start)
        ):
            first -= 1
        while (
            last < len(pieces) - 1
            and pieces[last + 1].user == pieces[here].user
            and (pieces[last + 1].start == pieces[last].end)
        ):
            last += 1
        start, end = pieces[first].start, pieces[last].end
        if (start > lo and end < hi) or reach >= SPAN_LIMIT:
            return [Shift(pieces[here].user, pieces[here].layer, start, end)]
        reach = min(reach * 4, SPAN_LIMIT)
