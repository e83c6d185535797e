"""Printing: Rich for people, plain JSON for scripts, red messages on stderr."""

import json
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

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
    return datetime.fromisoformat(value) if value else None


def now() -> datetime:
    return datetime.now(UTC)


def duration(seconds: float) -> str:
    """'45s', '12m', '2h05m', '3d4h': how long, at a glance (and narrow, for tables)."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def age(value: str | None, *, at: datetime | None = None) -> str:
    moment = parse_time(value)
    if moment is None:
        return "[dim]—[/]"
    return f"{duration(((at or now()) - moment).total_seconds())} ago"


def moment(value: str | None) -> str:
    """An absolute time (UTC) with its age, for detail views."""
    at = parse_time(value)
    if at is None:
        return "[dim]—[/]"
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC [dim]({age(value)})[/]"
