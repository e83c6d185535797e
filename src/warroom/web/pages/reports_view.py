"""How the report's figures read on the reports page and in its CSV: headline figures
compared with the period before, the three charts, and the CSV rows. Plain values in,
text (or escaped SVG) out; the page module does the asking and the reading."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup

from warroom.domain.severity import Severity
from warroom.reports import svg
from warroom.reports.queries import PersonLoad, WeekPoint
from warroom.reports.schemas import FiguresOut, ReportOut
from warroom.reports.text import count_text, hours_text, minutes_text, share_text

Tone = Literal["better", "worse", "same", ""]
Text = Callable[[float | None], str]


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline figure: its field in FiguresOut, how it reads, and which way is good."""

    label: str
    meaning: str
    field: str
    text: Text
    words: tuple[str, str]  # said when it went up, and when it went down
    lower_is_better: bool
    points: bool = False  # a share: compared in percentage points


FIGURES = (
    Figure("Incidents", "triggered in the period", "total_incidents", count_text,
           ("more", "fewer"), lower_is_better=True),
    Figure("MTTA", "mean time to acknowledge", "mtta_minutes", minutes_text,
           ("slower", "faster"), lower_is_better=True),
    Figure("MTTD", "mean time to detect", "mttd_minutes", minutes_text,
           ("slower", "faster"), lower_is_better=True),
    Figure("MTTR", "mean time to resolve", "mttr_minutes", minutes_text,
           ("slower", "faster"), lower_is_better=True),
    Figure("MTTF", "mean time between failures of a service", "mttf_hours", hours_text,
           ("longer", "shorter"), lower_is_better=False),
    Figure("Within target", "acknowledged within the response target",
           "response_target_compliance", share_text, ("higher", "lower"),
           lower_is_better=False, points=True),
    Figure("Repeats", "the same alert again within 7 days", "repeat_incidents", count_text,
           ("more", "fewer"), lower_is_better=True),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Headline:
    label: str
    meaning: str
    value: str
    change: str  # "4 min faster than the 30 days before (16 min)"
    tone: Tone
    direction: Literal["up", "down", ""] = ""


def compare(figure: Figure, now: float | None, then: float | None, *, before: str) -> Headline:
    value = figure.text(now)
    if now is None or then is None:
        said = f"nothing to compare with in {before}" if then is None else ""
        return Headline(figure.label, figure.meaning, value, said, "")
    difference = now - then
    if abs(difference) < (0.005 if figure.points else 1e-9):
        same = f"the same as {before}"
        return Headline(figure.label, figure.meaning, value, same, "same")
    size = f"{abs(difference) * 100:.0f} points" if figure.points else figure.text(abs(difference))
    went = figure.words[0] if difference > 0 else figure.words[1]
    change = f"{size} {went} than {before} ({figure.text(then)})"
    better = (difference < 0) == figure.lower_is_better
    return Headline(
        figure.label,
        figure.meaning,
        value,
        change,
        "better" if better else "worse",
        "up" if difference > 0 else "down",
    )


def headlines(now: FiguresOut, then: FiguresOut, *, before: str) -> list[Headline]:
    return [
        compare(f, getattr(now, f.field), getattr(then, f.field), before=before) for f in FIGURES
    ]


@dataclass(frozen=True, slots=True)
class SeverityRow:
    severity: str
    figures: FiguresOut | None  # None: no incident of this severity in the period
    target: str  # the response target, "15 min"
    over_target: bool  # the mean acknowledgement took longer than the target


def severity_rows(report: ReportOut, targets: Mapping[Severity, float]) -> list[SeverityRow]:
    """Every severity, with or without incidents, so the targets are always in view."""
    rows = []
    for severity in Severity:
        figures = report.by_severity.get(str(severity))
        mtta = figures.mtta_minutes if figures else None
        over = mtta is not None and mtta > targets[severity]
        rows.append(SeverityRow(str(severity), figures, minutes_text(targets[severity]), over))
    return rows


def by_load(load: Sequence[PersonLoad]) -> list[PersonLoad]:
    """The most paged first; among equals, the most woken."""
    return sorted(load, key=lambda p: (-p.pages, -p.sleep_pages, p.handle))


def _week(point: WeekPoint) -> tuple[str, str]:
    day = point.week_start
    return f"{day.day} {day:%b}", f"Week of {day.day} {day:%b %Y}"


def charts(
    weeks: Sequence[WeekPoint], load: Sequence[PersonLoad], *, label: str
) -> dict[str, Markup]:
    labels = [_week(w)[0] for w in weeks]
    titles = [_week(w)[1] for w in weeks]
    people = by_load(load)
    trend = svg.line_chart(
        chart_id="chart-trend",
        title="MTTA and MTTR per week",
        desc=f"Mean time from trigger to acknowledgement (MTTA) and from start to resolution "
        f"(MTTR) of each week's incidents, {label}. Weeks start on Monday (UTC); a week "
        "with nothing to measure leaves a gap in its line.",
        x_labels=labels,
        x_titles=titles,
        series=[
            (svg.MTTA_KEY, [w.mtta_minutes for w in weeks]),
            (svg.MTTR_KEY, [w.mttr_minutes for w in weeks]),
        ],
    )
    severity = svg.column_chart(
        chart_id="chart-severity",
        title="Incidents per week, by severity",
        desc=f"How many incidents were triggered each week, {label}, stacked by severity "
        "with SEV-1 at the bottom.",
        x_labels=labels,
        x_titles=titles,
        keys=svg.SEVERITY_KEYS,
        values=[[w.by_severity.get(str(s), 0) for s in Severity] for w in weeks],
    )
    pages = svg.bar_chart(
        chart_id="chart-load",
        title="On-call load: pages per person",
        desc=f"Pages sent to each person, {label}: those that came while they slept "
        "(22:00-08:00 their time), on other evenings and weekends, and in working hours.",
        labels=[p.name or p.handle for p in people],
        keys=svg.LOAD_KEYS,
        values=[
            [p.sleep_pages, p.off_hours_pages - p.sleep_pages, p.pages - p.off_hours_pages]
            for p in people
        ],
        more="more people in the table below",
    )
    # Markup: svg escapes every text it draws; the template must not escape its tags.
    return {
        "trend": Markup(trend),  # noqa: S704
        "severity": Markup(severity),  # noqa: S704
        "load": Markup(pages),  # noqa: S704
    }
