"""Status-page components and their groups as admins manage them: create, rename, group,
reorder, hide from the public, set a status by hand, delete; and which services make up
a component.

Every change here is something the public page may show, so each bumps the page's
revision in its own transaction. A status set by hand is one input of the component's
status (warroom.statuspage.components works out the rest), so it goes through
refresh_components like any other input: the component's history records the change,
no incident's timeline does.
"""

import base64
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from warroom.db.lookup import ensure_name_free, find_by_ref
from warroom.db.pagination import Page, paginate
from warroom.domain.components import ComponentStatus
from warroom.errors import Invalid, NotFound
from warroom.services.models import Service
from warroom.statuspage.component_schemas import ComponentOut, GroupOut
from warroom.statuspage.components import refresh_components
from warroom.statuspage.maintenances import sync_maintenance_windows
from warroom.statuspage.models import Component, ComponentGroup, ComponentStatusChange
from warroom.statuspage.revision import bump

CODE_LENGTH = 12
Named = TypeVar("Named", Component, ComponentGroup)


class _Keep(Enum):
    KEEP = "keep"


# "Leave it as it is", where None means "clear it".
KEEP = _Keep.KEEP


def new_code() -> str:
    """A public id like Statuspage's (12 lowercase letters and digits, 60 random bits):
    row numbers would tell the world how many components and incidents there are."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()[:CODE_LENGTH]


# --- finding ---------------------------------------------------------------------------


def _find(session: Session, model: type[Named], ref: str | int) -> Named | None:
    """By name, then id, then public code: paths take any of the three."""
    text = str(ref)
    found = find_by_ref(session, model, model.name, text)
    if found is None and len(text) == CODE_LENGTH and "\x00" not in text:
        found = session.scalar(select(model).where(model.code == text))
    return found


def find_component(session: Session, ref: str | int) -> Component | None:
    return _find(session, Component, ref)


def get_component(session: Session, ref: str | int) -> Component:
    found = find_component(session, ref)
    if found is None:
        raise NotFound(f"no component with id, name or code '{ref}'")
    return found


def get_group(session: Session, ref: str | int) -> ComponentGroup:
    found = _find(session, ComponentGroup, ref)
    if found is None:
        raise NotFound(f"no component group with id, name or code '{ref}'")
    return found


def _group_named(session: Session, name: str) -> ComponentGroup:
    found = session.scalar(select(ComponentGroup).where(ComponentGroup.name == name))
    if found is None:
        raise Invalid(
            f"no component group named '{name}'; create it first "
            "(POST /api/v1/component-groups) or leave group out"
        )
    return found


def list_components(session: Session) -> Sequence[Component]:
    """In page order: groups by their position, then each one's components by theirs;
    components outside any group take their own position among the groups."""
    rows = session.scalars(select(Component).order_by(Component.position, Component.name)).all()
    return sorted(rows, key=_page_order)


def _page_order(c: Component) -> tuple[int, str, int, str]:
    if c.group is None:
        return (c.position, c.name, -1, "")
    return (c.group.position, c.group.name, c.position, c.name)


def list_groups(session: Session) -> Sequence[ComponentGroup]:
    return session.scalars(
        select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.name)
    ).all()


def page_components(session: Session, *, limit: int, cursor: str | None) -> Page[Component]:
    return paginate(
        session,
        select(Component),
        keys=[Component.position, Component.id],
        limit=limit,
        cursor=cursor,
    )


def page_groups(session: Session, *, limit: int, cursor: str | None) -> Page[ComponentGroup]:
    return paginate(
        session,
        select(ComponentGroup),
        keys=[ComponentGroup.position, ComponentGroup.id],
        limit=limit,
        cursor=cursor,
    )


def services_by_component(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    wanted = list(set(ids))
    found: dict[int, list[str]] = defaultdict(list)
    if wanted:
        for component_id, name in session.execute(
            select(Service.component_id, Service.name)
            .where(Service.component_id.in_(wanted))
            .order_by(Service.name)
        ):
            assert component_id is not None
            found[component_id].append(name)
    return found


def components_by_group(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    wanted = list(set(ids))
    found: dict[int, list[str]] = defaultdict(list)
    if wanted:
        for group_id, name in session.execute(
            select(Component.group_id, Component.name)
            .where(Component.group_id.in_(wanted))
            .order_by(Component.position, Component.name)
        ):
            assert group_id is not None
            found[group_id].append(name)
    return found


def component_out(
    component: Component, services: dict[int, list[str]] | None = None
) -> ComponentOut:
    return ComponentOut(
        id=component.id,
        code=component.code,
        name=component.name,
        description=component.description,
        group=component.group.name if component.group is not None else None,
        position=component.position,
        public=component.public,
        status=component.status,
        manual_status=component.manual_status,
        status_changed_at=component.status_changed_at,
        services=(services or {}).get(component.id, []),
        created_at=component.created_at,
        updated_at=component.updated_at,
    )


def components_out(session: Session, components: Sequence[Component]) -> list[ComponentOut]:
    services = services_by_component(session, (c.id for c in components))
    return [component_out(c, services) for c in components]


def groups_out(session: Session, groups: Sequence[ComponentGroup]) -> list[GroupOut]:
    members = components_by_group(session, (g.id for g in groups))
    return [
        GroupOut(
            id=g.id,
            code=g.code,
            name=g.name,
            description=g.description,
            position=g.position,
            components=members.get(g.id, []),
            created_at=g.created_at,
            updated_at=g.updated_at,
        )
        for g in groups
    ]


def history_of(session: Session, component: Component) -> Sequence[ComponentStatusChange]:
    return session.scalars(
        select(ComponentStatusChange)
        .where(ComponentStatusChange.component_id == component.id)
        .order_by(ComponentStatusChange.at.desc(), ComponentStatusChange.id.desc())
        .limit(500)
    ).all()


def _next_position(session: Session, model: type[Component] | type[ComponentGroup]) -> int:
    highest = session.scalar(select(func.max(model.position)))
    return 0 if highest is None else highest + 1


# --- components ------------------------------------------------------------------------


def do_create_component(
    session: Session,
    *,
    name: str,
    now: datetime,
    description: str = "",
    group: str | None = None,
    position: int | None = None,
    public: bool = True,
    manual_status: ComponentStatus = ComponentStatus.OPERATIONAL,
) -> Component:
    ensure_name_free(session, Component, Component.name, name, what="a component")
    component = Component(
        code=new_code(),
        name=name,
        description=description,
        group=_group_named(session, group) if group else None,
        position=_next_position(session, Component) if position is None else position,
        public=public,
        manual_status=manual_status,
        # Born operational: a status set at creation is a change like any later one, so
        # the history (the uptime bars) starts from the truth.
        status=ComponentStatus.OPERATIONAL,
        status_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(component)
    session.flush()
    refresh_components(session, [component.id], now=now)
    bump(session, now=now)
    return component


def do_update_component(
    session: Session,
    *,
    ref: str | int,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    group: str | _Keep | None = KEEP,
    position: int | None = None,
    public: bool | None = None,
    manual_status: ComponentStatus | None = None,
) -> Component:
    """Fields left as None stay as they are; `group` None takes it out of its group."""
    component = get_component(session, ref)
    if name is not None and name != component.name:
        ensure_name_free(
            session, Component, Component.name, name, what="a component", but=component
        )
        component.name = name
    if description is not None:
        component.description = description
    if group is not KEEP:
        component.group = _group_named(session, group) if group else None
    if position is not None:
        component.position = position
    if public is not None:
        component.public = public
    if manual_status is not None:
        component.manual_status = manual_status
    component.updated_at = now
    session.flush()
    if manual_status is not None:
        refresh_components(session, [component.id], now=now)
    bump(session, now=now)
    return component


def do_delete_component(session: Session, *, ref: str | int, now: datetime) -> ComponentOut:
    """Its services stay, without a component; incidents keep their timelines. The
    answer is the component as it was."""
    component = get_component(session, ref)
    gone = components_out(session, [component])[0]
    session.execute(
        update(Service).where(Service.component_id == component.id).values(component_id=None)
    )
    session.delete(component)
    session.flush()
    session.expire_all()
    bump(session, now=now)
    return gone


# --- groups ----------------------------------------------------------------------------


def do_create_group(
    session: Session,
    *,
    name: str,
    now: datetime,
    description: str = "",
    position: int | None = None,
) -> ComponentGroup:
    ensure_name_free(session, ComponentGroup, ComponentGroup.name, name, what="a component group")
    group = ComponentGroup(
        code=new_code(),
        name=name,
        description=description,
        position=_next_position(session, ComponentGroup) if position is None else position,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    session.flush()
    bump(session, now=now)
    return group


def do_update_group(
    session: Session,
    *,
    ref: str | int,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    position: int | None = None,
) -> ComponentGroup:
    group = get_group(session, ref)
    if name is not None and name != group.name:
        ensure_name_free(
            session, ComponentGroup, ComponentGroup.name, name, what="a component group", but=group
        )
        group.name = name
    if description is not None:
        group.description = description
    if position is not None:
        group.position = position
    group.updated_at = now
    session.flush()
    bump(session, now=now)
    return group


def do_delete_group(session: Session, *, ref: str | int, now: datetime) -> GroupOut:
    """Its components stay, outside any group."""
    group = get_group(session, ref)
    gone = groups_out(session, [group])[0]
    session.execute(
        update(Component)
        .where(Component.group_id == group.id)
        .values(group_id=None, updated_at=now)
    )
    session.delete(group)
    session.flush()
    session.expire_all()
    bump(session, now=now)
    return gone


# --- services --------------------------------------------------------------------------


def do_link_service(
    session: Session, *, service: Service, component: str | None, now: datetime
) -> None:
    """The service becomes part of the component named (made, public, if there is none
    by that name); None or "" unlinks it. Incidents opened on the service from now on
    affect the component; ones already open keep what they affect. Maintenances on the
    old or new component (not yet completed) give or take the service's window at
    once, so alerts on a service just linked into a running maintenance are held."""
    found = None
    if component:
        found = session.scalar(select(Component).where(Component.name == component))
        if found is None:
            found = do_create_component(session, name=component, now=now)
    old_id = service.component_id
    service.status_component = found
    session.flush()
    sync_maintenance_windows(
        session,
        component_ids=[i for i in (old_id, found.id if found else None) if i is not None],
        now=now,
    )
    bump(session, now=now)


def do_move_component(session: Session, *, ref: str | int, up: bool, now: datetime) -> Component:
    """One place up or down among the components it is listed with (its group's, or
    those outside any group); the positions there are renumbered 0, 1, 2… so the order
    is always total."""
    component = get_component(session, ref)
    siblings = list(
        session.scalars(
            select(Component)
            .where(
                Component.group_id == component.group_id
                if component.group_id is not None
                else Component.group_id.is_(None)
            )
            .order_by(Component.position, Component.name)
        )
    )
    at = siblings.index(component)
    to = at - 1 if up else at + 1
    if 0 <= to < len(siblings):
        siblings[at], siblings[to] = siblings[to], siblings[at]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.updated_at = now
    session.flush()
    bump(session, now=now)
    return component
