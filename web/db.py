"""The request's database access: one read session per request, units of work for writes,
and what became of the request's writes when it fails (`outcome`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Literal

from flask import current_app, g, request
from sqlalchemy.orm import Session

from models.db import Database

log = logging.getLogger(__name__)

Outcome = Literal["not_applied", "applied", "unknown"]
# Kept in the WSGI environ, not in `g`: web.errors.LastResort reads them after the
# request's context (and `g` with it) is gone.
COMMITS, UNKNOWN = "tdkt.commits", "tdkt.outcome_unknown"


def database() -> Database:
    return current_app.extensions["tdkt_db"]


def session() -> Session:
    """The request's read session (closed when the request ends)."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


@contextmanager
def unit_of_work(of_the_request: bool = True) -> Iterator[Session]:
    """One write transaction; the read session is reset so the page shows what was written.

    `of_the_request`: the write is what the request asked for, so `outcome` counts it;
    False for bookkeeping around it (marking an API token used), which a client retrying
    the request need not hear about."""
    committing = False
    try:
        with database().unit_of_work() as writer:
            yield writer
            committing = of_the_request   # the body is done: the COMMIT comes next
    except BaseException:
        if committing:   # the COMMIT itself failed: the server may have applied it
            request.environ[UNKNOWN] = True
        raise
    if of_the_request:
        request.environ[COMMITS] = request.environ.get(COMMITS, 0) + 1
    if "db_session" in g:
        _reset_read_session()


def _reset_read_session() -> None:
    """End the read session's transaction (the SQLite WAL snapshot; every object expires).
    Its connection may have died meanwhile: then the session is dropped, and the next read
    opens another, rather than the request failing after its write committed."""
    try:
        g.db_session.rollback()
    except Exception:
        log.warning("the read session could not be reset; a new one is opened",
                    exc_info=True)
        discard_session()


def outcome(environ: dict[str, object] | None = None) -> Outcome:
    """What became of the request's own writes, for an error answered after them: none
    was committed, one was (its reply failed after), or a COMMIT failed on its way."""
    environ = request.environ if environ is None else environ
    if environ.get(UNKNOWN):
        return "unknown"
    return "applied" if environ.get(COMMITS) else "not_applied"


def discard_session() -> None:
    """Close the read session and forget it, whatever state its connection is in."""
    s = g.pop("db_session", None)
    if s is None:
        return
    try:
        s.close()
    except Exception:
        # A connection lost mid-transaction cannot roll back ("Can't reconnect until
        # invalid transaction is rolled back"): invalidate it, which returns it to the
        # pool to be replaced, so the pool does not leak a slot.
        log.warning("closing the read session failed; its connection is invalidated",
                    exc_info=True)
        with suppress(Exception):
            s.invalidate()


def close_session(_exc: BaseException | None = None) -> None:
    """Teardown: never raises. An exception here would escape Flask after the response was
    made, and the server would send its own bare 500 in place of it (even for a request
    whose write had committed)."""
    discard_session()
