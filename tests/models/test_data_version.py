"""The data version moves with every committed write, from any process, and with nothing
else: a kept page is served again only while it reads the same."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

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


def _asking(db, answers, key):
    """A request reading the version in a thread of its own (a daemon: a regression that
    parks it for ever fails the test instead of hanging the run)."""
    thread = threading.Thread(target=lambda: answers.__setitem__(key, db.data_version()),
                              daemon=True)
    thread.start()
    return thread


def _finished(*threads):
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a reader never came back"


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
    answers: dict[str, int | None] = {}
    first = _asking(db, answers, "first")
    assert started.wait(timeout=30)
    add_unit(db, "X-5")  # committed while the first read is on its way
    later = _asking(db, answers, "later")
    _waiting(db, 1)
    release.set()
    _finished(first, later)
    assert answers == {"first": before, "later": before + 1}


def test_requests_arriving_during_a_read_share_the_next_one(db, monkeypatch):
    calls, started, release = _held_first_read(db, monkeypatch)
    answers: dict[int, int | None] = {}
    first = _asking(db, answers, 0)
    assert started.wait(timeout=30)
    waiting = [_asking(db, answers, i) for i in range(1, 6)]
    _waiting(db, 5)
    release.set()
    _finished(first, *waiting)
    assert len(calls) == 2  # the held read, then one read for the five
    assert [answers[i] for i in range(1, 6)] == [calls[1]] * 5


def test_a_stuck_read_holds_up_the_others_no_longer_than_the_wait(db, monkeypatch):
    """A read that hangs (a connection the network dropped) makes the requests behind it
    render their pages after `WAIT` seconds, not wait with it; once it is back, reads go
    on as before."""
    monkeypatch.setattr(db._versions, "WAIT", 0.2)
    calls, started, release = _held_first_read(db, monkeypatch)
    answers: dict[str, int | None] = {}
    stuck = _asking(db, answers, "stuck")
    assert started.wait(timeout=30)
    behind = _asking(db, answers, "behind")
    _finished(behind)
    assert answers == {"behind": None}  # rendered, not looked up
    release.set()
    _finished(stuck)
    assert db.data_version() == version(db) == calls[0]


def test_a_server_that_cannot_be_reached_reads_as_no_version(db, db_url, monkeypatch):
    """Neither a failed connect nor a failed read escapes: the page is rendered."""
    reader = db._versions
    reader.close()  # the next read connects anew

    def refuse(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(reader._engine, "raw_connection", refuse)
    assert db.data_version() is None
    monkeypatch.undo()
    assert db.data_version() == version(db)
