"""Time spent in each lifecycle phase (SPEC §2; issue 6's "time spent by phase"),
defined once over plain values.

An incident's phase follows from its status and, once resolved, from its postmortem
(published or not) and its action items (any still open): `lifecycle.phase_of`. Its
history is then a sequence of *moments*: from `at` on, it was in `phase`. Each stretch
from one moment to the next counts to the phase of the first; the last counts up to
`until` (now), unless the incident is closed, which counts no time. A moment whose
phase is the one before it only splits a stretch (with times in order, no sum changes).

Times come from clocks and from demo loads that write the past: a stretch that would
run backwards (the next moment before this one) counts 0, never less, so no phase ever
loses time.

warroom.incidents.phase_time keeps each incident's sums up to its latest moment in the
incident row (and rebuilds them from the timeline); the tests compare both with this.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from warroom.domain.lifecycle import Phase, Status, phase_of

# The phases time is counted in: every one but closed, in lifecycle order.
TIMED_PHASES: tuple[Phase, ...] = tuple(p for p in Phase if p is not Phase.CLOSED)


@dataclass(frozen=True, slots=True)
class Moment:
    """From `at` on, the incident was in `phase` (until the next moment)."""

    at: datetime
    phase: Phase


def stretch_seconds(start: datetime, end: datetime) -> float:
    """Seconds from `start` to `end`; 0 when `end` lies before `start` (clock skew, a
    past `now`): a stretch adds time or nothing, never takes any away."""
    return max(0.0, (end - start).total_seconds())


def seconds_by_phase(
    moments: Iterable[Moment], *, until: datetime | None = None
) -> dict[Phase, float]:
    """Seconds spent in each timed phase (every one named, 0 for none): each stretch to
    the next moment, and the last one to `until` (None: the history stops at its last
    moment, as the stored sums do)."""
    seconds = dict.fromkeys(TIMED_PHASES, 0.0)
    history = list(moments)
    ends = [m.at for m in history[1:]] + ([until] if until is not None else [])
    for moment, end in zip(history, ends, strict=False):
        if moment.phase is not Phase.CLOSED:
            seconds[moment.phase] += stretch_seconds(moment.at, end)
    return seconds


# --- the moments, from what happened to the incident ------------------------------------


@dataclass(frozen=True, slots=True)
class StatusMoved:
    """The incident moved to `to` (its declaration is a move to triggered)."""

    at: datetime
    to: Status


@dataclass(frozen=True, slots=True)
class PostmortemMoved:
    """Its postmortem moved: to published (True) or to another state (False)."""

    at: datetime
    published: bool


@dataclass(frozen=True, slots=True)
class ItemMoved:
    """Action item `item` was opened or reopened (open) or finished (not open)."""

    at: datetime
    item: int
    open: bool


Change = StatusMoved | PostmortemMoved | ItemMoved


def moments_of(changes: Iterable[Change]) -> list[Moment]:
    """One moment per change, in the order given (the order they happened), from the
    first status move (the declaration) on: each says the phase the incident was in
    after that change. Changes before the first status move set the scene only."""
    status: Status | None = None
    published = False
    open_items: set[int] = set()
    moments: list[Moment] = []
    for change in changes:
        match change:
            case StatusMoved(to=to):
                status = to
            case PostmortemMoved(published=now_published):
                published = now_published
            case ItemMoved(item=item, open=True):
                open_items.add(item)
            case ItemMoved(item=item):
                open_items.discard(item)
        if status is not None:
            phase = phase_of(
                status, postmortem_published=published, open_action_items=len(open_items)
            )
            moments.append(Moment(change.at, phase))
    return moments


def entered(moments: Iterable[Moment]) -> list[Moment]:
    """Only the moments at which the phase changed: when each phase was entered."""
    kept: list[Moment] = []
    for moment in moments:
        if not kept or kept[-1].phase is not moment.phase:
            kept.append(moment)
    return kept


def phase_seconds(changes: Iterable[Change], *, until: datetime) -> dict[Phase, float]:
    """The definition in one call: seconds in each timed phase up to `until`."""
    return seconds_by_phase(moments_of(changes), until=until)
