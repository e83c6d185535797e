"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that holds Slack's side of the
contract for the methods warroom calls, so a client that breaks the contract fails here.

Checked as Slack documents it (docs.slack.dev/reference/methods/…):
- every method is `POST https://slack.com/api/<method>`, except that conversations.list
  is also taken as `GET` with query arguments (its preferred method); the token goes in
  `Authorization: Bearer xoxb-…` (or a form `token` field); none → `not_authed`, an
  unknown one → `invalid_auth`;
- bodies are `application/x-www-form-urlencoded` or `application/json` (JSON needs the
  header token); anything else → `invalid_form_data`;
- conversations.create: `name` required, lower-case letters, digits, `-` and `_`, at most 80
  characters (`invalid_name_*`); an existing name → `name_taken`;
- conversations.setTopic: `channel` + `topic` (≤ 250 characters, else `too_long`);
- conversations.invite: `channel` + `users` (comma-separated, ≤ 1000); per-user errors
  `user_not_found`, `already_in_channel`, `cant_invite_self`; without `force` one bad user
  fails the call for all (Slack names the first error and lists all in `errors`);
- conversations.list: `types` (comma-separated `public_channel`, `private_channel`, `mpim`,
  `im`; default `public_channel`; anything else → `invalid_types`), `exclude_archived`,
  `limit` (default 100, at most 1000, else `invalid_limit`), `cursor` (from the previous
  page's `response_metadata.next_cursor`, empty on the last page; a bad one →
  `invalid_cursor`). Private channels are listed only to their members; each channel
  says `is_member`, `is_archived`, `creator`. Slack may answer fewer than `limit` even
  before the end (`list_page_size` makes the fake do so);
- chat.postMessage: `channel` + one of `text`/`blocks`/`attachments` (`no_text`), the bot
  must be in the channel (`not_in_channel`); the text is kept exactly as sent, and
  `mentions` lists the special mentions (`<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`)
  Slack would act on in it;
- errors are HTTP 200 with `{"ok": false, "error": …}`, except rate limits: HTTP 429 with a
  `Retry-After` header.

Use the `fake_slack` fixture (import it into a conftest) or `FakeSlack()` as a context
manager; point a client at `fake.api_url` with token `fake.token`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

BOT_TOKEN = "xoxb-0000000000-fake-warroom-bot"
TEAM_ID = "T0FAKETEAM"
BOT_USER = "U0BOT00001"
DEFAULT_USERS = ("U0ALICE001", "U0BOB00001", "U0CAROL001")

_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
_NAME_CHARS = re.compile(r"^[a-z0-9\-_]*$")
# What Slack turns into a notification in message text: <!channel>, <!here|…>, <@U…>.
_MENTION = re.compile(r"<(![a-z]+|@[UW][A-Z0-9]+)(?:\|[^>]*)?>")
# Methods the fake also takes as GET (query arguments), as Slack documents them.
_GET_METHODS = frozenset({"conversations.list"})


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]
    content_type: str
    authorization: str | None


@dataclass
class FakeChannel:
    id: str
    name: str
    is_private: bool
    topic: str = ""
    members: list[str] = field(default_factory=list)
    creator: str = BOT_USER
    is_archived: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    method: str | None
    status: int
    retry_after: int | None
    body: dict[str, Any] | str


class FakeSlack:
    def __init__(
        self,
        *,
        users: tuple[str, ...] = DEFAULT_USERS,
        token: str = BOT_TOKEN,
        include_context_team_id: bool = True,
    ) -> None:
        self.token = token
        self.users = {BOT_USER, *users}
        self.include_context_team_id = include_context_team_id
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[SlackCall] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._next_channel = 1
        # conversations.list answers at most this many per page whatever `limit` says.
        self.list_page_size: int | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------

    def rate_limit_next(self, method: str | None = None, *, retry_after: int = 30) -> None:
        """The next call (of `method`, or any) answers 429 with Retry-After, once."""
        self._faults.append(_Fault(method, 429, retry_after, {"ok": False, "error": "ratelimited"}))

    def fail_next(self, method: str | None = None, *, status: int = 503) -> None:
        """The next call (of `method`, or any) answers a bare HTTP error page, once."""
        self._faults.append(_Fault(method, status, None, "<html>upstream unavailable</html>"))

    def add_channel(
        self,
        name: str,
        *,
        members: tuple[str, ...] = (),
        is_private: bool = False,
        creator: str = "U0SOMEONE1",
        is_archived: bool = False,
    ) -> FakeChannel:
        """A channel someone else made (by default), as if it existed before the test."""
        with self._lock:
            channel = self._create_channel(name, is_private=is_private, members=[*members])
            channel.creator = creator
            channel.is_archived = is_archived
            return channel

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def channel_named(self, name: str) -> FakeChannel:
        return next(c for c in self.channels.values() if c.name == name)

    # -- the API -----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        args: dict[str, Any],
        *,
        content_type: str,
        authorization: str | None,
        http_method: str = "POST",
    ) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        with self._lock:
            self.calls.append(SlackCall(method, dict(args), content_type, authorization))
            if http_method == "GET" and method not in _GET_METHODS:
                # Slack's write methods are POST; this fake holds clients to it.
                return 405, {}, _error("method_not_allowed")
            fault = next(
                (f for f in self._faults if f.method in (None, method)),
                None,
            )
            if fault is not None:
                self._faults.remove(fault)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                return fault.status, headers, fault.body
            return 200, {}, self._answer(method, args, content_type, authorization, http_method)

    def _answer(
        self,
        method: str,
        args: dict[str, Any],
        content_type: str,
        authorization: str | None,
        http_method: str = "POST",
    ) -> dict[str, Any]:
        media = content_type.split(";")[0].strip().lower()
        if http_method == "GET":
            media = "application/x-www-form-urlencoded"  # query arguments, token allowed
        elif media not in ("application/x-www-form-urlencoded", "application/json"):
            return _error("invalid_form_data")
        token = None
        if authorization is not None:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value:
                return _error("invalid_auth")
            token = value
        elif media == "application/x-www-form-urlencoded":
            token = args.get("token")
        if not token:
            return _error("not_authed")
        if token != self.token or not token.startswith("xoxb-"):
            return _error("invalid_auth")
        handler = {
            "auth.test": self._auth_test,
            "conversations.create": self._create,
            "conversations.setTopic": self._set_topic,
            "conversations.invite": self._invite,
            "conversations.list": self._list,
            "chat.postMessage": self._post_message,
        }.get(method)
        if handler is None:
            return _error("unknown_method")
        return handler(args)

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-warroom.slack.com/",
            "team": "Fake Warroom",
            "user": "warroom",
            "team_id": TEAM_ID,
            "user_id": BOT_USER,
            "bot_id": "B0FAKEBOT1",
        }

    def _create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("name") or "")
        if not name:
            return _error("invalid_name_required")
        if len(name) > 80:
            return _error("invalid_name_maxlength")
        if not _NAME_CHARS.match(name):
            return _error("invalid_name_specials")
        if not _CHANNEL_NAME.match(name) or not re.search(r"[a-z0-9]", name):
            return _error("invalid_name_punctuation")
        if any(c.name == name for c in self.channels.values()):
            return _error("name_taken")
        is_private = _flag(args.get("is_private"))
        channel = self._create_channel(name, is_private=is_private, members=[BOT_USER])
        return {"ok": True, "channel": self._channel_object(channel)}

    def _set_topic(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return _error("channel_not_found")
        if "topic" not in args:
            return _error("invalid_arguments")
        topic = str(args["topic"])
        if len(topic) > 250:
            return _error("too_long")
        if BOT_USER not in channel.members:
            return _error("not_in_channel")
        channel.topic = topic
        return {"ok": True, "channel": self._channel_object(channel)}

    def _invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return _error("channel_not_found")
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return _error("no_user")
        if len(users) > 1000:
            return _error("too_many_users")
        if BOT_USER not in channel.members:
            return _error("not_in_channel")
        errors = []
        for user in users:
            if user == BOT_USER:
                errors.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user not in self.users:
                errors.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user in channel.members:
                errors.append({"user": user, "ok": False, "error": "already_in_channel"})
        if errors and not _flag(args.get("force")):
            return {"ok": False, "error": errors[0]["error"], "errors": errors}
        refused = {e["user"] for e in errors}
        channel.members.extend(u for u in users if u not in refused)
        answer: dict[str, Any] = {"ok": True, "channel": self._channel_object(channel)}
        if errors:
            answer["errors"] = errors
        return answer

    def _list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = [t.strip() for t in str(args.get("types") or "public_channel").split(",")]
        if not types or any(
            t not in ("public_channel", "private_channel", "mpim", "im") for t in types
        ):
            return _error("invalid_types")
        try:
            limit = int(args.get("limit") or 100)
        except (TypeError, ValueError):
            return _error("invalid_limit")
        if not 1 <= limit <= 1000:
            return _error("invalid_limit")
        if self.list_page_size is not None:
            limit = min(limit, self.list_page_size)
        cursor = str(args.get("cursor") or "")
        start = 0
        if cursor:
            if not cursor.startswith("dGVhbTpD") or not cursor[8:].isdigit():
                return _error("invalid_cursor")
            start = int(cursor[8:])
        exclude_archived = _flag(args.get("exclude_archived"))
        listed = [
            c
            for c in sorted(self.channels.values(), key=lambda c: c.id)
            if ("private_channel" if c.is_private else "public_channel") in types
            and (not c.is_private or BOT_USER in c.members)
            and not (exclude_archived and c.is_archived)
        ]
        page = listed[start : start + limit]
        more = start + limit < len(listed)
        return {
            "ok": True,
            "channels": [self._channel_object(c) for c in page],
            "response_metadata": {"next_cursor": f"dGVhbTpD{start + limit}" if more else ""},
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return _error("channel_not_found")
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            return _error("no_text")
        if BOT_USER not in channel.members:
            return _error("not_in_channel")
        ts = f"{1_700_000_000 + len(self.calls)}.{len(channel.messages):06d}"
        text = str(args.get("text", ""))
        message = {
            "type": "message",
            "user": BOT_USER,
            "text": text,
            "ts": ts,
            "mentions": _MENTION.findall(text),
        }
        channel.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message}

    def _create_channel(self, name: str, *, is_private: bool, members: list[str]) -> FakeChannel:
        channel_id = f"C{self._next_channel:09d}"
        self._next_channel += 1
        channel = FakeChannel(channel_id, name, is_private, members=members)
        self.channels[channel_id] = channel
        return channel

    def _channel_object(self, channel: FakeChannel) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": True,
            "is_private": channel.is_private,
            "is_member": BOT_USER in channel.members,
            "is_archived": channel.is_archived,
            "creator": channel.creator,
            "topic": {"value": channel.topic, "creator": BOT_USER, "last_set": 0},
        }
        if self.include_context_team_id:
            data["context_team_id"] = TEAM_ID
        return data


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            method = self.path.split("?", 1)[0].removeprefix("/api/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8") if length else ""
            content_type = self.headers.get("Content-Type") or ""
            args: dict[str, Any]
            if content_type.startswith("application/json"):
                try:
                    parsed = json.loads(raw or "{}")
                except ValueError:
                    self._reply(200, {}, _error("invalid_json"))
                    return
                args = parsed if isinstance(parsed, dict) else {}
            else:
                args = dict(parse_qsl(raw, keep_blank_values=True))
            status, headers, body = fake.handle(
                method,
                args,
                content_type=content_type,
                authorization=self.headers.get("Authorization"),
            )
            self._reply(status, headers, body)

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            status, headers, body = fake.handle(
                path.removeprefix("/api/"),
                dict(parse_qsl(query, keep_blank_values=True)),
                content_type=self.headers.get("Content-Type") or "",
                authorization=self.headers.get("Authorization"),
                http_method="GET",
            )
            self._reply(status, headers, body)

        def _reply(self, status: int, headers: dict[str, str], body: dict[str, Any] | str) -> None:
            is_json = isinstance(body, dict)
            data = (json.dumps(body) if is_json else str(body)).encode("utf-8")
            self.send_response(status)
            media = "application/json" if is_json else "text/html"
            self.send_header("Content-Type", f"{media}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
