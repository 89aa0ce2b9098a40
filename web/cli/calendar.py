"""`tdkt calendar show YEAR`: the days off and make-up days tdkt counts with, and where
each comes from."""

from __future__ import annotations

from datetime import date

import click

from rules.calendar import load_calendar
from web.config import Settings

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


@click.group(help="Lịch ngày làm việc (working-day calendar).")
def calendar() -> None:
    pass


@calendar.command("show", help="Mọi ngày nghỉ và ngày làm bù của một năm, kèm nguồn "
                               "(every day off and make-up day of YEAR, with its source).")
@click.argument("year", type=click.IntRange(1990, 2100))
def show(year: int) -> None:
    settings = Settings.from_env()
    cal = load_calendar(settings.calendar_file)
    if cal.is_estimated(date(year, 1, 1)):
        click.echo(f"Năm {year}: DỰ KIẾN — tệp lịch chưa ghi lịch nghỉ chính thức của năm này; "
                   f"các ngày dưới đây là ước tính từ gói holidays (estimated).")
    else:
        click.echo(f"Năm {year}: chính thức (official) — theo tệp lịch "
                   f"{settings.calendar_file or 'mặc định'}.")
    for day in cal.unusual_days(year):
        what = "làm việc" if day.working else "nghỉ"
        click.echo(f"{day.day:%d/%m/%Y}  {WEEKDAYS[day.day.weekday()]:<8}  {what:<8}  "
                   f"{day.name}  [{day.source}]")
