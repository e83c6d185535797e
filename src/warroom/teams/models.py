from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.users.models import User


class Team(Base):
    """A group of people who own services: reports break down by team, drills are
    practised (and reminded) per team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the engine last reminded the members that a drill is due (None: never).
    drill_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list["TeamMember"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="TeamMember.id"
    )


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(lazy="joined")
