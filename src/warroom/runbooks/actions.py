"""Every change to a runbook, each one transaction: write it, review it, tick its steps
on an incident."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from warroom.domain.lifecycle import Status
from warroom.domain.runbook import CommonIssue, Problem, lint, parse_runbook
from warroom.domain.timeline import EventType
from warroom.errors import Conflict, Invalid, NotFound, WarroomError
from warroom.incidents.actions import record
from warroom.incidents.models import Incident, TimelineEvent
from warroom.incidents.repository import get_incident
from warroom.postmortems.actions import finish_action_item
from warroom.postmortems.models import ActionItem
from warroom.runbooks import repository
from warroom.runbooks.models import Runbook
from warroom.services.models import Service

# A runbook is read under pressure: one that passes this is a manual, not a runbook.
MAX_RUNBOOK_BYTES = 256 * 1024
SOURCE_PATH_MAX = 1000


class RunbookTooLarge(WarroomError):
    status_code = 413


class RunbookInvalid(Invalid):
    """Lint refused it; the problems travel with the error so each edge can list them."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        first = problems[0]
        super().__init__(
            f"the runbook has {count} problem{'s' if count != 1 else ''} "
            f"(first, line {first.line}: {first.message})"
        )
        self.problems = problems


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Saved:
    runbook: Runbook
    change: Change
    problems: list[Problem]


def check_markdown(markdown: str, *, force: bool) -> list[Problem]:
    """The problems of a runbook that may be stored; raises for one that may not. Size
    and emptiness are never forced: they are not drafts, they are mistakes."""
    size = len(markdown.encode())
    if size > MAX_RUNBOOK_BYTES:
        raise RunbookTooLarge(
            f"the runbook is {size / 1024:.0f} KiB; the limit is {MAX_RUNBOOK_BYTES // 1024} "
            "KiB (link long procedures from it instead)"
        )
    if not markdown.strip():
        raise Invalid("the runbook is empty: send its Markdown")
    if "\x00" in markdown:
        raise Invalid("the runbook cannot contain NUL (\\x00) characters")
    problems = lint(markdown)
    if problems and not force:
        raise RunbookInvalid(problems)
    return problems


def do_put_runbook(
    session: Session,
    *,
    service: Service,
    markdown: str,
    actor: str,
    now: datetime,
    source_path: str | None = None,
    force: bool = False,
) -> Saved:
    """Create or replace the service's runbook. `force` stores one that fails lint (a
    draft, or an old wiki page being brought over); its problems stay on show until fixed.
    A `source_path` records the file a sync read it from; without one the last is kept."""
    problems = check_markdown(markdown, force=force)
    if source_path is not None and len(source_path) > SOURCE_PATH_MAX:
        raise Invalid(f"source_path is longer than {SOURCE_PATH_MAX} characters")
    runbook = repository.find_runbook(session, service.id, for_update=True)
    if runbook is None:
        runbook = Runbook(
            service_id=service.id,
            markdown=markdown,
            source_path=source_path,
            updated_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(runbook)
        session.flush()
        return Saved(runbook, Change.CREATED, problems)
    moved = source_path is not None and source_path != runbook.source_path
    if runbook.markdown == markdown and not moved:
        return Saved(runbook, Change.UNCHANGED, problems)
    runbook.markdown = markdown
    if source_path is not None:
        runbook.source_path = source_path
    runbook.updated_by = actor
    runbook.updated_at = now
    session.flush()
    return Saved(runbook, Change.UPDATED, problems)


@dataclass(frozen=True, slots=True)
class Reviewed:
    runbook: Runbook
    finished: list[ActionItem]


def do_review_runbook(session: Session, *, service: Service, actor: str, now: datetime) -> Reviewed:
    """`actor` confirms the runbook still holds: it is reviewed now, and every open
    "review the runbook" item the service's incidents left is done."""
    runbook = repository.get_runbook(session, service, for_update=True)
    runbook.reviewed_at = now
    runbook.reviewed_by = actor
    items = list(repository.open_reviews(session, service.id, for_update=True))
    for item in items:
        finish_action_item(session, item=item, actor=actor, now=now)
    session.flush()
    return Reviewed(runbook, items)


def find_issue(issues: list[CommonIssue], title: str) -> CommonIssue | None:
    """By its title as the runbook writes it; case and spacing aside, if nothing is exact."""
    exact = next((i for i in issues if i.title == title), None)
    if exact is not None:
        return exact
    loose = " ".join(title.lower().split())
    return next((i for i in issues if " ".join(i.title.lower().split()) == loose), None)


@dataclass(frozen=True, slots=True)
class Ticked:
    event: TimelineEvent
    new: bool


def _step_key(data: dict[str, object]) -> tuple[object, object, object]:
    return data.get("issue"), data.get("section"), data.get("step")


def do_tick_runbook_step(
    session: Session,
    *,
    incident_id: int,
    issue: str,
    section: str,
    step: int,
    actor: str,
    now: datetime,
) -> Ticked:
    """Record on the timeline that step `step` (from 1) of the issue's diagnosis or
    resolution is done. Once per step: the event keeps the step's text, so a step that
    is later reworded in the runbook reads as not done rather than as a different one."""
    incident: Incident = get_incident(session, incident_id, for_update=True)
    if incident.status is Status.CLOSED:
        raise Conflict(f"incident {incident_id} is closed; closed incidents are final")
    runbook = repository.find_runbook(session, incident.service_id)
    if runbook is None:
        raise NotFound(f"service '{incident.service.name}' has no runbook")
    issues = parse_runbook(runbook.markdown).common_issues
    found = find_issue(issues, issue)
    if found is None:
        names = "; ".join(i.title for i in issues) or "none"
        raise Invalid(
            f"the {incident.service.name} runbook has no issue '{issue}' (it has: {names})"
        )
    steps = found.steps(section)
    if not 1 <= step <= len(steps):
        raise Invalid(
            f"'{found.title}' has {len(steps)} {section} step{'s' if len(steps) != 1 else ''}; "
            f"there is no step {step}"
        )
    text = steps[step - 1]
    key = (found.title, section, text)
    for event in repository.steps_done(session, incident.id):
        if _step_key(event.data) == key:
            return Ticked(event, new=False)
    event = record(
        session,
        incident,
        EventType.RUNBOOK_STEP_DONE,
        actor=actor,
        at=now,
        issue=found.title,
        section=section,
        step=text,
        number=step,
    )
    incident.updated_at = now
    session.flush()
    return Ticked(event, new=True)
