"""`tdkt rules validate|load`: a campaign's rule sets from YAML files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from web.cli.common import open_database
from workflow.actors import SYSTEM, Actor


@click.group(help="Bộ quy tắc của phong trào (campaign rule sets).")
def rules() -> None:
    pass


@rules.command("validate", help="Kiểm tra tệp quy tắc; thoát 1 nếu có lỗi.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def rules_validate(files: tuple[str, ...]) -> None:
    from rules.loader import RuleSetError, load_file

    failed = False
    for name in files:
        try:
            rs = load_file(name)
        except RuleSetError as exc:
            failed = True
            for error in exc.errors:
                click.echo(str(error), err=True)
            continue
        click.echo(f"{name}: hợp lệ ({rs.rules.campaign}, {len(rs.rules.awards)} hình thức)")
    sys.exit(1 if failed else 0)


@rules.command("load", help="Nạp tệp quy tắc thành phiên bản mới của phong trào.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "author", default=None, help="Tên người nạp (ghi vào nhật ký).")
def rules_load(file: str, author: str | None) -> None:
    from rules.loader import RuleSetError
    from workflow.campaigns.rulesets import load_ruleset_file

    actor = Actor(None, author, frozenset({"admin"})) if author else SYSTEM
    database = open_database()
    try:
        with database.unit_of_work() as session:
            result = load_ruleset_file(session, Path(file), actor)
            code, number = result.campaign.code, result.version.version
    except RuleSetError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo("Không nạp: phong trào giữ nguyên phiên bản quy tắc hiện hành.", err=True)
        sys.exit(1)
    verb = "Đã nạp phiên bản mới" if result.created else "Không đổi, vẫn là phiên bản"
    click.echo(f"{code}: {verb} {number}")
