"""The engine's quarterly drill reminder per team."""

from warroom.engine.runner import TaskContext

DRILL_REMINDER = "drill_reminder"


def drill_reminder(ctx: TaskContext) -> None:
    raise NotImplementedError  # issue 6: the drills helper writes this
