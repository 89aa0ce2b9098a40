"""Council sittings (phiên họp Hội đồng TĐKT): who sat, the agenda and the ballot tallies."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import User
from models.proposals import Nominee, Proposal


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"      # being prepared: members present, agenda
    OPEN = "open"        # members see the agenda; tallies are entered
    CLOSED = "closed"    # every agenda item decided; nothing changes any more


class CouncilSession(Base):
    __tablename__ = "council_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    sitting_date: Mapped[date]
    place: Mapped[str] = mapped_column(String(255))
    status: Mapped[SessionStatus] = mapped_column(
        Enum(SessionStatus, native_enum=False, length=12,
             values_callable=lambda e: [m.value for m in e]),
        default=SessionStatus.DRAFT)
    # The size of the whole council when the sitting opened: the "all members" denominator.
    roster_size: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    members: Mapped[list[SessionMember]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionMember.user_id")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="AgendaItem.position")
    tallies: Mapped[list[Tally]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Tally.id")


class SessionMember(Base):
    """A council member on the roster of a sitting, present or absent."""

    __tablename__ = "council_session_members"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("council_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=True)

    session: Mapped[CouncilSession] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class AgendaItem(Base):
    __tablename__ = "council_agenda_items"
    __table_args__ = (UniqueConstraint("session_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("council_sessions.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    decided: Mapped[bool] = mapped_column(default=False)

    session: Mapped[CouncilSession] = relationship(back_populates="items")
    proposal: Mapped[Proposal] = relationship()


class Tally(Base):
    """One nominee's count from the paper ballots, and what tdkt concluded from it."""

    __tablename__ = "council_tallies"
    __table_args__ = (UniqueConstraint("session_id", "nominee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("council_sessions.id", ondelete="CASCADE"), index=True)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominees.id"), index=True)
    yes: Mapped[int] = mapped_column(default=0)
    no: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    written_yes: Mapped[int] = mapped_column(default=0)   # absent members' written opinions
    written_no: Mapped[int] = mapped_column(default=0)
    passed: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[CouncilSession] = relationship(back_populates="tallies")
    nominee: Mapped[Nominee] = relationship()
