"""The server-rendered web UI: sign-in, incidents, alerts and services.

Pages parse input, call one action inside one write transaction, and redirect; they
read through repositories and the API's own output shapes."""

from fastapi import APIRouter

from warroom.users import pages as user_pages
from warroom.web.pages import (
    ack,
    alerts,
    drills,
    incident_actions,
    incidents,
    postmortems,
    reports,
    runbooks,
    services,
    session,
    status_components,
    status_maintenances,
    status_subscribers,
    teams,
)
from warroom.web.pages import escalation as escalation_pages
from warroom.web.pages import schedules as schedule_pages

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
router.include_router(incidents.router)
router.include_router(incident_actions.router)
router.include_router(escalation_pages.router)
router.include_router(alerts.router)
router.include_router(services.router)
router.include_router(ack.router)
router.include_router(user_pages.router)
router.include_router(schedule_pages.router)
router.include_router(status_components.router)
router.include_router(status_maintenances.router)
router.include_router(status_subscribers.router)
router.include_router(reports.router)
router.include_router(postmortems.router)
router.include_router(runbooks.router)
router.include_router(drills.router)
router.include_router(teams.router)

__all__ = ["router"]
