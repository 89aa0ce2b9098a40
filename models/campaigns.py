"""Campaigns, their immutable rule-set versions, and the catalogue of award forms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


class AwardForm(Base):
    __tablename__ = "award_forms"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    nominee_kinds: Mapped[list[str]] = mapped_column(JSON)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date]
    period_end: Mapped[date]
    active_ruleset_id: Mapped[int | None] = mapped_column(
        ForeignKey("ruleset_versions.id", use_alter=True)
    )

    active_ruleset: Mapped[RuleSetVersion | None] = relationship(
        foreign_keys=[active_ruleset_id], post_update=True
    )


class RuleSetVersion(Base):
    """One version of a campaign's rules. Never updated: a change is a new version."""

    __tablename__ = "ruleset_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    version: Mapped[int]
    source_yaml: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    parsed: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship(foreign_keys=[campaign_id])


@event.listens_for(RuleSetVersion, "before_update")
def _refuse_ruleset_update(mapper: Any, connection: Any, target: RuleSetVersion) -> None:
    raise ValueError("rule-set versions are immutable; load a new version instead")
