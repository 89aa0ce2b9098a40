"""Rows written past the unit of work (`models.fast_writes`) behave in the session as rows
a flush wrote: persistent once written, gone again with the rollback that undid them; a
version-checked write refuses a row another writer moved on, and leaves nothing for the
flush to write again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from models import Unit
from models.db import Database
from models.fast_writes import add_rows, forced, insert_known, update_versioned


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


class _Base(DeclarativeBase):
    pass


class Ledger(_Base):
    """A table of this test's own with a version counter, as proposals have."""

    __tablename__ = "ledger"
    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


def test_a_versioned_write_lands_once_and_refuses_a_row_moved_on_by_another(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Ledger(id=1, note="a"), Ledger(id=2, note="b")])
        s.commit()
    with Session(engine) as s:
        one, two = s.get_one(Ledger, 1), s.get_one(Ledger, 2)
        one.note, two.note = "a2", "b2"
        assert update_versioned(s, [one, two])
        assert (one.version, two.version) == (2, 2)
        assert not s.dirty  # the commit has nothing left to write
        s.commit()
    with Session(engine) as s:
        assert [(r.note, r.version) for r in s.scalars(select(Ledger).order_by(Ledger.id))] \
            == [("a2", 2), ("b2", 2)]
        one, two = s.get_one(Ledger, 1), s.get_one(Ledger, 2)
        with engine.begin() as other:  # another writer moves the second row on
            other.execute(update(Ledger).where(Ledger.id == 2).values(version=3))
        one.note, two.note = "a3", "b3"
        assert not update_versioned(s, [one, two])
        s.rollback()
    with Session(engine) as s:
        assert [(r.note, r.version) for r in s.scalars(select(Ledger).order_by(Ledger.id))] \
            == [("a2", 2), ("b2", 3)]
    engine.dispose()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "plain"])
def test_added_rows_are_the_sessions_objects_in_either_lane(db, fast):
    with forced(fast), db.unit_of_work() as session:
        made = add_rows(session, Unit, [unit("A-1"), unit("A-2")])
        session.flush()
        assert [u.code for u in made] == ["A-1", "A-2"]
        assert all(session.get(Unit, u.id) is u for u in made)
    assert codes(db) == ["A-1", "A-2"]


def test_each_of_many_rows_gets_the_id_of_its_own_row_in_the_rows_order(db):
    # Across the size where PostgreSQL takes the ids from the sequence first.
    for size in (1, 3, 4, 25):
        with db.unit_of_work() as session:
            made = insert_known(session, Unit, [unit(f"M{size}-{i:02}") for i in range(size)])
            assert [u.code for u in made] == [f"M{size}-{i:02}" for i in range(size)]
            ids = [u.id for u in made]
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
        stored = {(uid, code) for uid, code in session.execute(select(Unit.id, Unit.code))}
    assert len(written) == 160 and set(written) == stored
