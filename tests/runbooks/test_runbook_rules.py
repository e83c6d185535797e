"""Runbooks as SPEC §5 and the reference document write them: read into sections and
common issues, and linted with the line a person has to fix (pure, no database)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.runbook import IN, Problem, lint, parse_runbook
from warroom.domain.runbook_upkeep import review_state, skeleton, split_front_matter

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runbooks"

# The reference document's own example runbook, as it writes it (bold labels with the
# colon outside, numbered resolution lists, code with `#` comments in the procedures).
REFERENCE = """# Service Name Runbook

## Service Overview
- Purpose: What does this service do?
- Dependencies: What does it depend on?
- Impact: What happens when it fails?

## Key Metrics
- Dashboard: [link]
- Key metrics to monitor:
  - Request rate
  - Error rate
  - Latency (p50, p95, p99)

## Common Issues

### Issue 1: High Memory Usage
**Symptoms**: Memory alerts, OOM kills
**Diagnosis**: Check memory metrics, heap dumps
**Resolution**:
1. Restart service (immediate relief)
2. Investigate memory leak
3. Scale horizontally if needed

### Issue 2: Database Connection Exhaustion
**Symptoms**: Connection timeout errors
**Diagnosis**: Check connection pool metrics
**Resolution**:
1. Kill idle connections
2. Increase connection limit
3. Investigate connection leak

## Emergency Procedures

### Rollback
```bash
# Get previous version
kubectl rollout history deployment/service-name

# Rollback to previous
kubectl rollout undo deployment/service-name
```

### Emergency Scale
```bash
# Scale up immediately
kubectl scale deployment/service-name --replicas=10
```
"""


def test_it_reads_the_reference_documents_example_runbook() -> None:
    doc = parse_runbook(REFERENCE)
    assert doc.title == "Service Name Runbook"
    assert [i.title for i in doc.common_issues] == [
        "High Memory Usage",
        "Database Connection Exhaustion",
    ]
    memory = doc.common_issues[0]
    assert memory.line == 17
    assert memory.symptoms == ["Memory alerts, OOM kills"]
    assert memory.diagnosis == ["Check memory metrics, heap dumps"]
    assert memory.resolution == [
        "Restart service (immediate relief)",
        "Investigate memory leak",
        "Scale horizontally if needed",
    ]
    assert lint(REFERENCE) == []


def test_it_ignores_headings_inside_fenced_code() -> None:
    doc = parse_runbook(REFERENCE)
    titles = [h.title for h in doc.sections]
    assert "Get previous version" not in titles
    assert "Scale up immediately" not in titles
    assert titles[-2:] == ["Rollback", "Emergency Scale"]


@pytest.mark.parametrize("name", ["payments-api.md", "checkout-web.md", "search-api.md"])
def test_the_example_runbooks_lint_clean(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    assert lint(text) == []
    assert parse_runbook(text).common_issues


def test_it_reads_parts_written_as_sub_headings_with_steps_that_hold_code() -> None:
    doc = parse_runbook((EXAMPLES / "payments-api.md").read_text())
    pool = doc.common_issues[0]
    assert pool.title == "Database connection pool exhausted"
    assert len(pool.symptoms) == 3
    # A step keeps its code block, so the checklist can show the query to run.
    assert pool.diagnosis[1].startswith("Look for long-running transactions:")
    assert "SELECT pid" in pool.diagnosis[1]
    assert pool.resolution[1] == (
        "Restart the pods whose pool stays full: `kubectl rollout restart deployment/payments-api`"
    )


def test_it_reads_bold_labels_with_the_colon_inside_and_bulleted_lists() -> None:
    doc = parse_runbook((EXAMPLES / "search-api.md").read_text())
    latency = doc.common_issues[0]
    assert latency.title == "Search latency high"
    assert latency.symptoms[0] == "Search latency p99 above 800ms"
    assert len(latency.diagnosis) == 3
    assert latency.resolution[0].startswith("Cancel a running reindex")


def test_it_accepts_section_names_in_any_case_and_at_any_heading_level() -> None:
    text = REFERENCE.replace("## Service Overview", "# SERVICE OVERVIEW").replace(
        "## Key Metrics", "### key metrics"
    )
    assert lint(text) == []


def test_it_names_each_missing_section_where_it_belongs() -> None:
    text = REFERENCE.replace("## Key Metrics\n", "## Metrics we like\n")
    assert lint(text) == [Problem(15, "missing section “Key Metrics”")]


def test_a_missing_last_section_belongs_at_the_end_of_the_file() -> None:
    text = REFERENCE.split("## Emergency Procedures")[0]
    assert lint(text) == [Problem(32, "missing section “Emergency Procedures”")]


def test_an_empty_file_misses_every_section_on_line_one() -> None:
    assert [p.line for p in lint("")] == [1, 1, 1, 1]


def test_it_names_empty_sections_and_parts_with_their_line() -> None:
    text = (
        "# checkout Runbook\n"  # 1
        "## Service Overview\n"  # 2
        "- Purpose: Takes payments\n"  # 3
        "- Dependencies:\n"  # 4
        "- Impact: Customers cannot pay\n"  # 5
        "## Key Metrics\n"  # 6
        "## Common Issues\n"  # 7
        "### Database connection pool exhausted\n"  # 8
        "**Symptoms**: timeouts\n"  # 9
        "**Diagnosis**: check the pool\n"  # 10
        "### Disk full\n"  # 11
        "## Emergency Procedures\n"  # 12
        "Roll back.\n"  # 13
    )
    assert lint(text) == [
        Problem(4, f"Service Overview{IN}Dependencies: empty"),
        Problem(6, "Key Metrics: section is empty"),
        Problem(8, f"Common Issues{IN}Database connection pool exhausted: no Resolution steps"),
        Problem(11, f"Common Issues{IN}Disk full: empty"),
    ]


def test_a_common_issues_section_without_issues_says_how_to_write_one() -> None:
    text = (
        REFERENCE.split("### Issue 1")[0] + "Nothing yet.\n\n## Emergency Procedures\nCall Bob.\n"
    )
    [problem] = lint(text)
    assert problem.line == 15
    assert problem.message.startswith("Common Issues: no issues")


def test_two_issues_with_one_title_are_a_problem_because_steps_are_ticked_by_title() -> None:
    text = REFERENCE.replace("Issue 2: Database Connection Exhaustion", "High memory usage")
    assert lint(text) == [
        Problem(25, f"Common Issues{IN}High memory usage: same title as the issue on line 17")
    ]


def test_the_skeleton_lints_with_every_part_left_to_fill() -> None:
    messages = [p.message for p in lint(skeleton("checkout"))]
    assert f"Service Overview{IN}Purpose: empty" in messages
    assert "Emergency Procedures: section is empty" in messages
    assert not any(m.startswith("missing section") for m in messages)


def test_front_matter_names_the_service_and_is_not_part_of_the_runbook() -> None:
    source = split_front_matter("---\nservice: payments-api\n---\n# Payments\n")
    assert source.fields == {"service": "payments-api"}
    assert source.markdown == "# Payments\n"
    assert source.offset == 3
    # A horizontal rule is not front matter.
    assert split_front_matter("---\nhello there\n---\n").fields == {}


def test_a_runbook_is_stale_after_ninety_days_without_review() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    fresh = review_state(reviewed_at=None, written_at=t0, now=t0 + timedelta(days=90))
    assert (fresh.days, fresh.stale) == (90, False)
    old = review_state(reviewed_at=None, written_at=t0, now=t0 + timedelta(days=91))
    assert (old.days, old.stale) == (91, True)
    reviewed = review_state(
        reviewed_at=t0 + timedelta(days=80), written_at=t0, now=t0 + timedelta(days=91)
    )
    assert (reviewed.days, reviewed.stale, reviewed.since) == (11, False, t0 + timedelta(days=80))


# --- properties ------------------------------------------------------------------------

MARKDOWNISH = st.text(
    alphabet=st.sampled_from(list("#*_-:`~ \t\n\r1.)>|[]abcSymptomsDiagnosisResolution")),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=300), MARKDOWNISH))
def test_lint_and_parse_never_crash_and_point_inside_the_file(text: str) -> None:
    problems = lint(text)
    doc = parse_runbook(text)
    last = max(1, len(text.split("\n")))
    assert all(1 <= p.line <= last for p in problems)
    assert all(1 <= i.line <= last for i in doc.common_issues)


ISSUE_TITLES = [
    "Database connection pool exhausted",
    "High memory usage",
    "Disk full",
    "TLS expiry",
]
PART_NAMES = {"Symptoms": "Symptoms", "Diagnosis": "Diagnosis", "Resolution steps": "Resolution"}


@st.composite
def complete_runbooks(draw: st.DrawFn) -> list[tuple[str, str]]:
    """A complete runbook in one of the accepted styles, as (what it is, text) chunks,
    with what lint says when that chunk is removed."""
    level = draw(st.sampled_from([2, 3]))
    h = "#" * level
    case = draw(st.sampled_from([str, str.lower, str.upper]))
    chunks: list[tuple[str, str]] = []
    if draw(st.booleans()):
        chunks.append(("", f"{'#' * (level - 1)} checkout Runbook\n\n"))

    def part(name: str, body: str, style: str, depth: int) -> str:
        return {
            "list": f"- {name}: {body}\n",
            "bold": f"**{name}**: {body}\n",
            "bold-inside": f"**{name}:** {body}\n",
            "plain": f"{name}: {body}\n",
            "heading": f"{'#' * depth} {name}\n{body}\n\n",
        }[style]

    chunks.append(("missing section “Service Overview”", f"{h} {case('Service Overview')}\n"))
    for name in ("Purpose", "Dependencies", "Impact"):
        style = draw(st.sampled_from(["list", "bold", "bold-inside", "heading"]))
        chunks.append(
            (f"Service Overview: no {name}", part(name, f"{name} text", style, level + 1))
        )
    chunks.append(
        ("missing section “Key Metrics”", f"\n{h} {case('Key Metrics')}\n- p99 latency\n\n")
    )
    titles = draw(st.lists(st.sampled_from(ISSUE_TITLES), min_size=1, max_size=3, unique=True))
    chunks.append(("missing section “Common Issues”", f"{h} {case('Common Issues')}\n\n"))
    for number, title in enumerate(titles, 1):
        prefix = draw(st.sampled_from(["", f"Issue {number}: "]))
        chunks.append(("", f"{h}# {prefix}{title}\n"))
        style = draw(st.sampled_from(["bold", "bold-inside", "plain", "heading"]))
        for name, spelled in PART_NAMES.items():
            label = draw(st.sampled_from([name, spelled]))
            items = draw(st.sampled_from(["inline", "numbered", "bullets"]))
            body = {
                "inline": f"{name} for {title}",
                "numbered": f"\n1. first {name}\n2. second {name}",
                "bullets": f"\n- first {name}\n- second {name}",
            }[items]
            chunks.append(
                (f"Common Issues{IN}{title}: no {name}", part(label, body, style, level + 2))
            )
        chunks.append(("", "\n"))
    chunks.append(
        (
            "missing section “Emergency Procedures”",
            f"{h} {case('Emergency Procedures')}\n\n{h}# Rollback\n```bash\n"
            "# Get previous version\nkubectl rollout undo deployment/checkout\n```\n",
        )
    )
    return chunks


def _without(chunks: list[tuple[str, str]], index: int) -> str:
    """The runbook without chunk `index`; a removed section takes its contents along."""
    removed = chunks[index][0]
    if removed.startswith("missing section"):
        end = next(
            (
                j
                for j in range(index + 1, len(chunks))
                if chunks[j][0].startswith("missing section")
            ),
            len(chunks),
        )
        kept = chunks[:index] + chunks[end:]
    else:
        kept = chunks[:index] + chunks[index + 1 :]
    return "".join(text for _, text in kept)


@settings(max_examples=200, deadline=None)
@given(chunks=complete_runbooks(), data=st.data())
def test_a_complete_runbook_lints_clean_and_each_removal_is_named_exactly(
    chunks: list[tuple[str, str]], data: st.DataObject
) -> None:
    whole = "".join(text for _, text in chunks)
    assert lint(whole) == [], whole
    removable = [i for i, (what, _) in enumerate(chunks) if what]
    index = data.draw(st.sampled_from(removable))
    text = _without(chunks, index)
    assert [p.message for p in lint(text)] == [chunks[index][0]], text


def test_the_documentations_complete_example_lints_clean() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "runbooks.md").read_text()
    example = docs.split("~~~~markdown\n", 1)[1].split("\n~~~~", 1)[0]
    assert lint(example) == []
    doc = parse_runbook(example)
    assert [i.title for i in doc.common_issues] == [
        "Database connection pool exhausted",
        "High memory usage",
    ]
    assert "SELECT pid" in doc.common_issues[0].diagnosis[1]


def test_it_reads_closing_hashes_and_long_lines_of_spaces() -> None:
    """`## Key Metrics ##` is the Key Metrics section; a heading padded with a huge run
    of spaces is read at once (the heading pattern is linear, not backtracking)."""
    doc = parse_runbook("# T\n## Common Issues ##\n### Disk full " + " " * 200_000 + "#\n")
    assert [i.title for i in doc.common_issues] == ["Disk full"]
