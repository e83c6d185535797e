"""The public page's per-process cache: built responses (bytes and an ETag) keyed by what
they show (an endpoint, plus e.g. the day for uptime bars).

Invalidation rests on the page revision (warroom.statuspage.revision), bumped in the same
transaction as every change the public page shows:
- in this process, a committed bump clears the cache at once (`on_local_bump`), so the
  person who publishes an update sees it on the very next request;
- other processes (more workers, more machines on one PostgreSQL) notice within
  `check_interval` seconds (setting `status_page_cache_seconds`): a request finding the
  last check older than that reads the revision (one primary-key lookup) and rebuilds
  if it moved.

Between checks a hit does no I/O at all: `fresh()` is a dictionary lookup, and
`StatusPageFastPath` answers such hits before FastAPI's routing, dependency injection
and thread pool, which would otherwise cost more than the answer itself.
"""

import hashlib
import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from warroom.db.session import Database
from warroom.statuspage import revision

# A builder reads the database (in the session it is given) and returns the body and
# its media type.
Builder = Callable[[Session], tuple[bytes, str]]


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    media_type: str
    # Quoted, from the body's digest: the same content gets the same tag in every process.
    etag: str
    cors: bool
    # Sent with every answer of this entry (e.g. the HTML page's security headers).
    headers: tuple[tuple[bytes, bytes], ...] = ()


class PageCache:
    def __init__(
        self,
        db: Database,
        *,
        check_interval: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self.check_interval = check_interval
        self._monotonic = monotonic
        # Least recently stored first; at most MAX_ENTRIES (keys include incident codes
        # and the hour, so an unbounded dict would grow with crawlers and time).
        self._entries: OrderedDict[Hashable, Cached] = OrderedDict()
        self._revision: int | None = None
        self._checked_at = -math.inf
        # Bumped by every clear: a build that began before a clear must not store what
        # it read, which may predate the change that caused the clear.
        self._generation = 0
        self._guard = threading.Lock()
        # Striped: one builder per key (a burst after a change waits for one build
        # instead of running fifty) without a lock per key ever seen.
        self._building = [threading.Lock() for _ in range(_BUILD_LOCKS)]
        self.builds = 0  # how many times something was built (tests, benchmarks)
        ref = weakref.ref(self)

        def _drop() -> None:
            cache = ref()
            if cache is not None:
                cache.clear()

        revision.on_local_bump(_drop)

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self._generation += 1
            # The next request reads the revision again rather than trusting the old one.
            self._checked_at = -math.inf

    def fresh(self, key: Hashable) -> Cached | None:
        """The entry when the revision was checked recently enough; no I/O."""
        if self._monotonic() - self._checked_at >= self.check_interval:
            return None
        return self._entries.get(key)

    def get(
        self,
        key: Hashable,
        build: Builder,
        *,
        cors: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Cached:
        """The entry for `key`, checking the revision and building if needed. Blocking
        (reads the database): call it from a worker thread."""
        with self._key_lock(key):
            entry = self.fresh(key)
            if entry is not None:
                return entry
            with self._db.read() as session:
                generation = self._check(session)
                entry = self._entries.get(key)
                if entry is not None:
                    return entry
                body, media_type = build(session)
            digest = hashlib.blake2b(body, digest_size=12).hexdigest()
            extra = tuple((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())
            entry = Cached(body, media_type, f'"{digest}"', cors, extra)
            with self._guard:
                self.builds += 1
                if generation == self._generation:
                    self._entries[key] = entry
                    while len(self._entries) > MAX_ENTRIES:
                        self._entries.popitem(last=False)
            return entry

    def _check(self, session: Session) -> int:
        started = self._monotonic()
        current = revision.current(session)
        with self._guard:
            if current != self._revision:
                self._entries.clear()
                self._generation += 1
                self._revision = current
            self._checked_at = started
            return self._generation

    def _key_lock(self, key: Hashable) -> threading.Lock:
        return self._building[hash(key) % _BUILD_LOCKS]

    # --- answering -------------------------------------------------------------------

    def headers(self, entry: Cached, *, not_modified: bool = False) -> list[tuple[bytes, bytes]]:
        result = [
            (b"etag", entry.etag.encode()),
            (b"cache-control", f"public, max-age={int(self.check_interval)}".encode()),
        ]
        if entry.cors:
            # Status widgets on other sites read /api/v2 from the browser.
            result.append((b"access-control-allow-origin", b"*"))
        # A 304 has no body, so nothing to say how a body is encoded.
        result.extend(h for h in entry.headers if not (not_modified and h[0] in _BODY_ONLY))
        return result

    def response(self, entry: Cached, request: Request) -> Response:
        not_modified = _matches(request.headers.get("if-none-match"), entry.etag)
        headers = {
            k.decode(): v.decode() for k, v in self.headers(entry, not_modified=not_modified)
        }
        if not_modified:
            return Response(status_code=304, headers=headers)
        return Response(content=entry.body, media_type=entry.media_type, headers=headers)


_BODY_ONLY = frozenset({b"content-encoding"})
MAX_ENTRIES = 128
_BUILD_LOCKS = 32


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value takes gzip."""
    return any(part.split(";")[0].strip() == "gzip" for part in accept_encoding.split(","))


def _matches(if_none_match: str | bytes | None, etag: str) -> bool:
    if not if_none_match:
        return False
    text = if_none_match.decode("latin-1") if isinstance(if_none_match, bytes) else if_none_match
    for candidate in text.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


_create_guard = threading.Lock()


def page_cache(app: Any) -> PageCache:
    """The app's page cache (one per app, so each test app and each worker has its own),
    made on first use. The HTML status page shares it."""
    state = app.state
    cache: PageCache | None = getattr(state, "page_cache", None)
    if cache is None:
        with _create_guard:
            cache = getattr(state, "page_cache", None)
            if cache is None:
                ctx = state.ctx
                cache = PageCache(ctx.db, check_interval=ctx.settings.status_page_cache_seconds)
                state.page_cache = cache
    return cache


# Paths whose fresh entries StatusPageFastPath may answer, and their cache keys (or a
# function of the request's ASGI scope giving the key, for keys that change with the
# time of day or the encoding asked for; the app is scope["app"]).
KeyOf = Callable[[Scope], Hashable]
FAST_PATHS: dict[str, tuple[Hashable | None, KeyOf | None]] = {}


def fast_path(path: str, key: Hashable | None = None, *, key_of: KeyOf | None = None) -> None:
    """Let StatusPageFastPath answer GET `path` (no query string) from the cache entry
    `key` (or `key_of(scope)`) while it is fresh. The route must store its answer under the
    same key, with every header it needs in the entry (cors=, headers=)."""
    FAST_PATHS[path] = (key, key_of)


class StatusPageFastPath:
    """Pure ASGI: answers GETs of registered public paths from fresh cache entries before
    anything else runs; everything else (and every miss) goes to the app unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            found = FAST_PATHS.get(scope["path"])
            cache: PageCache | None = getattr(scope["app"].state, "page_cache", None)
            if found is not None and cache is not None and not scope.get("query_string"):
                key, key_of = found
                entry = cache.fresh(key_of(scope) if key_of is not None else key)
                if entry is not None:
                    await _answer(cache, entry, scope, send)
                    return
        await self.app(scope, receive, send)


async def _answer(cache: PageCache, entry: Cached, scope: Scope, send: Send) -> None:
    inm = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
    if _matches(inm, entry.etag):
        headers = cache.headers(entry, not_modified=True)
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = cache.headers(entry)
    headers += [
        (b"content-type", entry.media_type.encode()),
        (b"content-length", str(len(entry.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})
