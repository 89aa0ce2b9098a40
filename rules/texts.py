"""Messages the layers below the web write in Vietnamese, marked so that a page can show
them in the reader's language: `N_` marks a template for the translation catalogue
(`pybabel extract -k N_`), and a `Term` is a coded thing a message names (an action, a
state, an award form, a document type) that the page names in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


def N_(template: str) -> str:
    """Marks a message template for translation; returns it unchanged."""
    return template


@dataclass(frozen=True)
class Term:
    """A code a message names: its Vietnamese name in the message, the reader's language
    on a page."""

    kind: Literal["action", "state", "award", "document"]
    code: str
    vi: str

    def __str__(self) -> str:
        return self.vi
