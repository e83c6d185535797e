"""The runbook API's shapes."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from warroom.domain.runbook import lint, parse_runbook
from warroom.domain.runbook_upkeep import review_state
from warroom.markdown import render_markdown
from warroom.postmortems.models import ActionItem
from warroom.runbooks.actions import SOURCE_PATH_MAX
from warroom.runbooks.models import Runbook
from warroom.schemas import In, Out
from warroom.services.models import Service

# The app refuses bodies over its own limit first (1 MiB by default); the runbook's own
# limit (256 KiB) is the action's, answered with 413 and the size.
MarkdownText = Annotated[str, StringConstraints(max_length=1_048_576)]
Section = Literal["diagnosis", "resolution"]


class RunbookIn(In):
    # Markdown is kept as written: leading spaces indent code, trailing ones break lines.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    markdown: MarkdownText
    source_path: Annotated[str, StringConstraints(max_length=SOURCE_PATH_MAX)] | None = None


class ProblemOut(Out):
    line: int
    message: str


class HeadingOut(Out):
    title: str
    level: int
    line: int


class IssueOut(Out):
    title: str
    line: int
    symptoms: list[str]
    diagnosis: list[str]
    resolution: list[str]


class ReviewItemOut(Out):
    id: int
    incident_id: int
    title: str
    owner: str | None
    due_on: date | None
    status: str

    @classmethod
    def of(cls, item: ActionItem) -> "ReviewItemOut":
        return cls(
            id=item.id,
            incident_id=item.incident_id,
            title=item.title,
            owner=item.owner.handle if item.owner is not None else None,
            due_on=item.due_on,
            status=str(item.status),
        )


class RunbookOut(Out):
    service: str
    service_id: int
    title: str | None
    markdown: str
    html: str = Field(description="Rendered Markdown; raw HTML in the source is escaped")
    sections: list[HeadingOut]
    common_issues: list[IssueOut]
    problems: list[ProblemOut]
    lint_ok: bool
    source_path: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_days: int = Field(description="Days since the last review (or since written)")
    stale: bool = Field(description="Not reviewed for more than 90 days")
    open_reviews: list[ReviewItemOut]

    @classmethod
    def of(
        cls,
        service: Service,
        runbook: Runbook,
        *,
        now: datetime,
        reviews: Sequence[ActionItem] = (),
    ) -> "RunbookOut":
        doc = parse_runbook(runbook.markdown)
        problems = lint(runbook.markdown)
        review = review_state(
            reviewed_at=runbook.reviewed_at, written_at=runbook.created_at, now=now
        )
        return cls(
            service=service.name,
            service_id=service.id,
            title=doc.title,
            markdown=runbook.markdown,
            html=render_markdown(runbook.markdown, anchors=True),
            sections=[HeadingOut.model_validate(h) for h in doc.sections],
            common_issues=[IssueOut.model_validate(i) for i in doc.common_issues],
            problems=[ProblemOut(line=p.line, message=p.message) for p in problems],
            lint_ok=not problems,
            source_path=runbook.source_path,
            created_at=runbook.created_at,
            updated_at=runbook.updated_at,
            updated_by=runbook.updated_by,
            reviewed_at=runbook.reviewed_at,
            reviewed_by=runbook.reviewed_by,
            review_days=review.days,
            stale=review.stale,
            open_reviews=[ReviewItemOut.of(i) for i in reviews],
        )


class SavedOut(RunbookOut):
    change: Literal["created", "updated", "unchanged"]


class ReviewedOut(RunbookOut):
    finished_items: list[int] = Field(description="The review action items this finished")


class RunbookSummaryOut(Out):
    """A row of GET /api/v1/runbooks: one per service, with a runbook or not."""

    service: str
    service_id: int
    team: str | None
    has_runbook: bool
    title: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    review_days: int | None = None
    stale: bool | None = None
    lint_ok: bool | None = None
    problems: int | None = Field(default=None, description="How many lint problems")
    issues: int | None = Field(default=None, description="How many common issues")
    open_reviews: int = 0
    source_path: str | None = None

    @classmethod
    def of(
        cls, service: Service, runbook: Runbook | None, *, now: datetime, open_reviews: int
    ) -> "RunbookSummaryOut":
        base = cls(
            service=service.name,
            service_id=service.id,
            team=service.team.name if service.team is not None else None,
            has_runbook=runbook is not None,
            open_reviews=open_reviews,
        )
        if runbook is None:
            return base
        doc = parse_runbook(runbook.markdown)
        problems = lint(runbook.markdown)
        review = review_state(
            reviewed_at=runbook.reviewed_at, written_at=runbook.created_at, now=now
        )
        return base.model_copy(
            update={
                "title": doc.title,
                "updated_at": runbook.updated_at,
                "updated_by": runbook.updated_by,
                "reviewed_at": runbook.reviewed_at,
                "reviewed_by": runbook.reviewed_by,
                "review_days": review.days,
                "stale": review.stale,
                "lint_ok": not problems,
                "problems": len(problems),
                "issues": len(doc.common_issues),
                "source_path": runbook.source_path,
            }
        )


class StepIn(In):
    issue: Annotated[str, StringConstraints(min_length=1, max_length=300)] = Field(
        description="The common issue's title, as the runbook writes it"
    )
    section: Section
    step: int = Field(ge=1, le=1000, description="The step's number, from 1")


class StepOut(Out):
    incident_id: int
    issue: str
    section: Section
    step: int
    text: str
    done_by: str
    done_at: datetime
    new: bool = Field(description="False when the step was already ticked (nothing written)")
