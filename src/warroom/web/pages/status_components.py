"""The status page's components, for the people who run it: every component (public and
internal) in page order with its status and the services that make it up; admins add,
edit, reorder, group and delete components, set a status by hand, and manage groups."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain.components import ComponentStatus
from warroom.errors import Invalid
from warroom.statuspage import component_actions as actions
from warroom.statuspage.component_schemas import ComponentOut, GroupOut
from warroom.web.context import AppContext
from warroom.web.pages.base import (
    AdminWriter,
    PageCtx,
    PageRoute,
    PageUser,
    SignedIn,
    render,
)
from warroom.web.pages.forms import ItemId, Ok, Short, submit
from warroom.web.pages.views import version_of

router = APIRouter(prefix="/statuspage/components", route_class=PageRoute)

PAGE = "/statuspage/components"
LongText = Annotated[str, Form(max_length=2000)]
MAX_POSITION = 100_000

NOTICES: Mapping[str, str] = {
    "created": "Component added.",
    "saved": "Component saved.",
    "status": "Status set. The component shows the worst of it, its open incidents and "
    "running maintenances.",
    "moved": "Order saved.",
    "deleted": "Component deleted; its services stay, without a component.",
    "group-created": "Group added.",
    "group-saved": "Group saved.",
    "group-deleted": "Group deleted; its components stay, outside any group.",
}

STATUSES = [(str(s), str(s).replace("_", " ")) for s in ComponentStatus]


@dataclass(frozen=True, slots=True)
class Section:
    """A group and its components in page order; group None: those outside any group."""

    group: GroupOut | None
    components: list[ComponentOut]


def _sections(session: Session) -> tuple[list[Section], list[GroupOut]]:
    components = actions.list_components(session)
    outs = actions.components_out(session, components)
    groups = actions.groups_out(session, actions.list_groups(session))
    by_id = {g.id: g for g in groups}
    sections: list[Section] = []
    for component, out in zip(components, outs, strict=True):
        group = by_id.get(component.group_id) if component.group_id is not None else None
        if sections and sections[-1].group is group:
            sections[-1].components.append(out)
        else:
            sections.append(Section(group, [out]))
    # Groups without components show too, to be filled or deleted.
    shown = {s.group.id for s in sections if s.group is not None}
    sections += [Section(g, []) for g in groups if g.id not in shown]
    return sections, groups


def components_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    with ctx.db.read() as session:
        sections, groups = _sections(session)
    total = sum(len(s.components) for s in sections)
    return render(
        request,
        "status_components.html",
        who=who,
        status_code=status_code,
        version=version_of(*(c for s in sections for c in s.components), *groups),
        refresh_url=PAGE,
        sections=sections,
        groups=groups,
        total=total,
        statuses=STATUSES,
        form=dict(form or {}),
        notice=notice,
        error=error,
    )


@router.get("")
def component_list(request: Request, ctx: PageCtx, who: SignedIn, ok: Ok = "") -> Response:
    return components_page(request, ctx, who, notice=NOTICES.get(ok))


# --- forms (admins) --------------------------------------------------------------------


def _act(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    change: Callable[[Session, datetime], object],
    *,
    done: str,
    anchor: str = "",
    form: Mapping[str, str] | None = None,
) -> Response:
    """Runs the change in one transaction and lands back on the page with a notice; a
    refusal shows the page again with the reason and what was typed."""
    now = ctx.clock.now()

    def write(session: Session) -> str:
        change(session, now)
        return f"{PAGE}?ok={done}{anchor}"

    def refused(*, error: str, status_code: int) -> Response:
        return components_page(request, ctx, who, error=error, status_code=status_code, form=form)

    return submit(ctx, write, refused)


def _status_of(text: str) -> ComponentStatus:
    try:
        return ComponentStatus(text)
    except ValueError:
        raise Invalid(
            f"'{text[:40]}' is not a component status; choose one of "
            + ", ".join(str(s) for s in ComponentStatus)
        ) from None


def _position_of(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) > MAX_POSITION:
        raise Invalid(f"position must be a whole number from 0 to {MAX_POSITION}, or empty")
    return int(text)


def _name_of(text: str, what: str) -> str:
    """The API's rule for names, in the page's words."""
    name = text.strip()
    if not name:
        raise Invalid(f"give the {what} a name")
    if len(name) > 100:
        raise Invalid(f"a {what} name can be at most 100 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid(f"a {what} name cannot contain control characters")
    return name


@router.post("")
def create_component(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    name: Short = "",
    description: LongText = "",
    group: Short = "",
    position: Short = "",
    public: Short = "",
    manual_status: Short = "operational",
) -> Response:
    form = {
        "new_name": name,
        "new_description": description,
        "new_group": group,
        "new_position": position,
        "new_public": public,
        "new_status": manual_status,
    }

    def change(session: Session, now: datetime) -> None:
        actions.do_create_component(
            session,
            name=_name_of(name, "component"),
            description=description.strip(),
            group=group.strip() or None,
            position=_position_of(position),
            public=bool(public),
            manual_status=_status_of(manual_status),
            now=now,
        )

    return _act(request, ctx, who, change, done="created", form=form, anchor="#add")


@router.post("/groups")
def create_group(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    name: Short = "",
    description: LongText = "",
    position: Short = "",
) -> Response:
    form = {"group_name": name, "group_description": description, "group_position": position}

    def change(session: Session, now: datetime) -> None:
        actions.do_create_group(
            session,
            name=_name_of(name, "group"),
            description=description.strip(),
            position=_position_of(position),
            now=now,
        )

    return _act(request, ctx, who, change, done="group-created", form=form, anchor="#groups")


@router.post("/groups/{group_id}/edit")
def edit_group(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    group_id: ItemId,
    name: Short = "",
    description: LongText = "",
    position: Short = "",
) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_update_group(
            session,
            ref=group_id,
            name=_name_of(name, "group"),
            description=description.strip(),
            position=_position_of(position),
            now=now,
        )

    return _act(request, ctx, who, change, done="group-saved", anchor="#groups")


@router.post("/groups/{group_id}/delete")
def delete_group(request: Request, ctx: PageCtx, who: AdminWriter, group_id: ItemId) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_delete_group(session, ref=group_id, now=now)

    return _act(request, ctx, who, change, done="group-deleted", anchor="#groups")


@router.post("/{component_id}/edit")
def edit_component(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    component_id: ItemId,
    name: Short = "",
    description: LongText = "",
    group: Short = "",
    position: Short = "",
    public: Short = "",
) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_update_component(
            session,
            ref=component_id,
            name=_name_of(name, "component"),
            description=description.strip(),
            group=group.strip() or None,
            position=_position_of(position),
            public=bool(public),
            now=now,
        )

    return _act(request, ctx, who, change, done="saved", anchor=f"#c{component_id}")


@router.post("/{component_id}/status")
def set_status(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    component_id: ItemId,
    manual_status: Short = "",
) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_update_component(
            session, ref=component_id, manual_status=_status_of(manual_status), now=now
        )

    return _act(request, ctx, who, change, done="status", anchor=f"#c{component_id}")


@router.post("/{component_id}/move")
def move_component(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    component_id: ItemId,
    direction: Short = "",
) -> Response:
    def change(session: Session, now: datetime) -> None:
        if direction not in ("up", "down"):
            raise Invalid("move a component up or down")
        actions.do_move_component(session, ref=component_id, up=direction == "up", now=now)

    return _act(request, ctx, who, change, done="moved", anchor=f"#c{component_id}")


@router.post("/{component_id}/delete")
def delete_component(
    request: Request, ctx: PageCtx, who: AdminWriter, component_id: ItemId
) -> Response:
    def change(session: Session, now: datetime) -> None:
        actions.do_delete_component(session, ref=component_id, now=now)

    return _act(request, ctx, who, change, done="deleted")
