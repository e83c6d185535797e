"""The reports page's charts: what a reader sees in the SVG (bars in proportion, labels
with units, gaps where there is no value, escaped names, a message when there is no
data) and that any input at all gives well-formed SVG with finite coordinates."""

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.reports import svg
from warroom.reports.scales import count_label

NS = "{http://www.w3.org/2000/svg}"
GEOMETRY = ("x", "y", "width", "height", "x1", "x2", "y1", "y2", "cx", "cy", "r")
WEEKS = ["5 Jan", "12 Jan", "19 Jan", "26 Jan"]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 -- our own output, parsed to check it


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def shapes(root: ET.Element, *css: str) -> list[ET.Element]:
    return [el for el in root.iter() if set(css) <= classes(el)]


def words(root: ET.Element) -> list[str]:
    """The text a reader sees drawn (tooltips left out)."""
    return [(el.text or "").strip() for el in root.iter(f"{NS}text") if (el.text or "").strip()]


def tooltips(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{NS}title")]


def number(el: ET.Element, name: str) -> float:
    return float(el.get(name, "nan"))


def assert_finite(root: ET.Element) -> None:
    for el in root.iter():
        for name in GEOMETRY:
            if name in el.attrib:
                value = float(el.attrib[name])
                assert math.isfinite(value), f"{el.tag} {name}={el.attrib[name]}"
                if name in ("width", "height", "r"):
                    assert value >= 0
        if "d" in el.attrib:
            assert not re.search(r"nan|inf", el.attrib["d"], re.IGNORECASE)
            for token in re.findall(r"-?\d+(?:\.\d+)?", el.attrib["d"]):
                assert math.isfinite(float(token))
        for name in ("viewBox",):
            if name in el.attrib:
                assert all(math.isfinite(float(v)) for v in el.attrib[name].split())


def severity_columns(values: list[list[float]], labels: list[str] | None = None) -> str:
    return svg.column_chart(
        chart_id="by-severity",
        title="Incidents by severity, per week",
        desc="How many incidents started each week, by severity.",
        x_labels=labels or WEEKS[: len(values)],
        keys=svg.SEVERITY_KEYS,
        values=values,
    )


def trend(mtta: list[float | None], mttr: list[float | None]) -> str:
    return svg.line_chart(
        chart_id="trend",
        title="MTTA and MTTR per week",
        desc="Mean minutes to acknowledge and to resolve, per week.",
        x_labels=WEEKS[: len(mtta)],
        series=[(svg.MTTA_KEY, mtta), (svg.MTTR_KEY, mttr)],
    )


def load(people: list[str], values: list[list[float]], limit: int = 25) -> str:
    return svg.bar_chart(
        chart_id="load",
        title="On-call load",
        desc="Pages per person.",
        labels=people,
        keys=svg.LOAD_KEYS,
        values=values,
        limit=limit,
        more="more people in the table below",
    )


# --- what a reader sees -------------------------------------------------------------------


def test_it_names_the_chart_for_screen_readers() -> None:
    root = parse(trend([12, 8], [60, 90]))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "MTTA and MTTR per week"
    assert root.find(f"{NS}title") is not None
    assert root.find(f"{NS}title").text == "MTTA and MTTR per week"  # type: ignore[union-attr]
    desc = root.find(f"{NS}desc")
    assert desc is not None
    assert root.get("aria-describedby") == desc.get("id")
    assert root.get("viewBox", "").startswith("0 0 ")


def test_it_stacks_severity_columns_in_proportion_to_the_counts() -> None:
    root = parse(severity_columns([[2, 1, 0, 0], [1, 0, 0, 3], [4, 0, 0, 0]]))
    sev1 = [number(r, "height") for r in shapes(root, "chart-bar", "k-sev-1")]
    assert len(sev1) == 3
    assert sev1[0] == pytest.approx(2 * sev1[1], rel=0.02)
    assert sev1[2] == pytest.approx(4 * sev1[1], rel=0.02)
    (sev4,) = (number(r, "height") for r in shapes(root, "chart-bar", "k-sev-4"))
    assert sev4 == pytest.approx(3 * sev1[1], rel=0.02)
    # No bar for a zero: nothing to hover that says "0 SEV-3".
    assert shapes(root, "chart-bar", "k-sev-3") == []
    seen = words(root)
    for name in ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "5 Jan", "19 Jan"):
        assert name in seen
    # Each column's total is written above it.
    totals = [t.text for t in shapes(root, "chart-total")]
    assert totals == ["3", "4", "4"]
    assert "19 Jan: 4 SEV-1" in tooltips(root)


def test_it_stacks_a_column_from_the_axis_up_without_overlap() -> None:
    root = parse(severity_columns([[1, 2, 3, 4]]))
    bars = sorted(shapes(root, "chart-bar"), key=lambda r: -number(r, "y"))  # bottom first
    assert [sorted(classes(b) - {"chart-bar"}) for b in bars] == [
        ["k-sev-1"],
        ["k-sev-2"],
        ["k-sev-3"],
        ["k-sev-4"],
    ]
    for lower, upper in itertools.pairwise(bars):
        assert number(upper, "y") + number(upper, "height") == pytest.approx(
            number(lower, "y"), abs=0.15
        )


def test_it_counts_the_axis_in_whole_incidents() -> None:
    root = parse(severity_columns([[1, 0, 0, 0], [0, 2, 0, 0]]))
    ticks = [t.text for t in shapes(root.find(f"{NS}g[@class='chart-y-axis']"), "chart-tick")]  # type: ignore[arg-type]
    assert ticks == ["0", "1", "2"]


def test_it_leaves_a_gap_in_the_line_for_a_week_without_a_value() -> None:
    root = parse(trend([12, None, 8, 30], [120, 90, 100, 300]))
    (mtta_line,) = shapes(root, "chart-line", "k-mtta")
    d = mtta_line.get("d", "")
    # Two separate runs: the pen lifts over the missing week instead of dropping to 0.
    assert d.count("M") == 2
    assert d.count("L") == 1
    mtta_dots = shapes(root, "chart-dot", "k-mtta")
    assert len(mtta_dots) == 3
    assert not any("12 Jan: MTTA" in t for t in tooltips(root))
    (mttr_line,) = shapes(root, "chart-line", "k-mttr")
    assert mttr_line.get("d", "").count("M") == 1
    assert mttr_line.get("stroke-dasharray")  # told apart without colour, too


def test_it_draws_a_lone_week_as_a_marker() -> None:
    root = parse(trend([12], [None]))
    (dot,) = shapes(root, "chart-dot", "k-mtta")
    assert "5 Jan: MTTA 12 min" in tooltips(root)
    assert shapes(root, "chart-dot", "k-mttr") == []
    # Alone, the week sits in the middle of the plot.
    axis = shapes(root, "chart-axis")[0]
    assert number(dot, "cx") == pytest.approx((number(axis, "x1") + number(axis, "x2")) / 2)


def test_it_places_line_values_in_proportion() -> None:
    root = parse(trend([10, 20, 40], [None, None, None]))
    baseline = number(shapes(root, "chart-axis")[0], "y1")
    heights = [baseline - number(d, "cy") for d in shapes(root, "chart-dot", "k-mtta")]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.02)
    assert heights[2] == pytest.approx(4 * heights[0], rel=0.02)


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (40, {"0", "15 min", "30 min", "45 min"}),
        (300, {"0", "2 h", "4 h", "6 h"}),
        (3 * 1440, {"0", "1 d", "2 d", "3 d"}),
        (0.6, {"0", "15 s", "30 s"}),
    ],
)
def test_it_labels_the_time_axis_in_readable_units(top: float, expected: set[str]) -> None:
    root = parse(trend([top / 2, top], [None, None]))
    axis = root.find(f".//{NS}g[@class='chart-y-axis']")
    assert axis is not None
    ticks = {t.text for t in shapes(axis, "chart-tick")}
    assert expected <= ticks, ticks


def test_it_splits_each_persons_pages_into_sleep_evening_and_working_hours() -> None:
    root = parse(load(["Alice", "Bob"], [[2, 3, 5], [0, 1, 1]]))
    alice = next(g for g in shapes(root, "chart-row") if g.get("data-label") == "Alice")
    widths = {
        next(c for c in classes(r) if c.startswith("k-")): number(r, "width")
        for r in shapes(alice, "chart-bar")
    }
    assert widths["k-evening"] == pytest.approx(1.5 * widths["k-sleep"], rel=0.02)
    assert widths["k-day"] == pytest.approx(2.5 * widths["k-sleep"], rel=0.02)
    assert "Alice" in words(root)
    assert "10 pages" in words(root)
    assert "2 pages" in words(root)
    assert "Alice, Asleep (22:00-08:00): 2 pages" in tooltips(root)
    legend = words(root)
    assert "Asleep (22:00-08:00)" in legend
    assert "Evenings and weekends" in legend
    assert "Working hours" in legend


def test_it_draws_the_first_rows_of_many_people_and_counts_the_rest() -> None:
    people = [f"person {n}" for n in range(40)]
    root = parse(load(people, [[0, 0, 40 - n] for n in range(40)], limit=25))
    assert len(shapes(root, "chart-row")) == 25
    assert "+ 15 more people in the table below" in words(root)


def test_it_shortens_a_long_name_and_keeps_it_whole_in_the_tooltip() -> None:
    name = "Maximiliane Konstantinopolous-Wetherby"
    root = parse(load([name], [[1, 0, 0]]))
    drawn = next(t for t in shapes(root, "chart-name"))
    assert drawn.text is not None
    assert drawn.text.endswith("…")
    assert len(drawn.text) <= 24
    assert name in tooltips(root)


def test_it_escapes_names_people_typed() -> None:
    name = '<script>alert("x")</script> & co'
    markup = load([name], [[1, 1, 1]])
    assert "<script>" not in markup
    root = parse(markup)
    assert not list(root.iter("script"))
    assert not list(root.iter(f"{NS}script"))
    assert name in tooltips(root)
    row = shapes(root, "chart-row")[0]
    assert row.get("data-label") == name


def test_it_drops_characters_xml_cannot_hold() -> None:
    root = parse(load(["bell\x07 and nul\x00"], [[1, 0, 0]]))
    assert "bell and nul" in tooltips(root)


@pytest.mark.parametrize(
    "markup",
    [
        trend([], []),
        trend([None, None], [None, None]),
        severity_columns([]),
        severity_columns([[0, 0, 0, 0], [0, 0, 0, 0]]),
    ],
    ids=["no weeks", "no values", "no columns", "all zero"],
)
def test_it_says_there_were_no_incidents_instead_of_drawing_an_empty_frame(markup: str) -> None:
    root = parse(markup)
    assert words(root) == ["No incidents in this period"]
    assert shapes(root, "chart-bar") == []
    assert shapes(root, "chart-line") == []
    assert shapes(root, "chart-grid") == []
    assert root.get("aria-label")


def test_it_says_there_were_no_pages_when_nobody_was_paged() -> None:
    root = parse(load(["Alice"], [[0, 0, 0]]))
    assert words(root) == ["No pages in this period"]


def test_it_copes_with_huge_values() -> None:
    root = parse(severity_columns([[1e30, 1e30, 5, 0], [3, 0, 0, 0]]))
    assert_finite(root)
    ticks = [t.text or "" for t in shapes(root, "chart-tick")]
    assert all(len(t) <= 8 for t in ticks), ticks
    assert "1e" not in "".join(ticks)
    root = parse(trend([1e20, 5], [float("inf"), 3]))
    assert_finite(root)
    root = parse(load(["Alice"], [[1e18, 2e18, 0]]))
    assert_finite(root)


def test_it_thins_the_week_labels_when_there_are_many_weeks() -> None:
    labels = [f"w{n}" for n in range(104)]
    root = parse(severity_columns([[1, 0, 0, 0]] * 104, labels))
    axis = root.find(f"{NS}g[@class='chart-x-axis']")
    assert axis is not None
    shown = [t.text for t in shapes(axis, "chart-tick")]
    assert 4 <= len(shown) <= 14
    assert shown[0] == "w0"
    assert len(shapes(root, "chart-bar")) == 104


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (7, "7"), (1250, "1,250"), (12_000, "12k"), (3_500_000, "3.5M")],
)
def test_it_writes_counts_short(value: float, text: str) -> None:
    assert count_label(value) == text


# --- anything in, well-formed SVG out --------------------------------------------------------

amounts = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**15).map(float),
)
names = st.text(max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(names, max_size=30),
    mtta=st.lists(amounts, max_size=30),
    mttr=st.lists(amounts, max_size=30),
    title=names,
)
def test_any_trend_is_well_formed_with_finite_coordinates(
    labels: list[str], mtta: list[float | None], mttr: list[float | None], title: str
) -> None:
    root = parse(
        svg.line_chart(
            chart_id=title,
            title=title,
            desc=title,
            x_labels=labels,
            series=[(svg.MTTA_KEY, mtta), (svg.MTTR_KEY, mttr)],
        )
    )
    assert_finite(root)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(names, max_size=30),
    values=st.lists(st.lists(amounts.map(lambda v: v or 0.0), max_size=6), max_size=30),
)
def test_any_column_chart_is_well_formed_with_finite_coordinates(
    labels: list[str], values: list[list[float]]
) -> None:
    root = parse(
        svg.column_chart(
            chart_id="c",
            title="t",
            desc="d",
            x_labels=labels,
            keys=svg.SEVERITY_KEYS,
            values=values,
        )
    )
    assert_finite(root)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(names, max_size=40),
    values=st.lists(st.lists(amounts.map(lambda v: v or 0.0), max_size=4), max_size=40),
    limit=st.integers(min_value=-1, max_value=30),
)
def test_any_bar_chart_is_well_formed_with_finite_coordinates(
    labels: list[str], values: list[list[float]], limit: int
) -> None:
    root = parse(
        svg.bar_chart(
            chart_id="b",
            title="t",
            desc="d",
            labels=labels,
            keys=svg.LOAD_KEYS,
            values=values,
            limit=limit,
        )
    )
    assert_finite(root)
