"""`tdkt deadlines …` and `tdkt scheduler`: the time-driven side of the workflow."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import inspect

from models.db import Database
from rules.calendar import load_calendar
from web.config import Settings
from web.startup import settle_startup_heap
from workflow.deadlines.tracking import use_calendar
from workflow.labels import term, text
from workflow.notifications.outbox import DeliveryReport, SmtpConfig

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def configure(settings: Settings) -> None:
    """Point the workflow at the configured calendar (call once per process: CLI, web)."""
    use_calendar(load_calendar(settings.calendar_file))


def smtp_config(settings: Settings) -> SmtpConfig | None:
    return SmtpConfig.from_url(settings.smtp_url, settings.mail_from) if settings.smtp_url else None


def _database(settings: Settings) -> Database:
    database = Database(settings.database_url)
    if "alembic_version" not in inspect(database.engine).get_table_names():
        click.echo("CSDL chưa có lược đồ: hãy chạy `tdkt db upgrade` trước "
                   "(the database has no schema yet).", err=True)
        sys.exit(1)
    return database


def _setup() -> tuple[Settings, Database]:
    settings = Settings.from_env()
    configure(settings)
    return settings, _database(settings)


def parse_now(value: str | None) -> datetime | None:
    """ISO 8601; a time without an offset is read in Asia/Ho_Chi_Minh."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"cần thời điểm ISO 8601, ví dụ 2023-02-03T17:00: {exc}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=VN)


def vn(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%d/%m/%Y %H:%M")


NOW_OPTION = click.option("--now", "now_text", default=None, metavar="ISO-8601",
                          help="Chạy như thể lúc này (mặc định: bây giờ).")


@click.group(help="Thời hạn xử lý và nhắc việc (deadlines and escalations).")
def deadlines() -> None:
    pass


@deadlines.command("sweep", help="Áp dụng một lần mọi bước nhắc hạn, báo quá hạn đã đến hạn.")
@NOW_OPTION
def sweep_cmd(now_text: str | None) -> None:
    from models.base import utcnow
    from workflow.escalation.sweep import count_due, sweep

    _, database = _setup()
    now = parse_now(now_text) or utcnow()
    with click.progressbar(length=count_due(database, now), label="Đang xử lý thời hạn",
                           show_pos=True, file=sys.stderr) as bar:
        report = sweep(database, now, progress=lambda _: bar.update(1))
    for o in report.applied:
        to = f" → {', '.join(o.recipients)}" if o.recipients else ""
        click.echo(f"{vn(o.due_at) if o.due_at else '':16}  {o.reference:16}  "
                   f"{term('action', o.action)}{to}")
    for o in report.outcomes:
        if o.result == "failed":
            click.echo(f"Lỗi ở bước {o.step_id} (hồ sơ {o.proposal_id}): {o.error}", err=True)
    click.echo(f"Lúc {vn(now)}: đã áp dụng {report.count('applied')} bước, "
               f"bỏ qua {report.count('busy')} (tiến trình khác đang xử lý), "
               f"lỗi {report.count('failed')} (sẽ thử lại lần quét sau).")
    sys.exit(1 if report.count("failed") else 0)


@deadlines.command("recompute", help="Tính lại thời hạn đang mở theo quy tắc hiện hành "
                   "của phong trào (mặc định chỉ xem trước).")
@click.option("--campaign", "code", required=True, help="Mã phong trào, ví dụ CDS-2022.")
@click.option("--apply", "do_apply", is_flag=True, help="Áp dụng thay vì chỉ xem trước.")
@NOW_OPTION
def recompute_cmd(code: str, do_apply: bool, now_text: str | None) -> None:
    from models.base import utcnow
    from workflow.errors import NotFound
    from workflow.escalation.recompute import recompute

    _, database = _setup()
    now = parse_now(now_text) or utcnow()
    try:
        with database.unit_of_work() as session:
            moves = recompute(session, code, now, apply=do_apply)
    except NotFound as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    for m in moves:
        click.echo(f"{m.reference:16}  {m.kind:12}  {vn(m.old_due)} → {vn(m.new_due)}  "
                   f"(quy tắc v{m.old_version} → v{m.new_version}, "
                   f"{m.steps_changed} bước nhắc thay đổi)")
    verb = "Đã tính lại" if do_apply else "Xem trước: sẽ tính lại"
    click.echo(f"{verb} {len(moves)} thời hạn của phong trào {code}.")
    if moves and not do_apply:
        click.echo("Chạy lại với --apply để áp dụng.")


@deadlines.command("deliver", help="Gửi thư trong hàng đợi qua SMTP (TDKT_SMTP_URL).")
@NOW_OPTION
def deliver_cmd(now_text: str | None) -> None:
    from workflow.notifications.outbox import deliver_outbox

    settings, database = _setup()
    smtp = smtp_config(settings)
    if smtp is None:
        click.echo("Chưa cấu hình TDKT_SMTP_URL: thư vẫn nằm trong hàng đợi.", err=True)
        sys.exit(1)
    report = deliver_outbox(database, smtp, parse_now(now_text))
    click.echo(_mail_summary(report))


@deadlines.command("list", help="Hàng đợi của Ban TĐKT theo thời hạn (sớm nhất trước).")
@click.option("--overdue", is_flag=True, help="Chỉ hồ sơ đã quá hạn.")
@NOW_OPTION
def list_cmd(overdue: bool, now_text: str | None) -> None:
    from models.base import utcnow
    from workflow.deadlines.tracking import board_queue

    _, database = _setup()
    now = parse_now(now_text) or utcnow()
    with database.session() as session:
        rows = board_queue(session, now, overdue_only=overdue)
        for row in rows:
            due = row.due.label if row.due else text("due", "none")
            click.echo(f"{row.proposal.reference or row.proposal.id!s:16}  "
                       f"{row.proposal.state:13}  {due}")
    click.echo(f"{len(rows)} hồ sơ.")


def _mail_summary(report: DeliveryReport) -> str:
    return (f"Thư: đã gửi {report.sent}, gửi lại sau {report.retried}, "
            f"bị từ chối {report.failed}.")


@click.command("scheduler", help="Chạy bộ lập lịch: quét thời hạn và gửi thư định kỳ "
               "(TDKT_SWEEP_SECONDS, mặc định 60 giây). Chạy được nhiều tiến trình cùng lúc.")
@click.option("--once", is_flag=True, help="Chỉ chạy một lượt rồi thoát.")
@click.option("--interval", type=int, default=None, help="Số giây giữa hai lượt.")
@NOW_OPTION
def scheduler_cmd(once: bool, interval: int | None, now_text: str | None) -> None:
    from models.base import utcnow
    from workflow.operations.scheduler import run_scheduler, tick

    settings, database = _setup()
    smtp, now = smtp_config(settings), parse_now(now_text)
    if once:
        report = tick(database, smtp, (lambda: now) if now else utcnow)
        click.echo(f"Lúc {vn(report.at)}: đã áp dụng {report.swept.count('applied')} bước, "
                   f"bỏ qua {report.swept.count('busy')}, lỗi {report.swept.count('failed')}. "
                   + (_mail_summary(report.mail) if report.mail else "Chưa cấu hình SMTP."))
        return
    seconds = interval or settings.sweep_interval_seconds
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Bộ lập lịch tdkt đang chạy, mỗi {seconds} giây (Ctrl+C để dừng).", err=True)
    settle_startup_heap()
    run_scheduler(database, interval_seconds=seconds, smtp=smtp)


def start_background_scheduler(settings: Settings | None = None) -> BackgroundScheduler:
    """The scheduler inside another process (`tdkt demo`): call before serving."""
    from workflow.operations.scheduler import start_scheduler

    settings = settings or Settings.from_env()
    configure(settings)
    return start_scheduler(Database(settings.database_url),
                           interval_seconds=settings.sweep_interval_seconds,
                           smtp=smtp_config(settings))
