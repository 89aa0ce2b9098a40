"""Alembic migrations build exactly the schema the models describe, on both databases,
and can be walked down and up again."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from models import Base
from models.db import Database
from models.migrate import alembic_config, downgrade, upgrade
from tests.conftest import PG_URL
from workflow.accounts import login_brake
from workflow.accounts.tokens import create_token


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



def layout(database: Database) -> dict[str, list[str]]:
    """Each table of the current schema with its columns (alembic's own table aside)."""
    found = inspect(database.engine)
    return {t: sorted(c["name"] for c in found.get_columns(t))
            for t in found.get_table_names() if t != "alembic_version"}


def rows(database: Database, tables: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of these tables, these columns only, in a fixed order."""
    with database.engine.connect() as conn:
        return {t: sorted((tuple(r) for r in conn.execute(
            text(f'SELECT {", ".join(cols)} FROM "{t}"'))), key=_order)
            for t, cols in tables.items()}


def _order(row: tuple) -> tuple:
    return tuple((v is None, repr(v)) for v in row)


def revisions() -> list[str]:
    """Every revision but the newest, newest first: the points to walk down to."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in script.walk_revisions()][1:]


def test_upgrade_from_an_empty_database(backend, tmp_path):
    """A brand-new database (file or schema) gets the whole schema, as the models say."""
    if backend == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'empty.sqlite'}")
        upgrade(database.engine)
        assert schema_drift(database) == []
        database.dispose()
        return
    admin = Database(PG_URL)
    schema = f"tdkt_empty_{os.getpid()}"
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    database = Database(f"{PG_URL}{'&' if '?' in PG_URL else '?'}"
                        f"options=-csearch_path%3D{schema}")
    try:
        upgrade(database.engine)
        assert schema_drift(database) == []
        assert set(Base.metadata.tables) <= set(layout(database))
    finally:
        database.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def test_walking_down_and_up_keeps_the_rows_of_a_database_in_use(db, world, make_proposal):
    """Proposals in several states (with documents, deadlines, audit chains), an API token
    and a login-brake count: each step down, and back up, keeps every row of every table
    the lower revision has, column for column."""
    for state in ("draft", "returned", "at_council", "decided"):
        make_proposal(state)
    with db.unit_of_work() as s:
        create_token(s, world.user_ids["unit1"], "Khoá thử")
        login_brake.record_failure(s, login_brake.keys("unit1", "192.0.2.1"),
                                      datetime.now(UTC))
    at_head = layout(db)
    full = rows(db, at_head)
    assert all(full[t] for t in ("proposals", "documents", "audit_events", "deadlines",
                                 "api_tokens", "login_throttles", "users"))
    for revision in revisions():
        downgrade(db.engine, revision)
        # The data version counts every committed write, a migration's too: it moves.
        kept = {t: [c for c in cols if c in at_head[t]] for t, cols in layout(db).items()
                if t != "data_version"}
        before = {t: sorted((tuple(r[at_head[t].index(c)] for c in cols) for r in full[t]),
                            key=_order) for t, cols in kept.items()}
        assert rows(db, kept) == before, f"rows changed walking down to {revision}"
        upgrade(db.engine)
        assert rows(db, kept) == before, f"rows changed walking up from {revision}"
    assert rows(db, at_head)["proposals"] == full["proposals"]
    assert schema_drift(db) == []


def test_reasons_written_with_the_old_prefix_read_once_after_0007(db, make_proposal):
    """Before 0007 a rejected nominee's reason began with "Không đạt: ", which the proposal
    page then repeated; the upgrade drops it and leaves other reasons alone."""
    make_proposal("draft")
    make_proposal("draft")
    downgrade(db.engine, "0006")
    with db.engine.begin() as conn:
        ids = list(conn.execute(text("SELECT id FROM nominees ORDER BY id")).scalars())
        assert len(ids) >= 2
        conn.execute(text("UPDATE nominees SET outcome_reason = :r WHERE id = :i"), [
            {"r": "Không đạt: 4/7 = 57,1% < 70% tổng số thành viên Hội đồng", "i": ids[0]},
            {"r": "Không đạt yêu cầu về thời gian công tác", "i": ids[1]}])
    upgrade(db.engine)
    with db.engine.connect() as conn:
        reasons = dict(conn.execute(text(
            "SELECT id, outcome_reason FROM nominees WHERE id IN (:a, :b)"),
            {"a": ids[0], "b": ids[1]}).all())
    assert reasons == {ids[0]: "4/7 = 57,1% < 70% tổng số thành viên Hội đồng",
                       ids[1]: "Không đạt yêu cầu về thời gian công tác"}


def test_0015_gives_every_existing_stream_its_head(db, world, make_proposal):
    """A database in use before 0015 (campaign, user and proposal chains) gets a head for
    each stream that is not a proposal's, at its newest event, and verifies after."""
    from tests.support.audit_streams import USER_STREAM, add_user_stream
    from workflow.audit.chain import verify

    make_proposal("submitted")
    add_user_stream(db)
    downgrade(db.engine, "0014")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        heads = dict(conn.execute(text("SELECT stream, seq FROM audit_heads")).all())
        streams = dict(conn.execute(text(
            "SELECT stream, MAX(seq) FROM audit_events WHERE stream NOT LIKE 'proposal:%' "
            "GROUP BY stream")).all())
    assert heads == streams and heads[USER_STREAM] == 2
    with db.session() as session:
        report = verify(session)
    assert report.ok, report.broken
