"""Incident rooms: one adapter interface, Slack and Matrix behind it, none required."""

from warroom.notify.rooms.base import (
    Room,
    RoomAdapter,
    RoomError,
    configured_room_adapter,
    room_name,
)

__all__ = ["Room", "RoomAdapter", "RoomError", "configured_room_adapter", "room_name"]
