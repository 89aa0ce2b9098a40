"""Proposals (hồ sơ đề nghị khen thưởng), their nominees and their documents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.campaigns import Campaign, RuleSetVersion
from models.org import Unit, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class NomineeKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"
    HOUSEHOLD = "household"  # hộ gia đình: a recipient since the 2022 Law, where a form allows


class Outcome(enum.StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    REJECTED = "rejected"


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_campaign_unit_state", "campaign_id", "unit_id", "state"),
        # A campaign's proposals in given states, ids included: the Board queue's rows
        # come from the index alone.
        Index("ix_proposals_campaign_state", "campaign_id", "state", "id"),
        Index("ix_proposals_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    ruleset_version_id: Mapped[int] = mapped_column(ForeignKey("ruleset_versions.id"))
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(default=1)
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_head: Mapped[str | None] = mapped_column(String(64))
    audit_mac: Mapped[str | None] = mapped_column(String(64))  # the head's MAC, with the key
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reason: Mapped[str | None] = mapped_column(Text)
    decision_number: Mapped[str | None] = mapped_column(String(60))
    decision_date: Mapped[date | None]
    # Set when an upheld objection took a nominee out of another proposal (back to the Board).
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign] = relationship()
    ruleset_version: Mapped[RuleSetVersion] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    split_from: Mapped[Proposal | None] = relationship(remote_side=[id])
    nominees: Mapped[list[Nominee]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="Nominee.id"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="Document.id"
    )

    # A class variable, which SQLAlchemy's typing declares per instance
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}  # type: ignore[misc]


class Nominee(Base):
    __tablename__ = "nominees"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NomineeKind] = mapped_column(_enum(NomineeKind))
    full_name: Mapped[str] = mapped_column(String(255))
    # Personal identification number (or a collective's code): ties achievement history to
    # the same person across proposals; without it, unit + kind + name does.
    person_code: Mapped[str | None] = mapped_column(String(40), index=True)
    position: Mapped[str | None] = mapped_column(String(255))
    work_unit: Mapped[str | None] = mapped_column(String(255))
    award_form_code: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    years_in_service: Mapped[int | None]
    disciplined: Mapped[bool] = mapped_column(default=False)
    prior_titles: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    achievement_summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome), default=Outcome.PENDING)
    outcome_reason: Mapped[str | None] = mapped_column(Text)

    proposal: Mapped[Proposal] = relationship(back_populates="nominees")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    doc_type: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="documents")
