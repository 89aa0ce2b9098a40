"""A brake on guessing passwords: repeated failures lock a username and a client address
for a growing delay, counted in the database so that every web worker shares the count.

The lock is keyed by the name typed, whether or not such a user exists, and refuses
every attempt while it lasts (the right password too), so neither the lock nor its
message tells an outsider which accounts exist. A successful sign-in clears the
username's count; an address's count only fades with time, so an attacker cannot clear
it by signing in to an account of their own.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import LoginThrottle

USER_LIMIT = 5            # failures of one username before it is locked
ADDRESS_LIMIT = 20        # failures from one client address (offices share one address)
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)   # a count with no failure for this long starts again


def locked_until(session: Session, keys: dict[str, str], now: datetime) -> datetime | None:
    """The end of the longest lock on any of these keys still running at `now`."""
    ends = session.scalars(select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_(keys.values()), LoginThrottle.locked_until > now)).all()
    return max(ends, default=None)


def record_failure(session: Session, keys: dict[str, str], now: datetime) -> None:
    _forget_old(session, now)
    for kind, key in keys.items():
        _count(session, kind, key, now)
        row = session.get(LoginThrottle, key, populate_existing=True)
        assert row is not None
        limit = USER_LIMIT if kind == "user" else ADDRESS_LIMIT
        if row.failures >= limit:
            row.locked_until = now + lock_length(row.failures - limit)
    session.flush()


def clear(session: Session, username: str) -> None:
    """Forget the username's failures (a successful sign-in, a password set by an admin)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys(username)["user"]))


def count_within_day(session: Session, kind: str, text: str, now: datetime) -> int:
    """Add one to the count of `text` (e.g. a client address filing objections) and return
    it; the count starts again after a quiet day. Part of the caller's transaction: a
    refusal that rolls it back leaves the count where it was."""
    key = _digest(f"{kind}:{text}")
    _count(session, kind, key, now)
    row = session.get(LoginThrottle, key, populate_existing=True)
    assert row is not None
    return row.failures


def lock_length(past_limit: int) -> timedelta:
    """1, 2, 4, 8 … minutes for the failures at and past the limit, at most 15."""
    return min(FIRST_LOCK * 2 ** min(past_limit, 16), LONGEST_LOCK)


def keys(username: str, address: str | None = None) -> dict[str, str]:
    """The rows that count failures for this username (and this client address)."""
    found = {"user": _digest(f"user:{normalise(username)}")}
    if address is not None:
        found["ip"] = _digest(f"ip:{address}")
    return found


def normalise(username: str) -> str:
    return username.strip().lower()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _count(session: Session, kind: str, key: str, now: datetime) -> None:
    """Add one failure atomically (an upsert), restarting a count gone quiet."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = LoginThrottle.__table__
    stmt = dialect.insert(table).values(key=key, kind=kind, failures=1, last_failure_at=now)
    stale = table.c.last_failure_at < now - FORGET_AFTER
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.key], set_={
        "failures": case((stale, 1), else_=table.c.failures + 1),
        "last_failure_at": now,
    }))


def _forget_old(session: Session, now: datetime) -> None:
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - FORGET_AFTER,
        (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now)))
