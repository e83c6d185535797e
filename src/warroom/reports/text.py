"""The report's figures as text, read the same way on the reports page, in its CSV
download and by `warroom report`."""

from collections.abc import Iterator

from warroom.domain.phase_time import TIMED_PHASES
from warroom.incidents.presentation import format_duration
from warroom.reports.schemas import FiguresOut, ReportOut


def minutes_text(minutes: float | None) -> str:
    return "—" if minutes is None else format_duration(minutes * 60)


def hours_text(hours: float | None) -> str:
    return "—" if hours is None else format_duration(hours * 3600)


def share_text(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def count_text(n: float | None) -> str:
    return "—" if n is None else f"{n:,.0f}"


CSV_COLUMNS = (
    "total_incidents",
    "mtta_minutes",
    "mttd_minutes",
    "mttr_minutes",
    "mttf_hours",
    "response_target_compliance",
    "repeat_incidents",
)
# The mean minutes in each phase (ReportOut.minutes_by_phase), measured overall only:
# filled on the overall row, empty on the others.
PHASE_CSV_COLUMNS = tuple(f"{phase}_minutes" for phase in TIMED_PHASES)


def _safe_cell(value: str) -> str:
    """Names are typed by people: one that starts like a formula stays text in a
    spreadsheet (OWASP's CSV injection advice)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _cell(value: object) -> str:
    return "" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def _cells(scope: str, name: str, figures: FiguresOut) -> list[str]:
    shown = [_cell(getattr(figures, column)) for column in CSV_COLUMNS]
    phases = [""] * len(PHASE_CSV_COLUMNS)
    if isinstance(figures, ReportOut):
        phases = [_cell(figures.minutes_by_phase.get(str(p))) for p in TIMED_PHASES]
    return [scope, _safe_cell(name), *shown, *phases]


def phase_minutes_text(report: ReportOut) -> list[tuple[str, str]]:
    """(phase, mean time in it) for every timed phase, in lifecycle order."""
    return [
        (str(phase), minutes_text(report.minutes_by_phase.get(str(phase))))
        for phase in TIMED_PHASES
    ]


def report_rows(report: ReportOut) -> Iterator[list[str]]:
    """One row for the whole period, then one per severity, service and team."""
    yield ["scope", "name", *CSV_COLUMNS, *PHASE_CSV_COLUMNS]
    yield _cells("overall", "", report)
    for scope, groups in (
        ("severity", report.by_severity),
        ("service", report.by_service),
        ("team", report.by_team),
    ):
        for name, figures in groups.items():
            yield _cells(scope, name, figures)
