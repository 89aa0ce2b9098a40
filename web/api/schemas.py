"""The JSON API's bodies: what it accepts and what it returns, as pydantic models.

Request bodies are parsed strictly (JSON types as declared, no unknown fields); the
OpenAPI document's component schemas are generated from these same models. The
service re-validates everything: these models describe the wire format, not the rules.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflow.filing.dossier import NomineeInput
from workflow.ids import MAX_ID
from workflow.proposals.inputs import INPUTS

Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The proposal's `version` as "
                                 "last read; a stale one is refused with 409")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreateProposalBody(Body):
    campaign: Annotated[str, Field(min_length=1, max_length=40, description="Campaign code")]
    title: Annotated[str, Field(min_length=3, max_length=500)]


class UpdateProposalBody(Body):
    title: Annotated[str, Field(min_length=3, max_length=500)]
    expected_version: Version


class NomineeBody(NomineeInput):
    """A nominee as the unit files it, plus the proposal version it was read at."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              title="NomineeBody")
    expected_version: Version


def _action_body(trigger: str) -> type[BaseModel]:
    base = INPUTS[trigger]
    name = "".join(part.title() for part in trigger.split("_")) + "Body"
    return type(name, (base,), {
        "__annotations__": {"expected_version": int},
        "expected_version": Field(ge=1, le=MAX_ID,
                                  description="The proposal's version as last read"),
        "__module__": __name__,
        "__doc__": f"Body of POST /proposals/{{pid}}/actions/{trigger}.",
        "model_config": ConfigDict(extra="forbid", str_strip_whitespace=True, title=name),
    })


class DecideBody(Body):
    """Body of POST /proposals/{pid}/actions/decide: the Council's outcomes are those of
    the sitting's tallies (GET /sittings/{sid}); every nominee must have one."""

    model_config = ConfigDict(extra="forbid", title="DecideBody")
    session_id: int = Field(ge=1, le=MAX_ID, description="The open sitting whose agenda "
                                                         "holds the proposal")
    expected_version: Version


ACTION_BODIES: dict[str, type[BaseModel]] = {t: _action_body(t) for t in INPUTS}
ACTION_BODIES["decide"] = DecideBody


# --- responses ------------------------------------------------------------------------


class Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class UnitRef(Out):
    id: int
    code: str
    name: str


class CampaignRef(Out):
    id: int
    code: str
    title: str


class UserRef(Out):
    id: int | None
    name: str


class ProposalSummary(Out):
    id: int
    reference: str | None
    title: str
    state: str
    version: int
    unit: UnitRef
    campaign: CampaignRef
    assignee: UserRef | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None


class NomineeOut(Out):
    id: int
    kind: Literal["individual", "collective", "household"]
    full_name: str
    person_code: str | None = None
    award_form: str
    position: str | None
    work_unit: str | None
    years_in_service: int | None
    disciplined: bool
    prior_titles: dict[str, list[str]]
    attributes: dict[str, Any]
    achievement_summary: str | None
    outcome: Literal["pending", "passed", "rejected"]
    outcome_reason: str | None


class DocumentOut(Out):
    id: int
    doc_type: str
    file_name: str
    content_type: str | None
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by_id: int | None


class FindingOut(Out):
    code: str
    severity: Literal["blocking", "warning"]
    message: str
    nominee: str | None
    nominee_id: int | None


class ProposalDetail(ProposalSummary):
    ruleset_version: int
    last_reason: str | None
    decision_number: str | None
    decision_date: date | None
    nominees: list[NomineeOut]
    documents: list[DocumentOut]
    findings: list[FindingOut]
    allowed_actions: list[str] = Field(description="Triggers this user may fire now")
    editable: bool = Field(description="Whether this user may edit the dossier now")


class ProposalList(Out):
    proposals: list[ProposalSummary]
    count: int
    truncated: bool = Field(description="More proposals matched than were returned; "
                                        "narrow the filters")


class NomineeResult(Out):
    nominee: NomineeOut
    proposal: ProposalDetail


class DocumentResult(Out):
    document: DocumentOut
    proposal: ProposalDetail


class EventOut(Out):
    seq: int
    action: str
    from_state: str | None = Field(alias="from")
    to_state: str | None = Field(alias="to")
    actor: UserRef
    on_behalf_of: UserRef | None
    reason: str | None
    payload: dict[str, Any]
    occurred_at: datetime = Field(description="ISO-8601, UTC")
    occurred_at_local: str = Field(description="dd/mm/yyyy HH:mm, Asia/Ho_Chi_Minh")
    hash: str
    prev_hash: str | None


class EventList(Out):
    events: list[EventOut]


class ActionResult(Out):
    event: EventOut
    proposal: ProposalDetail


class AwardOut(Out):
    form: str
    nominee: list[str]
    quota_per_unit: int | None
    required_documents: list[str]


class CampaignOut(Out):
    id: int
    code: str
    title: str
    kind: str
    award_year: int
    period_starts: date
    period_ends: date
    submission_opens: date
    submission_closes: date
    ruleset_version: int
    nominee_attributes: dict[str, str]
    awards: list[AwardOut]


class CampaignList(Out):
    campaigns: list[CampaignOut]
    document_types: dict[str, str] = Field(description="Document type codes and their names")


class MeOut(Out):
    id: int
    username: str
    full_name: str
    roles: list[str]
    unit_id: int | None
    unit_name: str | None
    language: str
    auth: Literal["session", "token"]
    csrf_token: str | None = Field(
        description="With session auth: send it as X-CSRFToken on every write")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable machine-readable code, e.g. invalid_input, "
                                  "unauthorized, permission_denied, not_found, conflict, "
                                  "invalid_transition, rule_violation, csrf, too_large, "
                                  "internal_error, database_unavailable")
    message: str = Field(description="A human message (Vietnamese)")
    errors: list[str] | None = Field(default=None, description="Each invalid field (400)")
    findings: list[FindingOut] | None = Field(default=None,
                                              description="Blocking rule findings (422)")
    outcome: Literal["not_applied", "applied", "unknown"] | None = Field(
        default=None, description="500 and 503: what became of the request's write — "
        "`applied` means it committed and only the reply failed; `unknown`, that the "
        "connection was lost during the commit: send the request again (same "
        "Idempotency-Key) or read the proposal again to learn which")


class ErrorOut(BaseModel):
    error: ErrorDetail
