"""Personal API tokens: a user's credentials for the JSON API, stored only as a hash."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import User


class TokenScope(enum.StrEnum):
    """What a token may do: only read (GET), or read and act (every API call)."""

    READ = "read"
    ACT = "act"


class ApiToken(Base):
    """One token. The secret itself is shown once and never stored: only its SHA-256
    (a fast hash is right for a high-entropy random secret) and a short prefix to tell
    tokens apart on screen. Every token expires (`expires_at`) and has a scope."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scope: Mapped[TokenScope] = mapped_column(
        Enum(TokenScope, native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def live(self, now: datetime) -> bool:
        """Neither revoked nor expired."""
        return self.active and not self.expired(now)
