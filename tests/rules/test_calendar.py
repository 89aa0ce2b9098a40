"""Working days: Vietnam's holidays and make-up Saturdays, the province's own days,
deadlines at the close of office hours in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from rules.calendar import (
    PROVINCE_CALENDAR_FILE,
    WorkingCalendar,
    calendar_from_config,
    load_calendar,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar()


def at_vn(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=VN)


def due_utc(y: int, m: int, d: int) -> datetime:
    """17:00 in Vietnam (UTC+7, no daylight saving) is 10:00 UTC."""
    return datetime(y, m, d, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "days", "due"), [
    # Fri 02/02/2024: Mon 5, Tue 6, Wed 7, then Tết 08–14/02, then Thu 15, Fri 16.
    (at_vn(2024, 2, 2), 5, due_utc(2024, 2, 16)),
    # Fri 13/01/2023: Mon 16 – Thu 19 (4), Tết 20–26/01, Fri 27, Mon 30 – Fri 03/02 (10).
    (at_vn(2023, 1, 13), 10, due_utc(2023, 2, 3)),
    # Fri 24/01/2025: Tết 27/01 – 01/02 swallows the whole next week.
    (at_vn(2025, 1, 24), 1, due_utc(2025, 2, 3)),
], ids=["tet-2024", "tet-2023", "tet-2025"])
def test_a_deadline_started_before_tet_lands_after_the_holidays(start, days, due):
    assert CAL.add_working_days(start, days) == due


def test_no_day_of_tet_2024_is_a_working_day():
    assert [d for d in range(8, 15) if CAL.is_working_day(date(2024, 2, d))] == []
    assert CAL.is_working_day(date(2024, 2, 7))
    assert CAL.is_working_day(date(2024, 2, 15))


def test_an_ordinary_week_skips_the_weekend():
    # Thu 07/03/2024 + 2 working days: Fri 8, (Sat, Sun), Mon 11.
    assert CAL.add_working_days(at_vn(2024, 3, 7), 2) == due_utc(2024, 3, 11)
    assert not CAL.is_working_day(date(2024, 3, 9))
    assert not CAL.is_working_day(date(2024, 3, 10))


@pytest.mark.parametrize("saturday", [date(2024, 5, 4), date(2025, 4, 26)])
def test_a_make_up_saturday_is_a_working_day(saturday: date):
    assert saturday.weekday() == 5
    assert CAL.is_working_day(saturday)


def test_a_deadline_can_fall_on_a_make_up_saturday():
    # Fri 26/04/2024: Mon 29/04 (swapped day off), 30/04 and 01/05 are holidays;
    # Thu 2, Fri 3, then Sat 04/05 which is worked in exchange for 29/04.
    assert CAL.add_working_days(at_vn(2024, 4, 26), 3) == due_utc(2024, 5, 4)
    # Fri 25/04/2025 + 1: Sat 26/04/2025 is worked in exchange for Fri 02/05.
    assert CAL.add_working_days(at_vn(2025, 4, 25), 1) == due_utc(2025, 4, 26)
    assert not CAL.is_working_day(date(2025, 5, 2))


def test_a_province_day_off_is_skipped_and_its_make_up_day_counts():
    config = yaml.safe_load("""
        end_of_working_day: "17:00"
        extra_days_off:
          - {date: 2024-03-08, note: "Nghỉ thêm theo quyết định của tỉnh"}
        extra_working_days:
          - {date: 2024-03-16, note: "Thứ Bảy làm bù"}
    """)
    province = calendar_from_config(config)
    assert not province.is_working_day(date(2024, 3, 8))
    assert province.is_working_day(date(2024, 3, 16))
    # Thu 07/03 + 1: Friday 8 is off, so Monday 11 (the national calendar says Friday 8).
    assert CAL.add_working_days(at_vn(2024, 3, 7), 1) == due_utc(2024, 3, 8)
    assert province.add_working_days(at_vn(2024, 3, 7), 1) == due_utc(2024, 3, 11)
    # Fri 15/03 + 1: Saturday 16 is worked.
    assert CAL.add_working_days(at_vn(2024, 3, 15), 1) == due_utc(2024, 3, 18)
    assert province.add_working_days(at_vn(2024, 3, 15), 1) == due_utc(2024, 3, 16)


def test_plain_dates_and_iso_strings_are_accepted_in_the_province_config():
    province = calendar_from_config({"extra_days_off": [date(2024, 3, 8), "2024-03-11"]})
    assert province.extra_days_off == {date(2024, 3, 8), date(2024, 3, 11)}


def test_empty_lists_in_the_province_file_mean_no_extra_days(tmp_path: Path):
    # Every entry commented out leaves the keys empty (null in YAML).
    path = tmp_path / "calendar.yaml"
    path.write_text("extra_days_off:\n#  - 2024-03-08\nextra_working_days:\n", encoding="utf-8")
    assert load_calendar(path) == WorkingCalendar()


def test_the_province_may_close_the_office_earlier(tmp_path: Path):
    # Unquoted, YAML 1.1 reads 16:30 as a base-60 number; it must still mean 16:30.
    for value in ('"16:30"', "16:30"):
        path = tmp_path / "calendar.yaml"
        path.write_text(f"end_of_working_day: {value}\n", encoding="utf-8")
        province = load_calendar(path)
        assert province.end_of_day == time(16, 30)
        assert province.add_working_days(at_vn(2024, 3, 7), 1) == datetime(
            2024, 3, 8, 9, 30, tzinfo=UTC)


def test_due_time_is_five_pm_in_vietnam_whatever_the_start_time_zone():
    # 23:30 UTC on Wed 06/03 is already Thu 07/03 06:30 in Vietnam.
    start = datetime(2024, 3, 6, 23, 30, tzinfo=UTC)
    due = CAL.add_working_days(start, 1)
    assert due == due_utc(2024, 3, 8)
    assert due.tzinfo is UTC
    assert due.astimezone(VN).time() == time(17, 0)


def test_zero_days_is_the_close_of_the_starting_day():
    assert CAL.add_working_days(at_vn(2024, 3, 7, 8), 0) == due_utc(2024, 3, 7)


def test_naive_or_negative_input_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_days(datetime(2024, 3, 7, 9, 0), 1)
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(at_vn(2024, 3, 7), -1)


def test_working_days_between_counts_the_days_a_deadline_spans():
    # (02/02/2024, 16/02/2024]: 5, 6, 7, 15, 16.
    assert CAL.working_days_between(date(2024, 2, 2), date(2024, 2, 16)) == 5
    assert CAL.working_days_between(date(2024, 2, 16), date(2024, 2, 2)) == -5
    assert CAL.working_days_between(date(2024, 2, 2), date(2024, 2, 2)) == 0


def test_the_shipped_province_calendar_loads():
    assert PROVINCE_CALENDAR_FILE.exists()
    calendar = load_calendar()
    assert calendar.end_of_day == time(17, 0)
    assert calendar.add_working_days(at_vn(2024, 2, 2), 5) == due_utc(2024, 2, 16)
    assert load_calendar(PROVINCE_CALENDAR_FILE) == calendar
