"""Helpers for tests that need an issued decision: issue one for a proposal's passed
nominees through workflow.decisions, as the secretary would (or for several proposals, as a
named user, with `issue`); a nominee's payload, and a moment after make_proposal's walk."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from models import Decision, Proposal
from tests.conftest import CDS_NOW, VN
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


LATER = CDS_NOW + timedelta(days=20)  # after make_proposal's walk through the states


def person(name: str, form: str = "BK_CT_UBND", **extra: Any) -> dict[str, Any]:
    return {"kind": "individual", "full_name": name, "award_form": form,
            "years_in_service": 5, **extra}


def issue(world: Any, *pids: int, who: str = "secretary", now: datetime = LATER,
          signed_on: date | None = None, award_form: str | None = None) -> tuple[int, str]:
    with world.db.unit_of_work() as s:
        first = world.proposal(s, pids[0])
        d = decisions.issue(s, world.user(s, who), {
            "campaign_id": first.campaign_id, "proposal_ids": list(pids),
            "award_form": award_form, "signed_on": signed_on or decided_day(first),
            "signer_name": SIGNER}, now=now)
        return d.id, d.number
