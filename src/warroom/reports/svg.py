"""The reports page's charts, drawn on the server as SVG: no script, no web fonts, no CDN.
Pure functions from plain values to markup; the tests parse what they return.

Each chart stands alone (viewBox, <title> and <desc>, a legend, units on its ticks,
fallback colours as presentation attributes) and takes the page's theme where it is
inlined: warroom.css colours the `k-*` classes, and a CSS rule beats a presentation
attribute. There is no <style> element and no style attribute, which the pages'
Content-Security-Policy would refuse.

Whatever comes in, what goes out is well-formed: text is escaped and stripped of
characters XML cannot hold, and a value that is negative, NaN, infinite or absurdly
large is clamped (or, on a line, left out), so no coordinate is ever NaN or infinite.
"""

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from warroom.domain.severity import Severity
from warroom.incidents.presentation import format_duration
from warroom.reports.scales import (
    axis,
    count_label,
    minutes_label,
    nice_count_step,
    nice_minutes_step,
)

WIDTH = 720
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
# Past a trillion nothing a report counts is real; clamping keeps sums finite.
_CEILING = 1e12
# Characters XML 1.0 cannot contain, even escaped (controls, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ID = re.compile(r"[^a-z0-9-]")
# The legend and the titles of the tallest bars need this much above the plot.
_TOP = 40
# Horizontal room one x-axis label needs before every other one is skipped.
_LABEL_ROOM = 64


@dataclass(frozen=True, slots=True)
class Key:
    """One thing a chart tells apart: its name in the legend and in tooltips, the CSS
    class the page colours it by, and the colour it has anywhere else."""

    name: str
    css: str
    colour: str
    dashed: bool = False


SEVERITY_KEYS: tuple[Key, ...] = (
    Key(str(Severity.SEV1), "k-sev-1", "#c9372c"),
    Key(str(Severity.SEV2), "k-sev-2", "#e56910"),
    Key(str(Severity.SEV3), "k-sev-3", "#cf9f02"),
    Key(str(Severity.SEV4), "k-sev-4", "#6b778c"),
)
MTTA_KEY = Key("MTTA", "k-mtta", "#0c66e4")
# Dashed and drawn with squares as well as coloured, so the two lines differ without colour.
MTTR_KEY = Key("MTTR", "k-mttr", "#6e5dc6", dashed=True)
# Sleep first: the portion that hurts most starts at the same edge for everyone.
LOAD_KEYS: tuple[Key, ...] = (
    Key("Asleep (22:00-08:00)", "k-sleep", "#352c63"),
    Key("Evenings and weekends", "k-evening", "#0c66e4"),
    Key("Working hours", "k-day", "#85b8ff"),
)


# --- values and text ------------------------------------------------------------------


def _value(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return min(max(float(v), 0.0), _CEILING)


def _amount(v: float | None) -> float:
    return _value(v) or 0.0


def _text(s: str, limit: int | None = None) -> str:
    s = _NOT_XML.sub("", s)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return html.escape(s, quote=True)


def _exact(minutes: float) -> str:
    """A point's own value, more exact than a tick: '12 min', '3 h 5 min', '2 d 4 h'."""
    return format_duration(minutes * 60)


def _n(x: float) -> str:
    """A coordinate: short, and never NaN or infinite (the inputs were cleaned)."""
    return f"{x:.1f}".removesuffix(".0")


# --- the frame every chart shares -----------------------------------------------------


def _open(chart_id: str, kind: str, title: str, desc: str, height: float) -> list[str]:
    cid = _ID.sub("-", chart_id.lower())[:40] or "chart"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}-kind" '
        f'viewBox="0 0 {WIDTH} {_n(height)}" width="{WIDTH}" height="{_n(height)}" '
        f'role="img" aria-label="{_text(title)}" aria-describedby="{cid}-desc" '
        f'font-family="{_FONT}" font-size="12">',
        f'<title id="{cid}-title">{_text(title)}</title>',
        f'<desc id="{cid}-desc">{_text(desc)}</desc>',
    ]


def _empty(chart_id: str, kind: str, title: str, message: str) -> str:
    parts = _open(chart_id, kind, title, message, 96)
    parts.append(
        f'<text class="chart-empty" x="{WIDTH / 2:.0f}" y="52" text-anchor="middle" '
        f'font-size="15" fill="#6b778c">{_text(message)}</text></svg>'
    )
    return "\n".join(parts)


def _legend(keys: Sequence[Key], *, line: bool = False) -> str:
    parts = ['<g class="chart-legend">']
    x = 8.0
    for key in keys:
        if line:
            dash = ' stroke-dasharray="6 4"' if key.dashed else ""
            parts.append(
                f'<line class="chart-swatch {key.css}" x1="{_n(x)}" y1="14" x2="{_n(x + 22)}" '
                f'y2="14" stroke="{key.colour}" stroke-width="2.5"{dash}/>'
            )
        else:
            parts.append(
                f'<rect class="chart-swatch {key.css}" x="{_n(x + 6)}" y="8" width="12" '
                f'height="12" rx="2" fill="{key.colour}"/>'
            )
        name = _text(key.name, 40)
        parts.append(f'<text x="{_n(x + 28)}" y="18" fill="#44546f">{name}</text>')
        x += 44 + 7 * len(key.name[:40])
    parts.append("</g>")
    return "".join(parts)


def _y_grid(
    ticks: Sequence[float],
    label: Callable[[float], str],
    x0: float,
    x1: float,
    y_of: Callable[[float], float],
) -> str:
    parts = ['<g class="chart-y-axis">']
    for tick in ticks:
        y = y_of(tick)
        css = "chart-axis" if tick == 0 else "chart-grid"
        stroke = "#c1c7d0" if tick == 0 else "#ebecf0"
        parts.append(
            f'<line class="{css}" x1="{_n(x0)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" '
            f'stroke="{stroke}"/>'
            f'<text class="chart-tick" x="{_n(x0 - 6)}" y="{_n(y + 4)}" text-anchor="end" '
            f'fill="#6b778c">{_text(label(tick))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], y: float, room: float) -> str:
    every = max(1, math.ceil(len(labels) * _LABEL_ROOM / max(room, 1)))
    parts = ['<g class="chart-x-axis">']
    for i in range(0, len(labels), every):
        parts.append(
            f'<text class="chart-tick" x="{_n(x_of(i))}" y="{_n(y)}" text-anchor="middle" '
            f'fill="#6b778c">{_text(labels[i], 12)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


# --- the charts ------------------------------------------------------------------------


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[Key, Sequence[float | None]]],
    x_titles: Sequence[str] | None = None,
    empty: str = "No incidents in this period",
) -> str:
    """Durations in minutes over time: one panel per key, stacked over a shared time
    axis, each with its own scale (MTTR is often hours while MTTA is minutes: on one
    scale, MTTA would be a flat line at zero). A missing value (None) is a gap in the
    line, never a zero; a value with no neighbour still shows as its marker."""
    n = len(x_labels)
    cleaned = [(key, [_value(v) for v in values[:n]]) for key, values in series]
    if n == 0 or not any(v is not None for _, values in cleaned for v in values):
        return _empty(chart_id, "line", title, empty)
    titles = list(x_titles or x_labels)
    x0, x1, panel, plot = 72.0, WIDTH - 16.0, 132.0, 96.0
    height = _TOP + panel * len(cleaned) + 12
    band = (x1 - x0) / n

    def x_of(i: int) -> float:
        return x0 + (i + 0.5) * band

    parts = _open(chart_id, "line", title, desc, height)
    parts.append(_legend([key for key, _ in cleaned], line=True))
    for p, (key, values) in enumerate(cleaned):
        y0 = _TOP + p * panel + 8
        y1 = y0 + plot
        parts.append(
            f'<g class="chart-series" data-series="{_text(key.name)}">'
            f'<text class="chart-panel {key.css}" x="{_n(x1)}" y="{_n(y0 - 2)}" '
            f'text-anchor="end" font-weight="700" fill="{key.colour}">{_text(key.name, 40)}</text>'
        )
        present = [v for v in values if v is not None]
        if not present:
            parts.append(
                f'<text class="chart-empty" x="{_n((x0 + x1) / 2)}" y="{_n((y0 + y1) / 2)}" '
                f'text-anchor="middle" fill="#6b778c">{_text(f"No {key.name} in this period")}'
                "</text></g>"
            )
            continue
        ticks = axis(max(present), nice_minutes_step, 3)
        y_of = _vertical(y0, y1, ticks[-1])
        parts.append(_y_grid(ticks, partial(minutes_label, step=ticks[1]), x0, x1, y_of))
        parts.append(_x_labels(x_labels, x_of, y1 + 16, x1 - x0))
        path: list[str] = []
        pen_down = False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_n(x_of(i))} {_n(y_of(v))}")
            pen_down = True
        dash = ' stroke-dasharray="6 4"' if key.dashed else ""
        parts.append(
            f'<path class="chart-line {key.css}" d="{" ".join(path)}" fill="none" '
            f'stroke="{key.colour}" stroke-width="2.5" stroke-linejoin="round"{dash}/>'
        )
        for i, v in enumerate(values):
            if v is not None:
                tip = _text(
                    f"{titles[i] if i < len(titles) else x_labels[i]}: {key.name} {_exact(v)}"
                )
                parts.append(_marker(key, x_of(i), y_of(v), tip))
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def _vertical(y0: float, y1: float, top: float) -> Callable[[float], float]:
    """Where a value sits between the plot's bottom (y1, zero) and its top (y0, top)."""
    return lambda v: y1 - v / top * (y1 - y0)


def _marker(key: Key, x: float, y: float, tip: str) -> str:
    """A dot for a solid line, a square for a dashed one: told apart without colour."""
    if key.dashed:
        return (
            f'<rect class="chart-dot {key.css}" x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" '
            f'height="7" fill="{key.colour}"><title>{tip}</title></rect>'
        )
    return (
        f'<circle class="chart-dot {key.css}" cx="{_n(x)}" cy="{_n(y)}" r="4" '
        f'fill="{key.colour}"><title>{tip}</title></circle>'
    )


def column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: Sequence[str],
    keys: Sequence[Key],
    values: Sequence[Sequence[float]],
    x_titles: Sequence[str] | None = None,
    noun: tuple[str, str] = ("incident", "incidents"),
    empty: str = "No incidents in this period",
) -> str:
    """Stacked columns: one per x label, split by key (values[i][j] is label i, key j),
    with the column's total above it."""
    n = len(x_labels)
    stacks = [
        [_amount(v) for v in (list(values[i]) if i < len(values) else [])][: len(keys)]
        for i in range(n)
    ]
    totals = [sum(stack) for stack in stacks]
    if n == 0 or not any(totals):
        return _empty(chart_id, "columns", title, empty)
    titles = list(x_titles or x_labels)
    height, x0, x1, y0, y1 = 280.0, 56.0, WIDTH - 16.0, _TOP + 14.0, 280.0 - 32.0
    ticks = axis(max(totals), nice_count_step, 4)
    top = ticks[-1]
    band = (x1 - x0) / n
    width = min(max(band * 0.7, 0.5), 56.0)

    y_of = _vertical(y0, y1, top)

    def x_of(i: int) -> float:
        return x0 + (i + 0.5) * band

    parts = _open(chart_id, "columns", title, desc, height)
    parts.append(_legend(keys))
    parts.append(_y_grid(ticks, count_label, x0, x1, y_of))
    parts.append(_x_labels(x_labels, x_of, y1 + 18, x1 - x0))
    for i, stack in enumerate(stacks):
        label = titles[i] if i < len(titles) else x_labels[i]
        parts.append(f'<g class="chart-column" data-label="{_text(label)}">')
        base = 0.0
        for key, v in zip(keys, stack, strict=False):
            if v <= 0:
                continue
            y_top, y_bottom = y_of(base + v), y_of(base)
            tip = f"{label}: {count_label(v)} {key.name}"
            parts.append(
                f'<rect class="chart-bar {key.css}" x="{_n(x_of(i) - width / 2)}" '
                f'y="{_n(y_top)}" width="{_n(width)}" height="{_n(y_bottom - y_top)}" '
                f'fill="{key.colour}"><title>{_text(tip)}</title></rect>'
            )
            base += v
        if band >= 18:
            word = noun[0] if totals[i] == 1 else noun[1]
            parts.append(
                f'<text class="chart-total" x="{_n(x_of(i))}" y="{_n(y_of(totals[i]) - 4)}" '
                f'text-anchor="middle" fill="#44546f">{count_label(totals[i])}'
                f"<title>{_text(f'{label}: {count_label(totals[i])} {word}')}</title></text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    keys: Sequence[Key],
    values: Sequence[Sequence[float]],
    noun: tuple[str, str] = ("page", "pages"),
    limit: int = 25,
    more: str = "more in the table below",
    empty: str = "No pages in this period",
) -> str:
    """Horizontal stacked bars, one row per label in the order given (the caller sorts),
    at most `limit` rows; the rest are counted in a line under the chart."""
    rows = [
        (label, [_amount(v) for v in (list(values[i]) if i < len(values) else [])][: len(keys)])
        for i, label in enumerate(labels)
    ]
    rows = [(label, parts) for label, parts in rows if sum(parts) > 0]
    if not rows:
        return _empty(chart_id, "bars", title, empty)
    shown, hidden = rows[: max(limit, 1)], len(rows) - max(limit, 1)
    row_height, x0, x1, y0 = 24.0, 168.0, WIDTH - 80.0, _TOP + 4.0
    y1 = y0 + row_height * len(shown)
    height = y1 + 28 + (22 if hidden > 0 else 0)
    ticks = axis(max(sum(parts) for _, parts in shown), nice_count_step, 5)
    top = ticks[-1]

    def x_of(v: float) -> float:
        return x0 + v / top * (x1 - x0)

    parts = _open(chart_id, "bars", title, desc, height)
    parts.append(_legend(keys))
    parts.append('<g class="chart-x-axis">')
    for tick in ticks:
        x = x_of(tick)
        stroke = "#c1c7d0" if tick == 0 else "#ebecf0"
        parts.append(
            f'<line class="{"chart-axis" if tick == 0 else "chart-grid"}" x1="{_n(x)}" '
            f'y1="{_n(y0)}" x2="{_n(x)}" y2="{_n(y1)}" stroke="{stroke}"/>'
            f'<text class="chart-tick" x="{_n(x)}" y="{_n(y1 + 16)}" text-anchor="middle" '
            f'fill="#6b778c">{count_label(tick)}</text>'
        )
    parts.append("</g>")
    for r, (label, amounts) in enumerate(shown):
        y = y0 + r * row_height
        total = sum(amounts)
        parts.append(f'<g class="chart-row" data-label="{_text(label)}">')
        parts.append(
            f'<text class="chart-name" x="{_n(x0 - 8)}" y="{_n(y + 16)}" text-anchor="end" '
            f'fill="#172b4d">{_text(label, 24)}<title>{_text(label)}</title></text>'
        )
        start = 0.0
        for key, v in zip(keys, amounts, strict=False):
            if v <= 0:
                continue
            word = noun[0] if v == 1 else noun[1]
            tip = f"{label}, {key.name}: {count_label(v)} {word}"
            parts.append(
                f'<rect class="chart-bar {key.css}" x="{_n(x_of(start))}" y="{_n(y + 4)}" '
                f'width="{_n(x_of(start + v) - x_of(start))}" height="16" '
                f'fill="{key.colour}"><title>{_text(tip)}</title></rect>'
            )
            start += v
        word = noun[0] if total == 1 else noun[1]
        parts.append(
            f'<text class="chart-total" x="{_n(x_of(total) + 6)}" y="{_n(y + 16)}" '
            f'fill="#44546f">{count_label(total)} {_text(word)}</text>'
        )
        parts.append("</g>")
    if hidden > 0:
        parts.append(
            f'<text class="chart-more" x="{_n(x0)}" y="{_n(height - 8)}" fill="#6b778c">'
            f"+ {hidden} {_text(more)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
