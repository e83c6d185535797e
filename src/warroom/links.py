"""Signed, expiring links that work without signing in (acknowledge links, contact
verification links): what they share, the token format and its checks.

token = base64url(field.field….expiry) "." base64url(HMAC-SHA256(key, label + body))
Each kind of link signs under its own label, so one kind can't be made from another
with the same key. A token grants only what its fields say, until its expiry."""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LIFETIME = timedelta(hours=24)
MAX_TOKEN_CHARS = 200


class BadLink(Exception):
    """A token that does not grant anything: malformed, tampered with, or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class LinkKind:
    """One kind of link: its label, and what a refusal says to the person holding it."""

    label: bytes
    # "This acknowledge link is not valid": a reason or a full stop follows.
    invalid: str
    # The whole sentence for a link past its expiry.
    expired: str

    def _mac(self, key: bytes, body: bytes) -> bytes:
        return hmac.new(key, self.label + body, hashlib.sha256).digest()

    def make(self, key: bytes, fields: Sequence[object], *, now: datetime) -> str:
        expires = int((now + LIFETIME).timestamp())
        body = ".".join([*(str(f) for f in fields), str(expires)]).encode("ascii")
        return f"{b64(body)}.{b64(self._mac(key, body))}"

    def refuse(self) -> BadLink:
        return BadLink(self.invalid + ".")

    def read(self, key: bytes, token: str, *, now: datetime) -> tuple[list[str], datetime]:
        """The fields a token signs and its expiry; BadLink for anything not made with
        `key` under this kind's label, or past its expiry."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            raise self.refuse()
        encoded_body, encoded_mac = token.split(".")
        try:
            body, mac = unb64(encoded_body), unb64(encoded_mac)
        except (binascii.Error, ValueError):
            raise self.refuse() from None
        if not hmac.compare_digest(mac, self._mac(key, body)):
            raise BadLink(self.invalid + ": it was changed, or was not made by this warroom.")
        try:
            *fields, raw_expires = body.decode("ascii").split(".")
            expires_at = datetime.fromtimestamp(int(raw_expires), UTC)
        except ValueError:
            raise self.refuse() from None
        if now >= expires_at:
            raise BadLink(self.expired, expired=True)
        return fields, expires_at
