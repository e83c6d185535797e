"""Runbook pages: every service's runbook at a glance (written? reviewed? stale? clean?),
one runbook rendered with its lint problems, an editor for responders and the "Mark
reviewed" button; and the incident page's step checklist form."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from warroom.domain.runbook import Problem, lint
from warroom.domain.runbook_upkeep import skeleton
from warroom.markdown import line_anchor
from warroom.runbooks import actions, repository
from warroom.runbooks.schemas import RunbookOut, RunbookSummaryOut, Section
from warroom.services import repository as services
from warroom.web.context import AppContext
from warroom.web.downloads import content_disposition
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, SignedIn, Writer, error_of, render
from warroom.web.pages.base import redirect as see_other
from warroom.web.pages.forms import ItemId, Ok

router = APIRouter(route_class=PageRoute)

ServiceRef = Annotated[str, Path(min_length=1, max_length=100)]
Markdown = Annotated[str, Form(max_length=1_048_576)]
Flag = Annotated[str, Form(max_length=8)]

NOTICES: Mapping[str, str] = {
    "created": "Runbook saved.",
    "updated": "Runbook saved.",
    "unchanged": "Nothing changed: the runbook already reads exactly like that.",
    "reviewed": "Marked reviewed.",
}


@router.get("/runbooks")
def runbooks_page(request: Request, who: SignedIn, ctx: PageCtx) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        rows = services.list_services(session)
        ids = [s.id for s in rows]
        runbooks = repository.runbooks_of(session, ids)
        reviews = repository.count_open_reviews(session, ids)
        items = [
            RunbookSummaryOut.of(s, runbooks.get(s.id), now=now, open_reviews=reviews.get(s.id, 0))
            for s in rows
        ]
    return render(
        request,
        "runbooks.html",
        who=who,
        rows=items,
        written=sum(r.has_runbook for r in items),
        stale=sum(bool(r.stale) for r in items),
        failing=sum(r.lint_ok is False for r in items),
    )


def _runbook_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    ref: str,
    *,
    ok: str | None = None,
    error: str | None = None,
    draft: str | None = None,
    draft_problems: list[Problem] | None = None,
    status_code: int = 200,
) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        service = services.get_service(session, ref)
        runbook = repository.find_runbook(session, service.id)
        reviews = repository.open_reviews(session, service.id)
        out = RunbookOut.of(service, runbook, now=now, reviews=reviews) if runbook else None
        service_name = service.name
    text = draft if draft is not None else (out.markdown if out else skeleton(service_name))
    return render(
        request,
        "runbook.html",
        who=who,
        status_code=status_code,
        service=service_name,
        runbook=out,
        open_reviews=out.open_reviews if out else [],
        draft=text,
        # What the editor shows: the refused text's problems, else the stored runbook's.
        draft_problems=draft_problems if draft_problems is not None else None,
        editing=draft is not None or out is None,
        anchor=line_anchor,
        notice=NOTICES.get(ok or ""),
        error=error,
    )


@router.get("/services/{ref}/runbook")
def runbook_page(
    ref: ServiceRef, request: Request, who: SignedIn, ctx: PageCtx, ok: Ok | None = None
) -> Response:
    return _runbook_page(request, ctx, who, ref, ok=ok)


@router.get("/services/{ref}/runbook.md")
def runbook_markdown(ref: ServiceRef, who: SignedIn, ctx: PageCtx) -> Response:
    with ctx.db.read() as session:
        service = services.get_service(session, ref)
        runbook = repository.get_runbook(session, service)
        return Response(
            runbook.markdown,
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": content_disposition(f"{service.name}.md", inline=True)},
        )


@router.post("/services/{ref}/runbook")
def save_runbook(
    ref: ServiceRef,
    request: Request,
    who: Writer,
    ctx: PageCtx,
    markdown: Markdown = "",
    force: Flag = "",
) -> Response:
    # Browsers send CRLF from a textarea; the runbook is kept with the file's LF endings.
    text = markdown.replace("\r\n", "\n")
    try:
        with ctx.db.write() as session:
            service = services.get_service(session, ref)
            saved = actions.do_put_runbook(
                session,
                service=service,
                markdown=text,
                force=force == "on",
                actor=who.handle,
                now=ctx.clock.now(),
            )
            back = f"/services/{service.name}/runbook?ok={saved.change.value}"
    except actions.RunbookInvalid as exc:
        return _runbook_page(
            request,
            ctx,
            who,
            ref,
            error=f"Not saved: {exc.message}.",
            draft=text,
            draft_problems=exc.problems,
            status_code=422,
        )
    except REFUSALS as exc:
        status, message = error_of(exc)
        return _runbook_page(
            request,
            ctx,
            who,
            ref,
            error=f"Not saved: {message}.",
            draft=text,
            draft_problems=lint(text) if len(text) <= actions.MAX_RUNBOOK_BYTES else [],
            status_code=status,
        )
    return see_other(back)


@router.post("/services/{ref}/runbook/review")
def review_runbook(ref: ServiceRef, request: Request, who: Writer, ctx: PageCtx) -> Response:
    try:
        with ctx.db.write() as session:
            service = services.get_service(session, ref)
            actions.do_review_runbook(
                session, service=service, actor=who.handle, now=ctx.clock.now()
            )
            back = f"/services/{service.name}/runbook?ok=reviewed"
    except REFUSALS as exc:
        status, message = error_of(exc)
        return _runbook_page(request, ctx, who, ref, error=message, status_code=status)
    return see_other(back)


@router.post("/incidents/{incident_id}/runbook-steps")
def tick_runbook_step(
    incident_id: ItemId,
    who: Writer,
    ctx: PageCtx,
    issue: Annotated[str, Form(min_length=1, max_length=300)],
    section: Annotated[Section, Form()],
    step: Annotated[int, Form(ge=1, le=1000)],
) -> Response:
    """A step's "Done" button on the incident page; errors become the error page."""
    with ctx.db.write() as session:
        actions.do_tick_runbook_step(
            session,
            incident_id=incident_id,
            issue=issue,
            section=section,
            step=step,
            actor=who.handle,
            now=ctx.clock.now(),
        )
    return see_other(f"/incidents/{incident_id}#runbook")
