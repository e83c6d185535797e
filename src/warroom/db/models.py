"""Imports every context's tables so Base.metadata knows the whole schema."""

from warroom.db.base import Base
from warroom.incidents import models as incidents
from warroom.services import models as services
from warroom.users import models as users

__all__ = ["Base", "incidents", "services", "users"]
