"""The data version moves with every committed write, from any process, and with nothing
else: a kept page is served again only while it reads the same."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from models import Unit
from models.db import Database
from models.migrate import downgrade, upgrade


def add_unit(database: Database, code: str) -> None:
    """One committed write."""
    with database.unit_of_work() as session:
        session.add(Unit(code=code, name="Đơn vị thử"))


def version(database: Database) -> int:
    n = database.data_version()
    assert n is not None
    return n


def test_a_committed_write_raises_it_and_a_read_does_not(db):
    start = version(db)
    with db.unit_of_work() as session:
        session.scalars(select(Unit)).all()
    assert version(db) == start
    add_unit(db, "X-1")
    assert version(db) == start + 1


def test_a_write_rolled_back_leaves_it(db):
    start = version(db)
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        session.add(Unit(code="X-2", name="Đơn vị thử"))
        session.flush()
        raise RuntimeError("the unit of work fails after writing")
    assert version(db) == start
    with db.unit_of_work() as session:  # the failed write leaves no mark on the connection
        session.scalars(select(Unit)).all()
    assert version(db) == start


def test_another_process_sees_a_write_made_through_its_own_engine(db, db_url):
    other = Database(db_url)  # an engine of its own, as another worker has
    try:
        start = version(db)
        add_unit(other, "X-3")
        assert version(db) == start + 1
    finally:
        other.dispose()


def test_a_process_started_before_the_upgrade_raises_it_once_the_counter_exists(db, db_url):
    downgrade(db.engine, "0007")
    early = Database(db_url)  # a worker that starts while the schema is still at 0007
    try:
        assert early.data_version() is None  # no counter: its pages are rendered, not kept
        add_unit(early, "X-4")
        upgrade(db.engine)  # `tdkt db upgrade`, run from another process
        start = version(db)
        add_unit(early, "X-5")
        assert version(db) == start + 1
    finally:
        early.dispose()


def _held_first_read(db, monkeypatch):
    """Make the reader's next read pause after reading, until released: a read on its way
    while the test writes and asks again. Returns (reads so far, read started, release)."""
    reader = db._versions
    real, calls = reader._read_now, []
    started, release = threading.Event(), threading.Event()

    def read_now():
        value = real()
        calls.append(value)
        if len(calls) == 1:
            started.set()
            release.wait(timeout=30)
        return value

    monkeypatch.setattr(reader, "_read_now", read_now)
    return calls, started, release


def _waiting(db, n):
    deadline = time.monotonic() + 30
    while len(db._versions._turn._waiters) < n:  # each caller parked on the condition
        assert time.monotonic() < deadline, "callers never waited for the read on its way"
        time.sleep(0.001)


def test_a_read_on_its_way_before_a_write_is_not_shared_with_a_later_request(
        db, monkeypatch):
    """A request that asks after a write committed must see it, even though another
    request's read, started before the write, is still on its way: it waits for a read of
    its own instead of taking that answer."""
    before = version(db)
    _, started, release = _held_first_read(db, monkeypatch)
    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault("first", db.data_version()))
    first.start()
    assert started.wait(timeout=30)
    add_unit(db, "X-5")  # committed while the first read is on its way
    later = threading.Thread(target=lambda: answers.setdefault("later", db.data_version()))
    later.start()
    _waiting(db, 1)
    release.set()
    first.join(timeout=30)
    later.join(timeout=30)
    assert answers == {"first": before, "later": before + 1}


def test_requests_arriving_during_a_read_share_the_next_one(db, monkeypatch):
    calls, started, release = _held_first_read(db, monkeypatch)
    first = threading.Thread(target=db.data_version)
    first.start()
    assert started.wait(timeout=30)
    answers: list[int | None] = []
    waiting = [threading.Thread(target=lambda: answers.append(db.data_version()))
               for _ in range(5)]
    for thread in waiting:
        thread.start()
    _waiting(db, 5)
    release.set()
    for thread in [first, *waiting]:
        thread.join(timeout=30)
    assert len(calls) == 2  # the held read, then one read for the five
    assert answers == [calls[1]] * 5
