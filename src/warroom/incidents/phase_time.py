"""Each incident's time in each lifecycle phase, kept in its row (issue 6's "time spent
by phase"; the definition is warroom.domain.phase_time).

The row holds the seconds spent in each phase up to `phase_since`, and `phase_since`
itself: a report adds the stretch from there to now to the phase the incident is in now,
so an open incident's figures grow without any write. Every write that may move the
phase calls `note_phase` first, while the incident is still in its old phase: the
incident's status moves (incidents.actions), its postmortem is published or taken back
(postmortems.documents), an action item is opened, finished or reopened
(postmortems.items and postmortems.actions). A call that moves nothing only splits a
stretch.

`rebuild_phase_time` computes the same from the timeline, for incidents that existed
before the columns did (migration 0021).
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import object_session

from warroom.domain.action_items import ActionItemStatus, is_finished
from warroom.domain.lifecycle import Phase, Status, phase_of
from warroom.domain.phase_time import (
    TIMED_PHASES,
    Change,
    ItemMoved,
    Moment,
    PostmortemMoved,
    StatusMoved,
    moments_of,
    seconds_by_phase,
    stretch_seconds,
)
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.timeline import EventType
from warroom.incidents.models import Incident, TimelineEvent

# The column each timed phase's seconds are kept in.
PHASE_COLUMNS: dict[Phase, str] = {phase: f"{phase.value}_seconds" for phase in TIMED_PHASES}
# What a resolved incident's phase also depends on (Incident's deferred "learning" group).
LEARNING = ("postmortem_published", "has_open_action_items")


def current_phase(incident: Incident) -> Phase:
    """The phase the incident is in now. Only a resolved one needs its postmortem and
    action items, read afresh: a change earlier in the same transaction (an item just
    added or finished) must not be hidden by a value loaded before it."""
    if incident.status is not Status.RESOLVED:
        return phase_of(incident.status)
    session = object_session(incident)
    if session is not None and incident.id is not None:
        # Loading them again autoflushes what this transaction changed so far.
        session.expire(incident, list(LEARNING))
    return phase_of(
        incident.status,
        postmortem_published=bool(incident.postmortem_published),
        open_action_items=int(bool(incident.has_open_action_items)),
    )


def note_phase(incident: Incident, now: datetime) -> None:
    """Count the stretch since `phase_since` to the phase the incident is in, and start
    the next one at `now`. Call it before anything that may move the phase. An
    incident without `phase_since` (a row written without it) starts counting now; a
    stretch that runs backwards counts 0."""
    if incident.phase_since is not None:
        column = PHASE_COLUMNS.get(current_phase(incident))
        if column is not None:
            stored = getattr(incident, column) or 0.0
            setattr(incident, column, stored + stretch_seconds(incident.phase_since, now))
    incident.phase_since = now


# --- rebuilding from the timeline --------------------------------------------------------

incidents = cast(Table, Incident.__table__)
events = cast(Table, TimelineEvent.__table__)

# The timeline events that may move the phase. The declaration is the incident's
# triggered_at (do_declare records it at the same instant).
PHASE_EVENTS = (
    EventType.STATUS_CHANGED,
    EventType.POSTMORTEM_STATUS_CHANGED,
    EventType.ACTION_ITEM_CREATED,
    EventType.ACTION_ITEM_CHANGED,
)
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """An incident's stored phase time: the seconds up to `phase_since` per phase."""

    incident_id: int
    phase_since: datetime
    seconds: dict[Phase, float]


def change_of(type: str, at: datetime, data: dict[str, Any]) -> Change | None:
    """What one timeline event did to the phase's inputs; None when it did nothing to
    them (or says too little to tell)."""
    match EventType(type):
        case EventType.STATUS_CHANGED if "to" in data:
            return StatusMoved(at, Status(data["to"]))
        case EventType.POSTMORTEM_STATUS_CHANGED if "to" in data:
            return PostmortemMoved(at, published=data["to"] == PostmortemStatus.PUBLISHED)
        case EventType.ACTION_ITEM_CREATED if "item_id" in data:
            return ItemMoved(at, int(data["item_id"]), open=True)
        case EventType.ACTION_ITEM_CHANGED if "status" in (data.get("changes") or {}):
            status = ActionItemStatus(data["changes"]["status"])
            return ItemMoved(at, int(data["item_id"]), open=not is_finished(status))
    return None


def rebuilt(incident_id: int, triggered_at: datetime, changes: Iterable[Change]) -> Rebuilt:
    """What note_phase would have stored, had it been called at each change: the sums up
    to the last change, which is when the current stretch starts."""
    moments: list[Moment] = moments_of([StatusMoved(triggered_at, Status.TRIGGERED), *changes])
    return Rebuilt(incident_id, moments[-1].at, seconds_by_phase(moments))


def _batches(conn: Connection) -> Iterator[Sequence[Any]]:
    """(id, triggered_at) of every incident, in id order, BATCH at a time."""
    last = 0
    while True:
        rows = conn.execute(
            select(incidents.c.id, incidents.c.triggered_at)
            .where(incidents.c.id > last)
            .order_by(incidents.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _rebuild_batch(conn: Connection, rows: Sequence[Any]) -> list[Rebuilt]:
    first, last = rows[0].id, rows[-1].id
    found = conn.execute(
        select(events.c.incident_id, events.c.at, events.c.type, events.c.data)
        .where(
            events.c.incident_id.between(first, last),
            events.c.type.in_([str(t) for t in PHASE_EVENTS]),
        )
        # In the order they were written, which is the order the actions ran in (and
        # so the order note_phase saw them, even where a demo load wrote past times).
        .order_by(events.c.incident_id, events.c.id)
    ).all()
    by_incident = {
        incident_id: [
            change
            for e in group
            if (change := change_of(str(e.type), e.at, dict(e.data or {}))) is not None
        ]
        for incident_id, group in groupby(found, key=lambda e: e.incident_id)
    }
    return [rebuilt(r.id, r.triggered_at, by_incident.get(r.id, [])) for r in rows]


def rebuild_phase_time(conn: Connection) -> None:
    """Every incident's phase time and `phase_since`, recomputed from its timeline
    (status changes, postmortem moves, action items opened and finished), as note_phase
    would have kept them. Core SQL on SQLite and PostgreSQL, a batch of incidents at a
    time; run once by migration 0021.

    The improvement phase needs a published postmortem and an open action item: its
    time is told from the postmortem_status_changed and action_item_created/_changed
    events. Where the timeline does not say (a postmortem published, or an action item
    opened, without its event: rows written by hand or in bulk), the time is counted as
    analysis. An incident starts in detection at its triggered_at."""
    values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in PHASE_COLUMNS.values()}
    statement = (
        update(incidents)
        .where(incidents.c.id == bindparam("v_id"))
        .values(phase_since=bindparam("v_phase_since"), **values)
    )
    for rows in _batches(conn):
        params = [
            {
                "v_id": r.incident_id,
                "v_phase_since": r.phase_since,
                **{f"v_{column}": r.seconds[phase] for phase, column in PHASE_COLUMNS.items()},
            }
            for r in _rebuild_batch(conn, rows)
        ]
        conn.execute(statement, params)
