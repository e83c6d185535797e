"""The engine's reminders for overdue action items."""

from warroom.engine.runner import TaskContext
from warroom.postmortems.items import ACTION_ITEM_DUE

__all__ = ["ACTION_ITEM_DUE", "action_item_due"]


def action_item_due(ctx: TaskContext) -> None:
    raise NotImplementedError  # issue 6: the postmortems helper writes this
