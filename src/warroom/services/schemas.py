from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from warroom.schemas import In, Out

ServiceName = Annotated[
    str, StringConstraints(pattern=r"^\w[\w .:-]{0,99}$", strip_whitespace=True)
]
Component = Annotated[str, StringConstraints(max_length=100)]


class ServiceIn(In):
    name: ServiceName
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    component: Component | None = None


class ServicePatch(In):
    name: ServiceName | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    component: Component | None = None
    rotate_integration_key: bool = False


class ServiceOut(Out):
    id: int
    name: str
    description: str
    component: str | None
    # Only admins see it: the key lets anyone who holds it open incidents.
    integration_key: str | None
    created_at: datetime
