"""The pure rules behind postmortems and action items: the draft document built from
plain values, its review states, when an incident is over, and when an item is overdue
and reminded. No database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from warroom.domain.action_items import (
    ActionItemStatus,
    first_reminder_at,
    is_overdue,
    local_today,
    next_reminder_at,
)
from warroom.domain.errors import InvalidTransition
from warroom.domain.postmortem import (
    ACTION_ITEMS_MARKER,
    IncidentFacts,
    ItemEntry,
    PostmortemStatus,
    TimelineEntry,
    UpdateEntry,
    action_items_table,
    build_document,
    cell,
    closes_incident,
    fill_action_items,
    key_events,
    move_postmortem,
)
from warroom.domain.timeline import EventType
from warroom.incidents.presentation import format_duration

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
P = PostmortemStatus


def facts(**changes: object) -> IncidentFacts:
    base: dict[str, object] = {
        "id": 7,
        "title": "Checkout is failing",
        "description": "Card payments fail.",
        "service": "checkout",
        "severity": "SEV-1",
        "severity_meaning": "Critical business impact: outage, data loss",
        "drill": False,
        "started_at": T0 - timedelta(minutes=3),
        "detected_at": T0,
        "triggered_at": T0,
        "acknowledged_at": T0 + timedelta(minutes=20),
        "resolved_at": T0 + timedelta(hours=2, minutes=5),
        "response_target_minutes": 15.0,
        "response_target_missed": True,
        "public_components": ["Payments API"],
        "roles": [("Incident commander", "ann"), ("Tech lead", "bo")],
        "pages_sent": 3,
        "pages_failed": 1,
    }
    return IncidentFacts(**(base | changes))  # type: ignore[arg-type]


def entry(minutes: float, type_: EventType, text: str, **kw: str) -> TimelineEntry:
    return TimelineEntry(
        at=T0 + timedelta(minutes=minutes),
        type=type_,
        actor=kw.get("actor", "ann"),
        text=text,
        detail=kw.get("detail"),
    )


def build(**kw: object) -> str:
    return build_document(
        kw.pop("facts", facts()),  # type: ignore[arg-type]
        timeline=kw.pop("timeline", []),  # type: ignore[arg-type]
        updates=kw.pop("updates", []),  # type: ignore[arg-type]
        span=format_duration,
    )


def test_it_states_the_impact_a_manager_asks_about() -> None:
    text = build()
    assert "| Severity | SEV-1 — Critical business impact: outage, data loss |" in text
    assert "| Duration | 2 h 8 min (2026-03-02 13:57 UTC → 2026-03-02 16:05 UTC) |" in text
    assert "| Time to detect | 3 min |" in text
    assert "| Time to acknowledge | 20 min (target 15 min: missed) |" in text
    assert "| Status page components | Payments API |" in text
    assert "| Pages sent | 3 (1 failed) |" in text
    assert "- Incident commander: @ann\n- Tech lead: @bo" in text


def test_it_says_when_nobody_acknowledged_and_when_it_is_unresolved() -> None:
    text = build(facts=facts(acknowledged_at=None, resolved_at=None, response_target_missed=False))
    assert "never acknowledged (target 15 min: not needed: it ended first)" in text
    assert "ongoing since 2026-03-02 13:57 UTC" in text


def test_it_tells_the_timeline_as_key_events_with_times() -> None:
    timeline = [
        entry(
            0,
            EventType.DECLARED,
            "Declared SEV-1 on checkout: Checkout is failing",
            actor="warroom",
        ),
        entry(0.5, EventType.PAGE_SENT, "Paged @ann", actor="warroom"),
        entry(5.5, EventType.PAGE_SENT, "Paged @ann", actor="warroom"),
        entry(10.5, EventType.PAGE_SENT, "Paged @bo", actor="warroom"),
        entry(20, EventType.CHECKLIST_ITEM_COMPLETED, "Checklist 1. Acknowledge incident"),
        entry(20, EventType.STATUS_CHANGED, "Status triggered → acknowledged"),
        entry(31, EventType.NOTE_ADDED, "Note", detail="Rolled back\n\nthe deploy"),
        entry(40, EventType.REMINDER_SENT, "Reminder sent", actor="warroom"),
    ]
    text = build(timeline=list(reversed(timeline)))
    section = text.split("## Timeline")[1].split("\n## ")[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert lines == [
        "- **2026-03-02 14:00** — Declared SEV-1 on checkout: Checkout is failing",
        "- **2026-03-02 14:00** — Paged @ann (first of 3)",
        "- **2026-03-02 14:20** — Status triggered → acknowledged (@ann)",
        "- **2026-03-02 14:31** — Note (@ann): Rolled back the deploy",
    ]


def test_it_leaves_blameless_prompts_and_every_section() -> None:
    text = build(updates=[UpdateEntry(T0, "initial", "investigating", True, "We are on it.")])
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Postmortem: Checkout is failing",
        "## Summary",
        "## Impact",
        "## Response team",
        "## Timeline",
        "## Contributing factors",
        "## What went well",
        "## What went badly",
        "## Action items",
        "## Lessons learned",
    ]
    assert "never who is to blame" in text
    assert "Describe the situation, not the person." in text
    assert "> We are on it." in text
    assert ACTION_ITEMS_MARKER in text


def test_it_marks_a_drill() -> None:
    assert build(facts=facts(drill=True)).startswith("# Postmortem: Checkout is failing (drill)")


def test_it_fills_the_action_items_as_they_stand() -> None:
    items = [
        ItemEntry(1, "Alert | on declines", "ann", date(2026, 3, 9), "high", "open", overdue=True),
        ItemEntry(2, "Canary", None, None, "low", "in_progress", "https://t.example/1"),
    ]
    filled = fill_action_items(build(), items)
    assert ACTION_ITEMS_MARKER not in filled
    assert "| 1 | Alert \\| on declines | @ann | 2026-03-09 **overdue** | high | open |" in filled
    assert "| 2 | [Canary](<https://t.example/1>) | unassigned | — | low | in progress |" in filled
    assert action_items_table([]) == "No action items yet."
    assert fill_action_items("no marker", items) == "no marker"


printable = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)
# Text made of what Markdown gives meaning to: headings, fences, underlines, quotes, tables.
markdownish = st.text(st.sampled_from("#`~-=*>|\n \\[]()!<:ab1."), max_size=60)
typed = st.one_of(printable, markdownish)


@settings(max_examples=200, deadline=None)
@given(
    title=typed,
    description=typed,
    note=typed,
    update=typed,
    actor=st.sampled_from(["ann", "warroom"]),
)
# Found by hypothesis: a quote or a list item can hold a heading of its own.
@example(title="1. # x", description="- # x", note="* ```", update=">#", actor="ann")
def test_it_keeps_the_document_s_structure_whatever_people_typed(
    title: str, description: str, note: str, update: str, actor: str
) -> None:
    """A title, description, note or update never adds or removes a section (or opens
    a code block that swallows the rest), and a note stays on its one timeline line."""
    text = build(
        facts=facts(title=title, description=description),
        timeline=[entry(1, EventType.NOTE_ADDED, "Note", detail=note, actor=actor)],
        updates=[UpdateEntry(T0, "update", "identified", False, update)],
    )
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    opened = [
        (t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"
    ]
    assert [tag for tag, _ in opened].count("h1") == 1
    assert [name for tag, name in opened if tag == "h2"] == [
        "Summary",
        "Impact",
        "Response team",
        "Timeline",
        "Contributing factors",
        "What went well",
        "What went badly",
        "Action items",
        "Lessons learned",
    ]
    section = text.split("\n## Timeline\n")[1].split("\n## Contributing factors\n")[0]
    assert sum(1 for line in section.splitlines() if line.startswith("- **")) == 1


@given(printable)
def test_a_cell_never_breaks_its_table_row(text: str) -> None:
    table = f"| a | b |\n|---|---|\n| {cell(text)} | end |\n"
    tokens = MarkdownIt("commonmark").enable("table").parse(table)
    body = [
        t.type for t in tokens[tokens.index(next(t for t in tokens if t.type == "tbody_open")) :]
    ]
    assert body.count("td_open") == 2


def test_review_states_move_as_the_table_says() -> None:
    assert move_postmortem(P.DRAFT, P.IN_REVIEW) is P.IN_REVIEW
    assert move_postmortem(P.IN_REVIEW, P.PUBLISHED) is P.PUBLISHED
    assert move_postmortem(P.PUBLISHED, P.IN_REVIEW) is P.IN_REVIEW
    with pytest.raises(InvalidTransition) as refused:
        move_postmortem(P.PUBLISHED, P.DRAFT)
    assert refused.value.allowed == ["in_review"]
    assert str(refused.value) == "a published postmortem can move to in_review, not draft"


@given(st.booleans(), st.booleans(), st.integers(min_value=0, max_value=5))
def test_an_incident_closes_only_resolved_published_and_with_nothing_open(
    resolved: bool, published: bool, open_items: int
) -> None:
    assert closes_incident(
        resolved=resolved, published=published, open_action_items=open_items
    ) == (resolved and published and open_items == 0)


def test_key_events_keep_the_first_of_each_repeating_kind_only() -> None:
    kept = key_events(
        [entry(i, EventType.ALERT_ATTACHED, "Alert attached", actor="warroom") for i in range(4)]
    )
    assert [e.text for e in kept] == ["Alert attached (first of 4)"]


# --- overdue and reminders -------------------------------------------------------------

zones = st.sampled_from(
    ["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland"]
)
# Hypothesis takes naive bounds and makes each value aware with `timezones`.
moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2028, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def test_the_due_day_itself_is_still_on_time() -> None:
    due = date(2026, 3, 2)
    assert not is_overdue(due_on=due, status=ActionItemStatus.OPEN, today=due)
    assert is_overdue(due_on=due, status=ActionItemStatus.OPEN, today=due + timedelta(days=1))
    assert not is_overdue(due_on=due, status=ActionItemStatus.DONE, today=date(2027, 1, 1))
    assert not is_overdue(due_on=None, status=ActionItemStatus.OPEN, today=date(2027, 1, 1))


def test_an_unknown_zone_counts_as_utc() -> None:
    assert local_today(T0, "Mars/Olympus") == T0.date()


@given(due=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1)), zone=zones)
def test_the_first_reminder_is_nine_on_the_first_overdue_morning(due: date, zone: str) -> None:
    local = first_reminder_at(due, zone).astimezone(ZoneInfo(zone))
    assert local.date() == due + timedelta(days=1)
    assert (local.hour, local.minute) == (9, 0)


@given(planned=moments, late=st.floats(min_value=0, max_value=10 * 24 * 3600), zone=zones)
def test_the_next_reminder_keeps_the_hour_and_is_after_now(
    planned: datetime, late: float, zone: str
) -> None:
    now = planned + timedelta(seconds=late)
    following = next_reminder_at(planned, now=now, zone=zone)
    assert following > now
    assert following - now <= timedelta(days=1, hours=1)  # the next slot, never one later
    here = ZoneInfo(zone)
    wall = planned.astimezone(here).time().replace(tzinfo=None)
    # The same wall-clock time (DST may shift a nonexistent hour by one).
    got = following.astimezone(here).time().replace(tzinfo=None)
    assert abs(datetime.combine(date.min, got) - datetime.combine(date.min, wall)) <= timedelta(
        hours=1
    )
