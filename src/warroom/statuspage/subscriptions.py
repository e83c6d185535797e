"""Subscribers and internal audiences hear of updates (being built: issue 5)."""

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.incidents.models import Incident, StakeholderUpdate


def notify_subscribers_of_update(
    session: Session, *, incident: Incident, update: StakeholderUpdate, now: datetime
) -> int:
    """Enqueue the public `update` to every confirmed subscriber; the number enqueued."""
    return 0


def notify_audiences_of_update(
    session: Session, *, incident: Incident, update: StakeholderUpdate, now: datetime
) -> int:
    """Enqueue `update` (public or not) to each internal audience that matches the
    incident's service and severity; the number enqueued."""
    return 0
