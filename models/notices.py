"""Public notices (công khai danh sách) and the objections the public files against them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.campaigns import Campaign
from models.proposals import Nominee


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class NoticeStage(enum.StrEnum):
    BEFORE_COUNCIL = "before_council"     # published before the sitting votes
    BEFORE_DECISION = "before_decision"   # published after the vote, before the decision


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"        # the nominee goes back to the Board
    DISMISSED = "dismissed"  # with a reason; the nominee goes on
    SETTLED = "settled"      # another objection on the same nominee was upheld: moot now


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    award_form_code: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    stage: Mapped[NoticeStage] = mapped_column(_enum(NoticeStage))
    title: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    working_days: Mapped[int]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    entries: Mapped[list[NoticeEntry]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeEntry.id")


class NoticeEntry(Base):
    __tablename__ = "notice_entries"
    __table_args__ = (UniqueConstraint("notice_id", "nominee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"),
                                           index=True)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominees.id"), index=True)
    # What the public saw, copied when published.
    full_name: Mapped[str] = mapped_column(String(255))
    position_title: Mapped[str | None] = mapped_column(String(255))
    unit_name: Mapped[str] = mapped_column(String(255))

    notice: Mapped[Notice] = relationship(back_populates="entries")
    nominee: Mapped[Nominee] = relationship()


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominees.id"), index=True)
    filer_name: Mapped[str] = mapped_column(String(255))
    filer_contact: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus),
                                                    default=ObjectionStatus.OPEN, index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notice: Mapped[Notice] = relationship()
    nominee: Mapped[Nominee] = relationship()
