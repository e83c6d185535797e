"""Confirmation links in test messages: `<base_url>/verify/<token>`; following one
proves the message arrived, and marks that contact method verified.

token = base64url(method_id.url_digest.expiry) "." base64url(HMAC-SHA256(key, label + body)),
made and checked by warroom.links and signed with the same key as acknowledge links
(warroom.paging.ack_links.signing_key) under its own label, so neither kind of link can
be made from the other. The URL digest ties the link to the address the test went to:
after the URL changes it proves nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from warroom.links import LIFETIME, BadLink, LinkKind

__all__ = [
    "LIFETIME",
    "BadLink",
    "VerifyGrant",
    "make_token",
    "read_token",
    "url_digest",
    "verify_url",
]

_KIND = LinkKind(
    label=b"warroom contact verification v1\n",
    invalid="This confirmation link is not valid",
    expired="This confirmation link has expired (links last 24 hours); send yourself "
    "another test page from your profile.",
)


@dataclass(frozen=True, slots=True)
class VerifyGrant:
    method_id: int
    url_digest: str
    expires_at: datetime


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def make_token(key: bytes, *, method_id: int, url: str, now: datetime) -> str:
    return _KIND.make(key, (method_id, url_digest(url)), now=now)


def read_token(key: bytes, token: str, *, now: datetime) -> VerifyGrant:
    fields, expires_at = _KIND.read(key, token, now=now)
    try:
        raw_id, digest = fields
        method_id = int(raw_id)
    except ValueError:
        raise _KIND.refuse() from None
    return VerifyGrant(method_id, digest, expires_at)


def verify_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{token}"
