from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from warroom.domain.schedule import Restriction, ScheduleError
from warroom.schemas import Handle, In, Out, TimeZone

ScheduleName = Annotated[
    str, StringConstraints(pattern=r"^\w[\w .:-]{0,99}$", strip_whitespace=True)
]
LayerName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Clock = Annotated[str, StringConstraints(max_length=5)]
Day = Annotated[str, StringConstraints(max_length=9)]

# Whole days are counted on the wall clock, other lengths in elapsed hours (ADR 0004).
TURN_NAMES = {"daily": 24.0, "weekly": 168.0}
MIN_TURN_HOURS = 0.25
MAX_TURN_HOURS = 24.0 * 366


class DailyRestrictionIn(In):
    type: Literal["daily"]
    start: Clock = Field(description="local time of day the layer starts each day, 'HH:MM'")
    end: Clock = Field(description="local time it stops; before `start` wraps past midnight")

    @model_validator(mode="after")
    def _parses(self) -> "DailyRestrictionIn":
        try:
            Restriction.daily(self.start, self.end)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
        return self


class WeeklyRestrictionIn(In):
    type: Literal["weekly"]
    start_day: Day = Field(description="mon … sun")
    start: Clock
    end_day: Day
    end: Clock

    @model_validator(mode="after")
    def _parses(self) -> "WeeklyRestrictionIn":
        try:
            Restriction.weekly(self.start_day, self.start, self.end_day, self.end)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
        return self


RestrictionIn = Annotated[DailyRestrictionIn | WeeklyRestrictionIn, Field(discriminator="type")]


class LayerIn(In):
    name: LayerName
    users: list[Handle] = Field(min_length=1, max_length=100, description="rotation order")
    rotation_start: datetime = Field(
        description="the first handoff; without an offset it is local to the schedule"
    )
    turn_length_hours: float | Literal["daily", "weekly"] = Field(
        description="hours (fractions allowed), or 'daily' (24) / 'weekly' (168)"
    )
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=50)
    end: datetime | None = None

    @field_validator("turn_length_hours")
    @classmethod
    def _turn(cls, value: float | str) -> float:
        hours = TURN_NAMES[value] if isinstance(value, str) else float(value)
        if not MIN_TURN_HOURS <= hours <= MAX_TURN_HOURS:
            raise ValueError(f"a turn is between {MIN_TURN_HOURS} and {MAX_TURN_HOURS:g} hours")
        return hours


class ScheduleIn(In):
    name: ScheduleName
    time_zone: TimeZone
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    layers: list[LayerIn] = Field(default_factory=list, max_length=20)
    owner: Handle | None = Field(
        default=None,
        description="warned with the incoming person when a shift starts with nothing verified",
    )

    @model_validator(mode="after")
    def _layer_names_unique(self) -> "ScheduleIn":
        names = [layer.name for layer in self.layers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"layer names must differ within a schedule: {', '.join(twice)}")
        if "override" in names:
            raise ValueError("'override' names overrides; call the layer something else")
        return self


class OverrideIn(In):
    user: Handle
    start: datetime = Field(description="without an offset it is local to the schedule")
    end: datetime


class SchedulePatchIn(In):
    owner: Handle | None = Field(default=None, description="a handle, or null to clear")
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SwapIn(In):
    taker: Handle = Field(description="who is asked to take the window")
    start: datetime = Field(description="without an offset it is local to the schedule")
    end: datetime
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class SwapOut(Out):
    id: int
    schedule: str
    requester: str
    taker: str
    start: datetime
    end: datetime
    note: str
    state: str = Field(description="requested | accepted | declined | cancelled")
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    override_id: int | None


class HandoffNoteIn(In):
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class HandoffNoteOut(Out):
    id: int
    schedule: str
    user: str
    text: str
    created_at: datetime


class LayerOut(Out):
    name: str
    users: list[str]
    rotation_start: datetime
    turn_length_hours: float
    restrictions: list[dict[str, Any]]
    end: datetime | None


class ScheduleOut(Out):
    id: int
    name: str
    time_zone: str
    description: str
    owner: str | None
    layers: list[LayerOut]
    created_at: datetime
    updated_at: datetime


class OnCallEntry(Out):
    user: str
    schedule: str
    layer: str = Field(description="the layer's name, or 'override'")
    start: datetime
    end: datetime


class OnCallOut(Out):
    at: datetime
    oncall: list[OnCallEntry]


class ShiftOut(Out):
    user: str
    layer: str
    start: datetime
    end: datetime


class LayerShiftsOut(Out):
    name: str
    shifts: list[ShiftOut]


class GapOut(Out):
    start: datetime
    end: datetime
    hours: float


class OverrideOut(Out):
    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime


class ShiftsOut(Out):
    schedule: str
    time_zone: str
    start: datetime
    end: datetime
    final: list[ShiftOut]
    layers: list[LayerShiftsOut]
    overrides: list[ShiftOut]
    gaps: list[GapOut]


class GapsOut(Out):
    schedule: str
    start: datetime
    end: datetime
    gaps: list[GapOut]


class FeedTokenOut(Out):
    token: str = Field(description="shown this once; it reads this one feed and nothing else")
    prefix: str
    url: str
    created_at: datetime
