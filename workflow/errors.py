"""Errors the workflow service raises; each carries a Vietnamese message for the user.

A message may be a template marked with `N_` and filled from `params`: the web layer then
shows it in the reader's language through the translation catalogue (`pybabel extract
-k N_` collects the templates), its values too when they are Terms, Texts or Figures
(rules.texts). `message` is always the Vietnamese text, for the CLI, the
logs and callers outside a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rules.texts import N_ as N_  # re-exported: workflow modules mark their messages with it
from rules.texts import Figure as Figure
from rules.texts import Term as Term
from rules.texts import Text as Text


class WorkflowError(Exception):
    code = "workflow_error"

    def __init__(self, message: str, *, params: Mapping[str, Any] | None = None,
                 **details: Any) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.details = details


class NotFound(WorkflowError):
    code = "not_found"


class PermissionDenied(WorkflowError):
    code = "permission_denied"


class InvalidTransition(WorkflowError):
    code = "invalid_transition"


class InvalidInput(WorkflowError):
    code = "invalid_input"


class ConflictError(WorkflowError):
    code = "conflict"


class RuleViolation(WorkflowError):
    """A submit refused by the campaign's rules; `findings` lists every one of them."""

    code = "rule_violation"

    def __init__(self, message: str, findings: Sequence[Any]) -> None:
        super().__init__(message, findings=[f.as_dict() for f in findings])
        self.findings = list(findings)

    def __str__(self) -> str:
        lines = [self.message]
        lines += [f"- {f.nominee + ': ' if f.nominee else ''}{f.message}" for f in self.findings]
        return "\n".join(lines)
