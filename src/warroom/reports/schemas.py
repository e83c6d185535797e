"""The report's JSON shape: SPEC §3's fields first, then warroom's additions."""

from datetime import date

from pydantic import BaseModel, Field


class FiguresOut(BaseModel):
    total_incidents: int
    mtta_minutes: float | None
    mttd_minutes: float | None
    mttr_minutes: float | None
    mttf_hours: float | None
    response_target_compliance: float | None
    repeat_incidents: int


class StageMinutesOut(BaseModel):
    """Mean minutes each stage of the response took (None: nothing to measure)."""

    detect: float | None = Field(None, description="started -> detected, every incident (the MTTD)")
    acknowledge: float | None = Field(
        None, description="triggered -> acknowledged, acknowledged incidents (the MTTA)"
    )
    resolve: float | None = Field(
        None, description="acknowledged -> resolved, incidents both acknowledged and resolved"
    )


class ReportOut(FiguresOut):
    since: str
    until: str
    by_severity: dict[str, FiguresOut]
    by_service: dict[str, FiguresOut]
    by_team: dict[str, FiguresOut]
    incidents_by_phase: dict[str, int] = Field(
        default_factory=dict,
        description="the report's incidents by their lifecycle phase now (SPEC §2), "
        "every phase named, in lifecycle order",
    )
    minutes_by_phase: dict[str, float | None] = Field(
        default_factory=dict,
        description="the mean minutes an incident of the report spent in each lifecycle "
        "phase (SPEC §2) up to now: every phase but closed named, in lifecycle order; the "
        "total over the report's incidents, those that never entered the phase included, "
        "divided by their number (null when there are none)",
    )
    mean_stage_minutes: StageMinutesOut = Field(default_factory=StageMinutesOut)
    drills: bool = Field(False, description="true: a report on drills only")


class WeekOut(BaseModel):
    week_start: date = Field(description="the Monday (UTC) the week starts on")
    incidents: int
    by_severity: dict[str, int]
    mtta_minutes: float | None
    mttr_minutes: float | None


class TrendOut(BaseModel):
    since: str
    until: str
    weeks: list[WeekOut]


class PersonLoadOut(BaseModel):
    handle: str
    name: str
    time_zone: str
    pages: int = Field(description="pages sent to the person in the period")
    incidents: int = Field(description="distinct incidents they were paged for")
    sleep_pages: int = Field(description="sent 22:00-08:00 in the person's time zone")
    off_hours_pages: int = Field(
        description="sent outside Monday-Friday 08:00-18:00 in the person's time zone "
        "(sleep pages included)"
    )


class OncallLoadOut(BaseModel):
    since: str
    until: str
    people: list[PersonLoadOut]
