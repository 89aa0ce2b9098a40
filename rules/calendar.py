"""Working days in Vietnam (the `holidays` package) plus the province's own days off.

A working day is a weekday that is not a public holiday, or a make-up Saturday
(`weekend_workdays` in `holidays`, or the province's own list). Deadlines end at the
close of office hours on their last working day, in Asia/Ho_Chi_Minh, returned in UTC.
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


@dataclass(frozen=True)
class WorkingCalendar:
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    end_of_day: time = DEFAULT_END_OF_DAY
    _national: dict[int, holidays.HolidayBase] = field(default_factory=dict, compare=False)
    # Every due date on a Board queue counts the days to it: each day is looked up once.
    _known: dict[date, bool] = field(default_factory=dict, compare=False, repr=False)

    def _year(self, year: int) -> holidays.HolidayBase:
        if year not in self._national:
            self._national[year] = holidays.country_holidays("VN", years=year)
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


def calendar_from_config(data: dict[str, object] | None) -> WorkingCalendar:
    data = data or {}
    return WorkingCalendar(
        extra_days_off=frozenset(_dates(data.get("extra_days_off"))),
        extra_working_days=frozenset(_dates(data.get("extra_working_days"))),
        end_of_day=_time_of_day(data.get("end_of_working_day", "17:00")),
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
