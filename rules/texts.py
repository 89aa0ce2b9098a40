"""Messages the layers below the web write in Vietnamese, marked so that a page can show
them in the reader's language: `N_` marks a template for the translation catalogue
(`pybabel extract -k N_`), and a message's values may be shown in that language too: a
`Term` is a coded thing a message names (an action, a state, an award form, a document
type), a `Text` a message within the message (its own template and values), a `Figure` a
number written the Vietnamese way (71,4%) or the English way (71.4%)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# What a Term names: the award forms and document types of the catalogue, and the kinds of
# code in workflow.labels.
TermKind = Literal["action", "state", "award", "document", "deadline", "refusal", "role",
                   "recipient", "nominee_kind", "outcome", "notice_stage", "objection_status",
                   "sitting_status", "token_scope", "due"]


def N_(template: str) -> str:
    """Marks a message template for translation; returns it unchanged."""
    return template


@dataclass(frozen=True)
class Term:
    """A code a message names: its Vietnamese name in the message, the reader's language
    on a page."""

    kind: TermKind
    code: str
    vi: str

    def __str__(self) -> str:
        return self.vi


@dataclass(frozen=True)
class Text:
    """A message within a message (a reason, a field's name): an `N_` template and its
    values; Vietnamese in the message, the reader's language on a page."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


@dataclass(frozen=True)
class Figure:
    """A number a message quotes, as each language writes it: "71,4%" and "71.4%"."""

    vi: str
    en: str

    def __str__(self) -> str:
        return self.vi
