"""Errors the workflow service raises; each carries a Vietnamese message for the user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class WorkflowError(Exception):
    code = "workflow_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
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
