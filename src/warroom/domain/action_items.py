"""Action items: the follow-up work an incident leaves behind (pure)."""

from enum import StrEnum


class ActionItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    # Decided against, with a reason in the item's history; counts as finished.
    WONT_DO = "wont_do"


class ActionItemPriority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ActionItemKind(StrEnum):
    # From the postmortem (or added by hand on the incident).
    FOLLOW_UP = "follow_up"
    # Opened by warroom when an incident resolves: review the service's runbook.
    RUNBOOK_REVIEW = "runbook_review"


FINISHED = frozenset({ActionItemStatus.DONE, ActionItemStatus.WONT_DO})
