"""The province's working days counted by hand, for tests of due dates: national holidays
(python-holidays), the province's extra days off and extra working days, weekends; and the
current moment in Vietnam."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays
import yaml

from models.base import utcnow
from rules.calendar import PROVINCE_CALENDAR_FILE
from tests.conftest import VN


def now_vn() -> datetime:
    return utcnow().astimezone(VN)


NATIONAL = holidays.country_holidays("VN")  # fills in each year as it is asked
# The shipped province calendar's own days (the 2026 New Year swap …), read from its YAML.
PROVINCE = yaml.safe_load(PROVINCE_CALENDAR_FILE.read_text(encoding="utf-8"))
PROVINCE_OFF = {entry["date"] for entry in PROVINCE["extra_days_off"]}
PROVINCE_WORKED = {entry["date"] for entry in PROVINCE["extra_working_days"]}


def _working(day: date) -> bool:
    if day in PROVINCE_OFF:
        return False
    return day in PROVINCE_WORKED or NATIONAL.is_working_day(day)


def working_days_after(start: date, end: date) -> int:
    """Working days in (start, end], counted straight from the `holidays` calendar and the
    shipped province calendar's YAML."""
    return sum(1 for n in range(1, (end - start).days + 1) if _working(start + timedelta(days=n)))
