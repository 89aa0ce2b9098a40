"""The `tdkt` command: database, demo data, rule sets, audit."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import inspect

from models.db import Database
from models.migrate import upgrade
from web.cli_deadlines import deadlines, scheduler_cmd, start_background_scheduler
from web.cli_safety import backup_cmd, restore_cmd, user
from web.config import Settings
from web.process import settled_app
from workflow import audit as audit_log
from workflow.actors import SYSTEM, Actor

# Rule sets and seeding import rule-engine, whose parser takes a while to build: those
# modules are imported by the commands that need them, keeping `audit verify` quick.


def _database(require_schema: bool = True) -> Database:
    database = Database(Settings.from_env().database_url)
    if require_schema and "alembic_version" not in inspect(database.engine).get_table_names():
        click.echo("CSDL chưa có lược đồ: hãy chạy `tdkt db upgrade` trước "
                   "(the database has no schema yet).", err=True)
        sys.exit(1)
    return database


@click.group(help="tdkt — quy trình xét khen thưởng (commendation workflow engine).")
def main() -> None:
    # Every command that writes seals its audit events with the operator's key, if set.
    audit_log.use_key(Settings.from_env().audit_key)


@main.group(help="Cơ sở dữ liệu (database).")
def db() -> None:
    pass


@db.command("upgrade", help="Tạo hoặc nâng cấp lược đồ CSDL (apply Alembic migrations).")
def db_upgrade() -> None:
    database = _database(require_schema=False)
    upgrade(database.engine)
    click.echo(f"Đã nâng cấp CSDL: {database.engine.url.render_as_string(hide_password=True)}")


@main.command("seed-demo", help="Nạp dữ liệu mẫu (idempotent: chạy lại không nhân đôi).")
def seed_demo_cmd() -> None:
    database = _database(require_schema=False)
    upgrade(database.engine)
    _seed(database)


def _seed(database: Database) -> None:
    from workflow.seed import DEMO_PASSWORD, seed_demo

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


@main.group(help="Bộ quy tắc của phong trào (campaign rule sets).")
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
    from workflow.rulesets import load_ruleset_file

    actor = Actor(None, author, frozenset({"admin"})) if author else SYSTEM
    database = _database()
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


@main.group(help="Nhật ký kiểm toán (audit log).")
def audit() -> None:
    pass


@audit.command("verify", help="Kiểm tra toàn vẹn chuỗi băm của nhật ký (và MAC, nếu đặt "
                               "TDKT_AUDIT_KEY); thoát 1 nếu bị sửa.")
@click.option("--require-key", is_flag=True,
              help="Coi mọi sự kiện/đầu chuỗi chưa có MAC là lỗi (cần TDKT_AUDIT_KEY).")
def audit_verify(require_key: bool) -> None:
    key = audit_log.current_key()
    if require_key and key is None:
        click.echo("--require-key cần khoá: hãy đặt TDKT_AUDIT_KEY (the audit key is not "
                   "set).", err=True)
        sys.exit(2)
    with _database().session() as session:
        report = audit_log.verify(session, key=key, require_key=require_key)
    if report.ok:
        click.echo(f"Nhật ký toàn vẹn: {report.streams} chuỗi, {report.events} sự kiện.")
    else:
        click.echo(f"Nhật ký bị thay đổi — sự kiện hỏng đầu tiên: {report.broken}", err=True)
    _explain_key(report)
    if report.undigested_decisions:
        click.echo(f"{report.undigested_decisions} quyết định ban hành trước khi nhật ký niêm "
                   "phong danh sách: nội dung của chúng không được đối chiếu "
                   f"(undigested decisions: {report.undigested_decisions}).")
    if not report.ok:
        sys.exit(1)


@audit.command("seal", help="Gắn MAC (khoá TDKT_AUDIT_KEY) cho các sự kiện và đầu chuỗi ghi "
                             "trước khi đặt khoá, nếu nhật ký toàn vẹn. Dừng mọi tiến trình "
                             "tdkt trước.")
def audit_seal() -> None:
    key = audit_log.current_key()
    if key is None:
        click.echo("Cần khoá: hãy đặt TDKT_AUDIT_KEY (the audit key is not set).", err=True)
        sys.exit(2)
    database = _database()
    with database.unit_of_work() as session:
        report = audit_log.seal(session, key)
    if not report.verified.ok:
        click.echo(f"Không niêm phong: nhật ký bị thay đổi — {report.verified.broken}",
                   err=True)
        sys.exit(1)
    click.echo(f"Đã niêm phong {report.events} sự kiện và {report.heads} đầu chuỗi "
               f"(sealed events: {report.events}, heads: {report.heads}). Từ nay hãy kiểm tra "
               "bằng `tdkt audit verify --require-key`.")


def _explain_key(report: audit_log.VerifyReport) -> None:
    """What this run proved: the hash chain only, or the MACs too."""
    if not report.keyed:
        click.echo("Chưa đặt TDKT_AUDIT_KEY: chỉ kiểm tra chuỗi băm — người có quyền ghi CSDL "
                   "vẫn có thể tính lại cả chuỗi mà không bị phát hiện; "
                   f"{report.sealed_events} sự kiện có MAC không được kiểm tra "
                   "(hash chain only: no key).")
        return
    click.echo(f"Đã kiểm tra MAC bằng TDKT_AUDIT_KEY: {report.sealed_events} sự kiện có MAC; "
               f"chưa có MAC (ghi trước khi đặt khoá): {report.unkeyed_events} sự kiện, "
               f"{report.unkeyed_heads} đầu chuỗi (unkeyed events: {report.unkeyed_events}, "
               f"unkeyed heads: {report.unkeyed_heads}).")


@main.command("doctor", help="Khám CSDL và kho tài liệu sau sự cố: chuỗi nhật ký, trạng thái "
                              "so với nhật ký, tệp thiếu/hỏng, tệp mồ côi; thoát 1 nếu có lỗi.")
@click.option("--fix", is_flag=True, help="Xoá các tệp mồ côi (không bao giờ xoá dòng CSDL). "
                                          "Dừng mọi tiến trình tdkt trước.")
def doctor_cmd(fix: bool) -> None:
    from web.cli_safety import _progress
    from workflow.doctor import examine, fix_orphans

    settings = Settings.from_env()
    database = _database()
    try:
        with database.session() as session:
            report = examine(session, settings.storage_dir, _progress)
    finally:
        database.dispose()
    if fix and report.orphans:
        for path in fix_orphans(report):
            click.echo(f"Đã xoá tệp mồ côi: {path}")
    click.echo(f"Đã khám: {report.streams} chuỗi nhật ký, {report.events} sự kiện, "
               f"{report.proposals} hồ sơ, {report.documents} tài liệu, {report.files} tệp.")
    if report.kept_for_audit:
        click.echo(f"{report.kept_for_audit} tệp của tài liệu đã xoá khỏi hồ sơ được giữ lại "
                   "cho nhật ký kiểm toán (không phải tệp mồ côi).")
    problems = report.problems()
    if not problems:
        click.echo("Không phát hiện vấn đề.")
        return
    click.echo(f"Phát hiện {len(problems)} vấn đề:", err=True)
    for line in problems:
        click.echo(f"  - {line}", err=True)
    if report.orphans and not fix:
        click.echo("Chạy `tdkt doctor --fix` để xoá tệp mồ côi.", err=True)
    sys.exit(1)


@main.command(help="Chạy giao diện web bằng máy chủ WSGI waitress (production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    _serve(settled_app(), host, port, threads)


def _serve(app: Flask, host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    click.echo(f"tdkt đang chạy tại http://{host}:{port}/ (Ctrl+C để dừng)")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.command(help="Chạy bản demo: nâng cấp CSDL, nạp dữ liệu mẫu, mở giao diện web và "
                   "bộ lập lịch nhắc hạn.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    database = _database(require_schema=False)
    upgrade(database.engine)
    _seed(database)
    database.dispose()
    # The app is built and its heap set aside before the scheduler's first tick runs,
    # so nothing of a tick in flight is frozen with it.
    app = settled_app()
    scheduler = start_background_scheduler()
    click.echo("Bộ lập lịch nhắc hạn chạy cùng tiến trình demo.")
    try:
        _serve(app, host, port)
    finally:
        scheduler.shutdown(wait=False)


@main.command("bench", context_settings={"ignore_unknown_options": True,
                                         "help_option_names": []},
              help="Đo hiệu năng so với mức sàn của CSDL (benchmarks; --help for options).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    # Imported here: the benchmarks build their own data and sit above every layer.
    from benchmarks.cli import main as run_benchmarks

    sys.exit(run_benchmarks(list(args)))


main.add_command(deadlines)
main.add_command(scheduler_cmd)
main.add_command(backup_cmd)
main.add_command(restore_cmd)
main.add_command(user)


if __name__ == "__main__":
    main()
