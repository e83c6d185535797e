"""What the incident page shows of the service's runbook (SPEC §5): a link to it, the
common issue whose symptoms best match the alert (with the words that matched), its
diagnosis and resolution steps as a checklist ticked into the timeline, and the other
issues ranked below."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.alerts.models import Alert
from warroom.alerts.repository import alerts_of_incident
from warroom.domain.lifecycle import Status
from warroom.domain.runbook import CommonIssue, parse_runbook
from warroom.domain.runbook_match import Match, match_issues, text_of
from warroom.domain.runbook_upkeep import review_state
from warroom.incidents.models import Incident, TimelineEvent
from warroom.markdown import render_step
from warroom.runbooks import repository


@dataclass(frozen=True, slots=True)
class StepView:
    number: int
    html: str
    done_by: str | None = None
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.done_by is not None


@dataclass(frozen=True, slots=True)
class IssueView:
    title: str
    line: int
    score: float
    why: str
    matched_terms: list[str]
    diagnosis: list[StepView]
    resolution: list[StepView]

    @property
    def ticked(self) -> int:
        return sum(s.done for s in [*self.diagnosis, *self.resolution])

    @property
    def total(self) -> int:
        return len(self.diagnosis) + len(self.resolution)


@dataclass(frozen=True, slots=True)
class RunbookPanel:
    service: str
    url: str
    has_runbook: bool
    can_tick: bool
    stale: bool = False
    review_days: int = 0
    best: IssueView | None = None
    # Every other issue: those sharing words with the alert by score, then the rest.
    others: tuple[IssueView, ...] = ()


def alert_text(incident: Incident, alerts: Sequence[Alert]) -> list[str]:
    """The words a responder would match against the runbook by eye: the incident's
    title and description, and each alert's summary, labels, annotations and details.
    Label names are left out (`instance`, `job` name no symptom); detail keys are kept
    (`p99_latency_ms` does)."""
    texts = [incident.title, incident.description]
    for alert in alerts:
        texts.append(alert.summary)
        texts.extend(text_of(alert.labels, keys=False))
        texts.extend(text_of(alert.annotations, keys=False))
        texts.extend(text_of(alert.details))
    return [t for t in texts if t]


def _done(events: Iterable[TimelineEvent]) -> dict[tuple[str, str, str], TimelineEvent]:
    done: dict[tuple[str, str, str], TimelineEvent] = {}
    for event in events:
        key = (
            str(event.data.get("issue")),
            str(event.data.get("section")),
            str(event.data.get("step")),
        )
        done.setdefault(key, event)
    return done


def _steps(
    issue: CommonIssue, section: str, done: dict[tuple[str, str, str], TimelineEvent]
) -> list[StepView]:
    views = []
    for number, text in enumerate(issue.steps(section), start=1):
        event = done.get((issue.title, section, text))
        views.append(
            StepView(
                number=number,
                html=render_step(text),
                done_by=event.actor if event is not None else None,
                done_at=event.at if event is not None else None,
            )
        )
    return views


def _view(
    issue: CommonIssue, match: Match | None, done: dict[tuple[str, str, str], TimelineEvent]
) -> IssueView:
    return IssueView(
        title=issue.title,
        line=issue.line,
        score=match.score if match is not None else 0.0,
        why=match.why if match is not None else "no words in common with the alert",
        matched_terms=match.matched_terms if match is not None else [],
        diagnosis=_steps(issue, "diagnosis", done),
        resolution=_steps(issue, "resolution", done),
    )


def runbook_panel(session: Session, incident: Incident, *, now: datetime) -> RunbookPanel:
    service = incident.service
    url = f"/services/{service.name}/runbook"
    can_tick = incident.status is not Status.CLOSED
    runbook = repository.find_runbook(session, service.id)
    if runbook is None:
        return RunbookPanel(service.name, url, has_runbook=False, can_tick=False)
    issues = parse_runbook(runbook.markdown).common_issues
    matches = match_issues(issues, alert_text(incident, alerts_of_incident(session, incident.id)))
    done = _done(repository.steps_done(session, incident.id))
    matched = {id(m.issue) for m in matches}
    ranked = [_view(m.issue, m, done) for m in matches]
    ranked += [_view(i, None, done) for i in issues if id(i) not in matched]
    review = review_state(reviewed_at=runbook.reviewed_at, written_at=runbook.created_at, now=now)
    best = ranked[0] if matches else None
    return RunbookPanel(
        service.name,
        url,
        has_runbook=True,
        can_tick=can_tick,
        stale=review.stale,
        review_days=review.days,
        best=best,
        others=tuple(ranked[1:] if best is not None else ranked),
    )
