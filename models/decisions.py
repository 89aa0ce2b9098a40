"""Issued decisions (quyết định khen thưởng), their attached lists and their numbering.

A decision and its entries never change once written: a correction is a new decision
that names the one it corrects.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.campaigns import Campaign


class DecisionCounter(Base):
    """The last number given per issuing body and year; locked while a decision is issued."""

    __tablename__ = "decision_counters"

    issuing_body: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("issuing_body", "year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuing_body: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    seq: Mapped[int]
    # Not unique by itself: "{seq}/QĐ-UBND" comes round again each year; (body, year, seq) is.
    number: Mapped[str] = mapped_column(String(60), index=True)
    signed_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(500))     # "Về việc tặng Bằng khen …"
    signer_name: Mapped[str] = mapped_column(String(255))
    signer_title: Mapped[str] = mapped_column(String(255))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    award_form_code: Mapped[str | None] = mapped_column(ForeignKey("award_forms.code"))
    legal_bases: Mapped[list[str]] = mapped_column(JSON, default=list)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    corrects: Mapped[Decision | None] = relationship(remote_side=[id])
    entries: Mapped[list[DecisionEntry]] = relationship(
        back_populates="decision", order_by="DecisionEntry.position")


class DecisionEntry(Base):
    """One line of the attached list, copied from the nominee when the decision was issued."""

    __tablename__ = "decision_entries"
    __table_args__ = (UniqueConstraint("decision_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    position: Mapped[int]
    nominee_id: Mapped[int | None] = mapped_column(ForeignKey("nominees.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(255))
    position_title: Mapped[str | None] = mapped_column(String(255))
    work_unit: Mapped[str | None] = mapped_column(String(255))
    unit_name: Mapped[str] = mapped_column(String(255))
    award_form_code: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    achievement_summary: Mapped[str | None] = mapped_column(Text)

    decision: Mapped[Decision] = relationship(back_populates="entries")


@event.listens_for(Decision, "before_update")
@event.listens_for(DecisionEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: Any) -> None:
    raise ValueError("an issued decision cannot be changed; issue a correcting decision")


@event.listens_for(Decision, "before_delete")
@event.listens_for(DecisionEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: Any) -> None:
    raise ValueError("an issued decision cannot be deleted; issue a correcting decision")
