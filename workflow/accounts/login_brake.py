"""A brake on guessing passwords: repeated failures lock a username and a client address
for a growing delay, counted in the database so that every web worker shares the count.

Each attempt is counted before its password is tested, in a transaction of its own, and
only an attempt whose count is within the limit has its password tested: attempts sent
at the same moment cannot all read the count before any of them adds to it (60 at once
had 12-14 passwords tested, where the limit is 5).

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
    return max((end for end in ends if end is not None), default=None)


def take_turn(session: Session, keys: dict[str, str], now: datetime) -> datetime | None:
    """Count this attempt as a failure before its password is tested. None: the password
    may be tested (then `succeeded` if it was right; a wrong one is counted already);
    else the end of the lock, and the password must not be tested.

    The attempt that brings a count to its limit locks the key at once (1 minute at the
    limit, doubling for each counted attempt past it), so every later attempt is refused
    untested until the lock runs out, then one more is tested. Commit before testing the
    password: other attempts then see this one counted while the slow hash is checked."""
    until = locked_until(session, keys, now)
    if until is not None:
        return until
    _forget_old(session, now)
    for kind, key in keys.items():
        count = _count(session, kind, key, now)
        if count is None:  # locked by an attempt counted since the check above
            return locked_until(session, keys, now)
        if count >= _limit(kind):
            _lock(session, key, now + lock_length(count - _limit(kind)))
    session.flush()
    return None


def succeeded(session: Session, username: str, keys: dict[str, str]) -> None:
    """The password tested on this turn was right: the username's count is cleared, and the
    address's count gives back the turn this attempt took (and a lock that turn set)."""
    clear(session, username)
    if "ip" in keys:
        table = LoginThrottle.__table__
        row = table.c.key == keys["ip"]
        session.execute(delete(table).where(row, table.c.failures <= 1))
        session.execute(table.update().where(row).values(
            failures=table.c.failures - 1,
            locked_until=case((table.c.failures - 1 < ADDRESS_LIMIT, None),
                              else_=table.c.locked_until)))


def record_failure(session: Session, keys: dict[str, str], now: datetime) -> None:
    """Count one failure after the fact, locking a key whose count has reached its limit."""
    _forget_old(session, now)
    for kind, key in keys.items():
        count = _count(session, kind, key, now, even_locked=True)
        assert count is not None
        if count >= _limit(kind):
            _lock(session, key, now + lock_length(count - _limit(kind)))
    session.flush()


def clear(session: Session, username: str) -> None:
    """Forget the username's failures (a successful sign-in, a password set by an admin)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys(username)["user"]))


def count_within_day(session: Session, kind: str, text: str, now: datetime) -> int:
    """Add one to the count of `text` (e.g. a client address filing objections) and return
    it; the count starts again after a quiet day. Part of the caller's transaction: a
    refusal that rolls it back leaves the count where it was."""
    count = _count(session, kind, _digest(f"{kind}:{text}"), now, even_locked=True)
    assert count is not None
    return count


def lock_length(past_limit: int) -> timedelta:
    """1, 2, 4, 8 … minutes for the failures at and past the limit, at most 15."""
    factor: int = 2 ** min(past_limit, 16)
    return min(FIRST_LOCK * factor, LONGEST_LOCK)


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


def _limit(kind: str) -> int:
    return USER_LIMIT if kind == "user" else ADDRESS_LIMIT


def _lock(session: Session, key: str, until: datetime) -> datetime:
    """Lock `key` until `until`, or keep a lock already running longer; its end."""
    row = session.get(LoginThrottle, key, populate_existing=True)
    assert row is not None
    if row.locked_until is None or row.locked_until < until:
        row.locked_until = until
    return row.locked_until


def _count(session: Session, kind: str, key: str, now: datetime,
           even_locked: bool = False) -> int | None:
    """Add one failure atomically (an upsert), restarting a count gone quiet; the new
    count, or None (and nothing counted) while the key is locked, unless `even_locked`."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = LoginThrottle.__table__
    stmt = dialect.insert(table).values(key=key, kind=kind, failures=1, last_failure_at=now)
    stale = table.c.last_failure_at < now - FORGET_AFTER
    # The condition is judged on the row as the last writer committed it (PostgreSQL
    # re-reads a conflicting row under its lock), so a lock set a moment ago is seen.
    unlocked = None if even_locked else (
        table.c.locked_until.is_(None) | (table.c.locked_until <= now))
    counted = session.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.key], where=unlocked, set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "last_failure_at": now,
        }).returning(table.c.failures)).scalar()
    return None if counted is None else int(counted)


def _forget_old(session: Session, now: datetime) -> None:
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - FORGET_AFTER,
        (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now)))
