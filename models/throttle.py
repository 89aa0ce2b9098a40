"""Failed sign-ins, counted in the database so that every web worker sees the same count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class LoginThrottle(Base):
    """The failures of one username or one client address, and until when it is locked.

    `key` is the SHA-256 of "user:<name>" or "ip:<address>": a password typed into the
    username box by mistake is never stored in clear.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
