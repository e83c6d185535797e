"""From per-(service, severity) sums to SPEC §3's report: overall, by severity, by
service and by team. Means are total over count of the merged groups, so each group
weighs by its size, as warroom.domain.metrics computes them over the incidents."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import reduce
from typing import TypeVar

from warroom.domain.lifecycle import Phase, Status, phase_of
from warroom.domain.phase_time import TIMED_PHASES
from warroom.reports.gaps import Gaps, Span
from warroom.reports.schemas import FiguresOut, ReportOut, StageMinutesOut
from warroom.reports.tally import GroupKey, Tally

K = TypeVar("K")


def _mean(total: float, count: int, unit: float) -> float | None:
    return total / count / unit if count else None


def figures_of(t: Tally) -> FiguresOut:
    return FiguresOut(
        total_incidents=t.incidents,
        mtta_minutes=_mean(t.acknowledge_seconds, t.acknowledged, 60),
        mttd_minutes=_mean(t.detect_seconds, t.incidents, 60),
        mttr_minutes=_mean(t.repair_seconds, t.resolved, 60),
        mttf_hours=_mean(t.gap_seconds, t.gaps, 3600),
        response_target_compliance=(t.met_target / t.target_decided if t.target_decided else None),
        repeat_incidents=t.repeats,
    )


def _with_gaps(t: Tally, span: Span) -> Tally:
    return t + Tally(gap_seconds=span.seconds, gaps=span.count)


def _sum_by(pairs: Iterable[tuple[K, Tally]]) -> dict[K, Tally]:
    merged: dict[K, Tally] = {}
    for key, tally in pairs:
        merged[key] = merged[key] + tally if key in merged else tally
    return merged


def phases(total: Tally) -> dict[str, int]:
    counts = dict.fromkeys((str(p) for p in Phase), 0)
    for status, n in total.by_status.items():
        if status is Status.RESOLVED:
            improving = phase_of(status, postmortem_published=True, open_action_items=1)
            counts[str(improving)] += total.improvement
            counts[str(phase_of(status))] += n - total.improvement
        else:
            counts[str(phase_of(status))] += n
    return counts


def phase_minutes(total: Tally) -> dict[str, float | None]:
    """Mean minutes per incident in each timed phase: every incident weighs the same,
    with 0 for a phase it never entered (so the phases add up to the mean lifetime)."""
    return {
        str(phase): _mean(total.phase_seconds.get(phase, 0.0), total.incidents, 60)
        for phase in TIMED_PHASES
    }


def report_of(
    *,
    since: datetime,
    until: datetime,
    drills: bool,
    groups: Mapping[GroupKey, Tally],
    gaps: Gaps,
    services: Mapping[int, tuple[str, str | None]],
) -> ReportOut:
    """`services`: id -> (name, team name or None) for every service in `groups`."""
    # MTTF pairs a service's incidents: per service (and so overall and per team) all of
    # them, per severity those of one severity (domain.metrics.report's groups).
    by_service_id = {
        sid: _with_gaps(t, gaps.by_service.get(sid, Span()))
        for sid, t in _sum_by((sid, t) for (sid, _), t in groups.items()).items()
    }
    severity_spans = _sum_by_span((sev, span) for (_, sev), span in gaps.by_severity.items())
    by_severity = {
        sev: _with_gaps(t, severity_spans.get(sev, Span()))
        for sev, t in _sum_by((sev, t) for (_, sev), t in groups.items()).items()
    }
    by_team = _sum_by(
        (team, t) for sid, t in by_service_id.items() if (team := services[sid][1]) is not None
    )
    total = reduce(Tally.__add__, by_service_id.values(), Tally())
    overall = figures_of(total)
    return ReportOut(
        **overall.model_dump(),
        since=since.isoformat(),
        until=until.isoformat(),
        by_severity={k: figures_of(t) for k, t in sorted(by_severity.items())},
        by_service=_named({services[sid][0]: t for sid, t in by_service_id.items()}),
        by_team=_named(by_team),
        incidents_by_phase=phases(total),
        minutes_by_phase=phase_minutes(total),
        mean_stage_minutes=StageMinutesOut(
            detect=overall.mttd_minutes,
            acknowledge=overall.mtta_minutes,
            resolve=_mean(total.fix_seconds, total.acknowledged_and_resolved, 60),
        ),
        drills=drills,
    )


def _sum_by_span(pairs: Iterable[tuple[str, Span]]) -> dict[str, Span]:
    merged: dict[str, Span] = {}
    for key, span in pairs:
        merged[key] = merged.get(key, Span()) + span
    return merged


def _named(tallies: Mapping[str, Tally]) -> dict[str, FiguresOut]:
    return {name: figures_of(t) for name, t in sorted(tallies.items())}
