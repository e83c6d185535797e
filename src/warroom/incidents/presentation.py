"""How an incident reads to people, shared by the web pages and the CLI.

Pure functions on the API's plain shapes (dicts, strings, numbers, datetimes): no markup
and no terminal styling here, so the pages and the CLI say the same thing in the same
words and only dress it differently.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from warroom.domain.roles import ROLE_TITLES, Role
from warroom.domain.timeline import EventType

E = EventType

EventGroup = Literal["state", "people", "checklist", "comms", "alarm", "note", "system"]
TargetStateName = Literal["met", "missed", "breached", "ticking", "none"]


# --- durations -----------------------------------------------------------------------


def format_duration(seconds: float, *, compact: bool = False) -> str:
    """A span the way a pager reads it: '45 s', '12 min', '3 h 5 min', '2 d 4 h'.

    compact: '45s', '12m', '2h05m', '3d4h', narrow enough for a table cell; it turns to
    days after one day rather than two, since a column has no room for '47h59m'."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)}s" if compact else f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m" if compact else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < (24 if compact else 48):
        if compact:
            return f"{hours}h{minutes:02d}m"
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    if compact:
        return f"{days}d{hours}h"
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_minutes(value: object) -> str:
    """A number of minutes from event data (anything else is shown as it is)."""
    if not isinstance(value, int | float):
        return str(value)
    return format_duration(float(value) * 60)


def format_clock(
    at: datetime, *, zone: tzinfo = UTC, fmt: str = "%Y-%m-%d %H:%M", named: bool = True
) -> str:
    """A moment on the reader's clock, with the zone's name unless told not to."""
    local = at.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname() or ''}".strip() if named else local.strftime(fmt)


def parse_moment(value: datetime | str | None) -> datetime | None:
    """A datetime from the API's shape: already one (IncidentOut), or ISO text (JSON)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else None


# --- the response target -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetState:
    """Where an incident stands against its response target.

    met / missed: acknowledged in time or late (or, with `acknowledged` false, never
    acknowledged: missed if it went past due, met ("not needed") if it ended first);
    breached: still unacknowledged and late; ticking: unacknowledged, still in time;
    none: there is no target to speak of."""

    state: TargetStateName
    # met/missed: how long acknowledging took (None when never acknowledged);
    # breached: how long ago it was due; ticking: how long is left.
    seconds: float | None
    target_seconds: float
    acknowledged: bool
    # breached: when it was breached (or due); ticking: when it is due.
    at: datetime | None = None


def target_state(incident: Mapping[str, Any]) -> TargetState:
    """From an incident's fields (IncidentOut's dump or the API's JSON)."""
    target = float(incident.get("response_target_minutes") or 0) * 60
    acked = parse_moment(incident.get("acknowledged_at"))
    triggered = parse_moment(incident.get("triggered_at"))
    breached = bool(incident.get("response_target_breached"))
    if acked is not None:
        took = (acked - triggered).total_seconds() if triggered is not None else None
        return TargetState("missed" if breached else "met", took, target, acknowledged=True)
    left = incident.get("response_target_seconds_left")
    if left is None:
        return TargetState("missed" if breached else "none", None, target, acknowledged=False)
    if breached or left < 0:
        at = parse_moment(incident.get("response_target_breached_at")) or parse_moment(
            incident.get("response_target_due_at")
        )
        return TargetState("breached", -left, target, acknowledged=False, at=at)
    due = parse_moment(incident.get("response_target_due_at"))
    return TargetState("ticking", left, target, acknowledged=False, at=due)


# --- stakeholder-update cadence ------------------------------------------------------

CadenceStateName = Literal["overdue", "due", "none"]


@dataclass(frozen=True, slots=True)
class CadenceState:
    """The promised next update: overdue, due (still ahead), or none promised."""

    state: CadenceStateName
    # "Next update due in 12 min", "Next update OVERDUE by 5 min", "No update promised".
    headline: str
    # "3 of 4 promises kept (75%)", or "" before any promise was settled.
    kept: str
    due_at: datetime | None = None


def cadence_state(incident: Mapping[str, Any]) -> CadenceState:
    """From an incident's `update_cadence` block (IncidentOut's dump or the API's JSON)."""
    cadence = incident.get("update_cadence") or {}
    on_time, late = int(cadence.get("on_time") or 0), int(cadence.get("late") or 0)
    compliance = cadence.get("compliance")
    kept = (
        f"{on_time} of {on_time + late} promises kept ({compliance:.0%})"
        if compliance is not None
        else ""
    )
    due = parse_moment(cadence.get("next_update_due_at"))
    left = cadence.get("minutes_left")
    if due is None or left is None:
        return CadenceState("none", "No update promised", kept)
    if cadence.get("overdue"):
        late_by = format_duration(abs(float(left)) * 60)
        return CadenceState("overdue", f"Next update OVERDUE by {late_by}", kept, due)
    return CadenceState("due", f"Next update due in {format_duration(float(left) * 60)}", kept, due)


# --- timeline events -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventText:
    """One timeline event as a sentence."""

    text: str
    # A coarse group for styling.
    group: EventGroup = "system"
    # Free text a person typed (a note), shown as its own block under the sentence.
    detail: str | None = None

    @property
    def one_line(self) -> str:
        return f"{self.text}: {self.detail}" if self.detail else self.text


def role_title(value: object) -> str:
    try:
        return ROLE_TITLES[Role(str(value))]
    except ValueError:
        return str(value).replace("_", " ")


def _who(handle: object) -> str:
    return f"@{handle}" if handle else "nobody"


def _change(label: str, d: Mapping[str, Any]) -> str:
    return f"{label} {d.get('from', '?')} → {d.get('to', '?')}"


def describe_event(type_: str, d: Mapping[str, Any]) -> EventText:
    """What happened, for one event type and its data."""
    match type_:
        case E.DECLARED:
            drill = " as a drill" if d.get("drill") else ""
            return EventText(
                f"Declared {d.get('severity', '')} on {d.get('service', '?')}{drill}: "
                f"{d.get('title', '')}",
                "state",
            )
        case E.STATUS_CHANGED:
            why = f" — {d['reason']}" if d.get("reason") else ""
            return EventText(_change("Status", d) + why, "state")
        case E.RETRIGGERED:
            return EventText(
                f"Re-triggered: {d.get('reason', 'nobody holds it')} — paging starts again",
                "alarm",
            )
        case E.ACKNOWLEDGED:
            return EventText("Acknowledged — response-target clock stopped", "state")
        case E.REOPENED:
            return EventText("Reopened after resolution", "alarm")
        case E.SEVERITY_CHANGED:
            return EventText(_change("Severity", d), "state")
        case E.SEVERITY_CONFIRMED:
            return EventText(f"Severity {d.get('severity', '?')} confirmed", "state")
        case E.ROLE_ASSIGNED:
            was = f" (took over from {_who(d['previous'])})" if d.get("previous") else ""
            return EventText(f"{role_title(d.get('role'))}: {_who(d.get('user'))}{was}", "people")
        case E.ROLE_UNASSIGNED:
            return EventText(
                f"{role_title(d.get('role'))} unassigned (was {_who(d.get('previous'))})",
                "people",
            )
        case E.CHECKLIST_ITEM_COMPLETED:
            how = "ticked by hand" if d.get("by_hand") else "done by event"
            return EventText(
                f"Checklist {d.get('item', '?')}. {d.get('name', '')} — {how}", "checklist"
            )
        case E.NOTE_ADDED:
            return EventText("Note", "note", str(d.get("text", "")))
        case E.UPDATE_PUBLISHED:
            audience = "public" if d.get("public") else "internal"
            nxt = d.get("next_update_minutes")
            then = f"; next update in {format_minutes(nxt)}" if nxt else ""
            # "Update update published" reads as a stutter: a plain update is a stakeholder one.
            kind = {"": "Stakeholder", "update": "Stakeholder"}.get(
                str(d.get("kind", "")), str(d.get("kind", "")).capitalize()
            )
            changed = d.get("component_changes")
            comps = f"; components: {_names(changed)}" if changed else ""
            return EventText(
                f"{kind} update published ({audience}, {d.get('status', '?')}{then}{comps})",
                "comms",
            )
        case E.RESPONSE_TARGET_BREACHED:
            return EventText(
                f"Response target missed: {d.get('severity', '')} must be acknowledged "
                f"within {format_minutes(d.get('target_minutes'))}",
                "alarm",
            )
        case E.ALERT_ATTACHED:
            return EventText(_alert_attached(d))
        case E.PAGE_SENT:
            via = f" via {d['target']}" if d.get("target") else ""
            return EventText(f"Paged {_who(d.get('user'))}{via}", "people")
        case E.PAGE_FAILED:
            via = f" via {d['target']}" if d.get("target") else ""
            return EventText(
                f"Could not page {_who(d.get('user'))}{via}: {d.get('error', '?')}", "alarm"
            )
        case E.ESCALATED:
            users = f": {_names(d['users'])}" if d.get("users") else ""
            return EventText(f"Escalated to level {d.get('level', '?')}{users}", "alarm")
        case E.LEVEL_SKIPPED:
            return EventText(
                f"Level {d.get('level', '?')} skipped: {d.get('reason', 'nobody to page')}",
                "alarm",
            )
        case E.REMINDER_SENT:
            if d.get("for") == "comms_lead":
                who = (
                    f"{role_title(d['role'])} {_who(d['user'])}"
                    if d.get("user")
                    else "nobody (no comms lead or incident commander)"
                )
                return EventText(
                    f"Reminder {d.get('reminder', '?')} of {d.get('of', '?')} to {who}: "
                    "a stakeholder update is due",
                    "comms",
                )
            return EventText("Reminder sent: a stakeholder update is due", "comms")
        case E.ROOM_OPENED:
            return EventText(_room_opened(d), "comms")
        case E.ROOM_INVITED:
            return EventText(_room_invited(d), "people")
        case E.ROOM_MESSAGE_POSTED:
            adapter = _first(d, "adapter")
            where = f" on {_ADAPTERS.get(adapter, adapter)}" if adapter else ""
            return EventText(f"Message posted in the incident room{where}", "comms")
        case E.COMPONENT_STATUS_CHANGED:
            how = " (automatically)" if d.get("automatic") else ""
            return EventText(
                f"Status page: {d.get('component', '?')} "
                f"{_words(d.get('from', '?'))} → {_words(d.get('to', '?'))}{how}",
                "comms",
            )
        case E.AUTOMATION_FAILED:
            return EventText(_automation_failed(d), "alarm")
        case E.PUBLIC_CHANGED:
            return EventText(_public_changed(d), "comms")
        case E.POSTMORTEM_CREATED:
            return EventText("Postmortem started (blameless draft from the timeline)", "state")
        case E.POSTMORTEM_STATUS_CHANGED:
            return EventText(
                f"Postmortem {_words(d.get('from', '?'))} → {_words(d.get('to', '?'))}", "state"
            )
        case E.POSTMORTEM_MEETING_SET:
            return EventText(f"Postmortem meeting set for {d.get('meeting_at', '?')}", "people")
        case E.ACTION_ITEM_CREATED:
            owner = f" for {_who(d['owner'])}" if d.get("owner") else ""
            due = f", due {d['due_on']}" if d.get("due_on") else ""
            return EventText(f"Action item added{owner}{due}: {d.get('title', '')}", "checklist")
        case E.ACTION_ITEM_CHANGED:
            changes = d.get("changes") or {}
            said = ", ".join(f"{_words(k)} {v}" for k, v in sorted(changes.items()))
            return EventText(
                f"Action item {d.get('title', '')!r}: {said or 'changed'}", "checklist"
            )
        case E.ACTION_ITEM_OVERDUE:
            return EventText(
                f"Action item overdue since {d.get('due_on', '?')}: {d.get('title', '')} — "
                f"reminded {_who(d.get('owner'))}",
                "alarm",
            )
        case E.RUNBOOK_STEP_DONE:
            return EventText(
                f"Runbook step done ({d.get('issue', '?')}, {_words(d.get('section', 'step'))})",
                "checklist",
                str(d.get("step", "")),
            )
        case E.DRILL_STARTED:
            return EventText(f"Drill started: {d.get('scenario', '')}", "state")
    facts = ", ".join(f"{k}: {v}" for k, v in sorted(d.items()))
    return EventText(f"{type_.replace('_', ' ').capitalize()}{' — ' + facts if facts else ''}")


# Automation events come from several writers (intake, room tasks); these read what they
# say under the names any of them uses, and leave out what none of them said.


def _first(d: Mapping[str, Any], *names: str) -> str:
    """The first of these fields that says something, as text (a list as 'a, b')."""
    for name in names:
        value = d.get(name)
        if value not in (None, "", [], {}):
            return _names(value)
    return ""


def _words(value: object) -> str:
    return str(value).replace("_", " ")


def _names(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


_ADAPTERS = {"slack": "Slack", "matrix": "Matrix"}


def _alert_attached(d: Mapping[str, Any]) -> str:
    summary = _first(d, "summary", "dedup_key", "alert_key") or "an alert"
    number = f" #{d['alert_id']}" if d.get("alert_id") else ""
    facts = [f for f in (_first(d, "severity"), _first(d, "source")) if f]
    said = f" ({', '.join(facts)})" if facts else ""
    return f"Alert{number} attached{said}: {summary}"


def _room_opened(d: Mapping[str, Any]) -> str:
    adapter = _first(d, "adapter")
    where = f" on {_ADAPTERS.get(adapter, adapter)}" if adapter else ""
    name = _first(d, "name", "room")
    url = _first(d, "url")
    return f"Incident room{' ' + name if name else ''} opened{where}{': ' + url if url else ''}"


def _room_invited(d: Mapping[str, Any]) -> str:
    # Chat ids (Slack U…, Matrix @…:server) read better as the handles they belong to.
    given = d.get("handles")
    owners: Mapping[str, str] = given if isinstance(given, dict) else {}

    def people(value: object) -> str:
        items = value if isinstance(value, list | tuple) else [value] if value else []
        ids = [str(i) for i in items]
        return ", ".join(f"@{owners[i]}" if i in owners else i for i in ids)

    who = people(d.get("invited") or d.get("members"))
    text = f"Invited {who} to the incident room" if who else "Nobody invited to the incident room"
    if d.get("failed"):
        text += f"; could not invite {people(d['failed'])}"
    if d.get("skipped"):
        skipped = ", ".join(f"@{h}" for h in d["skipped"]) if isinstance(d["skipped"], list) else ""
        text += f"; no chat id for {skipped or d['skipped']}"
    return text


_TASKS = {
    "open_room": "opening the incident room",
    "invite_room": "inviting responders to the incident room",
    "post_room_message": "posting in the incident room",
}


def _public_changed(d: Mapping[str, Any]) -> str:
    parts: list[str] = []
    if "public" in d:
        parts.append("made public" if d["public"] else "made private (hidden from the page)")
    if d.get("title"):
        parts.append(f"public title '{d['title']}'")
    if d.get("impact"):
        impact = d["impact"]
        parts.append("impact follows severity" if impact == "severity" else f"impact {impact}")
    if "show_responders" in d:
        parts.append("responders shown" if d["show_responders"] else "responders hidden")
    components = d.get("components")
    if isinstance(components, dict) and components:
        parts.append(
            "affects "
            + ", ".join(f"{n} ({_words(s) if s else 'by severity'})" for n, s in components.items())
        )
    by = " with an update" if d.get("by_update") else ""
    return f"Status page{by}: " + ("; ".join(parts) or "settings saved")


def _automation_failed(d: Mapping[str, Any]) -> str:
    task = _first(d, "task", "step", "kind")
    step = _TASKS.get(task, _words(task) or "a step")
    attempts = d.get("attempts")
    tries = f" after {attempts} attempts" if isinstance(attempts, int) and attempts > 1 else ""
    why = _first(d, "error", "message", "reason")
    return f"Automation failed{tries}: {step}{' — ' + why if why else ''}"
