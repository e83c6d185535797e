"""The server-rendered web UI: sign-in, incidents, alerts and services.

Pages parse input, call one action inside one write transaction, and redirect; they
read through repositories and the API's own output shapes."""

from fastapi import APIRouter

from warroom.web.pages import ack, alerts, incident_actions, incidents, services, session

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
router.include_router(incidents.router)
router.include_router(incident_actions.router)
router.include_router(alerts.router)
router.include_router(services.router)
router.include_router(ack.router)

__all__ = ["router"]
