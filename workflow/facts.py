"""Turn a proposal row into the plain facts the pure rule checks work on."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Nominee, Outcome, Proposal
from rules.checks import NomineeFacts, ProposalFacts
from workflow.history import titles_for

# States in which a proposal's nominees count against the unit's quota.
LIVE_STATES = ("submitted", "under_review", "returned", "at_council", "approved", "decided")


def nominee_facts(session: Session, nominee: Nominee) -> NomineeFacts:
    # Prior titles come from recorded history (typed-in claims only for years before
    # tdkt): see workflow.history.titles_for.
    titles = titles_for(session, nominee)
    return NomineeFacts(
        id=nominee.id, name=nominee.full_name, kind=nominee.kind.value,
        award_form=nominee.award_form_code, years_in_service=nominee.years_in_service,
        disciplined=nominee.disciplined, position=nominee.position,
        work_unit=nominee.work_unit, prior_titles=titles, attributes=nominee.attributes or {},
    )


def proposal_facts(session: Session, proposal: Proposal) -> ProposalFacts:
    others = session.execute(
        select(Nominee.award_form_code).join(Proposal)
        .where(Proposal.campaign_id == proposal.campaign_id,
               Proposal.unit_id == proposal.unit_id,
               Proposal.id != proposal.id,
               Proposal.state.in_(LIVE_STATES),
               Nominee.outcome != Outcome.REJECTED)
    ).scalars()
    return ProposalFacts(
        nominees=[nominee_facts(session, n) for n in proposal.nominees],
        document_types=frozenset(d.doc_type for d in proposal.documents),
        already_filed=dict(Counter(others)),
    )
