from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from warroom.schemas import Handle, In, Out

TeamName = Annotated[str, StringConstraints(pattern=r"^\w[\w .:-]{0,99}$", strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=2000)]
MAX_MEMBERS = 200


class TeamIn(In):
    name: TeamName
    description: Description = ""
    members: list[Handle] = Field(default_factory=list, max_length=MAX_MEMBERS)


class TeamPatch(In):
    name: TeamName | None = None
    description: Description | None = None


class MembersIn(In):
    """The team's members, exactly (PUT)."""

    members: list[Handle] = Field(max_length=MAX_MEMBERS)


class MemberIn(In):
    user: Handle


class TeamOut(Out):
    id: int
    name: str
    description: str
    members: list[str]
    services: list[str]
    created_at: datetime
    # The quarterly practice: the team's last drill (on any of its services), when the
    # next one is due, whether that has passed, and when the members were last reminded.
    last_drill_id: int | None
    last_drill_at: datetime | None
    next_drill_due_at: datetime
    drill_overdue: bool
    drill_reminded_at: datetime | None
