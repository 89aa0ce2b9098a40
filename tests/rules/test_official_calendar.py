"""The calendar says what it knows and what it guesses: the 2026 New Year swap of
Government Office letter 12729/VPCP-KGVX, Vietnam Cultural Day 2026 worked until the
province is told otherwise, every unusual day with its source, and a warning when a year's
schedule is an estimate."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from click.testing import CliRunner

from rules.calendar import TZ, calendar_warnings, load_calendar
from web.cli import main

SHIPPED = load_calendar()


def test_the_2026_new_year_swap_is_in_the_shipped_calendar():
    assert not SHIPPED.is_working_day(date(2026, 1, 2))  # Friday off
    assert SHIPPED.is_working_day(date(2026, 1, 10))     # Saturday worked in exchange
    # A time limit of 6 working days from Wednesday 31/12/2025 skips Thursday 1 to Sunday
    # 4 and counts the Saturday: it ends on Saturday 10/01/2026 at 17:00.
    due = SHIPPED.add_working_days(datetime(2025, 12, 31, 9, tzinfo=TZ), 6)
    assert due.astimezone(TZ) == datetime(2026, 1, 10, 17, tzinfo=TZ)


def test_vietnam_cultural_day_2026_is_worked_and_says_why():
    assert SHIPPED.is_working_day(date(2026, 11, 24))
    (day,) = [d for d in SHIPPED.unusual_days(2026) if d.day == date(2026, 11, 24)]
    assert day.working and "Bộ luật Lao động 2019, Điều 112" in day.source


def test_every_unusual_day_names_its_source():
    days = {d.day: d for d in SHIPPED.unusual_days(2026)}
    assert "12729/VPCP-KGVX" in days[date(2026, 1, 2)].source
    assert days[date(2026, 1, 1)].name == "Tết Dương lịch"
    assert "holidays" in days[date(2026, 1, 1)].source
    assert date(2026, 1, 3) not in days  # an ordinary Saturday


def test_a_year_the_file_does_not_hold_is_an_estimate():
    assert not SHIPPED.is_estimated(date(2026, 6, 1))
    assert SHIPPED.is_estimated(date(2027, 6, 1))


def test_december_warns_when_next_years_schedule_is_missing():
    (warning,) = calendar_warnings(SHIPPED, date(2026, 12, 7))
    assert "năm 2027 chưa được xác nhận" in warning
    assert calendar_warnings(SHIPPED, date(2026, 11, 30)) == []
    # A year without its own schedule is warned about all year.
    assert "năm 2027 chưa có" in calendar_warnings(SHIPPED, date(2027, 3, 2))[0]


def test_calendar_show_lists_the_year_with_sources_and_says_whether_it_is_official(tmp_path):
    runner = CliRunner()
    shown = runner.invoke(main, ["calendar", "show", "2026"], env={"TDKT_CALENDAR_FILE": ""})
    assert shown.exit_code == 0, shown.output
    assert "Năm 2026: chính thức" in shown.output
    assert ("02/01/2026  Thứ Sáu   nghỉ      Nghỉ Tết Dương lịch (hoán đổi sang thứ Bảy "
            "10/01/2026)  [Công văn 12729/VPCP-KGVX") in shown.output
    assert "10/01/2026  Thứ Bảy   làm việc" in shown.output
    later = runner.invoke(main, ["calendar", "show", "2027"], env={"TDKT_CALENDAR_FILE": ""})
    assert "Năm 2027: DỰ KIẾN" in later.output
    bad = runner.invoke(main, ["calendar", "show", "năm-sau"])
    assert bad.exit_code == 2 and "YEAR" in bad.output
    # An operator's own file: a package holiday worked, with the province's note.
    own = Path(tmp_path / "lich.yaml")
    own.write_text("official_years: [2027]\nextra_working_days:\n"
                   "  - {date: 2027-01-01, note: Làm việc, source: Quyết định của tỉnh}\n",
                   encoding="utf-8")
    mine = runner.invoke(main, ["calendar", "show", "2027"], env={"TDKT_CALENDAR_FILE": str(own)})
    assert "Năm 2027: chính thức" in mine.output
    assert "01/01/2027  Thứ Sáu   làm việc  Làm việc  [Quyết định của tỉnh]" in mine.output
