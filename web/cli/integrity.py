"""`tdkt audit verify|seal` and `tdkt doctor`: is the log whole; are the database and the
documents whole after a crash."""

from __future__ import annotations

import sys

import click

from models.base import utcnow
from rules.calendar import TZ, calendar_warnings, load_calendar
from web.cli.common import open_database
from web.config import Settings
from workflow.audit import chain


@click.group(help="Nhật ký kiểm toán (audit log).")
def audit() -> None:
    pass


@audit.command("verify", help="Kiểm tra toàn vẹn chuỗi băm của nhật ký (và MAC, nếu đặt "
                               "TDKT_AUDIT_KEY); thoát 1 nếu bị sửa.")
@click.option("--require-key", is_flag=True,
              help="Coi mọi sự kiện/đầu chuỗi chưa có MAC là lỗi (cần TDKT_AUDIT_KEY).")
def audit_verify(require_key: bool) -> None:
    key = chain.current_key()
    if require_key and key is None:
        click.echo("--require-key cần khoá: hãy đặt TDKT_AUDIT_KEY (the audit key is not "
                   "set).", err=True)
        sys.exit(2)
    with open_database().session() as session:
        report = chain.verify(session, key=key, require_key=require_key)
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
    key = chain.current_key()
    if key is None:
        click.echo("Cần khoá: hãy đặt TDKT_AUDIT_KEY (the audit key is not set).", err=True)
        sys.exit(2)
    database = open_database()
    with database.unit_of_work() as session:
        report = chain.seal(session, key)
    if not report.verified.ok:
        click.echo(f"Không niêm phong: nhật ký bị thay đổi — {report.verified.broken}",
                   err=True)
        sys.exit(1)
    click.echo(f"Đã niêm phong {report.events} sự kiện và {report.heads} đầu chuỗi "
               f"(sealed events: {report.events}, heads: {report.heads}). Từ nay hãy kiểm tra "
               "bằng `tdkt audit verify --require-key`.")


def _explain_key(report: chain.VerifyReport) -> None:
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


@click.command("doctor", help="Khám CSDL và kho tài liệu sau sự cố: chuỗi nhật ký, trạng thái "
                              "so với nhật ký, tệp thiếu/hỏng, tệp mồ côi; thoát 1 nếu có lỗi.")
@click.option("--fix", is_flag=True, help="Xoá các tệp mồ côi (không bao giờ xoá dòng CSDL). "
                                          "Dừng mọi tiến trình tdkt trước.")
def doctor_cmd(fix: bool) -> None:
    from web.cli.safety import progress
    from workflow.operations.doctor import examine, fix_orphans

    settings = Settings.from_env()
    database = open_database()
    try:
        with database.session() as session:
            report = examine(session, settings.storage_dir, progress)
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
    for warning in calendar_warnings(load_calendar(settings.calendar_file),
                                     utcnow().astimezone(TZ).date()):
        click.echo(f"Cảnh báo: {warning}")
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
