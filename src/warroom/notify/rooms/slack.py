"""Incident rooms as Slack channels, through the Slack Web API (slack_sdk's WebClient).

One channel per incident, named `incident-<id>` (Slack channel names: lower-case letters,
digits, hyphens and underscores, at most 80 characters); the topic is set right after.

Opening is safe to repeat: when the name is taken and the taken channel is one the bot
is in (an earlier run created it and its answer was lost), that channel is the room.
Posting is not: Slack has no idempotency key for chat.postMessage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from urllib.parse import quote

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from warroom.notify.rooms.base import (
    OPERATION_DEADLINE_SECONDS,
    Deadline,
    Room,
    RoomError,
    room_name,
    unique_members,
)

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
MAX_CHANNEL_NAME = 80
# How many `incident-<id>-<n>` names to try when earlier ones are taken (e.g. a channel
# left behind by an earlier installation whose incident ids started over).
MAX_NAME_ATTEMPTS = 20
# Slack documents topics up to 250 characters and refuses longer ones with `too_long`.
MAX_TOPIC = 250
# conversations.list page size (Slack: under 1000; it may answer fewer, even mid-list).
LIST_PAGE = 200

# Slack answers these when its side failed; the same call can succeed later.
_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# The member is in the channel, which is what inviting was for.
_ALREADY_PRESENT = frozenset({"already_in_channel", "cant_invite_self"})
# Errors about one invited user rather than the call: report the user, carry on.
_MEMBER_ERRORS = frozenset(
    {
        "user_not_found",
        "cant_invite",
        "user_is_restricted",
        "user_is_ultra_restricted",
        "user_team_not_in_channel",
        "ura_max_channels",
        "invitee_cant_see_channel",
        "no_external_invite_permission",
        "missing_profile_id",
        "not_allowed_user",
    }
)


class SlackRoomAdapter:
    name = "slack"

    def __init__(
        self,
        *,
        token: str,
        base_url: str = SLACK_API_URL,
        client: WebClient | None = None,
        private: bool = False,
        timeout_seconds: int = 10,
        deadline_seconds: float = OPERATION_DEADLINE_SECONDS,
    ) -> None:
        # No client-side retries: the caller's outbox retries with backoff, and a blind
        # retry of chat.postMessage after a lost response would post the message twice.
        self._client = client or WebClient(
            token=token, base_url=base_url, timeout=timeout_seconds, retry_handlers=[]
        )
        self._private = private
        self._deadline_seconds = deadline_seconds
        self._team_id: str | None = None

    def open_room(self, *, incident_id: int, title: str, topic: str) -> Room:
        deadline = Deadline(self._deadline_seconds)
        base = room_name(incident_id)
        channel: dict[str, object] | None = None
        # The bot's channels with names like ours, looked up once, when a name is taken.
        ours: dict[str, dict[str, object]] | None = None
        name = base
        for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
            name = _channel_name(base if attempt == 1 else f"{base}-{attempt}")
            deadline.check("Slack conversations.create")
            try:
                response = self._client.conversations_create(name=name, is_private=self._private)
            except SlackApiError as exc:
                if _error_code(exc) != "name_taken":
                    raise _room_error("conversations.create", exc) from exc
                # An earlier run of this step may have created it and lost the answer:
                # a channel of this name that the bot is in is this incident's room.
                # Anyone else's (an old installation's, a person's) gets a suffix.
                if ours is None:
                    ours = self._member_channels(base, deadline)
                if name in ours:
                    channel = ours[name]
                    break
                continue
            except (SlackClientError, OSError) as exc:
                raise _room_error("conversations.create", exc) from exc
            channel = _dict(response.get("channel"))
            break
        if channel is None:
            raise RoomError(
                f"Slack conversations.create: {base} and {MAX_NAME_ATTEMPTS - 1} variants "
                "are all taken",
                permanent=True,
            )
        channel_id = str(channel.get("id") or "")
        if not channel_id:
            raise RoomError(
                "Slack conversations.create answered without a channel id", permanent=True
            )
        name = str(channel.get("name") or name)
        self._set_topic(channel_id, topic)
        team_id = str(channel.get("context_team_id") or "") or self._workspace_id()
        return Room(
            adapter=self.name, id=channel_id, url=_channel_url(team_id, channel_id), name=name
        )

    def invite(self, room: Room, members: Sequence[str]) -> list[str]:
        wanted = unique_members(members)
        if not wanted:
            return []
        try:
            self._invite(room.id, wanted)
            return []
        except _MemberRefused as refused:
            if len(wanted) == 1:
                return [] if refused.code in _ALREADY_PRESENT else list(wanted)
        # Slack names one error for the whole list; ask per member to learn who failed.
        # Members the list call did invite answer `already_in_channel` now.
        deadline = Deadline(self._deadline_seconds)
        failed: list[str] = []
        for member in wanted:
            deadline.check("Slack conversations.invite")
            try:
                self._invite(room.id, [member])
            except _MemberRefused as refused:
                if refused.code not in _ALREADY_PRESENT:
                    log.info("Slack refused to invite %s to %s: %s", member, room.id, refused.code)
                    failed.append(member)
        return failed

    def post(self, room: Room, text: str, *, idempotency_key: str | None = None) -> None:
        # Slack has no idempotency key for chat.postMessage; the key is ignored.
        escaped = escape_text(text)
        self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(channel=room.id, text=escaped),
        )

    def _member_channels(self, base: str, deadline: Deadline) -> dict[str, dict[str, object]]:
        """Unarchived channels named `base` or `base-<n>` that the bot is a member of, by
        name. Private channels are listed only to their members, which is all we want."""
        found: dict[str, dict[str, object]] = {}
        cursor: str | None = None
        while True:
            deadline.check("Slack conversations.list")
            try:
                page = self._call(
                    "conversations.list",
                    partial(
                        self._client.conversations_list,
                        types="public_channel,private_channel",
                        exclude_archived=True,
                        limit=LIST_PAGE,
                        cursor=cursor,
                    ),
                )
            except RoomError as exc:
                if not exc.permanent:
                    raise
                # Without channels:read/groups:read the bot cannot tell its channel from
                # another's: a suffixed name is the lesser harm than failing the step.
                log.warning("Slack conversations.list failed; taken names get a suffix: %s", exc)
                return {}
            channels = page.get("channels")
            for item in channels if isinstance(channels, list) else []:
                channel = _dict(item)
                name = str(channel.get("name") or "")
                if (
                    (name == base or name.startswith(f"{base}-"))
                    and channel.get("is_member") is True
                    and not channel.get("is_archived")
                    and channel.get("id")
                ):
                    found[name] = channel
            cursor = str(_dict(page.get("response_metadata")).get("next_cursor") or "") or None
            if cursor is None:
                return found

    def _invite(self, channel: str, users: list[str]) -> None:
        try:
            self._client.conversations_invite(channel=channel, users=users)
        except SlackApiError as exc:
            code = _error_code(exc)
            if code in _ALREADY_PRESENT or code in _MEMBER_ERRORS:
                raise _MemberRefused(code) from exc
            raise _room_error("conversations.invite", exc) from exc
        except (SlackClientError, OSError) as exc:
            raise _room_error("conversations.invite", exc) from exc

    def _set_topic(self, channel_id: str, topic: str) -> None:
        topic = topic.strip()[:MAX_TOPIC]
        if not topic:
            return
        try:
            self._call(
                "conversations.setTopic",
                lambda: self._client.conversations_setTopic(channel=channel_id, topic=topic),
            )
        except RoomError as exc:
            # The channel exists now; failing the whole call would make the caller's retry
            # create a second channel. A room without its topic is the lesser harm.
            log.warning("Slack channel %s opened without its topic: %s", channel_id, exc)

    def _workspace_id(self) -> str:
        """The workspace (team) id for channel links, asked once; empty when unknown."""
        if self._team_id is None:
            try:
                answer = self._client.auth_test()
                self._team_id = str(answer.get("team_id") or "")
            except (SlackClientError, OSError) as exc:
                log.info("Slack auth.test failed; channel links fall back to slack://: %s", exc)
                return ""
        return self._team_id

    @staticmethod
    def _call(what: str, call: Callable[[], SlackResponse]) -> SlackResponse:
        try:
            return call()
        except (SlackClientError, OSError) as exc:
            raise _room_error(what, exc) from exc


def escape_text(text: str) -> str:
    """Slack's control characters as Slack documents them (`&` `<` `>` → `&amp;` `&lt;`
    `&gt;`), so text from an alert shows as written and cannot mention `<!channel>`,
    `<!here>` or `<@U…>`, nor make links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _MemberRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _channel_name(name: str) -> str:
    return name.lower()[:MAX_CHANNEL_NAME]


def _channel_url(team_id: str, channel_id: str) -> str:
    if team_id:
        return (
            f"https://app.slack.com/client/{quote(team_id, safe='')}/{quote(channel_id, safe='')}"
        )
    return f"slack://channel?id={quote(channel_id, safe='')}"


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _error_code(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _room_error(what: str, exc: Exception) -> RoomError:
    if isinstance(exc, SlackApiError):
        status = int(getattr(exc.response, "status_code", 0) or 0)
        code = _error_code(exc) or f"HTTP {status}"
        if status == 429 or code in _TRANSIENT_ERRORS or status >= 500:
            return RoomError(
                f"Slack {what}: {code} (try again later)",
                permanent=False,
                retry_after=_retry_after(exc.response),
            )
        # invalid_auth, not_authed, missing_scope, channel_not_found, is_archived, …
        return RoomError(f"Slack {what}: {code}", permanent=True)
    if isinstance(exc, SlackClientError):
        # The request could not be made as asked (bad arguments, wrong token type).
        return RoomError(f"Slack {what}: {exc}", permanent=True)
    # URLError, timeouts, refused or reset connections are all OSErrors.
    return RoomError(f"Slack {what}: cannot reach Slack: {exc}", permanent=False)


def _retry_after(response: SlackResponse) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None
