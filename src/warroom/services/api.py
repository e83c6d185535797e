from typing import Annotated

from fastapi import APIRouter, Path

from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.services import actions, repository
from warroom.services.models import Service
from warroom.services.schemas import ServiceIn, ServiceOut, ServicePatch
from warroom.users.actions import Principal
from warroom.users.models import UserRole
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1/services", tags=["services"])

ServiceRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]


def present(service: Service, who: Principal) -> ServiceOut:
    out = ServiceOut.model_validate(service)
    if who.role is not UserRole.ADMIN:
        out.integration_key = None
    return out


@router.post("", status_code=201, response_model=ServiceOut)
def create_service(body: ServiceIn, who: Admin, ctx: Ctx) -> ServiceOut:
    with ctx.db.write() as session:
        service = actions.do_create_service(session, **body.model_dump(), now=ctx.clock.now())
        return present(service, who)


@router.get("", response_model=ListOut[ServiceOut])
def list_services(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[ServiceOut]:
    with ctx.db.read() as session:
        page = repository.page_services(session, limit=limit, cursor=cursor)
        return list_out(page, lambda s: present(s, who))


@router.get("/{ref}", response_model=ServiceOut)
def get_service(ref: ServiceRef, who: Viewer, ctx: Ctx) -> ServiceOut:
    with ctx.db.read() as session:
        return present(repository.get_service(session, ref), who)


@router.patch("/{ref}", response_model=ServiceOut)
def update_service(ref: ServiceRef, body: ServicePatch, who: Admin, ctx: Ctx) -> ServiceOut:
    with ctx.db.write() as session:
        service = actions.do_update_service(session, ref=ref, **body.model_dump())
        return present(service, who)
