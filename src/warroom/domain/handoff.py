"""On-call handoffs and readiness warnings: when they are due, and what they say.

Pure: plain values in, decisions and text out. The engine's `schedule_handoffs` timer
(warroom.oncall.handoffs) loads the schedule, asks `plan_shift_notices` what is due,
writes one row per notice (the exactly-once key) and enqueues the messages.

The checklist is the reference handoff process: review open incidents, discuss recent
issues, update documentation, confirm contact info.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.domain.schedule import Schedule, Shift, oncall_at, render, zone_of

# How long before a shift starts its person (and the schedule's owner) is warned when
# nothing verified can reach them: a day leaves time to fix it or swap.
READINESS_LEAD = timedelta(hours=24)
# The timer looks this far past the readiness lead for the next shift change; with none
# in sight it wakes after this long and looks again (a schedule may change meanwhile).
LOOKAHEAD = timedelta(days=7)
CHECKLIST = (
    "Review open incidents",
    "Discuss recent issues",
    "Update documentation",
    "Confirm contact info",
)
MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class ShiftNoticePlan:
    # The shift that began in (since, now] and is still on: its person gets the handoff.
    # After downtime over several changes only the current one is handed over.
    handoff: Shift | None
    # Who was on call just before the handoff (None after a gap).
    outgoing: Shift | None
    # Shifts starting within the readiness lead: each one's person is checked.
    upcoming: tuple[Shift, ...]
    # When the timer should run next: the next shift change or readiness check.
    next_run: datetime


def plan_shift_notices(
    schedule: Schedule,
    *,
    since: datetime,
    now: datetime,
    lead: timedelta = READINESS_LEAD,
    lookahead: timedelta = LOOKAHEAD,
) -> ShiftNoticePlan:
    """What the timer does at `now`, having handled everything up to `since`."""
    current = oncall_at(schedule, now)
    handoff = current[0] if current and since < current[0].start <= now else None
    outgoing = None
    if handoff is not None:
        before = oncall_at(schedule, handoff.start - timedelta(microseconds=1))
        outgoing = before[0] if before else None
    horizon = now + lead + lookahead
    final = render(schedule, now, horizon).final
    # A final shift starting after the window opens is a real change of person: merged
    # shifts only ever start where someone else (or nobody) was on call before.
    starts = [s for s in final if s.start > now]
    upcoming = tuple(s for s in starts if s.start <= now + lead)
    wakes = [t for s in starts for t in (s.start, s.start - lead) if t > now]
    return ShiftNoticePlan(
        handoff=handoff,
        outgoing=outgoing,
        upcoming=upcoming,
        next_run=min(wakes, default=now + lookahead),
    )


# --- the messages --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    handle: str
    name: str

    @property
    def label(self) -> str:
        return (
            f"{self.name} (@{self.handle})"
            if self.name and self.name != self.handle
            else (f"@{self.handle}")
        )


@dataclass(frozen=True, slots=True)
class IncidentItem:
    id: int
    title: str
    severity: str
    status: str
    service: str
    url: str
    # On a service whose escalation policy pages this schedule.
    covered: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Handoff:
    schedule: str
    time_zone: str
    schedule_url: str
    start: datetime
    end: datetime
    incoming: Person
    outgoing: Person | None
    owner: Person | None
    secondary: tuple[Person, ...]
    open_incidents: tuple[IncidentItem, ...]
    recent_incidents: tuple[IncidentItem, ...]
    # (what, url): the schedule page, the covered services' pages and runbooks.
    documentation: tuple[tuple[str, str], ...]
    notes: tuple[Note, ...]


def local(at: datetime, time_zone: str) -> str:
    return at.astimezone(zone_of(time_zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def _incident_line(i: IncidentItem) -> str:
    return f"- #{i.id} [{i.severity}] {i.title} — {i.status}, {i.service} — {i.url}"


def _listed(items: Sequence[IncidentItem], none: str) -> list[str]:
    if not items:
        return [f"  {none}"]
    lines = ["  " + _incident_line(i) for i in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"  … and {len(items) - MAX_LISTED} more")
    return lines


def handoff_message(h: Handoff) -> tuple[str, str]:
    """(title, body) of the notice the incoming person gets at the shift change."""
    title = f"You are now on call for {h.schedule}"
    lines = [
        f"Your on-call shift on {h.schedule} started {local(h.start, h.time_zone)} "
        f"and runs until {local(h.end, h.time_zone)}.",
        f"Handing over: {h.outgoing.label if h.outgoing else 'nobody (the schedule had a gap)'}.",
        "",
        "Handoff checklist",
        "",
        f"1. {CHECKLIST[0]} ({len(h.open_incidents)} open)",
    ]
    ordered = sorted(h.open_incidents, key=lambda i: not i.covered)
    lines += _listed(ordered, "No open incidents.")
    lines += ["", f"2. {CHECKLIST[1]} (resolved in the last 7 days: {len(h.recent_incidents)})"]
    lines += _listed(h.recent_incidents, "Nothing resolved in the last 7 days.")
    if h.notes:
        who = h.outgoing.label if h.outgoing else "the previous shift"
        lines += ["", f"   Notes from {who}:"]
        lines += [f"   - {local(n.at, h.time_zone)}: {n.text}" for n in h.notes]
    lines += ["", f"3. {CHECKLIST[2]}"]
    lines += [f"  - {what}: {url}" for what, url in h.documentation]
    lines += ["", f"4. {CHECKLIST[3]}"]
    lines.append(f"  - You: {h.incoming.label}")
    if h.outgoing:
        lines.append(f"  - Outgoing: {h.outgoing.label}")
    if h.secondary:
        lines.append(f"  - Secondary: {', '.join(p.label for p in h.secondary)}")
    lines.append(f"  - Schedule owner: {h.owner.label if h.owner else 'none set'}")
    return title, "\n".join(lines)


def readiness_message(
    *,
    schedule: str,
    time_zone: str,
    shift: Shift,
    person: Person,
    schedule_url: str,
    to_owner: bool,
) -> tuple[str, str]:
    """(title, body) of the warning that `person` starts a shift with nothing verified
    to page them; `to_owner` words it for the schedule's owner."""
    when = local(shift.start, time_zone)
    if to_owner:
        title = f"{person.label} is on call for {schedule} soon and cannot be paged reliably"
        opening = (
            f"{person.label} starts an on-call shift on {schedule} at {when} "
            "and has no verified contact method."
        )
        ask = "Ask them to verify one (send a test page), or arrange a swap or an override."
    else:
        title = f"Verify a contact method before your on-call shift on {schedule}"
        opening = (
            f"Your on-call shift on {schedule} starts at {when} and none of your contact "
            "methods is verified: pages may not reach you."
        )
        ask = (
            "Send yourself a test page from your profile and confirm it, or ask someone "
            "to take the shift (a swap)."
        )
    return title, f"{opening}\n\n{ask}\n\nSchedule: {schedule_url}"
