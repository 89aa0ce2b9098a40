"""`column IN (values)` written so that a statement stays short however many values it
tests: a decision over 1,000 nominees asks about 1,000 ids at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import InstrumentedAttribute, Session


def among(session: Session, column: InstrumentedAttribute[Any],
          values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`, for a column of plain values (ids, numbers, text; not an Enum
    or a TypeDecorator, whose array the driver would not adapt). On PostgreSQL it is
    `column = ANY(:values)`, the values one array parameter: an IN list renders one
    placeholder per value, and psycopg parses such a statement anew each time (it keeps
    the parse only of statements up to 4 KB), where this one's text is the same for 3
    values or 3,000."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
