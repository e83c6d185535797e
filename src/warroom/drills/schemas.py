from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import Field, StringConstraints

from warroom.domain.drill import Measure, Outcome
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.incidents.schemas import ChecklistOut, IncidentOut
from warroom.schemas import In, Out

DrillId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_SCENARIO = 5000
MAX_ISSUE = 300


class DrillIn(In):
    service: Annotated[str, StringConstraints(min_length=1, max_length=100)] | int = Field(
        description="the service's id or name: its escalation policy pages the real people"
    )
    severity: Severity
    scenario: Annotated[str, StringConstraints(max_length=MAX_SCENARIO)] | None = Field(
        default=None,
        description="free text: what the responders are told is happening (its first line "
        "becomes the title when no common issue is named)",
    )
    common_issue: Annotated[str, StringConstraints(max_length=MAX_ISSUE)] | None = Field(
        default=None,
        description="the title of a common issue in the service's runbook: the drill's "
        "title, with its symptoms in the description; 422 lists the titles there are",
    )


class DrillOut(Out):
    id: int
    # The incident's title, which carries the [DRILL] mark.
    title: str
    service: str
    team: str | None
    severity: Severity
    status: Status
    scenario: str
    common_issue: str | None
    started_by: str
    started_at: datetime
    # "All targets met", "1 of 3 targets met", "Running: 1 of 3 targets met so far".
    outcome: str
    incident_id: int
    incident: IncidentOut


class FigureOut(Out):
    measure: Measure
    outcome: Outcome
    target_minutes: float
    # How long it took; null when it has not happened (waited_minutes says how long the
    # drill has run, or ran, without it).
    minutes: float | None
    waited_minutes: float | None
    # "Acknowledged in 4 min — within the SEV-2 target of 30 min".
    verdict: str


class ResponderOut(Out):
    user: str
    name: str | None
    paged_at: datetime | None
    pages: int
    acknowledged: bool
    roles: list[str]


class DrillEventOut(Out):
    at: datetime
    # Minutes since the drill started.
    minutes: float
    actor: str
    type: str
    text: str


class DrillReportOut(Out):
    drill: DrillOut
    figures: list[FigureOut]
    verdicts: list[str]
    checklist: ChecklistOut
    acknowledged_by: str | None
    responders: list[ResponderOut]
    timeline: list[DrillEventOut]
