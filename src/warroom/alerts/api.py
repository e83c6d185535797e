from typing import Annotated

from fastapi import APIRouter, Path, Query

from warroom.alerts import repository
from warroom.alerts.schemas import AlertOut
from warroom.domain.alerts import AlertStatus
from warroom.incidents.repository import get_incident
from warroom.incidents.schemas import IncidentId
from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.services.repository import find_service
from warroom.web.auth import Ctx, Viewer

router = APIRouter(tags=["alerts"])


@router.get("/api/v1/alerts", response_model=ListOut[AlertOut])
def list_alerts(
    who: Viewer,
    ctx: Ctx,
    service: Annotated[str | None, Query(max_length=100, description="id or name")] = None,
    status: Annotated[list[AlertStatus] | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOut[AlertOut]:
    """Newest first, suppressed ones included (they say why in `suppressed_by`)."""
    with ctx.db.read() as session:
        service_id = None
        if service is not None:
            # No name holds a NUL, and PostgreSQL refuses one in a query.
            found = find_service(session, service) if "\x00" not in service else None
            if found is None:
                return ListOut[AlertOut](items=[], total=0, next=None)
            service_id = found.id
        page = repository.page_alerts(
            session, limit=limit, cursor=cursor, service_id=service_id, status=status
        )
        return list_out(page, AlertOut.of)


@router.get("/api/v1/alerts/{alert_id}", response_model=AlertOut)
def get_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)], who: Viewer, ctx: Ctx
) -> AlertOut:
    with ctx.db.read() as session:
        return AlertOut.of(repository.get_alert(session, alert_id))


@router.get("/api/v1/incidents/{incident_id}/alerts", response_model=ListOut[AlertOut])
def incident_alerts(
    incident_id: IncidentId, who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[AlertOut]:
    with ctx.db.read() as session:
        get_incident(session, incident_id)
        page = repository.page_alerts(session, limit=limit, cursor=cursor, incident_id=incident_id)
        return list_out(page, AlertOut.of)
