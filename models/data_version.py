"""The data version: one counter that every committed write raises, so that a page rendered
at version N may be served again while the counter still reads N (`web/page_cache.py`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

ROW_ID = 1


class DataVersion(Base):
    """A single row. It is raised inside the writing transaction, as its last statement
    (`models.db`), so a reader sees the new data and the new number together or neither;
    taking its row lock last, only for the commit itself, keeps writers from deadlocking on
    it."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
