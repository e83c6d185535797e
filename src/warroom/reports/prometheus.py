"""What /metrics says, read from the database when Prometheus scrapes: every figure is a
SQL aggregate over rows every process shares, so whichever process answers the scrape,
and however many run, the numbers are the same (none is kept in a process's memory).

Counters count rows that are never deleted; a page's or an incident's label is its state
or severity now, so a label's count can move to another label, but no total goes down.
A page waiting to go out is a gauge (warroom_pages_pending), not a counter: it ends
sent, failed or cancelled, and a counter must never fall.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from warroom.alerts.models import Alert
from warroom.clock import Clock
from warroom.db.session import Database
from warroom.domain.alerts import AlertSource
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.engine.models import Task, TaskState
from warroom.incidents.models import Incident
from warroom.paging.models import Page, PageState
from warroom.reports.queries import ReportFilter, incident_report
from warroom.reports.schemas import FiguresOut

# The report figures are over this trailing window, like a dashboard's "last 30 days".
REPORT_WINDOW = timedelta(days=30)
_CLOSED = (Status.RESOLVED, Status.CLOSED)
_SEVERITIES = [str(s) for s in Severity]
# The figures for every severity together carry this label value.
ALL = "all"


class WarroomCollector(Collector):
    """Collects on each scrape, in one read transaction, at the clock's time."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock.now()
        with self._db.read() as session:
            yield from incident_metrics(session)
            yield from page_metrics(session)
            yield from engine_metrics(session, now=now)
            yield from alert_metrics(session)
            yield from report_metrics(session, now=now)


def registry_for(db: Database, clock: Clock) -> CollectorRegistry:
    """A registry for one scrape: nothing is left from the previous one."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WarroomCollector(db, clock))
    return registry


def _counts(
    session: Session, label: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> dict[str, int]:
    rows = session.execute(select(label, func.count()).where(*where).group_by(label))
    return {str(key): int(count) for key, count in rows}


def incident_metrics(session: Session) -> Iterable[Metric]:
    not_drill = Incident.drill.is_(False)
    opened = _counts(session, Incident.severity, not_drill, Incident.status.not_in(_CLOSED))
    open_gauge = GaugeMetricFamily(
        "warroom_open_incidents",
        "Incidents not yet resolved or closed, drills left out, by severity.",
        labels=["severity"],
    )
    declared = _counts(session, Incident.severity, not_drill)
    total = CounterMetricFamily(
        "warroom_incidents",
        "Incidents ever opened, drills left out, by their severity now.",
        labels=["severity"],
    )
    for severity in _SEVERITIES:
        open_gauge.add_metric([severity], opened.get(severity, 0))
        total.add_metric([severity], declared.get(severity, 0))
    return [open_gauge, total]


def page_metrics(session: Session) -> Iterable[Metric]:
    states = _counts(session, Page.state)
    total = CounterMetricFamily(
        "warroom_pages",
        "Pages to on-call people that were sent, failed for good, or cancelled because "
        "the incident was acknowledged or resolved first.",
        labels=["state"],
    )
    for state in (PageState.SENT, PageState.FAILED, PageState.CANCELLED):
        total.add_metric([str(state)], states.get(str(state), 0))
    pending = GaugeMetricFamily(
        "warroom_pages_pending", "Pages waiting to go out (on a delay, or being retried)."
    )
    pending.add_metric([], states.get(str(PageState.PENDING), 0))
    return [total, pending]


def engine_metrics(session: Session, *, now: datetime) -> Iterable[Metric]:
    waiting = Task.state == TaskState.PENDING
    pending, due, oldest_due = session.execute(
        select(
            func.count(),
            func.count().filter(Task.due_at <= now),
            func.min(Task.due_at).filter(Task.due_at <= now),
        ).where(waiting)
    ).one()
    failed = session.scalar(select(func.count()).where(Task.state == TaskState.FAILED)) or 0
    lag = GaugeMetricFamily(
        "warroom_engine_lag_seconds",
        "How long the oldest task that is due has waited for an engine (0 when none is due).",
    )
    # UTCDateTime reads back aware; a naive value would be UTC all the same.
    if oldest_due is not None and oldest_due.tzinfo is None:
        oldest_due = oldest_due.replace(tzinfo=now.tzinfo)
    lag.add_metric([], max((now - oldest_due).total_seconds(), 0.0) if oldest_due else 0.0)
    pending_gauge = GaugeMetricFamily(
        "warroom_engine_pending_tasks", "Background tasks not yet done, due now or later."
    )
    pending_gauge.add_metric([], int(pending))
    due_gauge = GaugeMetricFamily(
        "warroom_engine_due_tasks", "Background tasks that are due now and not yet done."
    )
    due_gauge.add_metric([], int(due))
    failed_total = CounterMetricFamily(
        "warroom_engine_failed_tasks", "Background tasks that gave up after their retries."
    )
    failed_total.add_metric([], int(failed))
    return [lag, pending_gauge, due_gauge, failed_total]


def alert_metrics(session: Session) -> Iterable[Metric]:
    received = session.execute(
        select(
            Alert.source,
            func.count(),
            func.coalesce(func.sum(Alert.event_count), 0),
            func.count(Alert.suppressed_by),
        ).group_by(Alert.source)
    ).all()
    by_source = {str(source): (int(a), int(e), int(s)) for source, a, e, s in received}
    alerts = CounterMetricFamily(
        "warroom_alerts", "Alerts received from monitoring, by integration.", labels=["source"]
    )
    events = CounterMetricFamily(
        "warroom_alert_events",
        "Alert events that opened or changed an alert (repeats of the same payload are "
        "not counted), by integration.",
        labels=["source"],
    )
    suppressed = CounterMetricFamily(
        "warroom_alerts_suppressed",
        "Alerts that opened no incident (a maintenance window or silence), by integration.",
        labels=["source"],
    )
    for source in (str(s) for s in AlertSource):
        count, event_count, suppressed_count = by_source.get(source, (0, 0, 0))
        alerts.add_metric([source], count)
        events.add_metric([source], event_count)
        suppressed.add_metric([source], suppressed_count)
    return [alerts, events, suppressed]


def report_metrics(session: Session, *, now: datetime) -> Iterable[Metric]:
    """The report's figures over the last 30 days, drills left out; a figure with
    nothing to measure (no acknowledged incident, say) is absent, not zero."""
    report = incident_report(
        session, where=ReportFilter(since=now - REPORT_WINDOW, until=now), now=now
    )
    scopes: list[tuple[str, FiguresOut]] = [(ALL, report)]
    scopes += [(s, report.by_severity[s]) for s in _SEVERITIES if s in report.by_severity]
    window = "over the last 30 days, drills left out"
    gauges = {
        "mtta_minutes": f"Mean time from trigger to acknowledgement {window} (minutes).",
        "mttd_minutes": f"Mean time from an alert's start to its detection {window} (minutes).",
        "mttr_minutes": f"Mean time from start to resolution {window} (minutes).",
        "response_target_compliance": (
            f"Share of incidents acknowledged within their severity's target {window} (0-1)."
        ),
    }
    families: list[Metric] = []
    for field, text in gauges.items():
        family = GaugeMetricFamily(f"warroom_{field}", text, labels=["severity"])
        for label, figures in scopes:
            value = getattr(figures, field)
            if value is not None:
                family.add_metric([label], float(value))
        families.append(family)
    mttf = GaugeMetricFamily(
        "warroom_mttf_hours",
        f"Mean time from one incident's resolution to the start of the service's next {window} "
        "(hours).",
    )
    if report.mttf_hours is not None:
        mttf.add_metric([], float(report.mttf_hours))
    repeats = GaugeMetricFamily(
        "warroom_repeat_incidents",
        f"Incidents that repeat one resolved in the 7 days before {window}.",
    )
    repeats.add_metric([], report.repeat_incidents)
    incidents = GaugeMetricFamily(
        "warroom_report_incidents", f"Incidents triggered {window}.", labels=["severity"]
    )
    for label, figures in scopes:
        incidents.add_metric([label], figures.total_incidents)
    return [*families, mttf, repeats, incidents]
