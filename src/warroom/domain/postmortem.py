"""Postmortem documents: their review states and how they move (pure)."""

from collections.abc import Mapping
from enum import StrEnum

from warroom.domain.errors import DomainError


class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


P = PostmortemStatus

# A published postmortem can be reopened for review (a correction), never silently edited.
POSTMORTEM_TRANSITIONS: Mapping[PostmortemStatus, frozenset[PostmortemStatus]] = {
    P.DRAFT: frozenset({P.IN_REVIEW, P.PUBLISHED}),
    P.IN_REVIEW: frozenset({P.DRAFT, P.PUBLISHED}),
    P.PUBLISHED: frozenset({P.IN_REVIEW}),
}


def move_postmortem(current: PostmortemStatus, requested: PostmortemStatus) -> PostmortemStatus:
    allowed = POSTMORTEM_TRANSITIONS[current]
    if requested not in allowed:
        names = ", ".join(sorted(str(s) for s in allowed))
        raise DomainError(f"a {current} postmortem can move to {names}, not {requested}")
    return requested
