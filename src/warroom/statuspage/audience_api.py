"""Internal audiences: chat channels or mailing lists (Apprise URLs) that hear every
update, public or internal, of incidents on a service (or any) at some severities.
Admins configure them; their URLs carry tokens, so answers show them redacted."""

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from warroom.schemas import ListOut
from warroom.services.models import Service
from warroom.statuspage import subscriptions
from warroom.statuspage.models import Audience
from warroom.statuspage.subscriber_schemas import AudienceIn, AudienceOut
from warroom.web.auth import Admin, Ctx

router = APIRouter(prefix="/api/v1/audiences", tags=["status page"])

AudienceRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]


def audience_out(session: Session, audience: Audience) -> AudienceOut:
    service = session.get(Service, audience.service_id) if audience.service_id else None
    return AudienceOut.of(audience, service.name if service else None)


@router.get("", response_model=ListOut[AudienceOut])
def list_audiences(who: Admin, ctx: Ctx) -> ListOut[AudienceOut]:
    with ctx.db.read() as session:
        items = [audience_out(session, a) for a in subscriptions.list_audiences(session)]
    return ListOut[AudienceOut](items=items, total=len(items), next=None)


@router.post("", status_code=201, response_model=AudienceOut)
def add_audience(body: AudienceIn, who: Admin, ctx: Ctx) -> AudienceOut:
    with ctx.db.write() as session:
        audience = subscriptions.do_add_audience(
            session,
            name=body.name,
            url=body.url,
            service=body.service,
            severities=[str(s) for s in body.severities],
            now=ctx.clock.now(),
        )
        return audience_out(session, audience)


@router.get("/{audience}", response_model=AudienceOut)
def get_audience(audience: AudienceRef, who: Admin, ctx: Ctx) -> AudienceOut:
    with ctx.db.read() as session:
        return audience_out(session, subscriptions.find_audience(session, audience))


@router.delete("/{audience}", response_model=AudienceOut)
def delete_audience(audience: AudienceRef, who: Admin, ctx: Ctx) -> AudienceOut:
    with ctx.db.write() as session:
        out = audience_out(session, subscriptions.find_audience(session, audience))
        subscriptions.do_delete_audience(session, ref=audience)
        return out
