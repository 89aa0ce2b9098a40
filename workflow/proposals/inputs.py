"""What each trigger requires as input, validated with pydantic before anything is written."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from rules.messages import labelled
from workflow.errors import N_, InvalidInput
from workflow.ids import Id

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoInput(_Input):
    pass


class OptionalReason(_Input):
    reason: Reason | None = None


class ReasonInput(_Input):
    reason: Reason


class ClaimInput(_Input):
    assignee_id: Id | None = None


class ReassignInput(_Input):
    assignee_id: Id
    reason: Reason | None = None


class NomineeOutcome(_Input):
    nominee_id: Id
    outcome: Literal["passed", "rejected"]
    reason: Reason | None = None


class DecideInput(_Input):
    """The sitting whose tallies decide (the Council's way, `session_id`), or explicit
    `outcomes` (kept for callers outside the web and the API, e.g. tests). Exactly one."""

    session_id: Id | None = None
    outcomes: list[NomineeOutcome] | None = Field(default=None, min_length=1)


class IssueDecisionInput(_Input):
    # The issued decision (workflow.decisions) that lists the proposal's passed nominees.
    decision_id: Id


INPUTS: dict[str, type[_Input]] = {
    "submit": NoInput, "resubmit": OptionalReason, "withdraw": OptionalReason,
    "claim": ClaimInput, "reassign": ReassignInput, "return": ReasonInput,
    "forward": OptionalReason, "decide": DecideInput, "send_back": ReasonInput,
    "issue_decision": IssueDecisionInput,
}

_FIELD_VI = {
    "reason": "lý do", "outcomes": "kết quả xét từng người",
    "decision_id": "quyết định",
    "assignee_id": "người được phân công", "session_id": "phiên họp Hội đồng",
}


def parse_input(trigger: str, payload: dict[str, object]) -> _Input:
    try:
        return INPUTS[trigger].model_validate(payload)
    except ValidationError as exc:
        problems = [labelled(e, _FIELD_VI) for e in exc.errors()]
        raise InvalidInput(N_("Dữ liệu không hợp lệ — %(problems)s"),
                           params={"problems": "; ".join(problems)}, errors=problems) from None
