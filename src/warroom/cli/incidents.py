"""`warroom incident …`: each command is one or a few REST calls (see warroom.cli.client)."""

import sys
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from rich.markup import escape

from warroom.cli import views
from warroom.cli.client import connect
from warroom.cli.options import (
    DEFAULT_LOCAL_USER,
    As,
    Cursor,
    Json,
    Token,
    Url,
    connection,
    page_params,
)
from warroom.cli.output import console, print_json
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.lifecycle import OPEN_STATUSES, Status
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.incidents.schemas import ComponentStatus

app = typer.Typer(
    help="Incidents: list, show, create, ack, resolve, status, severity, role, note, update, "
    "public, escalate, page.",
    no_args_is_help=True,
)

IncidentId = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Incident id.")]

# Short names people use on a call ("who's IC?").
ROLE_ALIASES = {
    "ic": Role.INCIDENT_COMMANDER,
    "commander": Role.INCIDENT_COMMANDER,
    "tl": Role.TECH_LEAD,
    "tech": Role.TECH_LEAD,
    "comms": Role.COMMS_LEAD,
    "cl": Role.COMMS_LEAD,
}
COMPONENT_STATUSES: tuple[str, ...] = get_args(ComponentStatus)


def _path(incident_id: int, *rest: str) -> str:
    return "/".join(("/api/v1/incidents", str(incident_id), *rest))


def _show_change(incident: dict[str, Any], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(incident)
    else:
        console.print(views.incident_line(incident, verb))


@app.command("list")
def list_incidents(
    status: Annotated[
        list[Status] | None,
        typer.Option("--status", "-s", help="Only this status (repeat for several)."),
    ] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only open incidents (triggered to monitoring).")
    ] = False,
    severity: Annotated[
        list[Severity] | None,
        typer.Option("--severity", case_sensitive=False, help="Only this severity (repeatable)."),
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only this service (id or name).")] = None,
    drill: Annotated[
        bool | None, typer.Option("--drill/--no-drill", help="Only drills, or no drills.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    cursor: Cursor = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """List incidents, newest first."""
    statuses = list(status or [])
    if open_only:
        statuses += [s for s in OPEN_STATUSES if s not in statuses]
    params = page_params(limit=limit, cursor=cursor)
    if statuses:
        params["status"] = [str(s) for s in statuses]
    if severity:
        params["severity"] = [str(s) for s in severity]
    if service is not None:
        params["service"] = service
    if drill is not None:
        params["drill"] = str(drill).lower()
    with connect(connection(url, token, as_user)) as api:
        page = api.get("/api/v1/incidents", params=params)
    if as_json:
        print_json(page)
    elif not page["items"]:
        console.print("No incidents match." if len(params) > 1 else "No incidents yet.")
    else:
        console.print(views.incident_table(page))


@app.command()
def show(
    incident_id: IncidentId,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """An incident's details, roles, checklist and timeline.

    With --json: the incident as the API returns it, plus `checklist` and `timeline`."""
    with connect(connection(url, token, as_user)) as api:
        incident = api.get(_path(incident_id))
        checklist = api.get(_path(incident_id, "checklist"))
        timeline = api.get(_path(incident_id, "timeline"))
    if as_json:
        print_json({**incident, "checklist": checklist, "timeline": timeline["items"]})
    else:
        console.print(views.incident_details(incident, checklist, timeline))


@app.command()
def create(
    title: Annotated[str, typer.Option(help="What is wrong, in a few words.")],
    severity: Annotated[
        Severity, typer.Option(case_sensitive=False, help="SEV-1 (worst) to SEV-4.")
    ],
    service: Annotated[str, typer.Option(help="The affected service (id or name).")],
    description: Annotated[str, typer.Option(help="More detail, e.g. the impact.")] = "",
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Declare an incident."""
    body = {"title": title, "severity": str(severity), "service": service}
    if description:
        body["description"] = description
    with connect(connection(url, token, as_user)) as api:
        incident = api.post("/api/v1/incidents", body)
    _show_change(incident, "declared", as_json)


@app.command()
def ack(
    incident_id: IncidentId,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Acknowledge: you have it (stops escalation)."""
    with connect(connection(url, token, as_user)) as api:
        incident = api.post(_path(incident_id, "acknowledge"))
    _show_change(incident, "acknowledged", as_json)


@app.command()
def resolve(
    incident_id: IncidentId,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Resolve: the problem is fixed."""
    with connect(connection(url, token, as_user)) as api:
        incident = api.post(_path(incident_id, "resolve"))
    _show_change(incident, "resolved", as_json)


@app.command("status")
def change_status(
    incident_id: IncidentId,
    status: Annotated[Status, typer.Argument(help="The new status.", case_sensitive=False)],
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Move an incident to another status (a refused move names the allowed ones)."""
    with connect(connection(url, token, as_user)) as api:
        incident = api.post(_path(incident_id, "status"), {"status": str(status)})
    _show_change(incident, f"moved to {status}", as_json)


@app.command()
def severity(
    incident_id: IncidentId,
    level: Annotated[Severity, typer.Argument(help="SEV-1 to SEV-4.", case_sensitive=False)],
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Confirm or change an incident's severity."""
    with connect(connection(url, token, as_user)) as api:
        incident = api.post(_path(incident_id, "severity"), {"severity": str(level)})
    _show_change(incident, f"severity set to {level}", as_json)


def _role(value: str) -> Role:
    key = value.strip().lower().replace("-", "_")
    if key in ROLE_ALIASES:
        return ROLE_ALIASES[key]
    try:
        return Role(key)
    except ValueError:
        names = ", ".join([*(str(r) for r in Role), *ROLE_ALIASES])
        raise typer.BadParameter(f"'{value}' is not a role; use one of: {names}") from None


@app.command()
def role(
    incident_id: IncidentId,
    role_name: Annotated[
        str,
        typer.Argument(
            metavar="ROLE",
            help="incident_commander (ic), tech_lead (tl), comms_lead (comms) or scribe.",
        ),
    ],
    user: Annotated[
        str | None, typer.Argument(help="The new holder's handle (omit with --unassign).")
    ] = None,
    unassign: Annotated[bool, typer.Option(help="Leave the role empty.")] = False,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Assign a role (a new holder takes over from the old one), or unassign it."""
    chosen = _role(role_name)
    if unassign == (user is not None):
        raise typer.BadParameter("give either a USER or --unassign", param_hint="USER")
    with connect(connection(url, token, as_user)) as api:
        if user is None:
            incident = api.delete(_path(incident_id, "roles", str(chosen)))
            verb = f"{chosen} unassigned"
        else:
            incident = api.put(_path(incident_id, "roles", str(chosen)), {"user": user})
            verb = f"{chosen} is {user}"
    _show_change(incident, verb, as_json)


@app.command()
def note(
    incident_id: IncidentId,
    text: Annotated[str, typer.Argument(help="The note, added to the timeline.")],
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Add a note to an incident's timeline."""
    with connect(connection(url, token, as_user)) as api:
        event = api.post(_path(incident_id, "notes"), {"text": text})
    if as_json:
        print_json(event)
    else:
        console.print(f"Note added to incident [bold]#{incident_id}[/] by {event['actor']}.")


def _components(values: list[str]) -> dict[str, str]:
    components: dict[str, str] = {}
    for value in values:
        name, sep, status = value.rpartition("=")
        if not sep or not name.strip() or status not in COMPONENT_STATUSES:
            raise typer.BadParameter(
                f"'{value}' should be NAME=STATUS with STATUS one of "
                + ", ".join(COMPONENT_STATUSES),
                param_hint="--component",
            )
        components[name.strip()] = status
    return components


def _read_body(body: str | None, body_file: Path | None) -> str | None:
    if body is not None and body_file is not None:
        raise typer.BadParameter("give --body or --body-file, not both", param_hint="--body")
    if body_file is None:
        return body
    if str(body_file) == "-":
        return sys.stdin.read()
    try:
        return body_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {body_file}: {exc.strerror}") from None


@app.command()
def update(
    incident_id: IncidentId,
    kind: Annotated[
        UpdateKind,
        typer.Option(case_sensitive=False, help="initial, update or resolution."),
    ],
    status: Annotated[
        UpdateStatus | None,
        typer.Option(
            case_sensitive=False,
            help="The status to announce; the incident moves with it. 'postmortem' only "
            "once it is resolved or closed (kind update).",
        ),
    ] = None,
    body: Annotated[
        str | None, typer.Option(help="The text; rendered from the kind's template if absent.")
    ] = None,
    body_file: Annotated[
        Path | None, typer.Option(help="Read the text from a file ('-' for stdin).")
    ] = None,
    public: Annotated[
        bool, typer.Option("--public/--internal", help="Show it on the status page.")
    ] = False,
    next_update_minutes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=7 * 24 * 60,
            help="Promise the next update in N minutes (default by severity: SEV-1 30, "
            "SEV-2 60, SEV-3 120, SEV-4 240).",
        ),
    ] = None,
    public_title: Annotated[
        str | None, typer.Option(help="With --public: the incident's public title.")
    ] = None,
    public_impact: Annotated[
        str | None,
        typer.Option(
            help="With --public: the public impact (none, minor, major, critical, severity)."
        ),
    ] = None,
    impact: Annotated[str | None, typer.Option(help="Template fact: the impact.")] = None,
    progress: Annotated[str | None, typer.Option(help="Template fact: progress so far.")] = None,
    root_cause: Annotated[str | None, typer.Option(help="Template fact: the root cause.")] = None,
    actions_taken: Annotated[str | None, typer.Option(help="Template fact: what was done.")] = None,
    component: Annotated[
        list[str] | None,
        typer.Option(help="NAME=STATUS of an affected status-page component (repeatable)."),
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Publish a stakeholder update (initial, update or resolution)."""
    payload: dict[str, Any] = {"kind": str(kind), "public": public}
    text = _read_body(body, body_file)
    components = _components(component or [])
    for key, value in (
        ("status", str(status) if status is not None else None),
        ("body", text),
        ("next_update_minutes", next_update_minutes),
        ("impact", impact),
        ("progress", progress),
        ("root_cause", root_cause),
        ("actions_taken", actions_taken),
        ("components", components or None),
        ("public_title", public_title),
        ("public_impact", public_impact),
    ):
        if value is not None:
            payload[key] = value
    with connect(connection(url, token, as_user)) as api:
        published = api.post(_path(incident_id, "updates"), payload)
    if as_json:
        print_json(published)
    else:
        console.print(views.update_panel(published))
        for change in published.get("component_changes") or []:
            console.print(
                f"status page: {escape(change['name'])} {change['old_status']} → "
                f"{change['new_status']}"
            )


IMPACT_CHOICES = ("none", "minor", "major", "critical", "severity")


def _affected(values: list[str]) -> dict[str, str | None]:
    """NAME (as the severity implies) or NAME=STATUS, for `incident public`."""
    chosen: dict[str, str | None] = {}
    for value in values:
        name, sep, status = value.rpartition("=")
        if not sep:
            name, status = value, ""
        if not name.strip() or (status and status not in COMPONENT_STATUSES):
            raise typer.BadParameter(
                f"'{value}' should be NAME or NAME=STATUS with STATUS one of "
                + ", ".join(COMPONENT_STATUSES),
                param_hint="--component",
            )
        chosen[name.strip()] = status or None
    return chosen


@app.command("public")
def set_public(
    incident_id: IncidentId,
    private: Annotated[
        bool, typer.Option("--private", help="Hide it from the status page (keeps its link).")
    ] = False,
    title: Annotated[
        str | None,
        typer.Option(
            help="Public title (default: built from the impact and the public components)."
        ),
    ] = None,
    impact: Annotated[
        str | None,
        typer.Option(help="none, minor, major, critical, or severity (follow the severity)."),
    ] = None,
    component: Annotated[
        list[str] | None,
        typer.Option(help="NAME or NAME=STATUS of a component the incident affects (repeatable)."),
    ] = None,
    show_responders: Annotated[
        bool | None,
        typer.Option("--show-responders/--hide-responders", help="Name responders publicly."),
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Show the incident on the public status page (or hide it with --private)."""
    if impact is not None and impact not in IMPACT_CHOICES:
        raise typer.BadParameter(
            f"'{impact}' is not an impact; use one of {', '.join(IMPACT_CHOICES)}",
            param_hint="--impact",
        )
    payload: dict[str, Any] = {"public": not private}
    for key, value in (
        ("title", title),
        ("impact", impact),
        ("components", _affected(component or []) or None),
        ("show_responders", show_responders),
    ):
        if value is not None:
            payload[key] = value
    with connect(connection(url, token, as_user)) as api:
        incident = api.put(_path(incident_id, "public"), payload)
    if as_json:
        print_json(incident)
        return
    public = incident["public"]
    if public["public"]:
        console.print(
            f"Incident #{incident['id']} is public as '{escape(public['title'] or '')}' "
            f"(code {public['code']}, impact {public['impact']})"
        )
    else:
        console.print(f"Incident #{incident['id']} is not on the status page")


@app.command()
def escalate(
    incident_id: IncidentId,
    level: Annotated[
        int | None,
        typer.Option(
            "--level",
            min=1,
            help="Page this level (1-based) now and go on from it; default: the next level.",
        ),
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Escalate now: page the next level of the policy, or a named one with --level."""
    body = {"level": level} if level is not None else None
    with connect(connection(url, token, as_user)) as api:
        incident = api.post(_path(incident_id, "escalate"), body)
    _show_change(incident, "escalated" + (f" to level {level}" if level else ""), as_json)


@app.command()
def page(
    incident_id: IncidentId,
    user: Annotated[str | None, typer.Option("--user", help="Page this person (handle).")] = None,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help="Page whoever this schedule has on call now."),
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Page one more person, or a schedule's on-call, for an incident (also once it is
    acknowledged)."""
    if (user is None) == (schedule is None):
        raise typer.BadParameter("give exactly one of --user or --schedule")
    body = {"user": user} if user is not None else {"schedule": schedule}
    with connect(connection(url, token, as_user)) as api:
        answer = api.post(_path(incident_id, "page"), body)
    if as_json:
        print_json(answer)
    else:
        console.print(
            f"#{incident_id}: paging {', '.join('@' + h for h in answer['paged'])} "
            f"(page request {answer['request']})"
        )
