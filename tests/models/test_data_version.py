"""The data version moves with every committed write, from any process, and with nothing
else: a kept page is served again only while it reads the same."""

from __future__ import annotations

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
