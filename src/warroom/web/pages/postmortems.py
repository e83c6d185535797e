"""Postmortems and action items, for people: the list of postmortems, one incident's
postmortem (the rendered document, its Markdown to edit, meeting, reviewers, review
status, exports and action items), and the action-item lists. Times on the forms are
in the reader's own time zone."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain.action_items import ActionItemStatus
from warroom.domain.postmortem import PostmortemStatus
from warroom.errors import Invalid, NotFound
from warroom.incidents.repository import get_incident
from warroom.incidents.schemas import IncidentId, IncidentOut
from warroom.postmortems import actions, documents, repository, views
from warroom.postmortems.api import download_headers
from warroom.postmortems.schemas import (
    MAX_MARKDOWN,
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    PostmortemPatch,
)
from warroom.users.repository import list_users
from warroom.web.context import AppContext
from warroom.web.pages.base import (
    PageCtx,
    PageRoute,
    PageUser,
    SignedIn,
    Writer,
    error_page,
    render,
)
from warroom.web.pages.forms import ItemId, Ok, Short, submit
from warroom.web.pages.views import incident_page, version_of

router = APIRouter(route_class=PageRoute)

Markdown = Annotated[str, Form(max_length=MAX_MARKDOWN)]
Text = Annotated[str, Form(max_length=10_000)]
Handles = Annotated[list[str], Form(max_length=50)]
Choice = Annotated[str, Query(max_length=40)]

NOTICES: Mapping[str, str] = {
    "started": "Postmortem started: a blameless draft from the incident's timeline. "
    "Checklist item 9 (Document timeline) is done.",
    "saved": "Postmortem saved.",
    "details": "Meeting, reviewers and status-page choice saved.",
    "in_review": "Postmortem in review: its reviewers were asked to read it.",
    "draft": "Postmortem back to draft.",
    "published": "Postmortem published.",
    "item_added": "Action item added.",
    "item_saved": "Action item saved.",
}
VIEWS: Mapping[str, str] = {"mine": "My open items", "open": "All open", "overdue": "Overdue"}
SHOWN = 200


def _pm_url(incident_id: int, notice: str = "", anchor: str = "") -> str:
    return f"/incidents/{incident_id}/postmortem" + (f"?ok={notice}" if notice else "") + anchor


def _local(value: datetime | None, who: PageUser) -> str:
    """As a datetime-local input shows it."""
    return value.astimezone(who.zone).strftime("%Y-%m-%dT%H:%M") if value else ""


def _moment(text: str, who: PageUser) -> datetime | None:
    """A time typed on a form: local to the reader unless it names its offset."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"'{text[:40]}' is not a date and time") from None
    try:
        return (value.replace(tzinfo=who.zone) if value.tzinfo is None else value).astimezone(UTC)
    except OverflowError:
        raise Invalid(f"'{text[:40]}' lies outside the times warroom can store") from None


# --- reading ------------------------------------------------------------------------------


def postmortem_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    incident_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        incident = IncidentOut.of(get_incident(session, incident_id), now=now)
        found = repository.find_postmortem(session, incident_id)
        pm = views.postmortem_out(session, incident_id, now=now) if found else None
        items = [ActionItemOut.of(i, now=now) for i in repository.items_of(session, incident_id)]
        people = [(u.handle, u.name) for u in list_users(session)]
    values = {
        "markdown": pm.markdown if pm else "",
        "meeting_at": _local(pm.meeting_at if pm else None, who),
        **(form or {}),
    }
    return render(
        request,
        "postmortem.html",
        who=who,
        status_code=status_code,
        version=version_of(
            pm.updated_at if pm else None, *(f"{i.id}:{i.updated_at}" for i in items)
        ),
        refresh_url=_pm_url(incident_id),
        incident=incident,
        pm=pm,
        items=items,
        people=people,
        priorities=["high", "medium", "low"],
        item_statuses=[str(s) for s in ActionItemStatus],
        can_write=who.can_write and incident.status != "closed",
        form=values,
        notice=notice,
        error=error,
    )


@router.get("/incidents/{incident_id}/postmortem")
def postmortem_detail(
    request: Request, ctx: PageCtx, who: SignedIn, incident_id: IncidentId, ok: Ok = ""
) -> Response:
    return postmortem_page(request, ctx, who, incident_id, notice=NOTICES.get(ok))


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={**download_headers(filename), "Cache-Control": "no-store"},
    )


@router.get("/incidents/{incident_id}/postmortem.md")
def postmortem_markdown(ctx: PageCtx, who: SignedIn, incident_id: IncidentId) -> Response:
    with ctx.db.read() as session:
        out = views.postmortem_out(session, incident_id, now=ctx.clock.now())
    return _download(out.document, "text/markdown; charset=utf-8", f"postmortem-{incident_id}.md")


@router.get("/incidents/{incident_id}/postmortem.html")
def postmortem_html(ctx: PageCtx, who: SignedIn, incident_id: IncidentId) -> Response:
    with ctx.db.read() as session:
        out = views.postmortem_out(session, incident_id, now=ctx.clock.now())
    html = views.export_html(out, incident_url=ctx.settings.incident_url(incident_id))
    return _download(html, "text/html; charset=utf-8", f"postmortem-{incident_id}.html")


@router.get("/postmortems")
def postmortem_list(
    request: Request, ctx: PageCtx, who: SignedIn, status: Choice = "", cursor: Choice = ""
) -> Response:
    error = None
    chosen = PostmortemStatus(status) if status in {str(s) for s in PostmortemStatus} else None
    if status and chosen is None:
        error, status = f"'{status}' is not a postmortem status; showing every one", ""
    with ctx.db.read() as session:
        page = repository.page_postmortems(
            session, status=chosen, limit=SHOWN, cursor=cursor or None
        )
        rows = views.postmortem_rows(session, page, now=ctx.clock.now())
    return render(
        request,
        "postmortems.html",
        who=who,
        status_code=400 if error else 200,
        version=version_of(
            *(f"{r.incident_id}:{r.status}:{r.open_action_items}" for r in rows.items)
        ),
        refresh_url=request.url.path + (f"?status={status}" if status else ""),
        rows=rows.items,
        total=rows.total,
        next_cursor=rows.next,
        status=status,
        statuses=[str(s) for s in PostmortemStatus],
        error=error,
    )


@router.get("/action-items")
def action_item_list(
    request: Request, ctx: PageCtx, who: SignedIn, view: Choice = "mine", ok: Ok = ""
) -> Response:
    view = view if view in VIEWS else "mine"
    now = ctx.clock.now()
    open_ = [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS]
    query = {
        "mine": repository.ItemFilter(owner_id=who.principal.user.id, status=open_),
        "open": repository.ItemFilter(status=open_),
        "overdue": repository.ItemFilter(overdue_at=now),
    }[view]
    with ctx.db.read() as session:
        page = repository.list_items(session, query, limit=SHOWN, cursor=None)
        items = [ActionItemOut.of(i, now=now) for i in page.items]
        titles = {
            i.id: i.title
            for i in repository.incidents_by_id(
                session, sorted({i.incident_id for i in items})
            ).values()
        }
    return render(
        request,
        "action_items.html",
        who=who,
        version=version_of(view, page.total, *(f"{i.id}:{i.updated_at}" for i in items)),
        refresh_url=f"/action-items?view={view}",
        items=items,
        total=page.total,
        incident_titles=titles,
        view=view,
        views=VIEWS,
        notice=NOTICES.get(ok),
    )


# --- forms (responders) -------------------------------------------------------------------


def _on_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    incident_id: int,
    change: Any,
    *,
    done: str,
    anchor: str = "",
    form: Mapping[str, str] | None = None,
) -> Response:
    """Run `change(session, now)` and go back to the postmortem page."""
    now = ctx.clock.now()

    def write(session: Session) -> str:
        change(session, now)
        return _pm_url(incident_id, done, anchor)

    def refused(*, error: str, status_code: int) -> Response:
        return postmortem_page(
            request, ctx, who, incident_id, error=error, status_code=status_code, form=form
        )

    return submit(ctx, write, refused)


@router.post("/incidents/{incident_id}/postmortem")
def start(request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId) -> Response:
    now = ctx.clock.now()

    def write(session: Session) -> str:
        documents.do_start_postmortem(session, incident_id=incident_id, actor=who.handle, now=now)
        return _pm_url(incident_id, "started")

    def refused(*, error: str, status_code: int) -> Response:
        return incident_page(request, ctx, who, incident_id, error=error, status_code=status_code)

    return submit(ctx, write, refused)


@router.post("/incidents/{incident_id}/postmortem/edit")
def edit(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, markdown: Markdown = ""
) -> Response:
    text = markdown.replace("\r\n", "\n")

    def change(session: Session, now: datetime) -> None:
        PostmortemPatch(markdown=text)  # the API's limits
        documents.do_edit_postmortem(
            session, incident_id=incident_id, markdown=text, actor=who.handle, now=now
        )

    return _on_page(request, ctx, who, incident_id, change, done="saved", form={"markdown": text})


@router.post("/incidents/{incident_id}/postmortem/details")
def details(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    meeting_at: Short = "",
    reviewers: Handles = [],  # noqa: B006 - FastAPI copies form defaults per request
    show_on_status_page: Short = "",
) -> Response:
    def change(session: Session, now: datetime) -> None:
        patch = PostmortemPatch(
            meeting_at=_moment(meeting_at, who),
            reviewers=reviewers,
            show_on_status_page=bool(show_on_status_page),
        )
        documents.do_change_postmortem(
            session,
            incident_id=incident_id,
            changes=patch.changes(),
            actor=who.handle,
            now=now,
        )

    form = {"meeting_at": meeting_at}
    return _on_page(request, ctx, who, incident_id, change, done="details", form=form)


@router.post("/incidents/{incident_id}/postmortem/status")
def move(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, status: Short = ""
) -> Response:
    def change(session: Session, now: datetime) -> None:
        if status not in {str(s) for s in PostmortemStatus}:
            raise Invalid(f"'{status}' is not a postmortem status")
        documents.do_move_postmortem(
            session,
            incident_id=incident_id,
            status=PostmortemStatus(status),
            actor=who.handle,
            now=now,
            incident_url=ctx.settings.incident_url(incident_id),
        )

    return _on_page(request, ctx, who, incident_id, change, done=status)


def _item_fields(
    title: str, description: str, owner: str, due_on: str, priority: str, tracker_url: str
) -> dict[str, Any]:
    """The form's fields as the API takes them (blank: none)."""
    fields: dict[str, Any] = {"title": title, "description": description}
    fields["owner"] = owner or None
    fields["due_on"] = due_on or None
    fields["tracker_url"] = tracker_url.strip() or None
    if priority:
        fields["priority"] = priority
    return fields


@router.post("/incidents/{incident_id}/action-items")
def add_item(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    title: Text = "",
    description: Text = "",
    owner: Short = "",
    due_on: Short = "",
    priority: Short = "",
    tracker_url: Text = "",
) -> Response:
    typed = {"title": title, "description": description, "owner": owner, "due_on": due_on}
    typed |= {"priority": priority, "tracker_url": tracker_url}

    def change(session: Session, now: datetime) -> None:
        body = ActionItemIn.model_validate(_item_fields(**typed))
        actions.do_add_action_item(
            session, incident_id=incident_id, actor=who.handle, now=now, **body.model_dump()
        )

    form = {f"new_{k}": v for k, v in typed.items()}
    return _on_page(
        request, ctx, who, incident_id, change, done="item_added", anchor="#action-items", form=form
    )


@router.post("/action-items/{item_id}")
def change_item(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    item_id: ItemId,
    title: Text = "",
    description: Text = "",
    owner: Short = "",
    due_on: Short = "",
    priority: Short = "",
    tracker_url: Text = "",
    status: Short = "",
    only_status: Short = "",
    back: Short = "",
) -> Response:
    """The full edit form, or (only_status) one of the quick Done / Won't do / Reopen
    buttons; `back` is the action-items list view to return to."""
    with ctx.db.read() as session:
        try:
            incident_id = repository.get_action_item(session, item_id).incident_id
        except NotFound as exc:
            return error_page(request, 404, exc.message, who=who)
    now = ctx.clock.now()
    fields: dict[str, Any] = {"status": status or None}
    if not only_status:
        fields |= _item_fields(title, description, owner, due_on, priority, tracker_url)

    def write(session: Session) -> str:
        patch = ActionItemPatch.model_validate(fields)
        actions.do_change_action_item(
            session,
            item_id=item_id,
            changes=patch.changes(),
            actor=who.handle,
            now=now,
        )
        if back in VIEWS:
            return f"/action-items?view={back}&ok=item_saved"
        return _pm_url(incident_id, "item_saved", "#action-items")

    def refused(*, error: str, status_code: int) -> Response:
        return postmortem_page(request, ctx, who, incident_id, error=error, status_code=status_code)

    return submit(ctx, write, refused)
