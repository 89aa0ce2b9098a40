"""`tdkt backup`, `tdkt restore` and `tdkt user password`: keeping data and accounts safe."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from models import User
from models.base import utcnow
from models.db import Database
from web.config import Settings
from workflow.actors import Actor
from workflow.errors import WorkflowError

STAGES = {"database": "CSDL", "documents": "Tài liệu", "verify": "Kiểm tra SHA-256",
          "audit": "Nhật ký", "states": "Trạng thái hồ sơ", "files": "Tệp trong kho"}


def progress(stage: str, done: int, total: int) -> None:
    """A progress line on stderr, rewritten in place; a new line when a stage ends."""
    if total and (done == total or done % max(1, total // 50) == 0):
        end = "\n" if done == total else "\r"
        click.echo(f"{STAGES.get(stage, stage)}: {done}/{total}", err=True, nl=False)
        click.echo(end, err=True, nl=False)


def _fail(exc: WorkflowError) -> None:
    click.echo(exc.message, err=True)
    sys.exit(1)


@click.command("backup", help="Sao lưu CSDL (SQLite, khi đang chạy) và tài liệu vào một tệp "
                              "tar kèm bản kê SHA-256 (.tar.gz để nén).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_cmd(path: Path) -> None:
    from workflow.operations.backup import backup

    settings = Settings.from_env()
    database = Database(settings.database_url)
    try:
        report = backup(database, settings.storage_dir, path, utcnow(), progress)
    except WorkflowError as exc:
        _fail(exc)
    finally:
        database.dispose()
    click.echo(f"Đã sao lưu vào {report.path}: lược đồ {report.revision}, "
               f"{report.documents} tài liệu, {report.size:,} byte.")
    if report.missing:
        click.echo(f"CẢNH BÁO: {len(report.missing)} tài liệu CSDL nhắc tới bị thiếu hoặc hỏng "
                   f"trong {settings.storage_dir}, không có trong bản sao lưu: "
                   + ", ".join(report.missing[:10]), err=True)
        sys.exit(1)


@click.command("restore", help="Khôi phục từ tệp sao lưu: kiểm tra bản kê, chép CSDL và tài "
                               "liệu, rồi nâng cấp lược đồ. Dừng mọi tiến trình tdkt trước.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Ghi đè cả khi CSDL đích đã có dữ liệu.")
def restore_cmd(path: Path, force: bool) -> None:
    from workflow.operations.backup import restore

    settings = Settings.from_env()
    database = Database(settings.database_url)
    try:
        report = restore(database, settings.storage_dir, path, force, progress)
    except WorkflowError as exc:
        _fail(exc)
    finally:
        database.dispose()
    click.echo(f"Đã khôi phục bản sao lưu lúc {report.created_at} (lược đồ "
               f"{report.revision_in_backup}, {report.documents} tài liệu); CSDL đã được nâng "
               f"cấp lên lược đồ hiện hành. Hãy chạy `tdkt audit verify` để kiểm tra.")


@click.group("user", help="Tài khoản người dùng (user accounts).")
def user() -> None:
    pass


@user.command("password", help="Đặt mật khẩu mới cho tài khoản (hỏi mật khẩu, không hiện ra "
                                "màn hình); mật khẩu phải đạt chính sách mật khẩu.")
@click.argument("username")
@click.password_option("--password", prompt="Mật khẩu mới",
                       confirmation_prompt="Nhập lại mật khẩu mới")
def user_password(username: str, password: str) -> None:
    from workflow.accounts.credentials import set_password

    database = Database(Settings.from_env().database_url)
    operator = Actor(None, "Quản trị qua dòng lệnh (tdkt user password)", frozenset({"admin"}))
    try:
        with database.unit_of_work() as session:
            account = session.scalar(select(User).where(User.username == username.strip()))
            if account is None:
                click.echo(f"Không có tài khoản “{username}”.", err=True)
                sys.exit(1)
            set_password(session, account, password, operator, "reset_password", utcnow())
    except WorkflowError as exc:
        _fail(exc)
    finally:
        database.dispose()
    click.echo(f"Đã đặt mật khẩu mới cho {username}; các phiên đăng nhập cũ đã kết thúc.")
