"""Keeping runbooks up to date (SPEC §5): when one is stale, what a new one starts from,
and how a runbook file kept in git names its service."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

# SPEC §5: runbooks not reviewed in 90 days are flagged.
STALE_AFTER = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class ReviewState:
    since: datetime  # the last review, or when the runbook was first written if never
    days: int  # whole days since then
    stale: bool


def review_state(
    *, reviewed_at: datetime | None, written_at: datetime, now: datetime
) -> ReviewState:
    """A runbook nobody has reviewed yet gets the same 90 days from when it was written:
    writing it was its first review. Editing it later is not a review (a sync from git
    rewrites text nobody re-read); only "Mark reviewed" is."""
    since = reviewed_at or written_at
    age = now - since
    return ReviewState(since=since, days=max(0, age.days), stale=age > STALE_AFTER)


def skeleton(service: str) -> str:
    """A new runbook's starting text: the structure, with every part left to fill in
    (lint names each one until it is)."""
    return (
        f"# {service} Runbook\n\n"
        "## Service Overview\n"
        "- Purpose:\n"
        "- Dependencies:\n"
        "- Impact:\n\n"
        "## Key Metrics\n\n"
        "## Common Issues\n\n"
        "### The first issue's name\n"
        "**Symptoms**:\n"
        "**Diagnosis**:\n"
        "**Resolution steps**:\n\n"
        "## Emergency Procedures\n"
    )


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_FIELD = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A runbook file as kept in git: optional front matter (`service: name`), then the
    Markdown. `offset` is how many lines the front matter took, to report file lines."""

    fields: dict[str, str]
    markdown: str
    offset: int


def split_front_matter(text: str) -> SourceFile:
    found = _FRONT_MATTER.match(text)
    if found is None:
        return SourceFile({}, text, 0)
    fields: dict[str, str] = {}
    for line in found.group(1).splitlines():
        if not line.strip():
            continue
        field = _FIELD.match(line)
        if field is None:  # not key: value lines, so not front matter but a rule
            return SourceFile({}, text, 0)
        fields[field.group(1).lower()] = field.group(2).strip("\"'")
    return SourceFile(fields, text[found.end() :], found.group(0).count("\n"))
