"""Acknowledge links: `<base_url>/ack/<token>`, one per page, that let the person paged
acknowledge that one incident from a phone without signing in.

token = base64url(incident_id.user_id.expiry) "." base64url(HMAC-SHA256(key, label + body)),
made and checked by warroom.links.
The link grants exactly one thing: acknowledging that incident as that user until the
expiry (LIFETIME after it was made). Anything else (another incident, a changed byte,
a late click) is refused. The key is WARROOM_SECRET_KEY or the one stored in the
database (warroom.db.secrets), so a link made by any engine works on any server."""

from dataclasses import dataclass
from datetime import datetime

from warroom.db.secrets import SIGNING_KEY, stored_secret
from warroom.db.session import Database
from warroom.links import LIFETIME, BadLink, LinkKind, b64
from warroom.settings import Settings

__all__ = ["LIFETIME", "AckGrant", "BadLink", "ack_url", "make_token", "read_token", "signing_key"]

# Keys this MAC to its purpose: the same key signing anything else can't make a link.
_KIND = LinkKind(
    label=b"warroom ack link v1\n",
    invalid="This acknowledge link is not valid",
    expired="This acknowledge link has expired (links last 24 hours); sign in to "
    "acknowledge the incident.",
)
_b64 = b64


@dataclass(frozen=True, slots=True)
class AckGrant:
    incident_id: int
    user_id: int
    expires_at: datetime


def signing_key(db: Database, settings: Settings, *, now: datetime) -> bytes:
    secret = settings.secret_key or stored_secret(db, SIGNING_KEY, now=now)
    return secret.encode()


def make_token(key: bytes, *, incident_id: int, user_id: int, now: datetime) -> str:
    return _KIND.make(key, (incident_id, user_id), now=now)


def read_token(key: bytes, token: str, *, now: datetime) -> AckGrant:
    """What a token grants at `now`; BadLink for anything not made with `key` or past
    its expiry."""
    fields, expires_at = _KIND.read(key, token, now=now)
    try:
        incident_id, user_id = (int(part) for part in fields)
    except ValueError:
        raise _KIND.refuse() from None
    return AckGrant(incident_id, user_id, expires_at)


def ack_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ack/{token}"
