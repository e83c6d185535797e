"""Timeline events as the sentences an incident commander reads down the page."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.domain.roles import ROLE_TITLES, Role
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.incidents.models import TimelineEvent

E = EventType


@dataclass(frozen=True, slots=True)
class TimelineLine:
    at: datetime
    actor: str
    type: str
    text: str
    # Free text a person typed (a note), shown as its own block under the line.
    detail: str | None = None
    # A coarse group for styling: state, people, checklist, comms, alarm, note, system.
    group: str = "system"


def _role(value: object) -> str:
    try:
        return ROLE_TITLES[Role(str(value))]
    except ValueError:
        return str(value).replace("_", " ")


def _who(handle: object) -> str:
    return f"@{handle}" if handle else "nobody"


def _minutes(value: object) -> str:
    if not isinstance(value, int | float):
        return str(value)
    minutes = float(value)
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} h"
    return f"{minutes:g} min"


def _describe(type_: str, d: dict[str, Any]) -> tuple[str, str, str | None]:
    """(text, group, detail) for one event's data."""
    match type_:
        case E.DECLARED:
            drill = " as a drill" if d.get("drill") else ""
            return (
                f"Declared {d.get('severity', '')} on {d.get('service', '?')}{drill}: "
                f"{d.get('title', '')}",
                "state",
                None,
            )
        case E.STATUS_CHANGED:
            return f"Status {d.get('from', '?')} → {d.get('to', '?')}", "state", None
        case E.ACKNOWLEDGED:
            return "Acknowledged — response-target clock stopped", "state", None
        case E.REOPENED:
            return "Reopened after resolution", "alarm", None
        case E.SEVERITY_CHANGED:
            return f"Severity {d.get('from', '?')} → {d.get('to', '?')}", "state", None
        case E.SEVERITY_CONFIRMED:
            return f"Severity {d.get('severity', '?')} confirmed", "state", None
        case E.ROLE_ASSIGNED:
            was = f" (took over from {_who(d['previous'])})" if d.get("previous") else ""
            return f"{_role(d.get('role'))}: {_who(d.get('user'))}{was}", "people", None
        case E.ROLE_UNASSIGNED:
            return (
                f"{_role(d.get('role'))} unassigned (was {_who(d.get('previous'))})",
                "people",
                None,
            )
        case E.CHECKLIST_ITEM_COMPLETED:
            how = "ticked by hand" if d.get("by_hand") else "done by event"
            return f"Checklist {d.get('item', '?')}. {d.get('name', '')} — {how}", "checklist", None
        case E.NOTE_ADDED:
            return "Note", "note", str(d.get("text", ""))
        case E.UPDATE_PUBLISHED:
            audience = "public" if d.get("public") else "internal"
            nxt = d.get("next_update_minutes")
            then = f"; next update in {_minutes(nxt)}" if nxt else ""
            kind = str(d.get("kind", "")).capitalize() or "Stakeholder"
            return (
                f"{kind} update published ({audience}, {d.get('status', '?')}{then})",
                "comms",
                None,
            )
        case E.RESPONSE_TARGET_BREACHED:
            return (
                f"Response target missed: {d.get('severity', '')} must be acknowledged "
                f"within {_minutes(d.get('target_minutes'))}",
                "alarm",
                None,
            )
        case E.ALERT_ATTACHED:
            return f"Alert attached: {d.get('summary', d.get('dedup_key', ''))}", "system", None
        case E.PAGE_SENT:
            return f"Paged {_who(d.get('user'))}", "people", None
        case E.ESCALATED:
            return f"Escalated to level {d.get('level', '?')}", "alarm", None
        case E.REMINDER_SENT:
            return "Reminder sent: a stakeholder update is due", "comms", None
        case E.ROOM_OPENED:
            return f"Incident room opened: {d.get('url', '')}", "system", None
    facts = ", ".join(f"{k}: {v}" for k, v in sorted(d.items()))
    return f"{type_.replace('_', ' ').capitalize()}{' — ' + facts if facts else ''}", "system", None


def describe(event: TimelineEvent) -> TimelineLine:
    data = event.data if isinstance(event.data, dict) else {}
    text, group, detail = _describe(str(event.type), data)
    return TimelineLine(
        at=event.at,
        actor="system" if event.actor == SYSTEM_ACTOR else event.actor,
        type=str(event.type),
        text=text,
        detail=detail,
        group=group,
    )
