"""Rows written past the unit of work (`models.rows`) behave in the session as rows a
flush wrote: persistent once written, gone again with the rollback that undid them, and
an object whose change the caller wrote itself is not written a second time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm.attributes import set_committed_value

from models import Unit
from models.db import Database
from models.rows import insert_known, mark_written


def unit(code: str) -> dict[str, Any]:
    return {"code": code, "name": f"Đơn vị {code}", "parent_id": None}


def codes(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Unit.code).order_by(Unit.code)))


def test_written_rows_are_the_sessions_and_a_rollback_takes_them_back(db):
    with db.session() as session:
        first, = insert_known(session, Unit, [unit("R-1")])
        assert first in session and first.id is not None
        assert session.get(Unit, first.id) is first  # no second object for the same row
        session.rollback()
        assert first not in session
        # SQLite hands the rolled-back id out again: the session takes the new row.
        again, = insert_known(session, Unit, [unit("R-2")])
        assert session.get(Unit, again.id) is again
        session.commit()
    assert codes(db) == ["R-2"]


def test_a_savepoint_rolled_back_takes_back_only_its_own_rows(db):
    with db.session() as session:
        kept, = insert_known(session, Unit, [unit("S-1")])
        with session.begin_nested() as savepoint:
            undone, = insert_known(session, Unit, [unit("S-2")])
            savepoint.rollback()
        assert kept in session and undone not in session
        with session.begin_nested():
            released, = insert_known(session, Unit, [unit("S-3")])
        assert released in session
        session.commit()
    assert codes(db) == ["S-1", "S-3"]


def test_rows_of_a_released_savepoint_leave_with_the_outer_rollback(db):
    with db.session() as session:
        with session.begin_nested():
            inner, = insert_known(session, Unit, [unit("T-1")])
        session.rollback()
        assert inner not in session
    assert codes(db) == []


def test_a_change_written_by_the_caller_is_not_flushed_again(db):
    with db.unit_of_work() as session:
        written, other = insert_known(session, Unit, [unit("W-1"), unit("W-2")])
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cur, sql, *args: statements.append(" ".join(sql.split()[:2])))
    with db.unit_of_work() as session:
        a, b = session.get_one(Unit, written.id), session.get_one(Unit, other.id)
        a.name = b.name = "Đã đổi tên"
        b.code = "W-2b"
        session.connection().execute(update(Unit).where(Unit.id == a.id)
                                     .values(name="Đã đổi tên"))
        session.connection().execute(update(Unit).where(Unit.id == b.id)
                                     .values(name="Đã đổi tên"))
        for obj in (a, b):
            set_committed_value(obj, "name", "Đã đổi tên")
            mark_written(session, obj)
        assert a not in session.dirty  # nothing left to write
        assert b in session.dirty      # its code is still to be written
    assert statements.count("UPDATE units") == 3  # the two above, and b's code by the flush
    assert codes(db) == ["W-1", "W-2b"]


def test_each_of_many_rows_gets_the_id_of_its_own_row_in_the_rows_order(db):
    # Across the size where PostgreSQL takes the ids from the sequence first.
    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cur, sql, *args: sent.append(sql))
    for size in (1, 3, 4, 25):
        sent.clear()
        with db.unit_of_work() as session:
            made = insert_known(session, Unit, [unit(f"M{size}-{i:02}") for i in range(size)])
            assert [u.code for u in made] == [f"M{size}-{i:02}" for i in range(size)]
            ids = [u.id for u in made]
        from_sequence = any("nextval" in sql for sql in sent)
        assert from_sequence == (db.engine.dialect.name == "postgresql" and size >= 4)
        assert any("RETURNING" in sql for sql in sent) == (not from_sequence)
        assert ids == sorted(ids) and len(set(ids)) == size
        with db.session() as session:
            stored = {uid: code for uid, code in session.execute(
                select(Unit.id, Unit.code).where(Unit.id.in_(ids)))}
        assert stored == {u.id: u.code for u in made}


def test_writers_at_once_never_share_an_id(db):
    def write(n: int) -> list[tuple[int, str]]:
        with db.unit_of_work() as session:
            made = insert_known(session, Unit, [unit(f"C{n}-{i:02}") for i in range(40)])
            return [(u.id, u.code) for u in made]

    with ThreadPoolExecutor(4) as pool:
        written = [pair for batch in pool.map(write, range(4)) for pair in batch]
    with db.session() as session:
        stored = set(session.execute(select(Unit.id, Unit.code)).tuples())
    assert len(written) == 160 and set(written) == stored
