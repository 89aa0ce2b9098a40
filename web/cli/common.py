"""What every command shares: the database it works on."""

from __future__ import annotations

import sys

import click
from sqlalchemy import inspect

from models.db import Database
from web.config import Settings


def open_database(require_schema: bool = True) -> Database:
    database = Database(Settings.from_env().database_url)
    if require_schema and "alembic_version" not in inspect(database.engine).get_table_names():
        click.echo("CSDL chưa có lược đồ: hãy chạy `tdkt db upgrade` trước "
                   "(the database has no schema yet).", err=True)
        sys.exit(1)
    return database
