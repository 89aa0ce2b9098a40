"""Alembic migrations build exactly the schema the models describe, on both databases,
and can be walked down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import Base
from models.db import Database
from models.migrate import downgrade, upgrade


def schema_drift(database: Database) -> list[object]:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrations_match_the_models(db):
    assert schema_drift(db) == []


def test_downgrade_to_empty_and_upgrade_again(db, world):
    downgrade(db.engine, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(db.engine)
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
    assert schema_drift(db) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()
