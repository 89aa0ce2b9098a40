"""The data version moves with every committed write, from any process, and with nothing
else: a kept page is served again only while it reads the same."""

from __future__ import annotations

import threading

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
    """Make the first read pause after reading, until released: a read on its way while
    the test writes and asks again. Returns (answers read so far, read started, release)."""
    real_connect, calls = db._versions._connect, []
    started, release = threading.Event(), threading.Event()

    class HeldCursor:
        """A driver cursor whose first fetch, in any thread, pauses after reading."""

        def __init__(self, cursor):
            self.cursor = cursor

        def fetchone(self):
            row = self.cursor.fetchone()
            calls.append(row[0])
            if len(calls) == 1:
                started.set()
                release.wait(timeout=30)
            return row

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    class Held:
        def __init__(self, conn):
            self.conn = conn

        def cursor(self):
            return HeldCursor(self.conn.cursor())

        def __getattr__(self, name):
            return getattr(self.conn, name)

    db._versions.close()  # each thread's next read connects anew, through `Held`
    monkeypatch.setattr(db._versions, "_connect", lambda: Held(real_connect()))
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


def test_a_read_on_its_way_before_a_write_does_not_answer_a_later_request(
        db, monkeypatch):
    """A request that asks after a write committed sees it, even though another request's
    read, started before the write, is still on its way, and it does not wait for that
    read: the page of the later request is never held up by the earlier one."""
    before = version(db)
    calls, started, release = _held_first_read(db, monkeypatch)
    answers: dict[str, int | None] = {}
    first = _asking(db, answers, "first")
    assert started.wait(timeout=30)
    add_unit(db, "X-5")  # committed while the first read is on its way
    later = _asking(db, answers, "later")
    _finished(later)
    assert answers == {"later": before + 1}  # answered while the first is still held
    release.set()
    _finished(first)
    assert answers == {"first": before, "later": before + 1}
    assert calls == [before, before + 1]


def test_a_stuck_read_holds_up_no_other_request(db, monkeypatch):
    """A read that hangs (a connection the network dropped) holds up the request that made
    it and no other: requests in other threads read the version and are served; once the
    stuck one is back, it reads on as before."""
    calls, started, release = _held_first_read(db, monkeypatch)
    answers: dict[str, int | None] = {}
    stuck = _asking(db, answers, "stuck")
    assert started.wait(timeout=30)
    others = [_asking(db, answers, f"other{i}") for i in range(5)]
    _finished(*others)
    assert [answers[f"other{i}"] for i in range(5)] == [calls[0]] * 5
    assert "stuck" not in answers
    release.set()
    _finished(stuck)
    assert answers["stuck"] == calls[0] == version(db)


def test_the_connection_of_a_thread_that_ended_is_closed_when_another_connects(db):
    """A server that starts a thread per request leaves no connection behind each."""
    reader = db._versions
    reader.close()
    left = reader._engine.raw_connection()
    orphan = left.driver_connection  # as a thread that read and then ended left it
    left.detach()
    gone = max(t.ident or 0 for t in threading.enumerate()) + 1  # no living thread's
    reader._opened[gone] = orphan
    _finished(_asking(db, {}, "new thread"))
    assert gone not in reader._opened
    with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
        orphan.cursor().execute("SELECT 1")


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
