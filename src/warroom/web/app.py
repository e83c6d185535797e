from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from warroom import __version__
from warroom.alerts import api as alerts_api
from warroom.alerts.intake import Intake
from warroom.clock import Clock, SystemClock
from warroom.db.session import Database
from warroom.drills import api as drills_api
from warroom.escalation import api as escalation_api
from warroom.incidents import api as incidents_api
from warroom.integrations import api as integrations_api
from warroom.integrations import monitoring_api
from warroom.integrations.keys import KeyResolver, RateLimiter
from warroom.oncall import api as oncall_api
from warroom.paging import api as paging_api
from warroom.postmortems import api as postmortems_api
from warroom.reports import api as reports_api
from warroom.reports import metrics_api
from warroom.runbooks import api as runbooks_api
from warroom.services import api as services_api
from warroom.settings import Settings, get_settings
from warroom.statuspage import (
    audience_api,
    component_api,
    maintenance_api,
    subscriber_api,
    v2_api,
)
from warroom.statuspage import pages as statuspage_pages
from warroom.statuspage.cache import StatusPageFastPath
from warroom.teams import api as teams_api
from warroom.users import api as users_api
from warroom.web import pages
from warroom.web.context import AppContext
from warroom.web.errors import BodyLimit, install_error_handlers

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    acting_as: str | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.database_url)
    clock = clock or SystemClock()
    ctx = AppContext(
        settings=settings,
        db=db,
        clock=clock,
        intake=Intake(db, clock, settings.response_targets_minutes),
        keys=KeyResolver(db, ttl_seconds=settings.intake_key_cache_seconds),
        limiter=RateLimiter(settings.intake_rate_limit),
        acting_as=acting_as,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.intake.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="warroom",
        version=__version__,
        # Swagger UI and ReDoc load their code from a CDN; warroom serves nothing from
        # outside, so the machine-readable document is what we publish.
        docs_url=None,
        redoc_url=None,
        description="Self-hosted incident response. Authenticate with "
        "`Authorization: Bearer <token>`.",
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # Added last, so it runs first: fresh status-page answers skip routing entirely.
    app.add_middleware(StatusPageFastPath)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    # Intake first: routes are matched in order, and alerts are most of the traffic.
    app.include_router(integrations_api.router)
    app.include_router(monitoring_api.router)
    app.include_router(users_api.router)
    app.include_router(services_api.router)
    app.include_router(incidents_api.router)
    app.include_router(paging_api.router)
    app.include_router(alerts_api.router)
    app.include_router(oncall_api.router)
    app.include_router(escalation_api.router)
    app.include_router(component_api.router)
    app.include_router(maintenance_api.router)
    app.include_router(audience_api.router)
    app.include_router(subscriber_api.router)
    app.include_router(teams_api.router)
    app.include_router(postmortems_api.router)
    app.include_router(runbooks_api.router)
    app.include_router(drills_api.router)
    app.include_router(reports_api.router)
    app.include_router(metrics_api.router)
    # The public status page: no token, cached (warroom.statuspage.cache).
    app.include_router(v2_api.router)
    app.include_router(statuspage_pages.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
