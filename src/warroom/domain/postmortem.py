"""Postmortem documents: their review states and how they move (pure)."""

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from warroom.domain.errors import InvalidTransition
from warroom.domain.timeline import SYSTEM_ACTOR, EventType


class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


P = PostmortemStatus

# A published postmortem can be reopened for review (a correction), never silently edited.
POSTMORTEM_TRANSITIONS: Mapping[PostmortemStatus, frozenset[PostmortemStatus]] = {
    P.DRAFT: frozenset({P.IN_REVIEW, P.PUBLISHED}),
    P.IN_REVIEW: frozenset({P.DRAFT, P.PUBLISHED}),
    P.PUBLISHED: frozenset({P.IN_REVIEW}),
}


class PostmortemMoveRefused(InvalidTransition):
    """A 409 naming the allowed moves, like an incident's refused status change."""

    def __init__(self, current: str, requested: str, allowed: list[str]) -> None:
        super().__init__(current, requested, allowed)
        self.args = (f"a {current} postmortem can move to {', '.join(allowed)}, not {requested}",)


def move_postmortem(current: PostmortemStatus, requested: PostmortemStatus) -> PostmortemStatus:
    allowed = POSTMORTEM_TRANSITIONS[current]
    if requested not in allowed:
        raise PostmortemMoveRefused(current, requested, sorted(str(s) for s in allowed))
    return requested


def closes_incident(*, resolved: bool, published: bool, open_action_items: int) -> bool:
    """A resolved incident is over once its postmortem is published and every action
    item it left is finished (SPEC §2: closed, all action items done)."""
    return resolved and published and open_action_items == 0


# --- the document ------------------------------------------------------------------------
# The draft a postmortem starts from, built from plain values the caller reads from the
# incident (its facts, its timeline as sentences, its roles and updates). Markdown is
# the stored form; the sections are the reference practice's, the prompts blameless.

# Where the incident's action items go: replaced by their table, as they stand, whenever
# the document is shown or exported (the list lives in warroom, not in the text).
ACTION_ITEMS_MARKER = "<!-- warroom:action-items -->"

# The events a reader needs to follow the response; the rest (checklist ticks, room
# messages, reminders, the postmortem's own events) is bookkeeping. An acknowledgement
# shows as its status change.
KEY_EVENTS = frozenset(
    {
        EventType.DECLARED,
        EventType.ALERT_ATTACHED,
        EventType.PAGE_SENT,
        EventType.PAGE_FAILED,
        EventType.ESCALATED,
        EventType.LEVEL_SKIPPED,
        EventType.RETRIGGERED,
        EventType.STATUS_CHANGED,
        EventType.REOPENED,
        EventType.SEVERITY_CHANGED,
        EventType.SEVERITY_CONFIRMED,
        EventType.ROLE_ASSIGNED,
        EventType.RESPONSE_TARGET_BREACHED,
        EventType.ROOM_OPENED,
        EventType.NOTE_ADDED,
        EventType.UPDATE_PUBLISHED,
        EventType.COMPONENT_STATUS_CHANGED,
        EventType.AUTOMATION_FAILED,
        EventType.RUNBOOK_STEP_DONE,
        EventType.DRILL_STARTED,
    }
)
# Of these only the first is told, with how many there were: a flapping alert or a
# policy paging every few minutes would otherwise bury the response.
REPEATING = frozenset({EventType.ALERT_ATTACHED, EventType.PAGE_SENT, EventType.PAGE_FAILED})
# A note longer than this is cut in the timeline (the incident page keeps it whole).
NOTE_CHARS = 400


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    type: str
    actor: str
    # The event as a sentence; detail is free text a person typed (a note).
    text: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateEntry:
    at: datetime
    kind: str
    status: str
    public: bool
    body: str


@dataclass(frozen=True, slots=True)
class ItemEntry:
    id: int
    title: str
    owner: str | None
    due_on: date | None
    priority: str
    status: str
    tracker_url: str | None = None
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    id: int
    title: str
    description: str
    service: str
    severity: str
    severity_meaning: str
    drill: bool
    started_at: datetime
    detected_at: datetime
    triggered_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    response_target_minutes: float
    response_target_missed: bool
    public_components: Sequence[str] = ()
    # (role title, handle), in the roles' order.
    roles: Sequence[tuple[str, str]] = ()
    pages_sent: int = 0
    pages_failed: int = 0


Span = Callable[[float], str]


def key_events(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """The entries worth retelling, oldest first; a repeating kind keeps its first entry
    with " (first of N)" when there were more."""
    kept = [e for e in sorted(entries, key=lambda e: e.at) if e.type in KEY_EVENTS]
    counts = Counter(e.type for e in kept if e.type in REPEATING)
    seen: set[str] = set()
    out: list[TimelineEntry] = []
    for entry in kept:
        if entry.type in REPEATING:
            if entry.type in seen:
                continue
            seen.add(entry.type)
            if counts[entry.type] > 1:
                entry = replace(entry, text=f"{entry.text} (first of {counts[entry.type]})")
        out.append(entry)
    return out


def clock(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def one_line(text: str, limit: int | None = None) -> str:
    """Free text on one Markdown line: whitespace collapsed, cut at `limit`."""
    flat = " ".join(text.split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1].rstrip() + "…"
    return flat


def paragraphs(text: str) -> str:
    """Free text as Markdown paragraphs that cannot change the document's outline: each
    paragraph on one line, made inert (_inert)."""
    blocks = (_inert(one_line(block)) for block in re.split(r"\n\s*\n", text.strip()))
    return "\n\n".join(b for b in blocks if b)


def _inert(line: str) -> str:
    """The line, unable to open a block of its own: a heading or a code fence (which
    would swallow every section after it), a heading's underline, or a quote or list
    item (which may hold a heading in turn). Its first mark is backslash-escaped, which
    CommonMark shows as the mark itself."""
    text = line.lstrip()
    number = re.match(r"\d+(?=[.)])", text)
    if number:
        return f"{number.group()}\\{text[number.end() :]}"
    if text[:1] in _BLOCK_MARKS:
        return "\\" + text
    return line


_BLOCK_MARKS = frozenset("#`~>-+*=_|")


def cell(text: str) -> str:
    """Free text inside a Markdown table cell."""
    return one_line(text).replace("\\", "\\\\").replace("|", "\\|") or " "


def _prompt(text: str) -> str:
    return f"_{text}_"


def _quote(text: str) -> list[str]:
    """A block quote keeping the text's line breaks (a trailing backslash is a hard
    break in CommonMark; a paragraph would join the lines)."""
    lines = [_inert(line).rstrip() for line in text.strip().splitlines()]
    return [
        f"> {line}\\" if line and i + 1 < len(lines) and lines[i + 1] else f"> {line}".rstrip()
        for i, line in enumerate(lines)
    ]


def _target(facts: IncidentFacts, span: Span) -> str:
    limit = span(facts.response_target_minutes * 60)
    if facts.acknowledged_at is None:
        verdict = "missed" if facts.response_target_missed else "not needed: it ended first"
        return f"never acknowledged (target {limit}: {verdict})"
    took = span((facts.acknowledged_at - facts.triggered_at).total_seconds())
    verdict = "missed" if facts.response_target_missed else "met"
    return f"{took} (target {limit}: {verdict})"


def _impact(facts: IncidentFacts, span: Span) -> list[str]:
    if facts.resolved_at is not None:
        lasted = span((facts.resolved_at - facts.started_at).total_seconds())
        duration = f"{lasted} ({clock(facts.started_at)} → {clock(facts.resolved_at)})"
    else:
        duration = f"ongoing since {clock(facts.started_at)}"
    detected = span((facts.detected_at - facts.started_at).total_seconds())
    failed = f" ({facts.pages_failed} failed)" if facts.pages_failed else ""
    rows = [
        ("Severity", f"{facts.severity} — {facts.severity_meaning}"),
        ("Duration", duration),
        ("Time to detect", detected),
        ("Time to acknowledge", _target(facts, span)),
        ("Affected service", facts.service),
        ("Status page components", ", ".join(facts.public_components) or "none"),
        ("Pages sent", f"{facts.pages_sent}{failed}"),
    ]
    return [
        "| Figure | Value |",
        "|---|---|",
        *(f"| {name} | {cell(value)} |" for name, value in rows),
        "",
        _prompt(
            "Who noticed, and how? Add what the figures do not say: customers or "
            "requests affected, revenue, data, and for how long."
        ),
    ]


def _timeline(entries: Sequence[TimelineEntry]) -> list[str]:
    lines = ["All times UTC, generated from the incident's timeline.", ""]
    for e in key_events(entries):
        who = f" (@{e.actor})" if e.actor and e.actor != SYSTEM_ACTOR else ""
        detail = f": {one_line(e.detail, NOTE_CHARS)}" if e.detail else ""
        lines.append(f"- **{clock(e.at)[:-4]}** — {one_line(e.text)}{who}{detail}")
    if len(lines) == 2:
        lines.append("- Nothing was recorded on the timeline.")
    return lines


def build_document(
    facts: IncidentFacts,
    *,
    timeline: Sequence[TimelineEntry],
    updates: Sequence[UpdateEntry],
    span: Span,
) -> str:
    """The blameless draft, in Markdown, from what warroom recorded of the incident."""
    drill = " (drill)" if facts.drill else ""
    summary = [
        paragraphs(facts.description)
        if facts.description.strip()
        else _prompt(
            "In two or three sentences: what happened, who was affected, and how it ended."
        )
    ]
    latest = max(updates, key=lambda u: u.at, default=None)
    if latest is not None:
        audience = "publicly" if latest.public else "internally"
        summary += [
            "",
            f"Last said {audience} ({latest.kind}, {latest.status}, {clock(latest.at)}):",
            "",
            *_quote(latest.body),
        ]
    team = [f"- {title}: @{handle}" for title, handle in facts.roles] or [
        "- Nobody held an incident role."
    ]
    sections: list[list[str]] = [
        [
            f"# Postmortem: {one_line(facts.title)}{drill}",
            "",
            f"Incident #{facts.id} · {facts.severity} · {facts.service}",
            "",
            _prompt(
                "This is a blameless review: it asks how our systems, tools and processes "
                "made this incident possible and how they helped or hindered the response, "
                "never who is to blame. Everyone acted on what they knew at the time."
            ),
        ],
        ["## Summary", "", *summary],
        ["## Impact", "", *_impact(facts, span)],
        ["## Response team", "", *team],
        ["## Timeline", "", *_timeline(timeline)],
        [
            "## Contributing factors",
            "",
            _prompt(
                "What conditions made this possible: a change, a missing safeguard, a "
                "capacity limit, an assumption that stopped being true? List every "
                "factor, not one root cause, and what let each one go unnoticed."
            ),
            "",
            "- ",
        ],
        [
            "## What went well",
            "",
            _prompt("Which alerts, tools, runbook steps and habits helped? Keep doing these."),
            "",
            "- ",
        ],
        [
            "## What went badly",
            "",
            _prompt(
                "Where did our alerts, tools, runbooks or processes slow the response or "
                "mislead the responders? Describe the situation, not the person."
            ),
            "",
            "- ",
        ],
        [
            "## Action items",
            "",
            _prompt(
                "Tracked in warroom with owners and due dates; the table shows them as they stand."
            ),
            "",
            ACTION_ITEMS_MARKER,
        ],
        [
            "## Lessons learned",
            "",
            _prompt("What do we know now that we did not before? What would we tell another team?"),
            "",
            "- ",
        ],
    ]
    return "\n\n".join("\n".join(s) for s in sections) + "\n"


def action_items_table(items: Sequence[ItemEntry]) -> str:
    if not items:
        return "No action items yet."
    rows = [
        "| # | Action | Owner | Due | Priority | Status |",
        "|---|---|---|---|---|---|",
    ]
    for item in items:
        title = cell(item.title)
        if item.tracker_url:
            title = f"[{title}](<{item.tracker_url}>)"
        due = item.due_on.isoformat() if item.due_on else "—"
        if item.overdue:
            due += " **overdue**"
        owner = f"@{item.owner}" if item.owner else "unassigned"
        status = item.status.replace("_", " ")
        rows.append(f"| {item.id} | {title} | {owner} | {due} | {item.priority} | {status} |")
    return "\n".join(rows)


def fill_action_items(markdown: str, items: Sequence[ItemEntry]) -> str:
    """The document as shown and exported: the marker becomes the items' table."""
    if ACTION_ITEMS_MARKER not in markdown:
        return markdown
    return markdown.replace(ACTION_ITEMS_MARKER, action_items_table(items))
