"""The engine's handlers for incident rooms: open the room, invite the service's
responders, post the initial message. Each is its own task, so a retry repeats only the
step that failed, never one that already finished and was recorded.

A step can still run again after its outside call succeeded (the answer was lost, or the
engine died before recording it), so each step is made safe to repeat where the service
allows: opening reuses the room an earlier run created (Slack: the taken channel name
the bot is in; Matrix: the room alias), inviting someone already in the room is no
failure, and a post carries the task's own idempotency key (Matrix transaction id;
Slack has none, so a Slack post can, rarely, appear twice).

Where the room is (adapter, id, url, name) travels in the follow-up tasks' payloads and
on the `room_opened` timeline event; the incident itself keeps only `room_url`.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.automation import OPEN_ROOM
from warroom.domain.comms import UpdateKind
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import do_set_room, draft_update, record
from warroom.incidents.repository import get_incident
from warroom.notify.rooms import Room, RoomAdapter, RoomError, configured_room_adapter
from warroom.services.models import Service
from warroom.users.models import User

__all__ = [
    "INVITE_ROOM",
    "OPEN_ROOM",
    "POST_ROOM_MESSAGE",
    "invite_room",
    "open_room",
    "post_room_message",
]

INVITE_ROOM = "invite_room"
POST_ROOM_MESSAGE = "post_room_message"


def open_room(ctx: TaskContext) -> None:
    adapter = configured_room_adapter(ctx.settings)
    if adapter is None:
        return  # no chat transport: the incident page is the room
    incident_id = ctx.incident_id
    with ctx.db.read() as session:
        incident = get_incident(session, incident_id)
        if incident.room_url is not None or incident.status is Status.CLOSED:
            return  # opened by hand, or by an earlier run whose completion was lost
        title = incident.title
        base_url = ctx.settings.base_url.rstrip("/")
        topic = (
            f"{incident.severity} · {incident.service.name} · {base_url}/incidents/{incident.id}"
        )
    room = adapter.open_room(incident_id=incident_id, title=title, topic=topic)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = do_set_room(
            session,
            incident_id=incident_id,
            url=room.url,
            actor=SYSTEM_ACTOR,
            now=now,
            adapter=room.adapter,
            room_id=room.id,
            name=room.name,
        )
        where = _room_payload(room)
        members, handles, skipped = _members(session, incident.service, adapter.name)
        if members or skipped:
            enqueue(
                session,
                kind=INVITE_ROOM,
                incident_id=incident_id,
                now=now,
                payload={"room": where, "members": members, "handles": handles, "skipped": skipped},
            )
        if ctx.task.payload.get("post_initial_message"):
            text = draft_update(
                incident,
                UpdateKind.INITIAL,
                now=now,
                status_page_url=ctx.settings.status_page_url,
            )
            enqueue(
                session,
                kind=POST_ROOM_MESSAGE,
                incident_id=incident_id,
                now=now,
                payload={"room": where, "text": text},
            )
        ctx.complete(session)


def invite_room(ctx: TaskContext) -> None:
    payload = ctx.task.payload
    room = _room_from(payload)
    adapter = _adapter_for(ctx, room)
    members = [str(m) for m in payload.get("members") or []]
    failed = adapter.invite(room, members) if members else []
    with ctx.db.write() as session:
        incident = get_incident(session, ctx.incident_id)
        record(
            session,
            incident,
            EventType.ROOM_INVITED,
            actor=SYSTEM_ACTOR,
            at=ctx.clock.now(),
            adapter=room.adapter,
            room_id=room.id,
            invited=[m for m in members if m not in failed],
            failed=failed,
            skipped=list(payload.get("skipped") or []),
            handles=dict(payload.get("handles") or {}),
        )
        ctx.complete(session)


def post_room_message(ctx: TaskContext) -> None:
    payload = ctx.task.payload
    room = _room_from(payload)
    adapter = _adapter_for(ctx, room)
    text = str(payload.get("text") or "")
    # Stable across retries of this task, so the service can drop a repeat.
    adapter.post(room, text, idempotency_key=f"warroom-task-{ctx.task.id}")
    with ctx.db.write() as session:
        incident = get_incident(session, ctx.incident_id)
        record(
            session,
            incident,
            EventType.ROOM_MESSAGE_POSTED,
            actor=SYSTEM_ACTOR,
            at=ctx.clock.now(),
            adapter=room.adapter,
            room_id=room.id,
            text=text,
        )
        ctx.complete(session)


def _members(
    session: Session, service: Service, adapter: str
) -> tuple[list[str], dict[str, str], list[str]]:
    """The responders' chat ids for this adapter (in the service's order), which handle
    each id belongs to, and the handles left out because they have no id there."""
    handles: Sequence[str] = service.responders or []
    users = {
        u.handle: u for u in session.scalars(select(User).where(User.handle.in_(list(handles))))
    }
    members: list[str] = []
    owners: dict[str, str] = {}
    skipped: list[str] = []
    for handle in handles:
        user = users.get(handle)
        chat_id = str((user.chat_ids or {}).get(adapter) or "").strip() if user else ""
        if not chat_id:
            skipped.append(handle)
        elif chat_id not in owners:
            members.append(chat_id)
            owners[chat_id] = handle
    return members, owners, skipped


def _room_payload(room: Room) -> dict[str, str]:
    return {"adapter": room.adapter, "id": room.id, "url": room.url, "name": room.name}


def _room_from(payload: dict[str, Any]) -> Room:
    data = payload.get("room")
    if not isinstance(data, dict) or not data.get("id") or not data.get("adapter"):
        raise RoomError("the task does not say which room", permanent=True)
    return Room(
        adapter=str(data["adapter"]),
        id=str(data["id"]),
        url=str(data.get("url") or ""),
        name=str(data.get("name") or ""),
    )


def _adapter_for(ctx: TaskContext, room: Room) -> RoomAdapter:
    adapter = configured_room_adapter(ctx.settings)
    if adapter is None or adapter.name != room.adapter:
        # The room lives on a transport this deployment no longer talks to.
        configured = adapter.name if adapter else "none"
        raise RoomError(
            f"the room is on {room.adapter}, but the configured room adapter is {configured}",
            permanent=True,
        )
    return adapter
