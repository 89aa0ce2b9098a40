"""Alembic configured from code, so `tdkt db upgrade` needs no alembic.ini."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, inspect

from models.db import RAISE_VERSION, UNTRACKED, schema_changed

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        conn.execution_options(**{UNTRACKED: True})  # the counter may not exist yet
        if sqlite:
            # Batch migrations rebuild tables; SQLite ignores this pragma inside a
            # transaction, so it is set on the raw connection before one begins.
            _raw_sql(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("migration left rows with broken foreign keys")
                if inspect(conn).has_table("data_version"):
                    conn.exec_driver_sql(RAISE_VERSION)  # no page rendered before stays
        finally:
            schema_changed(engine)
            if sqlite:
                _raw_sql(conn, "PRAGMA foreign_keys=ON")


def _raw_sql(conn: Connection, sql: str) -> None:
    """Run `sql` on the driver's own connection, outside any transaction of SQLAlchemy's."""
    raw = conn.connection.dbapi_connection
    assert raw is not None  # checked out, so open
    raw.execute(sql)
