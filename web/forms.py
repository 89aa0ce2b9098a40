"""Turning posted form fields into the service's input; bad values become InvalidInput."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from models import Proposal
from workflow.errors import N_, InvalidInput, Text
from workflow.ids import MAX_ID, as_id

Label = str | Text  # a field's name: translated by the caller, or a Text shown by the page

# Day and month of one or two digits, a four-digit year: what strptime's %d/%m/%Y would
# also take with spaces or signs, refused here.
DMY = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")


def parse_date(text: str | None, label: Label) -> date | None:
    """A date typed as dd/mm/yyyy (or d/m/yyyy). Forms show and take Vietnamese dates only:
    an ISO 2026-11-27 is refused here (the JSON API takes ISO dates itself)."""
    text = (text or "").strip()
    if not text:
        return None
    if DMY.fullmatch(text):
        try:
            return datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            pass
    raise InvalidInput(N_("%(field)s: ngày không hợp lệ “%(text)s” (nhập theo dạng dd/mm/yyyy)"),
                       params={"field": label, "text": text[:20]})


# The largest PostgreSQL `integer`: every count and version the forms carry fits in it.
MAX_INT = MAX_ID
MAX_PAGE = 100_000


def parse_int(text: str | None, label: Label) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(N_("%(field)s: phải là số nguyên"), params={"field": label}) from None
    if abs(number) > MAX_INT:   # the database could not hold it: an error, not a 500
        raise InvalidInput(N_("%(field)s: số quá lớn"), params={"field": label}) from None
    return number


def parse_count(text: str | None, label: Label, required: bool) -> int:
    """A number of votes: blank is refused when `required`, else it counts as 0."""
    number = parse_int(text, label)
    if number is None:
        if required:
            raise InvalidInput(N_("%(field)s: cần nhập số phiếu"), params={"field": label})
        return 0
    return number


def page_number(text: str | None) -> int:
    """The `page` query argument; anything but a sensible page number means the first."""
    text = (text or "").strip()
    # ASCII digits, and few: "²" passes isdigit() and int() refuses it; int() of
    # thousands of digits is refused too (or slow).
    if len(text) > 6 or not (text.isascii() and text.isdigit()):
        return 1
    return int(text) if 0 < int(text) <= MAX_PAGE else 1


def parse_id(text: str | None, label: Label) -> int | None:
    """An id typed or posted as text (`workflow.ids`): None when blank; anything but an
    id (a sign, letters, zero, a number past the database's range) is refused."""
    text = (text or "").strip()
    if not text:
        return None
    number = as_id(text)
    if number is None:
        raise InvalidInput(N_("%(field)s: mã số không hợp lệ “%(text)s”"),
                           params={"field": label, "text": text[:20]})
    return number


def parse_ids(values: list[str], label: Label) -> list[int]:
    """The ids of ticked checkboxes or a multiple select (blank ones skipped); one that is
    not an id refuses the whole list, instead of the rest being taken without it."""
    return [number for v in values if (number := parse_id(v, label)) is not None]


def expected_version(form: MultiDict[str, str]) -> int | None:
    return parse_int(form.get("expected_version"), Text(N_("Phiên bản hồ sơ")))


def action_payload(trigger: str, form: MultiDict[str, str], proposal: Proposal) -> dict[str, Any]:
    """The input a trigger takes, read from its form on the proposal page."""
    payload: dict[str, Any] = {}
    reason = (form.get("reason") or "").strip()
    if trigger in ("return", "send_back") or reason:
        payload["reason"] = reason or None
    if trigger in ("claim", "reassign") and form.get("assignee_id"):
        payload["assignee_id"] = parse_id(form.get("assignee_id"),
                                         Text(N_("Người được phân công")))
    if trigger == "reassign":
        payload.setdefault("assignee_id", None)
    if trigger == "decide":  # the Council decides in a sitting: only its tallies count
        payload["session_id"] = parse_id(form.get("session_id"), Text(N_("Phiên họp Hội đồng")))
    if trigger == "issue_decision":
        # Decisions are issued from the decisions page, which fires this for each proposal
        # it covers; by hand it only applies a decision already issued (by its id).
        payload["decision_id"] = parse_id(form.get("decision_id"), Text(N_("Quyết định")))
    return payload


def nominee_payload(form: MultiDict[str, str], attributes: dict[str, str]) -> dict[str, Any]:
    """A nominee from the nominee form; `attributes` maps the campaign's attribute names
    to their declared types."""
    titles: dict[int, list[str]] = {}
    for line in (form.get("prior_titles") or "").splitlines():
        year, _, codes = line.partition(":")
        if year.strip():
            number = parse_int(year, Text(N_("Danh hiệu đã đạt (năm)")))
            titles[number or 0] = [c.strip() for c in codes.split(",") if c.strip()]
    return {
        "kind": form.get("kind") or None,
        "full_name": form.get("full_name") or "",
        "person_code": (form.get("person_code") or "").strip() or None,
        "award_form": form.get("award_form") or "",
        "position": (form.get("position") or "").strip() or None,
        "work_unit": (form.get("work_unit") or "").strip() or None,
        "years_in_service": parse_int(form.get("years_in_service"),
                                      Text(N_("Số năm công tác"))),
        "disciplined": form.get("disciplined") == "on",
        "achievement_summary": (form.get("achievement_summary") or "").strip() or None,
        "prior_titles": titles,
        "attributes": {name: _attribute(form.get(f"attr-{name}"), kind, name)
                       for name, kind in attributes.items()
                       if kind == "boolean" or (form.get(f"attr-{name}") or "").strip()},
    }


def _attribute(raw: str | None, kind: str, name: str) -> Any:
    text = (raw or "").strip()
    if kind == "boolean":
        return raw == "on"
    if kind == "integer":
        return parse_int(text, name)
    if kind == "float":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise InvalidInput(N_("%(field)s: phải là số"), params={"field": name}) from None
    return text
