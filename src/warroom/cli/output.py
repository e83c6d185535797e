"""Printing: Rich for people, plain JSON for scripts, red messages on stderr."""

import json
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from warroom.incidents.presentation import format_clock, format_duration, parse_moment

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# Seconds matter on a terminal: scripts and people line timeline rows up by them.
CLOCK = "%Y-%m-%d %H:%M:%S"

SEVERITY_STYLE = {"SEV-1": "bold white on red", "SEV-2": "bold red", "SEV-3": "yellow"}
STATUS_STYLE = {
    "triggered": "bold red",
    "acknowledged": "yellow",
    "investigating": "yellow",
    "identified": "cyan",
    "monitoring": "blue",
    "resolved": "green",
    "closed": "dim",
}


def fail(message: str, *, code: int = 1, allowed: list[str] | None = None) -> NoReturn:
    # soft_wrap: one message, one line, whatever the terminal width (scripts grep it).
    err.print(f"[bold red]error:[/] [red]{escape(message)}[/]", soft_wrap=True)
    # Most refusals already name the allowed moves in their message; say them only once.
    if allowed is not None and "allowed" not in message:
        moves = ", ".join(allowed) if allowed else "none (the incident is final)"
        err.print(f"[red]allowed moves: {escape(moves)}[/]", soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    # Plain stdout, no colours or wrapping: the output is for programs.
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def styled(value: str | None, styles: dict[str, str]) -> str:
    if value is None:
        return "[dim]—[/]"
    style = styles.get(value)
    return f"[{style}]{escape(value)}[/]" if style else escape(value)


def parse_time(value: str | None) -> datetime | None:
    return parse_moment(value)


def now() -> datetime:
    return datetime.now(UTC)


def age(value: str | None, *, at: datetime | None = None) -> str:
    moment = parse_time(value)
    if moment is None:
        return "[dim]—[/]"
    return f"{format_duration(((at or now()) - moment).total_seconds(), compact=True)} ago"


def moment(value: str | None) -> str:
    """An absolute time (UTC) with its age, for detail views."""
    at = parse_time(value)
    if at is None:
        return "[dim]—[/]"
    return f"{format_clock(at, fmt=CLOCK)} [dim]({age(value)})[/]"


def page_caption(page: dict[str, Any], noun: str) -> str:
    """ "3 of 40 drills · more with --cursor …": what a list shows of how many."""
    shown, total = len(page["items"]), page["total"]
    caption = f"{shown} of {total} {noun}{'s' if total != 1 else ''}"
    if page.get("next"):
        caption += f" · more with --cursor {page['next']}"
    return caption
