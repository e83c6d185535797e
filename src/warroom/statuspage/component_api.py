"""Status-page components and component groups: viewers read, admins configure."""

from typing import Annotated

from fastapi import APIRouter, Path

from warroom.schemas import Cursor, Limit, ListOut
from warroom.statuspage import component_actions as actions
from warroom.statuspage.component_schemas import (
    ComponentIn,
    ComponentOut,
    ComponentPatch,
    GroupIn,
    GroupOut,
    GroupPatch,
    StatusChangeOut,
)
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1", tags=["status page"])

ComponentRef = Annotated[
    str, Path(min_length=1, max_length=100, description="the component's id, name or code")
]
GroupRef = Annotated[
    str, Path(min_length=1, max_length=100, description="the group's id, name or code")
]


@router.get("/components", response_model=ListOut[ComponentOut])
def list_components(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[ComponentOut]:
    """In position order; internal components too (the public page leaves them out)."""
    with ctx.db.read() as session:
        page = actions.page_components(session, limit=limit, cursor=cursor)
        items = actions.components_out(session, page.items)
    return ListOut[ComponentOut](items=items, total=page.total, next=page.next)


@router.post("/components", status_code=201, response_model=ComponentOut)
def create_component(body: ComponentIn, who: Admin, ctx: Ctx) -> ComponentOut:
    with ctx.db.write() as session:
        component = actions.do_create_component(
            session,
            name=body.name,
            description=body.description,
            group=body.group,
            position=body.position,
            public=body.public,
            manual_status=body.manual_status,
            now=ctx.clock.now(),
        )
        return actions.components_out(session, [component])[0]


@router.get("/components/{component}", response_model=ComponentOut)
def get_component(component: ComponentRef, who: Viewer, ctx: Ctx) -> ComponentOut:
    with ctx.db.read() as session:
        return actions.components_out(session, [actions.get_component(session, component)])[0]


@router.patch("/components/{component}", response_model=ComponentOut)
def update_component(
    component: ComponentRef, body: ComponentPatch, who: Admin, ctx: Ctx
) -> ComponentOut:
    """Only the fields sent change; `"group": null` takes it out of its group.
    `manual_status` is the status set by hand: the component shows the worst of it, its
    open incidents and running maintenances."""
    sent = body.model_fields_set
    with ctx.db.write() as session:
        changed = actions.do_update_component(
            session,
            ref=component,
            name=body.name,
            description=body.description,
            group=body.group if "group" in sent else actions.KEEP,
            position=body.position,
            public=body.public,
            manual_status=body.manual_status,
            now=ctx.clock.now(),
        )
        return actions.components_out(session, [changed])[0]


@router.delete("/components/{component}", response_model=ComponentOut)
def delete_component(component: ComponentRef, who: Admin, ctx: Ctx) -> ComponentOut:
    """Its services stay, without a component. The answer is the component as it was."""
    with ctx.db.write() as session:
        return actions.do_delete_component(session, ref=component, now=ctx.clock.now())


@router.get("/components/{component}/history", response_model=ListOut[StatusChangeOut])
def component_history(component: ComponentRef, who: Viewer, ctx: Ctx) -> ListOut[StatusChangeOut]:
    """What the component said and from when, newest first (the last 500 changes)."""
    with ctx.db.read() as session:
        rows = actions.history_of(session, actions.get_component(session, component))
        items = [StatusChangeOut.model_validate(r) for r in rows]
    return ListOut[StatusChangeOut](items=items, total=len(items), next=None)


@router.get("/component-groups", response_model=ListOut[GroupOut])
def list_groups(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[GroupOut]:
    with ctx.db.read() as session:
        page = actions.page_groups(session, limit=limit, cursor=cursor)
        items = actions.groups_out(session, page.items)
    return ListOut[GroupOut](items=items, total=page.total, next=page.next)


@router.post("/component-groups", status_code=201, response_model=GroupOut)
def create_group(body: GroupIn, who: Admin, ctx: Ctx) -> GroupOut:
    with ctx.db.write() as session:
        group = actions.do_create_group(
            session,
            name=body.name,
            description=body.description,
            position=body.position,
            now=ctx.clock.now(),
        )
        return actions.groups_out(session, [group])[0]


@router.get("/component-groups/{group}", response_model=GroupOut)
def get_group(group: GroupRef, who: Viewer, ctx: Ctx) -> GroupOut:
    with ctx.db.read() as session:
        return actions.groups_out(session, [actions.get_group(session, group)])[0]


@router.patch("/component-groups/{group}", response_model=GroupOut)
def update_group(group: GroupRef, body: GroupPatch, who: Admin, ctx: Ctx) -> GroupOut:
    with ctx.db.write() as session:
        changed = actions.do_update_group(
            session,
            ref=group,
            name=body.name,
            description=body.description,
            position=body.position,
            now=ctx.clock.now(),
        )
        return actions.groups_out(session, [changed])[0]


@router.delete("/component-groups/{group}", response_model=GroupOut)
def delete_group(group: GroupRef, who: Admin, ctx: Ctx) -> GroupOut:
    """Its components stay, outside any group. The answer is the group as it was."""
    with ctx.db.write() as session:
        return actions.do_delete_group(session, ref=group, now=ctx.clock.now())
