"""The API's shapes for status-page components and their groups."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from warroom.domain.components import ComponentStatus
from warroom.schemas import In, Out

# Any printable text: the public reads it ("Checkout API", "EU / Payments"). Control
# characters would break the page and the Statuspage JSON readers.
ComponentName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
]
GroupName = ComponentName
Description = Annotated[str, StringConstraints(max_length=2000)]
Position = Annotated[int, Field(ge=0, le=100_000)]

_MANUAL = (
    "the status set by hand; the status shown is the worst of this, what each open "
    "incident on the component says, and under_maintenance while a maintenance runs"
)


class ComponentIn(In):
    name: ComponentName
    description: Description = ""
    group: GroupName | None = Field(default=None, description="an existing group's name")
    position: Position | None = Field(default=None, description="default: after the others")
    public: bool = Field(default=True, description="false: internal, never on /status")
    manual_status: ComponentStatus = Field(default=ComponentStatus.OPERATIONAL, description=_MANUAL)


class ComponentPatch(In):
    name: ComponentName | None = None
    description: Description | None = None
    group: GroupName | None = Field(
        default=None, description="an existing group's name; null takes it out of its group"
    )
    position: Position | None = None
    public: bool | None = None
    manual_status: ComponentStatus | None = Field(default=None, description=_MANUAL)


class ComponentOut(Out):
    id: int
    # The id the public page and /api/v2 show.
    code: str
    name: str
    description: str
    group: str | None
    position: int
    public: bool
    status: ComponentStatus
    manual_status: ComponentStatus
    status_changed_at: datetime
    services: list[str]
    created_at: datetime
    updated_at: datetime


class StatusChangeOut(Out):
    status: ComponentStatus
    at: datetime


class GroupIn(In):
    name: GroupName
    description: Description = ""
    position: Position | None = Field(default=None, description="default: after the others")


class GroupPatch(In):
    name: GroupName | None = None
    description: Description | None = None
    position: Position | None = None


class GroupOut(Out):
    id: int
    code: str
    name: str
    description: str
    position: int
    components: list[str]
    created_at: datetime
    updated_at: datetime
