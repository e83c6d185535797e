"""Runbooks (SPEC §5): one Markdown document per service, read into its parts and linted.

The reference practice's runbook has four sections: `Service Overview` (Purpose,
Dependencies, Impact), `Key Metrics`, `Common Issues` (each issue a sub-heading with
Symptoms, Diagnosis and Resolution steps) and `Emergency Procedures`. People write these
by hand, so the reader is forgiving: ATX headings at any level, names in any case, and a
part may be a sub-heading (`#### Symptoms`), a bold label (`**Symptoms**: …`,
`**Symptoms:** …`), a plain label (`Symptoms: …`) or a labelled list item
(`- Purpose: …`), as the reference document itself writes them. Headings inside fenced
code blocks are code, not structure. Line numbers are 1-based, as editors show them.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

SECTION_OVERVIEW = "Service Overview"
SECTION_METRICS = "Key Metrics"
SECTION_ISSUES = "Common Issues"
SECTION_EMERGENCY = "Emergency Procedures"
# Joins a section and its part in messages ("Common Issues > Pool exhausted: no Diagnosis",
# with a single right-pointing angle quote).
IN = " \u203a "
REQUIRED_SECTIONS = (SECTION_OVERVIEW, SECTION_METRICS, SECTION_ISSUES, SECTION_EMERGENCY)

# The parts a section must have, each with the spellings accepted for it (normalised:
# lower case, single spaces). The first spelling of each is the one messages use.
OVERVIEW_PARTS: dict[str, tuple[str, ...]] = {
    "Purpose": ("purpose",),
    "Dependencies": ("dependencies", "dependency"),
    "Impact": ("impact",),
}
ISSUE_PARTS: dict[str, tuple[str, ...]] = {
    "Symptoms": ("symptoms", "symptom"),
    "Diagnosis": ("diagnosis", "diagnosis steps", "diagnostics"),
    "Resolution steps": ("resolution", "resolution steps", "resolution step"),
}


@dataclass(frozen=True, slots=True)
class Heading:
    title: str
    level: int
    line: int


@dataclass(frozen=True, slots=True)
class CommonIssue:
    """One issue of `Common Issues`. Steps are the Markdown of each list item (or of each
    paragraph, when a part is written as prose: `**Symptoms**: OOM kills`)."""

    title: str
    line: int
    symptoms: list[str]
    diagnosis: list[str]
    resolution: list[str]

    def steps(self, section: str) -> list[str]:
        """The steps of `diagnosis` or `resolution` (what responders tick)."""
        if section == "diagnosis":
            return self.diagnosis
        if section == "resolution":
            return self.resolution
        raise ValueError(f"no section {section!r}: expected diagnosis or resolution")


@dataclass(frozen=True, slots=True)
class RunbookDoc:
    title: str | None
    # Every heading outside code, in order: the document's outline.
    sections: list[Heading]
    common_issues: list[CommonIssue]


class Problem(NamedTuple):
    line: int
    message: str


# --- reading lines -------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
# Greedy to the end of the line, trimmed in Python: a lazy group before `[ \t]*$`
# backtracks over every run of spaces, quadratic in the line's length.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_LIST_ITEM = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_EMPHASISED_LABEL = re.compile(
    r"^(?P<em>\*\*|__|\*|_)(?P<label>[^*_:]{1,60}?)[ \t]*:?[ \t]*(?P=em)[ \t]*:?[ \t]*(?P<rest>.*)$"
)
_PLAIN_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z \t]{0,60}?)[ \t]*:[ \t]*(?P<rest>.*)$")
_ISSUE_NUMBER = re.compile(r"^issue\s*#?\d+\s*[:.)\-\u2013\u2014]\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str
    code: bool  # inside a fenced code block, or one of its fences


def source_lines(text: str) -> list[Line]:
    """Split into lines, marking fenced code (CommonMark's rule: a fence closes on the
    same character, at least as long, with nothing after it). Fences are recognised at
    any indentation so that code inside list items stays code."""
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()  # a final newline ends the last line; it does not start another
    out: list[Line] = []
    fence: str | None = None
    for number, line in enumerate(raw, start=1):
        line = line.rstrip("\r")
        match = _FENCE.match(line)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence = match.group(1)
                out.append(Line(number, line, code=True))
                continue
            out.append(Line(number, line, code=False))
        else:
            closes = (
                match is not None
                and match.group(1)[0] == fence[0]
                and len(match.group(1)) >= len(fence)
                and not match.group(2).strip()
            )
            if closes:
                fence = None
            out.append(Line(number, line, code=True))
    return out


def _heading(line: Line) -> tuple[int, str] | None:
    if line.code:
        return None
    match = _ATX.match(line.text)
    if match is None:
        return None
    return len(match.group(1)), _without_closing_hashes(match.group(2) or "")


def _without_closing_hashes(text: str) -> str:
    """`## Title ##` is titled "Title" (CommonMark's optional closing sequence)."""
    text = text.strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        return bare.rstrip()
    return text


def normalise(name: str) -> str:
    name = name.strip().strip("*_`").strip().rstrip(":").strip().strip("*_`")
    return " ".join(name.lower().split())


@dataclass(frozen=True, slots=True)
class Block:
    """A heading and everything up to the next heading of the same or a higher level."""

    heading: Heading
    lines: list[Line]  # the lines after the heading, children's included


def blocks_of(lines: list[Line]) -> list[Block]:
    found = [(i, _heading(line)) for i, line in enumerate(lines)]
    headed = [(i, h) for i, h in found if h is not None]
    blocks: list[Block] = []
    for position, (index, (level, title)) in enumerate(headed):
        end = len(lines)
        for later_index, (later_level, _) in headed[position + 1 :]:
            if later_level <= level:
                end = later_index
                break
        heading = Heading(title=title, level=level, line=lines[index].number)
        blocks.append(Block(heading, lines[index + 1 : end]))
    return blocks


def sub_sections(block: Block) -> list[Block]:
    """The direct sub-sections: the shallowest headings inside the block."""
    inner = blocks_of(block.lines)
    if not inner:
        return []
    top = min(b.heading.level for b in inner)
    return [b for b in inner if b.heading.level == top]


def is_blank(lines: Iterable[Line]) -> bool:
    return not any(line.text.strip() for line in lines)


# --- labelled parts ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    name: str  # the canonical name (a key of OVERVIEW_PARTS / ISSUE_PARTS)
    line: int
    content: list[str]  # the text after the label, then the lines up to the next part


def _label(text: str, spellings: dict[str, str]) -> tuple[str, str] | None:
    """(canonical name, rest of the line) when the line opens a labelled part."""
    stripped = text.strip()
    bullet = _LIST_ITEM.match(stripped)
    if bullet and stripped[:1] in "-*+" and not stripped.startswith(("**", "__")):
        stripped = (bullet.group(2) or "").strip()
    for pattern in (_EMPHASISED_LABEL, _PLAIN_LABEL):
        match = pattern.match(stripped)
        if match:
            name = spellings.get(normalise(match.group("label")))
            if name is not None:
                return name, match.group("rest").strip()
    return None


def labelled_parts(block: Block, wanted: dict[str, tuple[str, ...]]) -> list[Part]:
    """The block's labelled parts, as sub-headings or label lines, in order; each part
    runs until the next part or the next heading that is not a part."""
    spellings = {s: name for name, names in wanted.items() for s in names}
    parts: list[Part] = []
    current: Part | None = None
    for line in block.lines:
        heading = _heading(line)
        if heading is not None:
            name = spellings.get(normalise(heading[1]))
            current = Part(name, line.number, []) if name else None
            if current:
                parts.append(current)
            continue
        label = None if line.code else _label(line.text, spellings)
        if label is not None:
            current = Part(label[0], line.number, [label[1]] if label[1] else [])
            parts.append(current)
        elif current is not None:
            current.content.append(line.text)
    return parts


def _items(content: Sequence[str]) -> list[str]:
    """Each list item (with its continuation lines and nested lists) and each paragraph
    outside a list, as Markdown text with the list marker removed."""
    items: list[list[str]] = []
    item_indent: int | None = None  # the column of the current item's marker
    text_indent = 0  # where the current item's text starts, removed from continuations
    in_paragraph = False
    after_blank = False
    fence: str | None = None
    for raw in content:
        indent = len(raw) - len(raw.lstrip(" "))
        fence_match = _FENCE.match(raw)
        if fence is not None or fence_match:
            if fence is None:
                fence = fence_match.group(1) if fence_match else None
            elif fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            if not items:
                items.append([])
            items[-1].append(raw[min(indent, text_indent) :])
            continue
        if not raw.strip():
            after_blank = True
            in_paragraph = False
            continue
        marker = _LIST_ITEM.match(raw)
        if marker and (item_indent is None or indent <= item_indent):
            item_indent = indent
            body = marker.group(2) or ""
            text_indent = len(raw) - len(body) if body else indent + 2
            items.append([body])
            in_paragraph = after_blank = False
        elif items and (
            (item_indent is not None and indent > item_indent) or in_paragraph or not after_blank
        ):
            items[-1].append(raw[min(indent, text_indent) :].rstrip())
        else:
            items.append([raw.strip()])
            item_indent, text_indent, in_paragraph, after_blank = None, 0, True, False
    joined = ("\n".join(lines).strip() for lines in items)
    return [text for text in joined if text]


# --- the document --------------------------------------------------------------------


def find_section(blocks: list[Block], name: str) -> Block | None:
    wanted = normalise(name)
    return next((b for b in blocks if normalise(b.heading.title) == wanted), None)


REQUIRED_NAMES = frozenset(normalise(name) for name in REQUIRED_SECTIONS)


def issue_title(heading: str) -> str:
    """`Issue 1: High Memory Usage` → `High Memory Usage` (the reference numbers its
    issues; the number is not part of the name)."""
    title = _ISSUE_NUMBER.sub("", heading).strip()
    return title or heading.strip()


def _issue(block: Block) -> CommonIssue:
    parts = labelled_parts(block, ISSUE_PARTS)

    def items(name: str) -> list[str]:
        return [item for part in parts if part.name == name for item in _items(part.content)]

    return CommonIssue(
        title=issue_title(block.heading.title),
        line=block.heading.line,
        symptoms=items("Symptoms"),
        diagnosis=items("Diagnosis"),
        resolution=items("Resolution steps"),
    )


def parse_runbook(text: str) -> RunbookDoc:
    lines = source_lines(text)
    blocks = blocks_of(lines)
    issues_block = find_section(blocks, SECTION_ISSUES)
    issues = [_issue(b) for b in sub_sections(issues_block)] if issues_block else []
    first = blocks[0].heading if blocks else None
    title = first.title if first and normalise(first.title) not in REQUIRED_NAMES else None
    return RunbookDoc(
        title=title,
        sections=[b.heading for b in blocks],
        common_issues=issues,
    )


# --- lint ------------------------------------------------------------------------------


def _missing_line(found: dict[str, Block | None], name: str, last_line: int) -> int:
    """Where a missing section belongs: at the next required section that is present,
    else at the end of the document."""
    after = REQUIRED_SECTIONS[REQUIRED_SECTIONS.index(name) + 1 :]
    for later in after:
        block = found[later]
        if block is not None:
            return block.heading.line
    return last_line


def _lint_parts(
    block: Block, wanted: dict[str, tuple[str, ...]], path: str, problems: list[Problem]
) -> set[int]:
    """Problems for missing or empty parts; returns the lines of part headings checked."""
    parts = labelled_parts(block, wanted)
    for name in wanted:
        mine = [p for p in parts if p.name == name]
        if not mine:
            problems.append(Problem(block.heading.line, f"{path}: no {name}"))
        for part in mine:
            if not any(text.strip() for text in part.content):
                problems.append(Problem(part.line, f"{path}{IN}{name}: empty"))
    return {p.line for p in parts}


def lint(text: str) -> list[Problem]:
    """Every way the runbook falls short of SPEC §5, each with the line to fix."""
    lines = source_lines(text)
    blocks = blocks_of(lines)
    last_line = max(1, lines[-1].number if lines else 1)
    problems: list[Problem] = []
    checked: set[int] = set()  # heading lines already reported on by a specific rule

    found = {name: find_section(blocks, name) for name in REQUIRED_SECTIONS}
    for name, block in found.items():
        if block is None:
            where = _missing_line(found, name, last_line)
            problems.append(Problem(where, f"missing section “{name}”"))
        elif is_blank(block.lines):
            problems.append(Problem(block.heading.line, f"{name}: section is empty"))
            checked.add(block.heading.line)

    overview = found[SECTION_OVERVIEW]
    if overview is not None and not is_blank(overview.lines):
        checked |= _lint_parts(overview, OVERVIEW_PARTS, SECTION_OVERVIEW, problems)

    issues_block = found[SECTION_ISSUES]
    if issues_block is not None and not is_blank(issues_block.lines):
        children = sub_sections(issues_block)
        if not children:
            problems.append(
                Problem(
                    issues_block.heading.line,
                    f"{SECTION_ISSUES}: no issues (give each issue a sub-heading with "
                    "Symptoms, Diagnosis and Resolution steps)",
                )
            )
        seen: dict[str, int] = {}
        for child in children:
            title = issue_title(child.heading.title)
            path = f"{SECTION_ISSUES}{IN}{title}"
            key = normalise(title)
            if key in seen:
                problems.append(
                    Problem(
                        child.heading.line, f"{path}: same title as the issue on line {seen[key]}"
                    )
                )
            seen.setdefault(key, child.heading.line)
            if is_blank(child.lines):
                problems.append(Problem(child.heading.line, f"{path}: empty"))
                checked.add(child.heading.line)
                continue
            checked |= _lint_parts(child, ISSUE_PARTS, path, problems)

    # The document's title may stand alone, with the sections beside it at its level.
    if blocks and normalise(blocks[0].heading.title) not in REQUIRED_NAMES:
        checked.add(blocks[0].heading.line)
    for block in blocks:
        line = block.heading.line
        if line not in checked and is_blank(block.lines):
            title = block.heading.title or "(untitled heading)"
            problems.append(Problem(line, f"{title}: section is empty"))
    # By line; on one line, in the order the checks run (the sections' own order).
    return sorted(problems, key=lambda p: p.line)
