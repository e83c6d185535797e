"""Acknowledge links: `<base_url>/ack/<token>`, one per page, that let the person paged
acknowledge that one incident from a phone without signing in.

token = base64url(incident_id.user_id.expiry) "." base64url(HMAC-SHA256(key, label + body))
The link grants exactly one thing: acknowledging that incident as that user until the
expiry (LIFETIME after it was made). Anything else (another incident, a changed byte,
a late click) is refused. The key is WARROOM_SECRET_KEY or the one stored in the
database (warroom.db.secrets), so a link made by any engine works on any server."""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warroom.db.secrets import SIGNING_KEY, stored_secret
from warroom.db.session import Database
from warroom.settings import Settings

LIFETIME = timedelta(hours=24)
# Keys this MAC to its purpose: the same key signing anything else can't make a link.
_LABEL = b"warroom ack link v1\n"
_MAX_TOKEN_CHARS = 200


class BadLink(Exception):
    """A token that does not grant anything: malformed, tampered with, or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


_INVALID = "This acknowledge link is not valid"


@dataclass(frozen=True, slots=True)
class AckGrant:
    incident_id: int
    user_id: int
    expires_at: datetime


def signing_key(db: Database, settings: Settings, *, now: datetime) -> bytes:
    secret = settings.secret_key or stored_secret(db, SIGNING_KEY, now=now)
    return secret.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _LABEL + body, hashlib.sha256).digest()


def make_token(key: bytes, *, incident_id: int, user_id: int, now: datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    body = f"{incident_id}.{user_id}.{expires}".encode("ascii")
    return f"{_b64(body)}.{_b64(_mac(key, body))}"


def read_token(key: bytes, token: str, *, now: datetime) -> AckGrant:
    """What a token grants at `now`; BadLink for anything not made with `key` or past
    its expiry."""
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        raise BadLink(_INVALID + ".")
    encoded_body, encoded_mac = token.split(".")
    try:
        body, mac = _unb64(encoded_body), _unb64(encoded_mac)
    except (binascii.Error, ValueError):
        raise BadLink(_INVALID + ".") from None
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise BadLink(_INVALID + ": it was changed, or was not made by this warroom.")
    try:
        incident_id, user_id, expires = (int(part) for part in body.decode("ascii").split("."))
    except ValueError:
        raise BadLink(_INVALID + ".") from None
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise BadLink(
            "This acknowledge link has expired (links last 24 hours); sign in to "
            "acknowledge the incident.",
            expired=True,
        )
    return AckGrant(incident_id, user_id, expires_at)


def ack_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ack/{token}"
