"""Pure rules for status-page subscribers and internal audiences: which addresses are
accepted, which audiences hear an incident, and what a webhook's answer means.

No I/O and no clock: the callers pass everything in."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a forward path
MAX_WEBHOOK_URL_CHARS = 2000

# Deliberately narrower than RFC 5322: one '@', a dot-separated domain with a letter
# top-level label, and none of the characters that would change a mailto URL or a header
# (spaces, quotes, angle brackets, commas, '?', '&', '/', '%', '#').
# The local part is limited to what Apprise's mailto parsing keeps intact (its
# GET_EMAIL_RE; tests/statuspage/test_subscribers_rules.py found a leading quote dropped
# and "0+.0" refused): dot-separated atoms of letters, digits, '_' and '-', with at most
# one "+tag". The rarer characters RFC 5322 allows are refused with a clear message.
_ATOMS = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*"
_LOCAL = re.compile(rf"^{_ATOMS}(?:\+{_ATOMS})?$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class BadAddress(ValueError):
    """An address a subscriber cannot have; the message says what to fix."""


def normalise_email(text: str) -> str:
    """`text` as the address subscribers are stored and compared by (domain in lower
    case; the local part is kept as typed, since only the receiving server may fold it),
    or BadAddress."""
    address = text.strip()
    if not address:
        raise BadAddress("an email address is required")
    if len(address) > MAX_EMAIL_CHARS:
        raise BadAddress(f"an email address has at most {MAX_EMAIL_CHARS} characters")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise BadAddress(f"{address!r} is not an email address (expected name@example.com)")
    if len(local) > 64 or not _LOCAL.match(local):
        raise BadAddress(f"the part before '@' in {address!r} is not valid")
    labels = domain.lower().split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise BadAddress(f"the domain of {address!r} is not valid (expected e.g. example.com)")
    if not labels[-1].isalpha() and not labels[-1].startswith("xn--"):
        raise BadAddress(f"the domain of {address!r} has no valid top-level domain")
    return f"{local}@{'.'.join(labels)}"


def check_webhook_url(text: str) -> str:
    """An http(s) URL with a host, or BadAddress."""
    url = text.strip()
    if len(url) > MAX_WEBHOOK_URL_CHARS:
        raise BadAddress(f"a webhook URL has at most {MAX_WEBHOOK_URL_CHARS} characters")
    if any(c.isspace() for c in url):
        raise BadAddress("a webhook URL cannot contain spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadAddress(f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadAddress("a webhook URL starts with http:// or https:// and names a host")
    if port == 0:
        raise BadAddress("a webhook URL cannot use port 0")
    return url


def shown_webhook_url(url: str) -> str:
    """The webhook URL without what may be a secret (a password, query values), for
    lists and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}"
    if parts.query:
        keys = [part.partition("=")[0] for part in parts.query.split("&") if part]
        shown += "?" + "&".join(f"{key}=***" for key in keys)
    return shown


def mask_email(address: str) -> str:
    """`ann.lee@example.com` → `a***e@example.com`: enough to recognise, not to harvest."""
    local, _, domain = address.rpartition("@")
    if len(local) <= 2:
        return f"{local[:1]}***@{domain}"
    return f"{local[0]}***{local[-1]}@{domain}"


def audience_hears(
    *,
    audience_service_id: int | None,
    audience_severities: Collection[str],
    service_id: int,
    severity: str,
) -> bool:
    """An audience hears an incident's updates when it is for the incident's service (or
    every service) and for its severity (or every severity)."""
    if audience_service_id is not None and audience_service_id != service_id:
        return False
    return not audience_severities or severity in audience_severities


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    ok: bool
    # Whether sending the same thing again can help.
    permanent: bool


# Client errors that say "later", not "never".
_TEMPORARY_4XX = frozenset({408, 425, 429})


def webhook_outcome(status_code: int) -> WebhookOutcome:
    """What a webhook's HTTP answer means. 2xx delivered; a redirect is a failure (as
    Statuspage has it: the receiver must answer at the URL it gave) that repeats until an
    admin changes the URL; 4xx are permanent except timeouts and rate limits; 5xx are
    temporary."""
    if 200 <= status_code < 300:
        return WebhookOutcome(ok=True, permanent=False)
    if 300 <= status_code < 400:
        return WebhookOutcome(ok=False, permanent=True)
    if 400 <= status_code < 500:
        return WebhookOutcome(ok=False, permanent=status_code not in _TEMPORARY_4XX)
    return WebhookOutcome(ok=False, permanent=False)
