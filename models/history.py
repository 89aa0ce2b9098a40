"""Achievement history: the title or award each person or collective received, per year.

Written only by issuing a decision, so later rules (consecutive titles) read what was
actually conferred rather than what a unit typed in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Achievement(Base):
    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("subject_key", "year", "award_form_code", "decision_id"),
        Index("ix_achievements_subject_year", "subject_key", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who: see workflow.history.achievements.subject_key (personal code if given, else unit +
    # kind + name).
    subject_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int]
    award_form_code: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    nominee_id: Mapped[int | None] = mapped_column(ForeignKey("nominees.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
