"""Language choice and date formatting: Vietnamese by default, English on request,
dates as dd/mm/yyyy in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from datetime import date, datetime

from flask import session
from flask_babel import format_datetime
from flask_login import current_user

LANGUAGES = ("vi", "en")


def select_locale() -> str:
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "vi"


def vn_datetime(value: datetime | None) -> str:
    return format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""


def vn_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    return value.strftime("%d/%m/%Y")
