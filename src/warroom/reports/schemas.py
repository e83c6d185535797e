"""The report's JSON shape: SPEC §3's fields first, then warroom's additions."""

from pydantic import BaseModel


class FiguresOut(BaseModel):
    total_incidents: int
    mtta_minutes: float | None
    mttd_minutes: float | None
    mttr_minutes: float | None
    mttf_hours: float | None
    response_target_compliance: float | None
    repeat_incidents: int


class ReportOut(FiguresOut):
    since: str
    until: str
    by_severity: dict[str, FiguresOut]
    by_service: dict[str, FiguresOut]
    by_team: dict[str, FiguresOut]
