import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from warroom.db.lookup import ensure_name_free
from warroom.errors import Conflict, Invalid, NotFound
from warroom.escalation.models import EscalationPolicy
from warroom.escalation.repository import find_policy
from warroom.services import repository
from warroom.services.models import IntegrationKey, MaintenanceWindow, Service, Silence
from warroom.statuspage.component_actions import do_link_service
from warroom.teams.models import Team
from warroom.teams.repository import find_team
from warroom.users.repository import get_user
from warroom.users.security import hash_token

KEY_PREFIX = "wri_"


def _ensure_name_free(session: Session, name: str, *, but: Service | None = None) -> None:
    ensure_name_free(session, Service, Service.name, name, what="a service", but=but)


def _check_responders(session: Session, handles: Sequence[str] | None) -> None:
    for handle in handles or ():
        get_user(session, handle)


def _policy_named(session: Session, name: str) -> EscalationPolicy:
    policy = find_policy(session, name)
    if policy is None:
        raise Invalid(f"no such escalation policy: {name}")
    return policy


def _team_named(session: Session, name: str) -> Team:
    team = find_team(session, name)
    if team is None:
        raise Invalid(f"no such team: {name}")
    return team


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: IntegrationKey
    secret: str


def _issue(key: IntegrationKey) -> str:
    secret = KEY_PREFIX + secrets.token_hex(16)
    key.key_hash = hash_token(secret)
    key.prefix = secret[:10]
    return secret


def do_create_integration_key(
    session: Session, *, service: Service, name: str = "", now: datetime
) -> IssuedKey:
    key = IntegrationKey(service_id=service.id, name=name, created_at=now)
    secret = _issue(key)
    session.add(key)
    session.flush()
    return IssuedKey(key, secret)


def _get_key(session: Session, service: Service, key_id: int) -> IntegrationKey:
    key = session.get(IntegrationKey, key_id)
    if key is None or key.service_id != service.id:
        raise NotFound(f"service '{service.name}' has no integration key {key_id}")
    return key


def do_rotate_integration_key(
    session: Session, *, service: Service, key_id: int, now: datetime
) -> IssuedKey:
    """A new secret for the same key: the old one stops working at once."""
    key = _get_key(session, service, key_id)
    if key.revoked_at is not None:
        raise Conflict(f"integration key {key_id} is revoked; create a new one instead")
    secret = _issue(key)
    key.created_at = now
    session.flush()
    return IssuedKey(key, secret)


def do_revoke_integration_key(
    session: Session, *, service: Service, key_id: int, now: datetime
) -> IntegrationKey:
    key = _get_key(session, service, key_id)
    if key.revoked_at is None:
        key.revoked_at = now
    return key


@dataclass(frozen=True, slots=True)
class CreatedService:
    service: Service
    first_key: IssuedKey


def do_create_service(
    session: Session,
    *,
    name: str,
    now: datetime,
    description: str | None = None,
    component: str | None = None,
    severity_rules: list[dict[str, Any]] | None = None,
    responders: list[str] | None = None,
    open_room: bool | None = None,
    post_initial_message: bool | None = None,
    mark_component: bool | None = None,
    escalation_policy: str | None = None,
    ack_timeout_minutes: int | None = None,
    auto_resolve_minutes: int | None = None,
    team: str | None = None,
) -> CreatedService:
    _ensure_name_free(session, name)
    _check_responders(session, responders)
    policy = _policy_named(session, escalation_policy) if escalation_policy else None
    service = Service(
        name=name,
        description=description or "",
        severity_rules=severity_rules or [],
        responders=responders or [],
        open_room=True if open_room is None else open_room,
        post_initial_message=True if post_initial_message is None else post_initial_message,
        mark_component=True if mark_component is None else mark_component,
        policy=policy,
        ack_timeout_minutes=ack_timeout_minutes,
        auto_resolve_minutes=auto_resolve_minutes,
        team=_team_named(session, team) if team else None,
        created_at=now,
    )
    session.add(service)
    session.flush()
    if component:
        do_link_service(session, service=service, component=component, now=now)
    return CreatedService(service, do_create_integration_key(session, service=service, now=now))


def do_update_service(
    session: Session, *, ref: str | int, now: datetime | None = None, **changes: Any
) -> Service:
    """Fields left out (None) stay as they are; `escalation_policy`, `component` and the
    timeouts, when given, are set even to None (which detaches the policy, unlinks the
    component, turns a timeout off). `now` is needed to link a component."""
    service = repository.get_service(session, ref)
    if "component" in changes:
        component = changes.pop("component")
        if component != service.component:
            if now is None:
                raise ValueError("do_update_service needs `now` to change the component")
            do_link_service(session, service=service, component=component, now=now)
    for timeout in ("ack_timeout_minutes", "auto_resolve_minutes"):
        if timeout in changes:
            setattr(service, timeout, changes.pop(timeout))
    if "escalation_policy" in changes:
        policy_name = changes.pop("escalation_policy")
        service.policy = _policy_named(session, policy_name) if policy_name else None
    if "team" in changes:
        team_name = changes.pop("team")
        service.team = _team_named(session, team_name) if team_name else None
    name = changes.pop("name", None)
    if name is not None and name != service.name:
        _ensure_name_free(session, name, but=service)
        service.name = name
    _check_responders(session, changes.get("responders"))
    for field, value in changes.items():
        if value is None:
            continue
        setattr(service, field, value)
    session.flush()
    return service


W = TypeVar("W", MaintenanceWindow, Silence)


def _open_window(session: Session, window: W, *, what: str) -> W:
    """Store a maintenance window or silence whose bounds make sense."""
    if window.ends_at <= window.starts_at:
        raise Invalid(f"a {what} must end after it starts")
    session.add(window)
    session.flush()
    return window


def _end_window(
    session: Session, model: type[W], window_id: int, service: Service, *, now: datetime, what: str
) -> W:
    """End it now (a window that has not started yet ends before it begins)."""
    window = session.get(model, window_id)
    if window is None or window.service_id != service.id:
        raise NotFound(f"service '{service.name}' has no {what} {window_id}")
    if window.ends_at > now:
        window.ends_at = max(now, window.starts_at)
    return window


def do_start_maintenance(
    session: Session,
    *,
    service: Service,
    ends_at: datetime,
    now: datetime,
    actor: str,
    starts_at: datetime | None = None,
    reason: str = "",
) -> MaintenanceWindow:
    window = MaintenanceWindow(
        service_id=service.id,
        starts_at=starts_at or now,
        ends_at=ends_at,
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    return _open_window(session, window, what="maintenance window")


def do_end_maintenance(
    session: Session, *, service: Service, window_id: int, now: datetime
) -> MaintenanceWindow:
    return _end_window(
        session, MaintenanceWindow, window_id, service, now=now, what="maintenance window"
    )


def do_create_silence(
    session: Session,
    *,
    service: Service,
    matchers: list[dict[str, str]],
    ends_at: datetime,
    now: datetime,
    actor: str,
    starts_at: datetime | None = None,
    comment: str = "",
) -> Silence:
    silence = Silence(
        service_id=service.id,
        matchers=matchers,
        starts_at=starts_at or now,
        ends_at=ends_at,
        comment=comment,
        created_by=actor,
        created_at=now,
    )
    return _open_window(session, silence, what="silence")


def do_expire_silence(
    session: Session, *, service: Service, silence_id: int, now: datetime
) -> Silence:
    return _end_window(session, Silence, silence_id, service, now=now, what="silence")
