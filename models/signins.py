"""Signed-in sessions ended on the server: a logout ends every copy of its cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class EndedSession(Base):
    """One sign-in that was logged out. Its cookies (the session's and "remember me")
    carry the sign-in's random id; while a row holds that id's SHA-256 they are refused.
    A row is kept until no cookie of that sign-in could still be valid (`forget_after`)."""

    __tablename__ = "ended_sessions"

    sid_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    forget_after: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
