from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.domain.errors import DomainError, InvalidTransition
from warroom.errors import WarroomError


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WarroomError)
    async def _warroom(_: Request, exc: WarroomError) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.message}
        if exc.allowed is not None:
            body["allowed"] = exc.allowed
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(InvalidTransition)
    async def _transition(_: Request, exc: InvalidTransition) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "allowed": exc.allowed}, status_code=409)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness race the action's own check could not see (two requests creating
        # the same handle at once on PostgreSQL). The transaction has rolled back.
        return JSONResponse(
            {"detail": "this conflicts with a record written at the same moment; retry"},
            status_code=409,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _where(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
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
