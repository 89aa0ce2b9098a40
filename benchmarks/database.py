"""A database of the benchmark's own: a temporary SQLite file, or a PostgreSQL schema
made for the run and dropped after it (as the tests do)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from models.db import Database
from models.migrate import upgrade


@contextmanager
def bench_database(url: str | None, keep: bool = False) -> Iterator[Database]:
    """A migrated, empty database for one run; removed afterwards unless `keep`."""
    if url is None or url.startswith("sqlite"):
        with _sqlite(url, keep) as database:
            yield database
    else:
        with _postgres(url, keep) as database:
            yield database


@contextmanager
def _sqlite(url: str | None, keep: bool) -> Iterator[Database]:
    folder = Path(tempfile.mkdtemp(prefix="tdkt-bench-"))
    database = Database(url or f"sqlite:///{folder / 'bench.sqlite'}")
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _postgres(url: str, keep: bool) -> Iterator[Database]:
    schema = f"tdkt_bench_{os.getpid()}"
    admin = Database(url)
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    database = Database(scoped, pool_size=24, max_overflow=8)
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()
        if not keep:
            with admin.engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def analyze(database: Database) -> None:
    """Fresh planner statistics, as a production database would have after bulk loads.
    On PostgreSQL also the visibility map autovacuum would have written by then: without
    it an index-only scan (the Board queue's) still reads every table row."""
    if database.is_sqlite:
        with database.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def reset_sequences(database: Database, tables: list[str]) -> None:
    """Rows inserted with explicit ids leave PostgreSQL's sequences behind: catch them up."""
    if database.is_sqlite:
        return
    with database.engine.begin() as conn:
        for table in tables:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"))
