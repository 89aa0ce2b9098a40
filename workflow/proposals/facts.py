"""Turn a proposal row into the plain facts the pure rule checks work on."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from models import Document, Nominee, Outcome, Proposal
from rules.checks import NomineeFacts, ProposalFacts
from rules.loader import CompiledRuleSet
from workflow.history.achievements import titles_for
from workflow.proposals.quota_lock import hold_unit_quota

# States in which a proposal's nominees count against the unit's quota.
LIVE_STATES = ("submitted", "under_review", "returned", "at_council", "approved", "decided")


def nominee_facts(session: Session, nominee: Nominee, titles: bool = True) -> NomineeFacts:
    # Prior titles come from recorded history (typed-in claims only for years before
    # tdkt): see workflow.history.titles_for. `titles=False` leaves them out, for a
    # rule set that asks for none.
    prior = titles_for(session, nominee) if titles else {}
    return NomineeFacts(
        id=nominee.id, name=nominee.full_name, kind=nominee.kind.value,
        award_form=nominee.award_form_code, years_in_service=nominee.years_in_service,
        disciplined=nominee.disciplined, position=nominee.position,
        work_unit=nominee.work_unit, prior_titles=prior, attributes=nominee.attributes or {},
    )


# Built once (the statement and its cache key), bound per call.
_ALREADY_FILED = (
    select(Nominee.award_form_code).join(Proposal)
    .where(Proposal.campaign_id == bindparam("campaign_id"),
           Proposal.unit_id == bindparam("unit_id"),
           Proposal.id != bindparam("proposal_id"),
           Proposal.state.in_(LIVE_STATES),
           Nominee.outcome != Outcome.REJECTED))


_DOCUMENT_TYPES = select(Document.doc_type).where(Document.proposal_id == bindparam("pid"))


def document_types(session: Session, proposal: Proposal) -> frozenset[str]:
    """The kinds of document the proposal holds: from its loaded documents, or (not to
    load them whole) straight from their column."""
    if "documents" not in inspect(proposal).unloaded:
        return frozenset(d.doc_type for d in proposal.documents)
    return frozenset(session.scalars(_DOCUMENT_TYPES, {"pid": proposal.id}))


def needs_titles(rules: CompiledRuleSet | None, nominee: Nominee) -> bool:
    """Whether the checks read the nominee's prior titles: only a prior-title rule of the
    award form does (every rule set's, when none is given)."""
    if rules is None:
        return True
    award = rules.rules.award(nominee.award_form_code)
    return award is not None and bool(award.prior_titles)


def proposal_facts(session: Session, proposal: Proposal,
                   rules: CompiledRuleSet | None = None,
                   held_documents: frozenset[str] | None = None,
                   hold_counts: bool = False) -> ProposalFacts:
    """The proposal's facts; given the rule set they will be checked against, the lookups
    its rules do not need are skipped (the findings are the same): the other proposals'
    nominees when no award form of this one has a quota, the documents when none asks
    for any, the history when no prior-title rule reads it. `held_documents`: the kinds
    of document the proposal holds, when the caller has read them. `hold_counts`: the
    caller will act on the count (a submit), so the unit's quota lock is taken before it
    is read and held to the end of the transaction (workflow.quota_lock)."""
    nominees = proposal.nominees
    awards = [rules.rules.award(n.award_form_code) for n in nominees] if rules else None
    already_filed: dict[str, int] = {}
    if awards is None or any(a is not None and (a.quota_per_unit is not None or a.quota_share)
                             for a in awards):
        if hold_counts:
            hold_unit_quota(session, proposal.campaign_id, proposal.unit_id)
        already_filed = dict(Counter(session.execute(_ALREADY_FILED, {
            "campaign_id": proposal.campaign_id, "unit_id": proposal.unit_id,
            "proposal_id": proposal.id}).scalars()))
    documents: frozenset[str] = frozenset()
    if awards is None or any(a is not None and a.required_documents for a in awards):
        documents = (held_documents if held_documents is not None
                     else document_types(session, proposal))
    return ProposalFacts(
        nominees=[nominee_facts(session, n, needs_titles(rules, n)) for n in nominees],
        document_types=documents,
        already_filed=already_filed,
    )
