"""The service list and the service page: what a service is, its recent alerts, and the
forms that quiet it (maintenance windows, silences) or connect monitoring to it
(integration keys, admins only).

A new or rotated integration key is shown once, in the answer to the POST that made it,
never in a redirect's URL, where it would land in history and server logs."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from warroom.alerts.repository import page_alerts
from warroom.alerts.schemas import AlertOut
from warroom.domain.alerts import MatchOp
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.domain.timers import MAX_TIMEOUT_MINUTES
from warroom.errors import Invalid
from warroom.incidents.repository import IncidentFilter, list_incidents
from warroom.services import actions, repository
from warroom.services.actions import IssuedKey
from warroom.services.models import Service
from warroom.services.schemas import IntegrationKeyOut, MatcherIn, ServiceOut, SilenceIn
from warroom.statuspage.component_actions import do_link_service, list_components
from warroom.web.context import AppContext
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import (
    AdminWriter,
    PageCtx,
    PageRoute,
    PageUser,
    SignedIn,
    Writer,
    error_of,
    render,
)
from warroom.web.pages.forms import ItemId, Ok, RowForms, Short
from warroom.web.pages.views import version_of

router = APIRouter(prefix="/services", route_class=PageRoute)

ServiceRef = Annotated[str, Path(min_length=1, max_length=100)]
Text = Annotated[str, Form(max_length=10_000)]

RECENT_ALERTS = 10
# Minutes, as the duration select offers them; "custom" takes an end time instead.
DURATIONS: Mapping[str, int] = {"30": 30, "60": 60, "120": 120, "240": 240, "1440": 1440}
DURATION_CHOICES = [
    ("30", "30 min"),
    ("60", "1 h"),
    ("120", "2 h"),
    ("240", "4 h"),
    ("1440", "1 day"),
    ("custom", "Until a time…"),
]
LONGEST = timedelta(days=366)

NOTICES: Mapping[str, str] = {
    "maintenance": "Maintenance window started: alerts are kept but open no incident.",
    "maintenance-ended": "Maintenance window ended.",
    "silence": "Silence created: matching alerts are kept but open no incident.",
    "silence-expired": "Silence expired.",
    "key-revoked": "Integration key revoked: monitoring using it is refused from now on.",
    "timers": "Incident timers saved.",
    "component": "Status-page component saved.",
}


# --- view models ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WindowView:
    id: int
    starts_at: datetime
    ends_at: datetime
    # What it is for: a maintenance reason or a silence comment.
    text: str
    created_by: str
    # active, scheduled or ended.
    state: str
    # A silence's matchers, as the lines they were typed as; empty for maintenance.
    matchers: tuple[str, ...] = ()


def _state(starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    if ends_at <= now:
        return "ended"
    return "active" if starts_at <= now else "scheduled"


def matcher_line(m: Mapping[str, str]) -> str:
    return f"{m.get('name', '?')}{m.get('op', '=')}{m.get('value', '')}"


@dataclass(frozen=True, slots=True)
class RuleView:
    matchers: tuple[str, ...]
    severity: str


def rules_of(service: Service) -> list[RuleView]:
    rules = []
    for rule in service.severity_rules:
        matchers = rule.get("matchers") or []
        lines = tuple(matcher_line(m) for m in matchers if isinstance(m, dict))
        rules.append(RuleView(lines, str(rule.get("severity", "?"))))
    return rules


@dataclass(frozen=True, slots=True)
class Issued:
    """A key's secret, on the one page that shows it."""

    key: IntegrationKeyOut
    secret: str
    verb: str  # created / rotated
    # (what, URL, how the key goes in)
    urls: tuple[tuple[str, str, str], ...]


def issued_view(ctx: AppContext, service: Service, issued: IssuedKey, verb: str) -> Issued:
    base = ctx.settings.base_url.rstrip("/")
    secret = issued.secret
    return Issued(
        key=IntegrationKeyOut.of(issued.key, service),
        secret=secret,
        verb=verb,
        urls=(
            (
                "PagerDuty Events API v2",
                f"{base}/integrations/events/v2/enqueue",
                "send the key as routing_key in each event",
            ),
            ("Alertmanager webhook", f"{base}/integrations/alertmanager/{secret}", "webhook URL"),
            ("Grafana contact point", f"{base}/integrations/grafana/{secret}", "webhook URL"),
            ("Generic JSON webhook", f"{base}/integrations/webhook/{secret}", "POST JSON here"),
        ),
    )


@dataclass(frozen=True, slots=True)
class ServiceRow:
    service: ServiceOut
    open_incidents: int
    maintenance: bool
    silences: int


def _open_incidents(session: Session, service: Service) -> int:
    found = list_incidents(
        session,
        IncidentFilter(status=list(OPEN_STATUSES), service=service.name),
        limit=1,
        cursor=None,
    )
    return found.total


# --- pages ---------------------------------------------------------------------------


@router.get("")
def service_list(request: Request, ctx: PageCtx, who: SignedIn) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        rows = []
        for service in repository.list_services(session):
            windows = repository.active_windows(session, service.id, now)
            rows.append(
                ServiceRow(
                    service=ServiceOut.model_validate(service),
                    open_incidents=_open_incidents(session, service),
                    maintenance=any(not w.matchers for w in windows),
                    silences=sum(1 for w in windows if w.matchers),
                )
            )
    return render(
        request,
        "services.html",
        who=who,
        version=version_of(
            *(
                f"{r.service.id}:{r.service.component_status}:{r.open_incidents}:"
                f"{r.maintenance}:{r.silences}"
                for r in rows
            )
        ),
        refresh_url="/services",
        rows=rows,
    )


def service_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    ref: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
    issued: Issued | None = None,
) -> Response:
    """The service page; also the answer to a refused form (with the reason and what
    was typed) and to a new key (with its secret, this once)."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        service = repository.get_service(session, ref)
        out = ServiceOut.model_validate(service)
        windows = [
            WindowView(
                m.id,
                m.starts_at,
                m.ends_at,
                m.reason,
                m.created_by,
                _state(m.starts_at, m.ends_at, now),
            )
            for m in repository.list_maintenance(session, service.id)
        ]
        silences = [
            WindowView(
                s.id,
                s.starts_at,
                s.ends_at,
                s.comment,
                s.created_by,
                _state(s.starts_at, s.ends_at, now),
                tuple(matcher_line(m) for m in s.matchers),
            )
            for s in repository.list_silences(session, service.id)
        ]
        keys = (
            [
                IntegrationKeyOut.of(k, service)
                for k in repository.list_integration_keys(session, service.id)
            ]
            if who.can_admin
            else []
        )
        recent = page_alerts(session, limit=RECENT_ALERTS, cursor=None, service_id=service.id)
        alerts = [AlertOut.of(a) for a in recent.items]
        alert_total = recent.total
        open_incidents = _open_incidents(session, service)
        rules = rules_of(service)
        component_names = [c.name for c in list_components(session)] if who.can_admin else []
    values = {"duration": "60", "silence_duration": "120", **(form or {})}
    return render(
        request,
        "service.html",
        who=who,
        status_code=status_code,
        # With a secret on the page, live refresh must never swap it away.
        version="" if issued else version_of(out, windows, silences, alert_total, keys),
        refresh_url="" if issued else f"/services/{out.id}",
        service=out,
        open_incidents=open_incidents,
        windows=windows,
        silences=silences,
        keys=keys,
        alerts=alerts,
        alert_total=alert_total,
        rules=rules,
        component_names=component_names,
        durations=DURATION_CHOICES,
        form=values,
        issued=issued,
        notice=notice,
        error=error,
    )


@router.get("/{ref}")
def service_detail(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    ref: ServiceRef,
    ok: Ok = "",
) -> Response:
    return service_page(request, ctx, who, ref, notice=NOTICES.get(ok))


# --- forms ---------------------------------------------------------------------------


_act = RowForms[Service]("/services", repository.get_service, service_page).act


def ends_at_of(duration: str, until: str, *, now: datetime, who: PageUser) -> datetime:
    """When a window chosen on the form ends: a duration from now, or a local time."""
    if duration != "custom":
        minutes = DURATIONS.get(duration)
        if minutes is None:
            raise Invalid("choose how long it lasts")
        return now + timedelta(minutes=minutes)
    if not until.strip():
        raise Invalid("choose when it ends, or pick a duration instead of 'Until a time…'")
    try:
        local = datetime.fromisoformat(until.strip())
    except ValueError:
        raise Invalid(f"'{until.strip()[:40]}' is not a date and time") from None
    at = (local.replace(tzinfo=who.zone) if local.tzinfo is None else local).astimezone(UTC)
    if at <= now:
        raise Invalid("the end time has already passed; choose a later one")
    if at - now > LONGEST:
        raise Invalid("it can last at most a year")
    return at


_MATCHER = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=~|!~|!=|=)\s*(.*)$")
_MATCHER_HELP = "write one per line as name=value, name!=value, name=~regex or name!~regex"


def parse_matchers(text: str) -> list[dict[str, str]]:
    """Matcher lines as Alertmanager's amtool takes them; blank and # lines are skipped."""
    matchers = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = _MATCHER.match(line)
        if found is None:
            raise Invalid(f"line {number}: '{line[:80]}' is not a matcher; {_MATCHER_HELP}")
        name, op, value = found.groups()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        try:
            matcher = MatcherIn(name=name, value=value, op=MatchOp(op))
        except ValidationError as exc:
            reason = exc.errors()[0].get("msg", "not valid").removeprefix("Value error, ")
            raise Invalid(f"line {number}: {reason}") from None
        matchers.append(matcher.model_dump(mode="json"))
    if not matchers:
        raise Invalid(
            f"a silence needs at least one matcher, such as alertname=DiskFull; {_MATCHER_HELP}"
        )
    return matchers


@router.post("/{ref}/maintenance")
def start_maintenance(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: ServiceRef,
    duration: Short = "",
    until: Short = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = {"duration": duration, "until": until, "reason": reason}

    def change(session: Session, service: Service, now: datetime) -> None:
        actions.do_start_maintenance(
            session,
            service=service,
            ends_at=ends_at_of(duration, until, now=now, who=who),
            reason=reason.strip(),
            actor=who.handle,
            now=now,
        )

    return _act(
        request, ctx, who, ref, change, done="maintenance", form=form, anchor="#maintenance"
    )


@router.post("/{ref}/maintenance/{window_id}/end")
def end_maintenance(
    request: Request, ctx: PageCtx, who: Writer, ref: ServiceRef, window_id: ItemId
) -> Response:
    def change(session: Session, service: Service, now: datetime) -> None:
        actions.do_end_maintenance(session, service=service, window_id=window_id, now=now)

    return _act(request, ctx, who, ref, change, done="maintenance-ended", anchor="#maintenance")


@router.post("/{ref}/silences")
def create_silence(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: ServiceRef,
    matchers: Text = "",
    duration: Short = "",
    until: Short = "",
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = {
        "matchers": matchers,
        "silence_duration": duration,
        "silence_until": until,
        "comment": comment,
    }

    def change(session: Session, service: Service, now: datetime) -> None:
        body = SilenceIn.model_validate(
            {
                "matchers": parse_matchers(matchers),
                "ends_at": ends_at_of(duration, until, now=now, who=who),
                "comment": comment.strip(),
            }
        )
        actions.do_create_silence(
            session,
            service=service,
            matchers=[m.model_dump(mode="json") for m in body.matchers],
            ends_at=body.ends_at,
            comment=body.comment,
            actor=who.handle,
            now=now,
        )

    return _act(request, ctx, who, ref, change, done="silence", form=form, anchor="#silences")


@router.post("/{ref}/silences/{silence_id}/expire")
def expire_silence(
    request: Request, ctx: PageCtx, who: Writer, ref: ServiceRef, silence_id: ItemId
) -> Response:
    def change(session: Session, service: Service, now: datetime) -> None:
        actions.do_expire_silence(session, service=service, silence_id=silence_id, now=now)

    return _act(request, ctx, who, ref, change, done="silence-expired", anchor="#silences")


def timeout_of(text: str, what: str) -> int | None:
    """A timer box: empty is off, otherwise whole minutes from 1 to a week."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_TIMEOUT_MINUTES:
        raise Invalid(
            f"{what} must be a whole number of minutes from 1 to {MAX_TIMEOUT_MINUTES} "
            "(a week), or empty to turn it off"
        )
    return int(text)


@router.post("/{ref}/timers")
def set_timers(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    ref: ServiceRef,
    ack_timeout_minutes: Short = "",
    auto_resolve_minutes: Short = "",
) -> Response:
    form = {
        "ack_timeout_minutes": ack_timeout_minutes,
        "auto_resolve_minutes": auto_resolve_minutes,
    }

    def change(session: Session, service: Service, now: datetime) -> None:
        actions.do_update_service(
            session,
            ref=service.id,
            ack_timeout_minutes=timeout_of(ack_timeout_minutes, "The acknowledgement timeout"),
            auto_resolve_minutes=timeout_of(auto_resolve_minutes, "The auto-resolve timeout"),
        )

    return _act(request, ctx, who, ref, change, done="timers", form=form, anchor="#timers")


@router.post("/{ref}/component")
def set_component(
    request: Request, ctx: PageCtx, who: AdminWriter, ref: ServiceRef, component: Short = ""
) -> Response:
    def change(session: Session, service: Service, now: datetime) -> None:
        name = component.strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise Invalid("a component name cannot contain control characters")
        do_link_service(session, service=service, component=name or None, now=now)

    return _act(request, ctx, who, ref, change, done="component", form={"component": component})


# --- integration keys (admins) -------------------------------------------------------


def _issue(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    ref: str,
    make: Callable[[Session, Service, datetime], IssuedKey],
    *,
    verb: str,
    form: Mapping[str, str] | None = None,
) -> Response:
    now = ctx.clock.now()
    try:
        with ctx.db.write() as session:
            service = repository.get_service(session, ref)
            shown = issued_view(ctx, service, make(session, service, now), verb)
    except REFUSALS as exc:
        status_code, message = error_of(exc)
        return service_page(
            request, ctx, who, ref, error=message, status_code=status_code, form=form
        )
    # A cached lookup of the old secret must not outlive the rotation in this process.
    ctx.keys.forget()
    return service_page(
        request,
        ctx,
        who,
        ref,
        issued=shown,
        notice=f"Integration key {verb}. Copy it now: it is shown only on this page.",
    )


@router.post("/{ref}/keys")
def create_key(
    request: Request, ctx: PageCtx, who: AdminWriter, ref: ServiceRef, name: Short = ""
) -> Response:
    def make(session: Session, service: Service, now: datetime) -> IssuedKey:
        return actions.do_create_integration_key(
            session, service=service, name=name.strip(), now=now
        )

    return _issue(request, ctx, who, ref, make, verb="created", form={"key_name": name})


@router.post("/{ref}/keys/{key_id}/rotate")
def rotate_key(
    request: Request, ctx: PageCtx, who: AdminWriter, ref: ServiceRef, key_id: ItemId
) -> Response:
    def make(session: Session, service: Service, now: datetime) -> IssuedKey:
        return actions.do_rotate_integration_key(session, service=service, key_id=key_id, now=now)

    return _issue(request, ctx, who, ref, make, verb="rotated")


@router.post("/{ref}/keys/{key_id}/revoke")
def revoke_key(
    request: Request, ctx: PageCtx, who: AdminWriter, ref: ServiceRef, key_id: ItemId
) -> Response:
    def change(session: Session, service: Service, now: datetime) -> None:
        actions.do_revoke_integration_key(session, service=service, key_id=key_id, now=now)

    response = _act(request, ctx, who, ref, change, done="key-revoked", anchor="#keys")
    ctx.keys.forget()
    return response
