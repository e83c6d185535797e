from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.domain.errors import DomainError, InvalidTransition
from warroom.errors import WarroomError


def field_name(loc: Sequence[Any]) -> str:
    """Where in the request a validation error is: `title`, `components.db`, `body`."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def summarise(errors: Sequence[Any], *, for_people: bool = False) -> str:
    """One line for all of them; for people, `next_update_minutes` reads `next update minutes`."""
    parts = []
    for e in errors:
        name = field_name(e.get("loc", ()))
        parts.append(f"{name.replace('_', ' ') if for_people else name}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An error an action raised, as the status and words a person or client gets."""

    status: int
    message: str
    allowed: list[str] | None = None


# Every kind of exception that means "refused", not "broken".
REFUSALS = (WarroomError, DomainError, IntegrityError, ValidationError)


def refusal_of(exc: Exception, *, for_people: bool = False) -> Refusal | None:
    """The one mapping from action errors to HTTP, for the JSON API and the pages alike;
    None for anything that is not a refusal (a bug, which stays a 500)."""
    if isinstance(exc, WarroomError):
        return Refusal(exc.status_code, exc.message, exc.allowed)
    if isinstance(exc, InvalidTransition):
        return Refusal(409, str(exc), exc.allowed)
    if isinstance(exc, DomainError):
        return Refusal(422, str(exc))
    if isinstance(exc, ValidationError):
        return Refusal(422, summarise(exc.errors(), for_people=for_people))
    if isinstance(exc, IntegrityError):
        # A uniqueness race the action's own check could not see (two requests creating
        # the same handle at once on PostgreSQL). The transaction has rolled back.
        return Refusal(409, "this conflicts with a record written at the same moment; retry")
    return None


def install_error_handlers(app: FastAPI) -> None:
    async def _refused(_: Request, exc: Exception) -> JSONResponse:
        refusal = refusal_of(exc)
        if refusal is None:
            raise exc
        body: dict[str, Any] = {"detail": refusal.message}
        if refusal.allowed is not None:
            body["allowed"] = refusal.allowed
        return JSONResponse(body, status_code=refusal.status)

    for kind in REFUSALS:
        app.add_exception_handler(kind, _refused)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": field_name(e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return JSONResponse(
                {"detail": "the request body is not valid JSON", "errors": errors},
                status_code=400,
            )
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse({"detail": f"invalid request: {summary}", "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_page(request):
            from warroom.web.pages.base import error_page

            return error_page(request, exc.status_code, str(exc.detail))
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )


def _wants_page(request: Request) -> bool:
    """A person's browser asking for a page, rather than a client of the JSON API."""
    path = request.url.path
    if path.startswith(("/api/", "/integrations/", "/openapi.json", "/healthz")):
        return False
    return "text/html" in request.headers.get("accept", "")


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, whether or not they say
    their length up front, before any handler reads them."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(self.limit)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body is larger than {self.limit} bytes"}, status_code=413
        )
        await response({"type": "http"}, _empty_receive, send)


class _TooLarge(StarletteHTTPException):
    """An HTTPException, because FastAPI turns any other error raised while it reads a
    body into a 400 "error parsing the body"; this one it re-raises, so the client gets
    the 413 it should, through the handler above."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
