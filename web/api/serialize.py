"""Rows to response models. Reads only: every value comes from a loaded row or a query."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import AuditEvent, Campaign, Document, Nominee, Proposal
from models.base import utcnow
from rules.catalogue import load_catalogue
from web.api import schemas as s
from web.i18n import finding_dict, vn_datetime
from workflow.actors import Actor
from workflow.campaigns.rulesets import compiled
from workflow.machine import EDITABLE_STATES
from workflow.proposals import queries
from workflow.proposals.service import allowed_actions


def summary(p: Proposal) -> s.ProposalSummary:
    return s.ProposalSummary(
        id=p.id, reference=p.reference, title=p.title, state=p.state, version=p.version,
        unit=s.UnitRef(id=p.unit.id, code=p.unit.code, name=p.unit.name),
        campaign=s.CampaignRef(id=p.campaign.id, code=p.campaign.code, title=p.campaign.title),
        assignee=s.UserRef(id=p.assignee.id, name=p.assignee.full_name) if p.assignee else None,
        created_at=p.created_at, updated_at=p.updated_at, submitted_at=p.submitted_at,
        decided_at=p.decided_at)


def detail(session: Session, p: Proposal, actor: Actor) -> s.ProposalDetail:
    findings = queries.findings_for(session, p, utcnow())
    editable = ("unit_clerk" in actor.roles and actor.unit_id == p.unit_id
                and p.state in EDITABLE_STATES and actor.active)
    return s.ProposalDetail(
        **dict(summary(p)), ruleset_version=p.ruleset_version.version,
        last_reason=p.last_reason, decision_number=p.decision_number,
        decision_date=p.decision_date, nominees=[nominee(n) for n in p.nominees],
        documents=[document(d) for d in p.documents],
        findings=[s.FindingOut(**finding_dict(f)) for f in findings],
        allowed_actions=allowed_actions(p, actor), editable=editable)


def nominee(n: Nominee) -> s.NomineeOut:
    return s.NomineeOut(
        id=n.id, kind=n.kind.value, full_name=n.full_name, person_code=n.person_code,
        award_form=n.award_form_code,
        position=n.position, work_unit=n.work_unit, years_in_service=n.years_in_service,
        disciplined=n.disciplined, prior_titles=dict(n.prior_titles or {}),
        attributes=dict(n.attributes or {}), achievement_summary=n.achievement_summary,
        outcome=n.outcome.value, outcome_reason=n.outcome_reason)


def document(d: Document) -> s.DocumentOut:
    return s.DocumentOut(id=d.id, doc_type=d.doc_type, file_name=d.file_name,
                         content_type=d.content_type, size=d.size, sha256=d.sha256,
                         uploaded_at=d.uploaded_at, uploaded_by_id=d.uploaded_by_id)


def event(e: AuditEvent, names: dict[int, str]) -> s.EventOut:
    on_behalf = (s.UserRef(id=e.on_behalf_of_id, name=names.get(e.on_behalf_of_id, ""))
                 if e.on_behalf_of_id else None)
    return s.EventOut(
        seq=e.seq, action=e.action, from_state=e.from_state, to_state=e.to_state,
        actor=s.UserRef(id=e.actor_id, name=e.actor_name), on_behalf_of=on_behalf,
        reason=e.reason, payload=dict(e.payload or {}), occurred_at=e.occurred_at,
        occurred_at_local=vn_datetime(e.occurred_at), hash=e.hash, prev_hash=e.prev_hash)


def events(session: Session, rows: list[AuditEvent]) -> s.EventList:
    names = queries.user_names(session, {e.on_behalf_of_id for e in rows if e.on_behalf_of_id})
    return s.EventList(events=[event(e, names) for e in rows])


def campaign(c: Campaign) -> s.CampaignOut:
    assert c.active_ruleset is not None
    rules = compiled(c.active_ruleset).rules
    return s.CampaignOut(
        id=c.id, code=c.code, title=c.title, kind=rules.kind.value,
        award_year=rules.award_year, period_starts=rules.period.starts,
        period_ends=rules.period.ends, submission_opens=rules.submission.opens,
        submission_closes=rules.submission.closes, ruleset_version=c.active_ruleset.version,
        nominee_attributes={k: v.value for k, v in rules.nominee_attributes.items()},
        awards=[s.AwardOut(form=a.form, nominee=list(a.nominee),
                           quota_per_unit=a.quota_per_unit,
                           required_documents=list(a.required_documents))
                for a in rules.awards])


def campaigns(rows: list[Campaign]) -> s.CampaignList:
    types = load_catalogue().document_types
    return s.CampaignList(campaigns=[campaign(c) for c in rows],
                          document_types={code: info.name_vi for code, info in types.items()})
