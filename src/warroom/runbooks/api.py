"""The runbook API (SPEC §3, §5): one Markdown runbook per service, validated on write,
reviewed by people, and its steps ticked on incidents."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from warroom.domain.runbook import Problem
from warroom.runbooks import actions, repository
from warroom.runbooks.schemas import (
    ReviewedOut,
    RunbookIn,
    RunbookOut,
    RunbookSummaryOut,
    SavedOut,
    StepIn,
    StepOut,
)
from warroom.schemas import Cursor, Limit, ListOut
from warroom.services import repository as services
from warroom.web.auth import Ctx, Responder, Viewer

router = APIRouter(tags=["runbooks"])

ServiceRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MARKDOWN = "text/markdown; charset=utf-8"
_TEXT_TYPES = ("text/markdown", "text/x-markdown", "text/plain", "application/octet-stream")

_PUT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/markdown": {"schema": {"type": "string"}},
            "application/json": {"schema": RunbookIn.model_json_schema()},
        },
    },
    "responses": {
        "201": {"description": "created"},
        "413": {"description": "the runbook is larger than 256 KiB"},
        "415": {"description": "neither text/markdown nor JSON"},
        "422": {
            "description": 'fails lint: {"detail", "problems": [{"line", "message"}]}; '
            "nothing is written (unless force=true)"
        },
    },
}
_MARKDOWN_DOC: dict[str, Any] = {
    "responses": {"200": {"content": {"text/markdown": {"schema": {"type": "string"}}}}}
}


async def runbook_body(request: Request) -> RunbookIn:
    """The runbook as a raw Markdown body, or as JSON `{"markdown", "source_path"?}`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            data = json.loads(raw)
        except ValueError:
            raise HTTPException(400, "the request body is not valid JSON") from None
        return RunbookIn.model_validate(data)
    if kind in _TEXT_TYPES or not kind:
        try:
            return RunbookIn(markdown=raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise HTTPException(422, "the runbook is not UTF-8 text") from None
    raise HTTPException(
        415,
        f"send the runbook as text/markdown (not {kind}), or as JSON "
        '{"markdown": "..."}; with curl: -H "Content-Type: text/markdown" --data-binary @FILE',
    )


def _refused(exc: actions.RunbookInvalid) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"{exc.message}; nothing was written: fix them, or send ?force=true "
            "to store it with its problems listed",
            "problems": [_problem(p) for p in exc.problems],
        },
        status_code=422,
    )


def _problem(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line, "message": problem.message}


def _wants_markdown(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/markdown" in accept and "application/json" not in accept


@router.get("/api/v1/runbooks", response_model=ListOut[RunbookSummaryOut])
def list_runbooks(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[RunbookSummaryOut]:
    """Every service, with a runbook or not: when it was last reviewed and by whom,
    whether it is stale (over 90 days) and whether it passes lint."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = services.page_services(session, limit=limit, cursor=cursor)
        ids = [s.id for s in page.items]
        runbooks = repository.runbooks_of(session, ids)
        reviews = repository.count_open_reviews(session, ids)
        items = [
            RunbookSummaryOut.of(s, runbooks.get(s.id), now=now, open_reviews=reviews.get(s.id, 0))
            for s in page.items
        ]
    return ListOut[RunbookSummaryOut](items=items, total=page.total, next=page.next)


@router.get(
    "/api/v1/services/{ref}/runbook", response_model=RunbookOut, openapi_extra=_MARKDOWN_DOC
)
def get_runbook(ref: ServiceRef, request: Request, who: Viewer, ctx: Ctx) -> Any:
    """The runbook with its outline, common issues, lint problems and review state;
    with `Accept: text/markdown`, the Markdown alone."""
    with ctx.db.read() as session:
        service = services.get_service(session, ref)
        runbook = repository.get_runbook(session, service)
        if _wants_markdown(request):
            return Response(runbook.markdown, media_type=MARKDOWN)
        reviews = repository.open_reviews(session, service.id)
        return RunbookOut.of(service, runbook, now=ctx.clock.now(), reviews=reviews)


@router.get(
    "/api/v1/services/{ref}/runbook.md", response_class=Response, openapi_extra=_MARKDOWN_DOC
)
def get_runbook_markdown(ref: ServiceRef, who: Viewer, ctx: Ctx) -> Response:
    with ctx.db.read() as session:
        runbook = repository.get_runbook(session, services.get_service(session, ref))
        return Response(runbook.markdown, media_type=MARKDOWN)


@router.put("/api/v1/services/{ref}/runbook", response_model=SavedOut, openapi_extra=_PUT_DOC)
def put_runbook(
    ref: ServiceRef,
    response: Response,
    who: Responder,
    ctx: Ctx,
    body: Annotated[RunbookIn, Depends(runbook_body)],
    force: Annotated[
        bool, Query(description="Store it even if it fails lint (its problems stay listed)")
    ] = False,
) -> Any:
    """Create or replace the service's runbook (SPEC §5 structure, checked by lint)."""
    now = ctx.clock.now()
    try:
        with ctx.db.write() as session:
            service = services.get_service(session, ref)
            saved = actions.do_put_runbook(
                session,
                service=service,
                markdown=body.markdown,
                source_path=body.source_path,
                force=force,
                actor=who.handle,
                now=now,
            )
            reviews = repository.open_reviews(session, service.id)
            out = RunbookOut.of(service, saved.runbook, now=now, reviews=reviews)
    except actions.RunbookInvalid as exc:
        return _refused(exc)
    if saved.change is actions.Change.CREATED:
        response.status_code = 201
    return SavedOut(**out.model_dump(), change=saved.change.value)


@router.post("/api/v1/services/{ref}/runbook/review", response_model=ReviewedOut)
def review_runbook(ref: ServiceRef, who: Responder, ctx: Ctx) -> ReviewedOut:
    """Mark the runbook reviewed now by the caller; finishes the service's open "review
    the runbook" action items."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        service = services.get_service(session, ref)
        reviewed = actions.do_review_runbook(session, service=service, actor=who.handle, now=now)
        out = RunbookOut.of(service, reviewed.runbook, now=now)
        return ReviewedOut(**out.model_dump(), finished_items=[i.id for i in reviewed.finished])


@router.post(
    "/api/v1/incidents/{incident_id}/runbook-steps",
    response_model=StepOut,
    responses={201: {"description": "ticked now"}, 200: {"description": "already ticked"}},
)
def tick_runbook_step(
    incident_id: IncidentId, body: StepIn, response: Response, who: Responder, ctx: Ctx
) -> StepOut:
    """Tick a diagnosis or resolution step of the service runbook's common issue: a
    RUNBOOK_STEP_DONE event on the timeline, once per step."""
    with ctx.db.write() as session:
        ticked = actions.do_tick_runbook_step(
            session,
            incident_id=incident_id,
            issue=body.issue,
            section=body.section,
            step=body.step,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        data = ticked.event.data
        response.status_code = 201 if ticked.new else 200
        return StepOut(
            incident_id=incident_id,
            issue=str(data["issue"]),
            section=body.section,
            step=body.step,
            text=str(data["step"]),
            done_by=ticked.event.actor,
            done_at=ticked.event.at,
            new=ticked.new,
        )
