"""The notifier on Apprise: any URL Apprise understands (mailto://, json://, slack://, …).

One URL per send, so the result is per target (Apprise's aggregate `notify()` does not say
which target failed). Apprise is kept to the target alone: no configuration files
(`AppriseConfig` is never used, and only Apprise's CLI reads default config paths), no
plugin directories, persistent storage in memory only, no key generation on disk, no
redirects away from the target, and short socket timeouts.

Permanent or temporary: Apprise reports only True/False for most plugins. HTTP plugins
log the status code (`…error=404.`), which is read back from Apprise's log records for
this thread: a 4xx other than 408/425/429 is permanent (the target rejects this URL and
will keep doing so). A URL Apprise cannot parse is permanent. Every other failure (5xx,
connection refused, timeouts, SMTP errors) is temporary, so the outbox retries it with
backoff up to its attempt limit (warroom.engine.backoff.MAX_ATTEMPTS) and then shows it
on the incident as failed.
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
from typing import Any

import apprise

from warroom.notify.base import Delivery, DeliveryError, Message, redact

DEFAULT_TIMEOUT_SECONDS = 10.0

_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
# Client errors that say "later", not "never".
_TEMPORARY_4XX = frozenset({408, 425, 429})

_SEVERITY_TYPES: dict[str, apprise.NotifyType] = {
    "SEV-1": apprise.NotifyType.FAILURE,
    "SEV-2": apprise.NotifyType.FAILURE,
    "SEV-3": apprise.NotifyType.WARNING,
    "SEV-4": apprise.NotifyType.INFO,
}


class AppriseNotifier:
    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def send(self, url: str, message: Message) -> Delivery:
        target = redact(url)
        asset = _asset(self.timeout)
        try:
            server = apprise.Apprise.instantiate(url.strip(), asset=asset)
        except Exception as exc:  # a plugin's constructor may raise anything on bad input
            raise DeliveryError(
                f"{target}: not a notification URL Apprise understands ({exc.__class__.__name__})",
                permanent=True,
            ) from exc
        if server is None:
            raise DeliveryError(
                f"{target}: not a notification URL Apprise understands", permanent=True
            )
        server.socket_connect_timeout = self.timeout
        server.socket_read_timeout = self.timeout
        # The plugin instance is this send's own (it keeps per-instance state); only the
        # read-only asset is shared.
        _send_one(server, target, message)
        return Delivery(target=target, ok=True, detail="accepted")


def _send_one(service: Any, target: str, message: Message) -> None:
    capture = _ThreadWarnings()
    apprise_logger = logging.getLogger("apprise")
    apprise_logger.addHandler(capture)
    try:
        ok = service.notify(
            body=_body(message),
            title=message.title,
            # Our bodies are plain text, and hold text from alerts: said so, Apprise
            # escapes it and keeps its line breaks for HTML targets (email) instead of
            # sending it as markup.
            body_format=apprise.NotifyFormat.TEXT,
            notify_type=_SEVERITY_TYPES.get(message.severity or "", apprise.NotifyType.INFO),
        )
    except apprise.exception.AppriseImproperlyConfigured as exc:
        raise DeliveryError(f"{target}: {exc}", permanent=True) from exc
    except Exception as exc:  # a plugin bug or an unexpected network error: try again later
        raise DeliveryError(
            f"{target}: delivery raised {exc.__class__.__name__}", permanent=False
        ) from exc
    finally:
        apprise_logger.removeHandler(capture)
    if ok:
        return
    status = capture.http_status()
    if status is not None:
        permanent = 400 <= status < 500 and status not in _TEMPORARY_4XX
        raise DeliveryError(f"{target}: HTTP {status}", permanent=permanent)
    raise DeliveryError(f"{target}: delivery failed{capture.summary()}", permanent=False)


def _body(message: Message) -> str:
    if message.url and message.url not in message.body:
        return f"{message.body}\n\n{message.url}" if message.body else message.url
    return message.body or message.title


# One asset per timeout, shared by every send and thread: an AppriseAsset is settings
# only (set in its constructor; only AppriseConfig, never used here, changes one later),
# and building one per send costs more than the rest of a local send's setup.
_assets: dict[float, apprise.AppriseAsset] = {}
_assets_guard = threading.Lock()


def _asset(timeout: float) -> apprise.AppriseAsset:
    with _assets_guard:
        asset = _assets.get(timeout)
        if asset is None:
            asset = _assets[timeout] = _new_asset(timeout)
        return asset


def _new_asset(timeout: float) -> apprise.AppriseAsset:
    wanted: dict[str, Any] = {
        "storage_mode": "memory",
        "service_timeout": timeout,
        "allow_templates": False,
        "secure_logging": True,
        "pgp_autogen": False,
        "pem_autogen": False,
        "http_redirects": False,
    }
    # Older Apprise releases know fewer of these; pass only what this one accepts.
    accepted = inspect.signature(apprise.AppriseAsset.__init__).parameters
    return apprise.AppriseAsset(
        **{
            key: value
            for key, value in wanted.items()
            if key in accepted or hasattr(apprise.AppriseAsset, key)
        }
    )


class _ThreadWarnings(logging.Handler):
    """Apprise's warnings from the sending thread only: engines send from several threads
    and one thread's failure must not be read as another's."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            try:
                self.messages.append(record.getMessage())
            except Exception:  # a malformed log call must not break a delivery
                self.handleError(record)

    def http_status(self) -> int | None:
        for text in reversed(self.messages):
            match = _HTTP_STATUS.search(text)
            if match:
                return int(match.group(1))
        return None

    def summary(self) -> str:
        # Apprise's messages name services and errors, not URLs; keep them short anyway.
        return f": {self.messages[-1][:200]}" if self.messages else ""
