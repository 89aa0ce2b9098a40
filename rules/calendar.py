"""Working days in Vietnam (the `holidays` package) plus the province's own days off.

A working day is a weekday that is not a public holiday, or a make-up Saturday
(`weekend_workdays` in `holidays`, or the province's own list). Deadlines end at the
close of office hours on their last working day, in Asia/Ho_Chi_Minh, returned in UTC.

The Government publishes each year's days off and swaps late in the year before. The
calendar file names the years whose schedule it holds (`official_years`); a day in any
other year is an estimate from the package's rules, and says so (`is_estimated`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import yaml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_END_OF_DAY = time(17, 0)
PROVINCE_CALENDAR_FILE = Path(__file__).parent / "province_calendar.yaml"
PACKAGE_SOURCE = "gói holidays (quy tắc chung của Việt Nam)"


@dataclass(frozen=True)
class CalendarDay:
    """A day that is not what its weekday says: a day off on a weekday, or a Saturday or
    Sunday worked (or a package holiday the province works)."""

    day: date
    working: bool
    name: str
    source: str   # PACKAGE_SOURCE, or what the province file says its source is


@dataclass(frozen=True)
class WorkingCalendar:
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    end_of_day: time = DEFAULT_END_OF_DAY
    official_years: frozenset[int] = frozenset()
    # date -> (what the day is, its source), for the province file's own days
    notes: dict[date, tuple[str, str]] = field(default_factory=dict, compare=False)
    _national: dict[int, holidays.HolidayBase] = field(default_factory=dict, compare=False)
    # Every due date on a Board queue counts the days to it: each day is looked up once.
    _known: dict[date, bool] = field(default_factory=dict, compare=False, repr=False)

    def _year(self, year: int) -> holidays.HolidayBase:
        if year not in self._national:
            self._national[year] = holidays.country_holidays("VN", years=year, language="vi")
        return self._national[year]

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: date) -> bool:
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        return bool(self._year(day.year).is_working_day(day))

    def is_estimated(self, day: date) -> bool:
        """Whether the day's year has no official schedule in the calendar file, so that
        whether it is a working day is the package's guess."""
        return day.year not in self.official_years

    def unusual_days(self, year: int) -> list[CalendarDay]:
        """Every day of the year that is not what its weekday says, with its source."""
        national = self._year(year)
        days = []
        current = date(year, 1, 1)
        while current.year == year:
            working = self.is_working_day(current)
            if working != (current.weekday() < 5) or (current in national and working):
                days.append(self._describe(current, working, national))
            current += timedelta(days=1)
        return days

    def _describe(self, day: date, working: bool, national: holidays.HolidayBase
                  ) -> CalendarDay:
        if day in self.notes:
            name, source = self.notes[day]
            return CalendarDay(day, working, name, source)
        name = national.get(day) or ("Ngày làm bù" if working else "Ngày nghỉ")
        return CalendarDay(day, working, str(name), PACKAGE_SOURCE)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The close of the `days`-th working day after `start` (a day counts only whole)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if days < 0:
            raise ValueError("days must not be negative")
        current = start.astimezone(TZ).date()
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return datetime.combine(current, self.end_of_day, TZ).astimezone(UTC)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end precedes start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=n)))


def calendar_warnings(cal: WorkingCalendar, today: date) -> list[str]:
    """What an operator should be told about the calendar on `today` (Vietnamese): this
    year's schedule missing, or, in December, next year's."""
    warnings = []
    if cal.is_estimated(today):
        warnings.append(f"Lịch nghỉ chính thức năm {today.year} chưa có trong tệp lịch: mọi "
                        f"thời hạn trong năm đang là dự kiến. Thêm các ngày nghỉ, ngày làm bù "
                        f"và ghi {today.year} vào official_years.")
    if today.month == 12 and cal.is_estimated(date(today.year + 1, 1, 1)):
        warnings.append(f"Lịch nghỉ năm {today.year + 1} chưa được xác nhận: khi Chính phủ "
                        f"công bố, thêm các ngày nghỉ, ngày làm bù và ghi {today.year + 1} vào "
                        f"official_years của tệp lịch (TDKT_CALENDAR_FILE).")
    return warnings


def calendar_from_config(data: dict[str, object] | None) -> WorkingCalendar:
    data = data or {}
    years = data.get("official_years") or []
    if not isinstance(years, list):
        raise ValueError("official_years: expected a list of years")
    return WorkingCalendar(
        extra_days_off=frozenset(_dates(data.get("extra_days_off"))),
        extra_working_days=frozenset(_dates(data.get("extra_working_days"))),
        end_of_day=_time_of_day(data.get("end_of_working_day", "17:00")),
        official_years=frozenset(int(y) for y in years),
        notes={**_notes(data.get("extra_days_off")), **_notes(data.get("extra_working_days"))},
    )


def load_calendar(path: str | Path | None = None) -> WorkingCalendar:
    p = Path(path) if path else PROVINCE_CALENDAR_FILE
    return calendar_from_config(yaml.safe_load(p.read_text(encoding="utf-8")))


def _time_of_day(value: object) -> time:
    """Parse HH:MM; an unquoted 16:30 reaches us from YAML 1.1 as 990 (base-60 minutes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        hours, minutes = divmod(value, 60)
    else:
        hours, minutes = (int(x) for x in str(value).split(":"))
    return time(hours, minutes)


def _dates(items: object) -> Iterable[date]:
    if items is None:  # a key left empty once every entry is commented out
        return
    if not isinstance(items, list):
        raise ValueError("expected a list of dates")
    for item in items:
        value = item["date"] if isinstance(item, dict) else item
        yield value if isinstance(value, date) else date.fromisoformat(str(value))


def _notes(items: object) -> dict[date, tuple[str, str]]:
    """The note and source the file gives each of its own days, where it gives them."""
    if not isinstance(items, list):
        return {}
    found = {}
    for item, day in zip(items, _dates(items), strict=True):
        if isinstance(item, dict):
            found[day] = (str(item.get("note") or ""), str(item.get("source") or "tệp lịch"))
    return found
