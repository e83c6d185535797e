"""Imports every context's tables so Base.metadata knows the whole schema."""

from warroom.alerts import models as alerts
from warroom.db import secrets
from warroom.db.base import Base
from warroom.drills import models as drills
from warroom.engine import models as engine
from warroom.escalation import models as escalation
from warroom.incidents import models as incidents
from warroom.oncall import models as oncall
from warroom.paging import models as paging
from warroom.postmortems import models as postmortems
from warroom.runbooks import models as runbooks
from warroom.services import models as services
from warroom.statuspage import models as statuspage
from warroom.teams import models as teams
from warroom.users import models as users

__all__ = [
    "Base",
    "alerts",
    "drills",
    "engine",
    "escalation",
    "incidents",
    "oncall",
    "paging",
    "postmortems",
    "runbooks",
    "secrets",
    "services",
    "statuspage",
    "teams",
    "users",
]
