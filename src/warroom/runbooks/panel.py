"""What the incident page shows of the service's runbook: the best-matching common issue."""

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.incidents.models import Incident


def runbook_panel(session: Session, incident: Incident, *, now: datetime) -> object | None:
    return None  # issue 6: the runbooks helper writes this
