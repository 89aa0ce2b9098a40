"""Language choice and date formatting: Vietnamese by default, English on request,
dates as dd/mm/yyyy in Asia/Ho_Chi_Minh; and the messages the workflow and the rule checks
write in Vietnamese, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from flask import has_request_context, session
from flask_babel import get_locale, gettext
from flask_login import current_user

from rules.calendar import TZ
from rules.catalogue import load_catalogue
from rules.checks import Finding
from workflow.errors import Figure, RuleViolation, Term, Text, WorkflowError
from workflow.labels import message_id

LANGUAGES = ("vi", "en")


def select_locale() -> str:
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "vi"


def vn_datetime(value: datetime | None) -> str:
    return _in_vietnam(value).strftime("%d/%m/%Y %H:%M") if value else ""


def vn_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = _in_vietnam(value)
    return value.strftime("%d/%m/%Y")


def _in_vietnam(value: datetime) -> datetime:
    """Vietnam's wall clock, whatever the UI language. Plain strftime: Babel's formatter
    took a fifth of the CPU time of a Board queue of 200 rows, for the same digits. A naive
    value is UTC, as Babel took it."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(TZ)


def catalogue_name(code: str, kind: str = "award") -> str:
    """The Vietnamese or English name of an award form or document type, by UI language."""
    catalogue = load_catalogue()
    table = catalogue.award_forms if kind == "award" else catalogue.document_types
    info = table.get(code)
    if info is None:
        return code
    return info.name_en if str(get_locale()) == "en" else info.name_vi


def error_text(exc: WorkflowError) -> str:
    """The error's message in the reader's language: its template through the catalogue,
    filled with its values (actions and states by their names in that language, a message
    within it through the catalogue too, numbers as that language writes them). A message
    not in the catalogue stays as the workflow wrote it, in Vietnamese."""
    return _in_language(exc.message, exc.template, exc.params)


def finding_text(finding: Finding) -> str:
    """A rule finding in the reader's language when tdkt wrote it; a campaign's own words
    (its rule set's messages) as the campaign wrote them."""
    if finding.template is None:
        return finding.message
    return _in_language(finding.message, finding.template, finding.params)


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the API gives it, its message in the reader's language."""
    return {**finding.as_dict(), "message": finding_text(finding)}


def violation_text(exc: RuleViolation) -> str:
    """A refused submission: why, then each blocking finding (with its nominee)."""
    return error_text(exc) + ": " + "; ".join(
        f"{f.nominee + ': ' if f.nominee else ''}{finding_text(f)}" for f in exc.findings)


def text_of(value: Any) -> Any:
    """A Term, Text or Figure of the label table or a message, in the reader's language
    (anything else as it is)."""
    return _value(value)


def _in_language(vietnamese: str, template: str, values: Mapping[str, Any]) -> str:
    if not has_request_context():
        return vietnamese
    params = {k: _value(v) for k, v in values.items()}
    text = gettext(template)  # no variables given: gettext leaves any % alone
    return text % params if params else text


def _value(value: Any) -> Any:
    if isinstance(value, Term):
        return _term(value)
    if isinstance(value, Text):
        return _in_language(str(value), value.template, value.params)
    if isinstance(value, Figure):
        return value.en if str(get_locale()) == "en" else value.vi
    return value


def _term(term: Term) -> str:
    if term.kind == "award":
        known = term.code in load_catalogue().award_forms
        return f"“{catalogue_name(term.code)}”" if known else term.code
    if term.kind == "document":
        return catalogue_name(term.code, "document")
    message = message_id(term.kind, term.code)
    return gettext(message) if message else term.vi
