from typing import Annotated

from fastapi import APIRouter, Path

from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.services import actions, repository
from warroom.services.schemas import (
    IntegrationKeyIn,
    IntegrationKeyOut,
    MaintenanceWindowIn,
    MaintenanceWindowOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    SilenceIn,
    SilenceOut,
)
from warroom.web.auth import Admin, Ctx, Responder, Viewer

router = APIRouter(prefix="/api/v1/services", tags=["services"])

ServiceRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=201, response_model=ServiceOut)
def create_service(body: ServiceIn, who: Admin, ctx: Ctx) -> ServiceOut:
    """The answer carries the service's first integration key, shown this once."""
    with ctx.db.write() as session:
        created = actions.do_create_service(
            session, **body.model_dump(mode="json"), now=ctx.clock.now()
        )
        out = ServiceOut.model_validate(created.service)
        out.integration_key = created.first_key.secret
        return out


@router.get("", response_model=ListOut[ServiceOut])
def list_services(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[ServiceOut]:
    with ctx.db.read() as session:
        page = repository.page_services(session, limit=limit, cursor=cursor)
        return list_out(page, ServiceOut.model_validate)


@router.get("/{ref}", response_model=ServiceOut)
def get_service(ref: ServiceRef, who: Viewer, ctx: Ctx) -> ServiceOut:
    with ctx.db.read() as session:
        return ServiceOut.model_validate(repository.get_service(session, ref))


@router.patch("/{ref}", response_model=ServiceOut)
def update_service(ref: ServiceRef, body: ServicePatch, who: Admin, ctx: Ctx) -> ServiceOut:
    with ctx.db.write() as session:
        # Only the fields sent: an explicit null escalation_policy detaches it.
        changes = body.model_dump(mode="json", exclude_unset=True)
        service = actions.do_update_service(session, ref=ref, now=ctx.clock.now(), **changes)
        return ServiceOut.model_validate(service)


# --- integration keys: admin only; a key can ingest alerts and nothing else ----------


@router.get("/{ref}/integration-keys", response_model=ListOut[IntegrationKeyOut])
def list_integration_keys(ref: ServiceRef, who: Admin, ctx: Ctx) -> ListOut[IntegrationKeyOut]:
    with ctx.db.read() as session:
        service = repository.get_service(session, ref)
        items = [
            IntegrationKeyOut.of(k, service)
            for k in repository.list_integration_keys(session, service.id)
        ]
    return ListOut[IntegrationKeyOut](items=items, total=len(items), next=None)


@router.post("/{ref}/integration-keys", status_code=201, response_model=IntegrationKeyOut)
def create_integration_key(
    ref: ServiceRef, body: IntegrationKeyIn, who: Admin, ctx: Ctx
) -> IntegrationKeyOut:
    with ctx.db.write() as session:
        service = repository.get_service(session, ref)
        issued = actions.do_create_integration_key(
            session, service=service, name=body.name, now=ctx.clock.now()
        )
        return IntegrationKeyOut.of(issued.key, service, issued.secret)


@router.post("/{ref}/integration-keys/{key_id}/rotate", response_model=IntegrationKeyOut)
def rotate_integration_key(
    ref: ServiceRef, key_id: ItemId, who: Admin, ctx: Ctx
) -> IntegrationKeyOut:
    """A new secret for the key; the old secret stops working at once."""
    with ctx.db.write() as session:
        service = repository.get_service(session, ref)
        issued = actions.do_rotate_integration_key(
            session, service=service, key_id=key_id, now=ctx.clock.now()
        )
        out = IntegrationKeyOut.of(issued.key, service, issued.secret)
    ctx.keys.forget()  # this process stops taking the old secret at once
    return out


@router.delete("/{ref}/integration-keys/{key_id}", response_model=IntegrationKeyOut)
def revoke_integration_key(
    ref: ServiceRef, key_id: ItemId, who: Admin, ctx: Ctx
) -> IntegrationKeyOut:
    with ctx.db.write() as session:
        service = repository.get_service(session, ref)
        key = actions.do_revoke_integration_key(
            session, service=service, key_id=key_id, now=ctx.clock.now()
        )
        out = IntegrationKeyOut.of(key, service)
    ctx.keys.forget()
    return out


# --- maintenance windows and silences: responders set them during their work ---------


@router.get("/{ref}/maintenance-windows", response_model=ListOut[MaintenanceWindowOut])
def list_maintenance(ref: ServiceRef, who: Viewer, ctx: Ctx) -> ListOut[MaintenanceWindowOut]:
    with ctx.db.read() as session:
        service = repository.get_service(session, ref)
        items = [
            MaintenanceWindowOut.model_validate(m)
            for m in repository.list_maintenance(session, service.id)
        ]
    return ListOut[MaintenanceWindowOut](items=items, total=len(items), next=None)


@router.post("/{ref}/maintenance-windows", status_code=201, response_model=MaintenanceWindowOut)
def start_maintenance(
    ref: ServiceRef, body: MaintenanceWindowIn, who: Responder, ctx: Ctx
) -> MaintenanceWindowOut:
    """While it runs, the service's alerts are stored and shown but open no incident."""
    with ctx.db.write() as session:
        window = actions.do_start_maintenance(
            session,
            service=repository.get_service(session, ref),
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            reason=body.reason,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return MaintenanceWindowOut.model_validate(window)


@router.delete("/{ref}/maintenance-windows/{window_id}", response_model=MaintenanceWindowOut)
def end_maintenance(
    ref: ServiceRef, window_id: ItemId, who: Responder, ctx: Ctx
) -> MaintenanceWindowOut:
    with ctx.db.write() as session:
        window = actions.do_end_maintenance(
            session,
            service=repository.get_service(session, ref),
            window_id=window_id,
            now=ctx.clock.now(),
        )
        return MaintenanceWindowOut.model_validate(window)


@router.get("/{ref}/silences", response_model=ListOut[SilenceOut])
def list_silences(ref: ServiceRef, who: Viewer, ctx: Ctx) -> ListOut[SilenceOut]:
    with ctx.db.read() as session:
        service = repository.get_service(session, ref)
        items = [
            SilenceOut.model_validate(s) for s in repository.list_silences(session, service.id)
        ]
    return ListOut[SilenceOut](items=items, total=len(items), next=None)


@router.post("/{ref}/silences", status_code=201, response_model=SilenceOut)
def create_silence(ref: ServiceRef, body: SilenceIn, who: Responder, ctx: Ctx) -> SilenceOut:
    """Alerts whose labels match every matcher open no incident until it ends."""
    with ctx.db.write() as session:
        silence = actions.do_create_silence(
            session,
            service=repository.get_service(session, ref),
            matchers=[m.model_dump(mode="json") for m in body.matchers],
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            comment=body.comment,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return SilenceOut.model_validate(silence)


@router.delete("/{ref}/silences/{silence_id}", response_model=SilenceOut)
def expire_silence(ref: ServiceRef, silence_id: ItemId, who: Responder, ctx: Ctx) -> SilenceOut:
    with ctx.db.write() as session:
        silence = actions.do_expire_silence(
            session,
            service=repository.get_service(session, ref),
            silence_id=silence_id,
            now=ctx.clock.now(),
        )
        return SilenceOut.model_validate(silence)
