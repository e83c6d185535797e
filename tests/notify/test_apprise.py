"""The Apprise notifier against real receivers on loopback: an SMTP server (aiosmtpd) gets
the email page, a small HTTP server gets the json:// page, and failures come back as
DeliveryError saying whether a retry can help. redact() never shows a secret."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.servers import free_port
from warroom.notify.apprise import AppriseNotifier
from warroom.notify.base import Delivery, DeliveryError, Message, Notifier, redact

# Apprise's PGP helper imports the deprecated imghdr; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

PAGE = Message(
    title="[SEV-2] checkout: payments failing",
    body="Payments fail for 5% of users.",
    url="https://warroom.test/ack/abc123",
    incident_id=42,
    severity="SEV-2",
)


@dataclass
class Mailbox:
    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Receiver:
    port: int
    requests: list[tuple[str, dict[str, Any]]]
    status: list[int]  # the answer to the next requests; the last one repeats

    def url(self, path: str = "/hooks/page") -> str:
        return f"json://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0, requests=[], status=[200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append((self.path, json.loads(self.rfile.read(length))))
            code = state.status.pop(0) if len(state.status) > 1 else state.status[0]
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_it_satisfies_the_notifier_protocol() -> None:
    notifier: Notifier = AppriseNotifier()
    assert notifier.send is not None


def test_it_emails_the_page_through_a_real_smtp_server(smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    url = f"mailto://127.0.0.1:{port}?from=warroom@example.com&to=ann@example.com&mode=insecure"
    delivery = AppriseNotifier(timeout=5).send(url, PAGE)
    assert delivery == Delivery(target=redact(url), ok=True, detail="accepted")
    assert len(mailbox.messages) == 1
    envelope = mailbox.messages[0]
    assert envelope.mail_from == "warroom@example.com"
    assert envelope.rcpt_tos == ["ann@example.com"]
    email = message_from_bytes(envelope.content, policy=policy.default)
    assert email["Subject"] == PAGE.title
    text = email.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert PAGE.body in text
    assert "https://warroom.test/ack/abc123" in text


def test_it_posts_the_page_to_a_json_webhook(receiver: Receiver) -> None:
    delivery = AppriseNotifier(timeout=5).send(receiver.url(), PAGE)
    assert delivery.ok
    [(path, payload)] = receiver.requests
    assert path == "/hooks/page"
    assert payload["version"] == "1.0"
    assert payload["title"] == PAGE.title
    assert payload["message"].startswith(PAGE.body)
    assert PAGE.url in payload["message"]
    assert payload["type"] == "failure"  # SEV-2 reads as Apprise's 'failure' type


def test_it_reports_a_server_error_as_temporary(receiver: Receiver) -> None:
    receiver.status[:] = [500]
    with pytest.raises(DeliveryError) as caught:
        AppriseNotifier(timeout=5).send(receiver.url(), PAGE)
    assert caught.value.permanent is False
    assert "HTTP 500" in caught.value.message
    assert len(receiver.requests) == 1  # one attempt: retries are the outbox's job


def test_it_reports_a_client_error_as_permanent(receiver: Receiver) -> None:
    receiver.status[:] = [404]
    with pytest.raises(DeliveryError) as caught:
        AppriseNotifier(timeout=5).send(receiver.url(), PAGE)
    assert caught.value.permanent is True
    assert "HTTP 404" in caught.value.message


def test_it_reports_a_rate_limit_as_temporary(receiver: Receiver) -> None:
    receiver.status[:] = [429]
    with pytest.raises(DeliveryError) as caught:
        AppriseNotifier(timeout=5).send(receiver.url(), PAGE)
    assert caught.value.permanent is False


def test_it_reports_a_refused_connection_as_temporary() -> None:
    with pytest.raises(DeliveryError) as caught:
        AppriseNotifier(timeout=2).send(f"json://127.0.0.1:{free_port()}/x", PAGE)
    assert caught.value.permanent is False


@pytest.mark.parametrize(
    "url", ["not a url", "nosuchscheme://host/path", "alice@example.com", "mailto://"]
)
def test_it_refuses_an_unparseable_url_permanently(url: str) -> None:
    with pytest.raises(DeliveryError, match="not a notification URL Apprise understands") as caught:
        AppriseNotifier().send(url, PAGE)
    assert caught.value.permanent is True


def test_it_keeps_the_password_out_of_the_failure_message(receiver: Receiver) -> None:
    receiver.status[:] = [500]
    url = f"json://hook:s3cr3t-Passw0rd@127.0.0.1:{receiver.port}/x?-token=t0k3n-value"
    with pytest.raises(DeliveryError) as caught:
        AppriseNotifier(timeout=5).send(url, PAGE)
    assert "s3cr3t-Passw0rd" not in str(caught.value)
    assert "t0k3n-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("slack://T1234ABCD/B1234ABCD/abcdefghijklmnopqrstuvwx", "slack://***"),
        ("mailto://user:pass@smtp.example.com", "mailto://user:***@smtp.example.com"),
        (
            "mailtos://smtp.example.com:587?from=a@example.com&to=b@example.com",
            "mailtos://smtp.example.com:587?from=a@example.com&to=b@example.com",
        ),
        (
            "json://u:p@hooks.example.com:8080/page?-token=abc&+X-Api-Key=def&method=POST",
            "json://u:***@hooks.example.com:8080/page?-token=***&+X-Api-Key=***&method=POST",
        ),
        ("tgram://123456:bot-token/chat", "tgram://***"),
        ("nonsense", "***"),
    ],
)
def test_it_redacts_urls_for_logs_and_the_timeline(url: str, shown: str) -> None:
    assert redact(url) == shown


secrets = st.text(
    alphabet=st.characters(codec="ascii", categories=("L", "N")), min_size=12, max_size=40
)


@given(secrets, secrets, secrets)
def test_it_never_shows_a_password_or_token(password: str, token: str, key: str) -> None:
    for one, other in ((password, token), (password, key), (token, key)):
        assume(one not in other and other not in one)
    # A "secret" that is part of the URLs' fixed text (say "Authorizatio") is not one.
    fixed = "mailto pager smtp.example.com to a@example.com pass mailtos json hook hooks page"
    fixed += " -token +Authorization slack T1234 ntfys user ntfy tgram"
    assume(all(s.lower() not in fixed.lower() for s in (password, token, key)))
    urls = [
        f"mailto://pager:{password}@smtp.example.com:587?to=a@example.com&pass={token}",
        f"mailtos://pager:{password}@smtp.example.com/{key}@example.com",
        f"json://hook:{password}@hooks.example.com/page?-token={token}&+Authorization={key}",
        f"slack://T{token[:8]}/B{key[:8]}/{password}",
        f"slack://{token}@T1234/#{password}",
        f"ntfys://user:{password}@ntfy.example.com/{token}",
        f"tgram://{token}:{password}/{key}",
    ]
    for url in urls:
        shown = redact(url)
        for secret in (password, token) if "slack" in url or "tgram" in url else (password,):
            assert secret not in shown, (url, shown)
        if "?" in url:
            assert token not in shown
            assert key not in shown


def test_it_sends_alert_text_in_an_email_as_text_not_markup(smtp: tuple[int, Mailbox]) -> None:
    """Alert fields end up in page bodies: in the HTML part they are escaped, and both
    parts keep the body's lines."""
    port, mailbox = smtp
    url = f"mailto://127.0.0.1:{port}?from=warroom@example.com&to=ann@example.com&mode=insecure"
    message = Message(
        title="[SEV-1] Checkout failing",
        body="Service: checkout\nSource: <img src=x onerror=alert(1)>",
        url="https://warroom.test/ack/abc123",
    )
    assert AppriseNotifier(timeout=5).send(url, message).ok
    email = message_from_bytes(mailbox.messages[0].content, policy=policy.default)
    text = email.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Service: checkout\nSource: <img" in text.replace("\r\n", "\n")
    html = email.get_body(preferencelist=("html",))
    if html is not None:
        markup = html.get_content()
        assert "<img" not in markup
        assert "&lt;img" in markup
