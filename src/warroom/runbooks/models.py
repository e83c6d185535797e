from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, UTCDateTime


class Runbook(Base):
    """A service's runbook (SPEC §5): Markdown, edited in the UI or synced from a folder."""

    __tablename__ = "runbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), unique=True
    )
    markdown: Mapped[str] = mapped_column(Text)
    # The file it was last synced from (`warroom runbook sync DIR`), if any.
    source_path: Mapped[str | None] = mapped_column(String(1000))
    updated_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last review (a person confirming it still holds); flagged stale after 90 days.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
