"""The notifier interface: one message to one contact URL, one result.

Callers (the engine's outbox) treat every transport alike: `send` returns a `Delivery`
when the target accepted the message and raises `DeliveryError` otherwise, saying whether
trying again later can help. Contact URLs carry passwords and tokens, so anything that
leaves this layer (logs, the timeline, the incident page) names the target by
`redact(url)`, never by the URL itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

REDACTED = "***"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    url: str | None = None  # the incident / acknowledge link the person should open
    incident_id: int | None = None
    severity: str | None = None  # "SEV-1" … "SEV-4"


@dataclass(frozen=True, slots=True)
class Delivery:
    target: str  # redact(url): safe to log and to show
    ok: bool
    detail: str = ""


class DeliveryError(Exception):
    """A delivery failed. `permanent=False` means the same send may work later (server
    error, timeout, network); `permanent=True` means it will not until someone changes the
    contact method (unparseable URL, rejected credentials, unknown recipient)."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # Seconds the service asked us to wait (rate limits); None when it did not say.
        self.retry_after = retry_after


class Notifier(Protocol):
    def send(self, url: str, message: Message) -> Delivery:
        """Deliver `message` to the one target `url` names, or raise DeliveryError."""
        ...


# Schemes whose host and path say where a message went without granting anything:
# for these only the password and query values are hidden. Every other scheme keeps its
# secrets in the host or path (slack://T…/B…/token, tgram://bot-token/chat, ntfy topics),
# so it shows as the scheme alone.
_ADDRESS_SCHEMES = frozenset({"mailto", "mailtos", "json", "jsons", "form", "forms", "xml", "xmls"})
# Query keys whose values are addresses or modes, not secrets.
_PLAIN_QUERY_KEYS = frozenset(
    {"from", "to", "cc", "bcc", "smtp", "mode", "name", "method", "format", "reply"}
)


def redact(url: str) -> str:
    """`url` with its secrets hidden, for logs and the timeline.

    `slack://T…/B…/…` → `slack://***`; `mailto://user:pass@host` → `mailto://user:***@host`;
    `json://user:pass@host/path?-token=x` → `json://user:***@host/path?-token=***`.
    Something that is not `scheme://…` at all shows as `***`.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not scheme.isalnum():
        return REDACTED
    scheme = scheme.lower()
    if scheme not in _ADDRESS_SCHEMES:
        return f"{scheme}://{REDACTED}"
    rest = rest.split("#", 1)[0]
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{REDACTED}@{hostport}" if colon else f"{user}@{hostport}"
    _host, colon, port = hostport.rpartition(":")
    if colon and not port.isdigit() and not hostport.endswith("]"):
        # Not host:port: most likely a password with an unencoded '/' or '?' that split
        # the URL somewhere else. Show nothing rather than guess where the secret ends.
        return f"{scheme}://{REDACTED}"
    shown = f"{scheme}://{netloc}{slash}{path}"
    if query:
        # Split by hand: parse_qsl would turn Apprise's '+Header' keys into ' Header'.
        parts = [part.partition("=") for part in query.split("&") if part]
        shown += "?" + "&".join(_query_part(key, eq, value) for key, eq, value in parts)
    return shown


def _query_part(key: str, eq: str, value: str) -> str:
    if not eq:
        return key
    return f"{key}={value if unquote(key).lower() in _PLAIN_QUERY_KEYS else REDACTED}"
