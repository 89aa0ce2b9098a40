"""The request's database access: one read session per request, units of work for writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy.orm import Session

from models.db import Database


def database() -> Database:
    return current_app.extensions["tdkt_db"]


def session() -> Session:
    """The request's read session (closed when the request ends)."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One write transaction; the read session is reset so the page shows what was written."""
    with database().unit_of_work() as writer:
        yield writer
    if "db_session" in g:
        g.db_session.rollback()  # ends the SQLite WAL snapshot, expires every object


def close_session(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
