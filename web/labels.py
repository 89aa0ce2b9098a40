"""The label table (workflow.labels) in the request's language, and the badge colours."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flask import request
from flask_babel import get_locale, gettext

from rules.texts import TermKind
from workflow.labels import TABLE


def _request_locale() -> str:
    """The request's language, asked of Flask-Babel once per request and kept on it."""
    try:
        return str(request.labels_locale)  # type: ignore[attr-defined]
    except AttributeError:
        request.labels_locale = locale = str(get_locale())  # type: ignore[attr-defined]
        return locale
    except RuntimeError:  # outside any request: the untranslated names
        return "vi"


class Labels(Mapping[str, str]):
    """Code → name in the request's language, for one kind of the label table. Each kind is
    translated once per language and kept: a Board queue shows a state badge per row, and
    resolving a message through Flask-Babel each time cost more than the rest of the row."""

    def __init__(self, kind: TermKind) -> None:
        self.kind = kind
        self._ids = TABLE[kind]
        self._by_locale: dict[str, dict[str, str]] = {}

    def _table(self) -> dict[str, str]:
        locale = _request_locale()
        table = self._by_locale.get(locale)
        if table is None:
            table = self._by_locale[locale] = {k: gettext(v) for k, v in self._ids.items()}
        return table

    def __getitem__(self, code: str) -> str:
        return self._table()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, code: object) -> bool:
        return code in self._ids


STATES = Labels("state")
STATE_COLORS = {
    "draft": "secondary", "submitted": "info", "under_review": "primary",
    "returned": "warning", "at_council": "primary", "approved": "success",
    "rejected": "danger", "decided": "success", "withdrawn": "dark",
}
ACTIONS = Labels("action")
DEADLINES = Labels("deadline")
# The due-date badge's words, with %(n)d for the number of working days.
DUE = Labels("due")
RECIPIENTS = Labels("recipient")
ROLES = Labels("role")
KINDS = Labels("nominee_kind")
OUTCOMES = Labels("outcome")
NOTICE_STAGES = Labels("notice_stage")
OBJECTION_STATUSES = Labels("objection_status")
SITTING_STATUSES = Labels("sitting_status")
SITTING_COLORS = {"draft": "secondary", "open": "primary", "closed": "success"}
TOKEN_SCOPES = Labels("token_scope")
REFUSALS = Labels("refusal")
