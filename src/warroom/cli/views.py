"""Rich renderings of the API's incident shapes (the dicts `--json` prints as they are)."""

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from warroom.cli.output import (
    CLOCK,
    SEVERITY_STYLE,
    STATUS_STYLE,
    age,
    moment,
    now,
    page_caption,
    parse_time,
    styled,
)
from warroom.incidents.presentation import (
    describe_event,
    format_clock,
    format_duration,
    role_title,
    target_state,
)

Json = dict[str, Any]


def _title(incident: Json) -> str:
    drill = " [magenta](drill)[/]" if incident.get("drill") else ""
    return escape(str(incident["title"])) + drill


def ack_cell(incident: Json) -> str:
    """Time to acknowledge, or where the unacknowledged clock stands."""
    t = target_state(incident)
    took = format_duration(t.seconds or 0, compact=True)
    match t.state:
        case "met" | "missed" if t.seconds is not None:
            return f"[red]{took} (late)[/]" if t.state == "missed" else f"[green]{took}[/]"
        case "breached":
            return f"[bold red]{took} late[/]"
        case "ticking":
            return f"[yellow]{took} left[/]"
    return "[dim]—[/]"


def _target_state(incident: Json) -> str:
    if incident["acknowledged_at"] is None:
        return ack_cell(incident)
    return f"acknowledged after {ack_cell(incident)}"


def incident_table(page: Json) -> Table:
    items: list[Json] = page["items"]
    # The box draws one space between columns; no padding keeps nine columns in 80.
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 0))
    table.add_column("ID", justify="right", no_wrap=True)
    for name in ("Sev", "Status", "Phase"):
        table.add_column(name, no_wrap=True)
    table.add_column("Title", min_width=12)
    table.add_column("Service", min_width=8)
    for name in ("Triggered", "Ack", "IC"):
        table.add_column(name, no_wrap=True)
    at = now()
    for i in items:
        table.add_row(
            str(i["id"]),
            styled(i["severity"], SEVERITY_STYLE),
            styled(i["status"], STATUS_STYLE),
            escape(i["phase"]),
            _title(i),
            escape(i["service"]),
            age(i["triggered_at"], at=at),
            ack_cell(i),
            escape(i["roles"].get("incident_commander") or "—"),
        )
    table.caption = page_caption(page, "incident")
    return table


def incident_panel(incident: Json) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    status = styled(incident["status"], STATUS_STYLE)
    allowed = ", ".join(incident.get("allowed_statuses") or []) or "none (final)"
    target = (
        f"{incident['response_target_minutes']:g} min to acknowledge · {_target_state(incident)}"
    )
    rows: list[tuple[str, str]] = [
        ("Severity", styled(incident["severity"], SEVERITY_STYLE)),
        ("Status", f"{status} · phase {escape(incident['phase'])}"),
        ("Next moves", escape(allowed)),
        ("Service", escape(incident["service"])),
        ("Response target", target),
        ("Started", moment(incident["started_at"])),
        ("Triggered", moment(incident["triggered_at"])),
        ("Acknowledged", moment(incident["acknowledged_at"])),
        ("Resolved", moment(incident["resolved_at"])),
    ]
    if incident.get("closed_at"):
        rows.append(("Closed", moment(incident["closed_at"])))
    if incident.get("reopen_count"):
        rows.append(("Reopened", f"{incident['reopen_count']} time(s)"))
    if incident.get("description"):
        rows.append(("Description", escape(incident["description"])))
    for label, value in rows:
        grid.add_row(label, value)
    return Panel(grid, title=f"[bold]#{incident['id']}[/] {_title(incident)}", title_align="left")


def roles_table(incident: Json) -> Table:
    table = Table(title="Roles", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Role")
    table.add_column("Holder")
    for role, holder in incident["roles"].items():
        table.add_row(role_title(role), escape(holder) if holder else "[dim]—[/]")
    return table


def checklist_table(checklist: Json) -> Table:
    percent = round(checklist["compliance"] * 100)
    table = Table(
        title=f"Checklist · {percent}% complete",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("#", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("Item")
    table.add_column("Done by")
    for item in checklist.get("items", []):
        done = item["completed"]
        who = ""
        if done:
            how = " by hand" if item.get("by_hand") else ""
            who = f"{escape(item['completed_by'] or '')}{how} · {age(item['completed_at'])}"
        table.add_row(
            str(item["number"]),
            "[green]✓[/]" if done else "[dim]·[/]",
            escape(item["name"]) if done else f"[dim]{escape(item['name'])}[/]",
            who,
        )
    return table


def event_summary(event: Json) -> str:
    return describe_event(event["type"], event.get("data") or {}).one_line


def timeline_table(timeline: Json) -> Table:
    table = Table(title="Timeline", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("At (UTC)", no_wrap=True)
    table.add_column("Actor", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Details")
    for event in timeline["items"]:
        at = parse_time(event["at"])
        table.add_row(
            format_clock(at, fmt=CLOCK, named=False) if at else "",
            escape(event["actor"]),
            escape(event["type"]),
            escape(event_summary(event)),
        )
    return table


def incident_details(incident: Json, checklist: Json, timeline: Json) -> RenderableType:
    return Group(
        incident_panel(incident),
        roles_table(incident),
        checklist_table(checklist),
        timeline_table(timeline),
    )


def incident_line(incident: Json, verb: str) -> str:
    """One line after a change: what happened and where the incident now stands."""
    status = styled(incident["status"], STATUS_STYLE)
    return (
        f"Incident [bold]#{incident['id']}[/] {verb}: {status} · "
        f"phase {escape(incident['phase'])} · {styled(incident['severity'], SEVERITY_STYLE)} · "
        f"{_title(incident)}"
    )


def update_panel(update: Json) -> Panel:
    audience = "[green]public[/]" if update["public"] else "internal"
    lines = [f"{update['kind']} · {audience} · status {styled(update['status'], STATUS_STYLE)}"]
    if update.get("next_update_minutes"):
        lines.append(f"next update due in {update['next_update_minutes']} min")
    header = Text.from_markup(" · ".join(lines))
    return Panel(
        Group(header, Text(""), Text(update["body"])),
        title=f"Stakeholder update #{update['id']} on incident #{update['incident_id']}",
        title_align="left",
    )
