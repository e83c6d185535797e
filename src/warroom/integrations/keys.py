import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

from warroom.db.session import Database
from warroom.services.repository import find_integration_key
from warroom.users.security import hash_token


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    key_id: int
    service_id: int


class KeyResolver:
    """Integration key → service, cached for a few seconds: intake is the hot path, and a
    revoked or rotated key stops working within `ttl_seconds`."""

    def __init__(self, db: Database, *, ttl_seconds: float = 10.0, size: int = 10_000) -> None:
        self._db = db
        self._ttl = ttl_seconds
        self._size = size
        self._cache: OrderedDict[str, tuple[float, ResolvedKey | None]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, secret: str) -> ResolvedKey | bool | None:
        """From memory only: the answer, or False when the database must be asked (which
        an event loop should do off its thread, with `resolve`)."""
        if not secret or len(secret) > 200:
            return None
        with self._lock:
            hit = self._cache.get(hash_token(secret))
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        return False

    def resolve(self, secret: str) -> ResolvedKey | None:
        known = self.cached(secret)
        if known is not False:
            return known if isinstance(known, ResolvedKey) else None
        digest = hash_token(secret)
        now = time.monotonic()
        with self._db.read() as session:
            key = find_integration_key(session, secret)
            found = ResolvedKey(key.id, key.service_id) if key is not None else None
        with self._lock:
            self._cache[digest] = (now + self._ttl, found)
            self._cache.move_to_end(digest)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return found

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


class RateLimiter:
    """At most `per_minute` events per key in any sliding minute, in this process.
    (With several server processes each enforces it: the limit is per process.)"""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key_id: int, count: int = 1) -> float | None:
        """None if allowed (and counted), else seconds until there is room."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._seen.setdefault(key_id, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) + count > self.per_minute:
                return max(0.0, window[0] + 60 - now) if window else 60.0
            window.extend([now] * count)
            return None
