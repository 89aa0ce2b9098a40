"""`tdkt db upgrade` and `tdkt seed-demo`: the schema and the demo data."""

from __future__ import annotations

import sys

import click

from models.db import Database
from models.migrate import upgrade
from web.cli.common import open_database
from web.config import Settings


@click.group(help="Cơ sở dữ liệu (database).")
def db() -> None:
    pass


@db.command("upgrade", help="Tạo hoặc nâng cấp lược đồ CSDL (apply Alembic migrations).")
def db_upgrade() -> None:
    database = open_database(require_schema=False)
    upgrade(database.engine)
    click.echo(f"Đã nâng cấp CSDL: {database.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo", help="Nạp dữ liệu mẫu (idempotent: chạy lại không nhân đôi).")
def seed_demo_cmd() -> None:
    database = open_database(require_schema=False)
    upgrade(database.engine)
    seed(database)


def seed(database: Database) -> None:
    from workflow.operations.demo_seed import DEMO_PASSWORD, seed_demo

    settings = Settings.from_env()
    steps = 5 + 2 + 10  # units+users, five rule sets, ten proposals at most
    with click.progressbar(length=steps, label="Đang nạp dữ liệu mẫu",
                           show_pos=True, file=sys.stderr) as bar, \
            database.unit_of_work() as session:
        report = seed_demo(session, settings.storage_dir, lambda _: bar.update(1))
        bar.update(steps)
    click.echo(f"Đơn vị: {report.units}, người dùng: {report.users}, "
               f"phiên bản quy tắc mới: {report.rule_versions_created}, "
               f"hồ sơ mới: {report.proposals_created}")
    click.echo(f"Tài khoản mẫu (mật khẩu {DEMO_PASSWORD}): unit1, unit2, reviewer, reviewer2, "
               f"boardhead, secretary, member1 … member7, admin")
