"""Helpers for tests that need an issued decision: issue one for a proposal's passed
nominees through workflow.decisions, as the secretary would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from models import Decision, Proposal
from tests.conftest import VN
from workflow.decisions import issuing as decisions

SIGNER = "Hoàng Văn Thắng"


def decided_day(proposal: Proposal) -> date:
    assert proposal.decided_at is not None
    return proposal.decided_at.astimezone(VN).date()


def issue_for(session: Any, proposal: Proposal, secretary: Any, *, now: datetime | None = None,
              signed_on: date | None = None, advance: bool = True,
              award_form: str | None = None) -> Decision:
    """A decision for the proposal's passed nominees, signed the day the Council decided
    (by default), issued the day after."""
    now = now or (proposal.decided_at + timedelta(days=1) if proposal.decided_at else None)
    return decisions.issue(session, secretary, {
        "campaign_id": proposal.campaign_id, "proposal_ids": [proposal.id],
        "award_form": award_form, "signed_on": signed_on or decided_day(proposal),
        "signer_name": SIGNER}, now=now, advance=advance)
