"""Confirmation links in test messages: `<base_url>/verify/<token>`; following one
proves the message arrived, and marks that contact method verified.

token = base64url(method_id.url_digest.expiry) "." base64url(HMAC-SHA256(key, label + body))
signed with the same key as acknowledge links (warroom.paging.ack_links.signing_key)
under its own label, so neither kind of link can be made from the other. The URL digest
ties the link to the address the test went to: after the URL changes it proves nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LIFETIME = timedelta(hours=24)
_LABEL = b"warroom contact verification v1\n"
_MAX_TOKEN_CHARS = 200
_INVALID = "This confirmation link is not valid"


class BadLink(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class VerifyGrant:
    method_id: int
    url_digest: str
    expires_at: datetime


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _LABEL + body, hashlib.sha256).digest()


def make_token(key: bytes, *, method_id: int, url: str, now: datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    body = f"{method_id}.{url_digest(url)}.{expires}".encode("ascii")
    return f"{_b64(body)}.{_b64(_mac(key, body))}"


def read_token(key: bytes, token: str, *, now: datetime) -> VerifyGrant:
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
        raw_id, digest, raw_expires = body.decode("ascii").split(".")
        method_id, expires = int(raw_id), int(raw_expires)
    except ValueError:
        raise BadLink(_INVALID + ".") from None
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise BadLink(
            "This confirmation link has expired (links last 24 hours); send yourself "
            "another test page from your profile."
        )
    return VerifyGrant(method_id, digest, expires_at)


def verify_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{token}"
