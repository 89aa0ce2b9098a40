"""Bulk actions: the same trigger on several proposals, each in its own unit of work, so
one failure blocks none of the others and each success is its own audit event."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.errors import WorkflowError
from workflow.proposals.service import act

UnitOfWork = Callable[[], AbstractContextManager[Session]]
BULK_TRIGGERS = ("claim", "forward")


@dataclass(frozen=True)
class BulkResult:
    proposal_id: int
    error: WorkflowError | None = None   # why this one was refused (None: done)

    @property
    def ok(self) -> bool:
        return self.error is None


def bulk_act(unit_of_work: UnitOfWork, proposal_ids: Iterable[int], trigger: str,
             actor: Actor, **payload: Any) -> list[BulkResult]:
    if trigger not in BULK_TRIGGERS:
        raise ValueError(f"{trigger} is not a bulk action")
    results = []
    for pid in dict.fromkeys(proposal_ids):
        try:
            with unit_of_work() as session:
                act(session, pid, trigger, actor, **payload)
        except WorkflowError as exc:
            results.append(BulkResult(pid, exc))
        else:
            results.append(BulkResult(pid))
    return results
