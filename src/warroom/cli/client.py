"""How the CLI reaches warroom: always through the REST API, either on a server
(`--url`, `--token`) or on an app mounted in this process over the configured database.

One code path means the CLI can never disagree with the API about rules, shapes or
permissions; the only local-mode difference is who the caller is (`acting_as`).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from warroom.cli.output import fail

DEFAULT_LOCAL_USER = "admin"


class ApiError(Exception):
    """The API answered with an error: its `detail` (and, for a refused move, `allowed`)."""

    def __init__(self, status: int, detail: str, *, allowed: list[str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.allowed = allowed


class Unreachable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Connection:
    url: str | None
    token: str | None
    as_user: str = DEFAULT_LOCAL_USER

    @property
    def remote(self) -> bool:
        return self.url is not None


class Api:
    """A thin JSON client: answers parsed, errors raised as ApiError or Unreachable."""

    def __init__(self, http: httpx.Client, *, where: str) -> None:
        self._http = http
        self.where = where

    def get(self, path: str, params: Any = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._request("POST", path, json=body)

    def put(self, path: str, body: Any = None) -> Any:
        return self._request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach warroom at {self.where}: {exc}") from exc
        if not response.is_success:
            raise _error_of(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                response.status_code,
                f"{self.where} answered {method} {path} with something other than JSON; "
                "is it a warroom server?",
            ) from None


def _error_of(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        allowed = body.get("allowed")
        return ApiError(
            response.status_code,
            detail if isinstance(detail, str) else str(detail),
            allowed=[str(a) for a in allowed] if isinstance(allowed, list) else None,
        )
    text = response.text.strip()[:200] or response.reason_phrase
    return ApiError(response.status_code, f"HTTP {response.status_code}: {text}")


class InProcessTransport(httpx.BaseTransport):
    """Sends each request straight to an ASGI app in this process: no socket, no server.

    Each request runs in its own short event loop; the CLI makes a handful of calls, so
    that costs nothing and keeps no thread or loop alive between them. An exception the
    app raises (a bug, not an API error) comes back as a 500 with its message."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return anyio.run(self._send, request)
        except Exception as exc:  # any app failure reads as a server error
            return httpx.Response(500, json={"detail": f"internal error: {exc!r}"})

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)


@contextmanager
def connect(conn: Connection) -> Iterator[Api]:
    """An Api for the duration of a command; API errors end the command with a message
    (exit 1), an unreachable server or database with exit 2."""
    try:
        with _open(conn) as api:
            yield api
    except ApiError as exc:
        message = exc.detail
        if exc.status == 401 and conn.remote:
            message += " (pass --token or set WARROOM_TOKEN)"
        elif exc.status == 404 and exc.detail == "Not Found" and conn.remote:
            # No route at all, rather than a missing incident: the URL is off.
            message += f" (is {conn.url} the base URL of a warroom server?)"
        fail(message, allowed=exc.allowed)
    except Unreachable as exc:
        fail(str(exc), code=2)


@contextmanager
def _open(conn: Connection) -> Iterator[Api]:
    if conn.url is not None:
        headers = {"Authorization": f"Bearer {conn.token}"} if conn.token else {}
        with httpx.Client(base_url=conn.url, headers=headers, timeout=30.0) as http:
            yield Api(http, where=conn.url)
        return

    from warroom.cli.database import open_database
    from warroom.settings import get_settings
    from warroom.web.app import create_app

    settings = get_settings()
    db = open_database(settings.database_url)
    try:
        # Whoever can open the database already holds every key, so a token would prove
        # nothing: requests act as the --as user, with that user's role, and the API's
        # own role checks still apply. A token, if given, still names the caller.
        app = create_app(settings, db=db, acting_as=None if conn.token else conn.as_user)
        headers = {}
        if conn.token:
            headers["Authorization"] = f"Bearer {conn.token}"
        with httpx.Client(
            base_url="http://warroom.local", headers=headers, transport=InProcessTransport(app)
        ) as http:
            yield Api(http, where="the local database")
    finally:
        db.dispose()
