"""Scheduled maintenance over JSON: responders schedule and run them, viewers read."""

from typing import Annotated

from fastapi import APIRouter, Query

from warroom.domain.statuspage import MaintenanceStatus
from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.statuspage import maintenances
from warroom.statuspage.maintenance_schemas import (
    MaintenanceIn,
    MaintenanceOut,
    MaintenancePatch,
    MaintenanceRef,
    MaintenanceStatusIn,
    MaintenanceUpdateIn,
)
from warroom.web.auth import Ctx, Responder, Viewer

router = APIRouter(prefix="/api/v1/maintenances", tags=["maintenances"])


@router.post("", status_code=201, response_model=MaintenanceOut)
def schedule(body: MaintenanceIn, who: Responder, ctx: Ctx) -> MaintenanceOut:
    """Announce a maintenance; the engine starts and completes it at its times unless
    `auto_start` / `auto_complete` are false. Services on its components are quiet
    (alerts open no incident) from `scheduled_for` to `scheduled_until`."""
    with ctx.db.write() as session:
        changed = maintenances.do_schedule_maintenance(
            session,
            name=body.name,
            body=body.body,
            components=body.components,
            scheduled_for=body.scheduled_for,
            scheduled_until=body.scheduled_until,
            auto_start=body.auto_start,
            auto_complete=body.auto_complete,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return MaintenanceOut.of(changed)


@router.get("", response_model=ListOut[MaintenanceOut])
def list_maintenances(
    who: Viewer,
    ctx: Ctx,
    status: Annotated[
        list[MaintenanceStatus] | None, Query(description="repeat to match several")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOut[MaintenanceOut]:
    """Latest planned start first."""
    with ctx.db.read() as session:
        page = maintenances.list_maintenances(session, status=status, limit=limit, cursor=cursor)
        return list_out(page, MaintenanceOut.of)


@router.get("/{maintenance}", response_model=MaintenanceOut)
def get_maintenance(maintenance: MaintenanceRef, who: Viewer, ctx: Ctx) -> MaintenanceOut:
    with ctx.db.read() as session:
        return MaintenanceOut.of(maintenances.get_maintenance(session, maintenance))


@router.patch("/{maintenance}", response_model=MaintenanceOut)
def change(
    maintenance: MaintenanceRef, body: MaintenancePatch, who: Responder, ctx: Ctx
) -> MaintenanceOut:
    """Rename, reschedule, change components or automation; windows and engine tasks
    follow. 409 once completed."""
    fields = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    with ctx.db.write() as session:
        changed = maintenances.do_update_maintenance(
            session, ref=maintenance, actor=who.handle, now=ctx.clock.now(), **fields
        )
        return MaintenanceOut.of(changed)


@router.post("/{maintenance}/status", response_model=MaintenanceOut)
def move(
    maintenance: MaintenanceRef, body: MaintenanceStatusIn, who: Responder, ctx: Ctx
) -> MaintenanceOut:
    """scheduled → in_progress ⇄ verifying → completed (completing a scheduled one
    cancels it); 409 naming the allowed moves."""
    with ctx.db.write() as session:
        changed = maintenances.do_move_maintenance(
            session,
            ref=maintenance,
            status=body.status,
            body=body.body,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return MaintenanceOut.of(changed)


@router.post("/{maintenance}/updates", status_code=201, response_model=MaintenanceOut)
def post_update(
    maintenance: MaintenanceRef, body: MaintenanceUpdateIn, who: Responder, ctx: Ctx
) -> MaintenanceOut:
    """Tell the page (and subscribers) something; with `status`, move it as well."""
    with ctx.db.write() as session:
        changed = maintenances.do_post_maintenance_update(
            session,
            ref=maintenance,
            body=body.body,
            status=body.status,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return MaintenanceOut.of(changed)
