"""Postmortems and action items over JSON (and the postmortem's Markdown and HTML
exports). Reads need a viewer token, writes a responder's."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from warroom.domain.action_items import ActionItemStatus
from warroom.domain.postmortem import PostmortemStatus
from warroom.incidents.schemas import IncidentId
from warroom.postmortems import actions, documents, repository, views
from warroom.postmortems.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    ItemId,
    PostmortemOut,
    PostmortemPatch,
    PostmortemRowOut,
    PostmortemStatusIn,
)
from warroom.schemas import Cursor, Handle, Limit, ListOut, list_out
from warroom.users.repository import get_user
from warroom.web.auth import Ctx, Responder, Viewer
from warroom.web.downloads import content_disposition

router = APIRouter(tags=["postmortems"])

INCIDENT = "/api/v1/incidents/{incident_id}"
ITEMS = "/api/v1/action-items"


@router.post(f"{INCIDENT}/postmortem", status_code=201, response_model=PostmortemOut)
def start_postmortem(incident_id: IncidentId, who: Responder, ctx: Ctx) -> PostmortemOut:
    """A blameless draft prefilled from the incident (summary, impact, timeline,
    prompts, action items); completes checklist item 9. 409 before the incident is
    resolved, or when it has one."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        documents.do_start_postmortem(session, incident_id=incident_id, actor=who.handle, now=now)
        return views.postmortem_out(session, incident_id, now=now)


@router.get(
    f"{INCIDENT}/postmortem",
    response_model=PostmortemOut,
    responses={200: {"content": {"text/markdown": {}}}},
)
def get_postmortem(
    incident_id: IncidentId, who: Viewer, ctx: Ctx, request: Request
) -> PostmortemOut | Response:
    """JSON; or, asked for `Accept: text/markdown`, the document as Markdown."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        out = views.postmortem_out(session, incident_id, now=now)
    if _wants_markdown(request.headers.get("accept", "")):
        return Response(out.document, media_type="text/markdown; charset=utf-8")
    return out


def _wants_markdown(accept: str) -> bool:
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "text/markdown" in kinds and (
        "application/json" not in kinds
        or kinds.index("text/markdown") < kinds.index("application/json")
    )


@router.get(
    f"{INCIDENT}/postmortem.md",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}}},
)
def export_markdown(incident_id: IncidentId, who: Viewer, ctx: Ctx) -> Response:
    """The document as Markdown, its action items as they stand."""
    with ctx.db.read() as session:
        out = views.postmortem_out(session, incident_id, now=ctx.clock.now())
    return Response(
        out.document,
        media_type="text/markdown; charset=utf-8",
        headers=download_headers(f"postmortem-{incident_id}.md"),
    )


@router.get(
    f"{INCIDENT}/postmortem.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def export_html(incident_id: IncidentId, who: Viewer, ctx: Ctx) -> Response:
    """A standalone HTML document (no script, no external resources)."""
    with ctx.db.read() as session:
        out = views.postmortem_out(session, incident_id, now=ctx.clock.now())
    html = views.export_html(out, incident_url=ctx.settings.incident_url(incident_id))
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers=download_headers(f"postmortem-{incident_id}.html"),
    )


def download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(filename),
        # Opened in a browser from this origin anyway, it can run nothing.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff",
    }


@router.patch(f"{INCIDENT}/postmortem", response_model=PostmortemOut)
def change_postmortem(
    incident_id: IncidentId, body: PostmortemPatch, who: Responder, ctx: Ctx
) -> PostmortemOut:
    """Any of markdown, meeting_at (completes checklist item 10), reviewers (handles;
    404 for an unknown one) and show_on_status_page."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        documents.do_change_postmortem(
            session,
            incident_id=incident_id,
            changes=body.changes(),
            actor=who.handle,
            now=now,
        )
        return views.postmortem_out(session, incident_id, now=now)


@router.post(f"{INCIDENT}/postmortem/status", response_model=PostmortemOut)
def move_postmortem(
    incident_id: IncidentId, body: PostmortemStatusIn, who: Responder, ctx: Ctx
) -> PostmortemOut:
    """draft → in_review → published (409 naming the allowed moves otherwise).
    Published: the incident enters the improvement phase while action items are open,
    or closes when none are."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        documents.do_move_postmortem(
            session,
            incident_id=incident_id,
            status=body.status,
            actor=who.handle,
            now=now,
            incident_url=ctx.settings.incident_url(incident_id),
        )
        return views.postmortem_out(session, incident_id, now=now)


@router.get("/api/v1/postmortems", response_model=ListOut[PostmortemRowOut])
def list_postmortems(
    who: Viewer,
    ctx: Ctx,
    status: PostmortemStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOut[PostmortemRowOut]:
    """Newest first, with each one's open and overdue action items."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = repository.page_postmortems(session, status=status, limit=limit, cursor=cursor)
        return views.postmortem_rows(session, page, now=now)


# --- action items ----------------------------------------------------------------------


@router.post(f"{INCIDENT}/action-items", status_code=201, response_model=ActionItemOut)
def add_action_item(
    incident_id: IncidentId, body: ActionItemIn, who: Responder, ctx: Ctx
) -> ActionItemOut:
    """409 on a closed incident; 404 for an unknown owner."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        item = actions.do_add_action_item(
            session,
            incident_id=incident_id,
            title=body.title,
            description=body.description,
            owner=body.owner,
            due_on=body.due_on,
            priority=body.priority,
            tracker_url=body.tracker_url,
            actor=who.handle,
            now=now,
        )
        return ActionItemOut.of(item, now=now)


@router.get(ITEMS, response_model=ListOut[ActionItemOut])
def list_action_items(
    who: Viewer,
    ctx: Ctx,
    owner: Annotated[Handle | None, Query(description="the owner's handle")] = None,
    status: Annotated[list[ActionItemStatus] | None, Query(description="repeat")] = None,
    overdue: Annotated[
        bool, Query(description="only items past their due date (owner's time zone)")
    ] = False,
    incident: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOut[ActionItemOut]:
    """Newest first."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = repository.list_items(
            session,
            repository.ItemFilter(
                owner_id=get_user(session, owner).id if owner is not None else None,
                status=status,
                incident_id=incident,
                overdue_at=now if overdue else None,
            ),
            limit=limit,
            cursor=cursor,
        )
        return list_out(page, lambda i: ActionItemOut.of(i, now=now))


@router.get(f"{ITEMS}/{{item_id}}", response_model=ActionItemOut)
def get_action_item(item_id: ItemId, who: Viewer, ctx: Ctx) -> ActionItemOut:
    with ctx.db.read() as session:
        return ActionItemOut.of(repository.get_action_item(session, item_id), now=ctx.clock.now())


@router.patch(f"{ITEMS}/{{item_id}}", response_model=ActionItemOut)
def change_action_item(
    item_id: ItemId, body: ActionItemPatch, who: Responder, ctx: Ctx
) -> ActionItemOut:
    """Any field; status done or wont_do finishes it (the last one closes a resolved
    incident whose postmortem is published). 409 to reopen an item of a closed incident."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        item = actions.do_change_action_item(
            session,
            item_id=item_id,
            changes=body.changes(),
            actor=who.handle,
            now=now,
        )
        return ActionItemOut.of(item, now=now)
