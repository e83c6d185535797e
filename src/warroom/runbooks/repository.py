"""Queries for runbooks: Session in, rows out."""

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from warroom.domain.action_items import FINISHED, ActionItemKind
from warroom.domain.timeline import EventType
from warroom.errors import NotFound
from warroom.incidents.models import Incident, TimelineEvent
from warroom.postmortems.models import ActionItem
from warroom.runbooks.models import Runbook
from warroom.services.models import Service


def find_runbook(session: Session, service_id: int, *, for_update: bool = False) -> Runbook | None:
    query = select(Runbook).where(Runbook.service_id == service_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def get_runbook(session: Session, service: Service, *, for_update: bool = False) -> Runbook:
    found = find_runbook(session, service.id, for_update=for_update)
    if found is None:
        raise NotFound(
            f"service '{service.name}' has no runbook yet: PUT its Markdown to "
            f"/api/v1/services/{service.name}/runbook, or `warroom runbook sync DIR`"
        )
    return found


def runbooks_of(session: Session, service_ids: Sequence[int]) -> dict[int, Runbook]:
    if not service_ids:
        return {}
    rows = session.scalars(select(Runbook).where(Runbook.service_id.in_(service_ids))).all()
    return {r.service_id: r for r in rows}


def _open_reviews() -> Select[ActionItem]:
    return (
        select(ActionItem)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(
            ActionItem.kind == ActionItemKind.RUNBOOK_REVIEW,
            ActionItem.status.not_in(FINISHED),
        )
    )


def open_reviews(
    session: Session, service_id: int, *, for_update: bool = False
) -> Sequence[ActionItem]:
    """The service's "review the runbook" items nobody has finished, oldest first."""
    query = _open_reviews().where(Incident.service_id == service_id).order_by(ActionItem.id)
    if for_update:
        query = query.with_for_update(of=ActionItem)
    return session.scalars(query).all()


def count_open_reviews(session: Session, service_ids: Sequence[int]) -> dict[int, int]:
    if not service_ids:
        return {}
    rows = session.execute(
        select(Incident.service_id, func.count(ActionItem.id))
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(
            ActionItem.kind == ActionItemKind.RUNBOOK_REVIEW,
            ActionItem.status.not_in(FINISHED),
            Incident.service_id.in_(service_ids),
        )
        .group_by(Incident.service_id)
    ).all()
    return {int(service_id): int(count) for service_id, count in rows}


def steps_done(session: Session, incident_id: int) -> Sequence[TimelineEvent]:
    """The incident's ticked runbook steps: the timeline is where they are kept."""
    return session.scalars(
        select(TimelineEvent)
        .where(
            TimelineEvent.incident_id == incident_id,
            TimelineEvent.type == EventType.RUNBOOK_STEP_DONE,
        )
        .order_by(TimelineEvent.at, TimelineEvent.id)
    ).all()
