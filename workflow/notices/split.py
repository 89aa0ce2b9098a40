"""Splitting one nominee off a proposal into a new one, back at the Board.

When an upheld objection takes a nominee off a proposal whose other nominees go on, the
nominee moves into a new proposal of the same unit, campaign and rule-set version, filed
again (`submitted`) with a copy of the dossier's documents. The new proposal's audit chain
opens with a "split" event (from nothing to `submitted`, as `audit.replay` knows); the
original's chain records the departure without changing its state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Campaign, Document, Nominee, Outcome, Proposal
from workflow.actors import Actor
from workflow.audit.chain import SPLIT_ACTION
from workflow.deadlines import tracking
from workflow.notifications import inbox
from workflow.proposals import service
from workflow.proposals.quota_lock import hold_unit_quota

SPLIT_SUFFIX = " (tách do khiếu nại)"


def split_nominee(session: Session, proposal: Proposal, nominee: Nominee, who: Actor,
                  reason: str, now: datetime, payload: dict[str, Any] | None = None
                  ) -> Proposal:
    """Move `nominee` out of `proposal` (locked by the caller) into a new submitted
    proposal; returns it. Flushes, never commits. The move leaves the unit's count as it
    was, but is made under the unit's quota lock, so that no submit counts halfway."""
    hold_unit_quota(session, proposal.campaign_id, proposal.unit_id)
    extra = payload or {}
    campaign = session.get(Campaign, proposal.campaign_id)
    assert campaign is not None
    code = campaign.code
    new, event = service.open_proposal(
        session, who, now, SPLIT_ACTION, reason=reason,
        payload={"split_from_id": proposal.id, "nominee_id": nominee.id,
                 "documents": len(proposal.documents), **extra},
        reference=lambda p: f"{code}/{p.id:05d}",
        title=proposal.title[:500 - len(SPLIT_SUFFIX)] + SPLIT_SUFFIX,
        unit_id=proposal.unit_id, campaign_id=proposal.campaign_id,
        ruleset_version_id=proposal.ruleset_version_id,
        created_by_id=proposal.created_by_id, submitted_at=now, last_reason=reason,
        split_from_id=proposal.id)
    nominee.proposal = new
    nominee.outcome, nominee.outcome_reason = Outcome.PENDING, None
    for doc in proposal.documents:
        new.documents.append(Document(
            doc_type=doc.doc_type, file_name=doc.file_name, content_type=doc.content_type,
            size=doc.size, sha256=doc.sha256, storage_path=doc.storage_path,
            uploaded_by_id=doc.uploaded_by_id, uploaded_at=doc.uploaded_at))
    service.record(session, proposal, "split_nominee", who, now, reason=reason,
                   payload={"nominee_id": nominee.id, "split_to_id": new.id, **extra})
    tracking.on_transition(session, new, None, now)  # the Board's review clock starts
    inbox.notify_all(session, inbox.unit_clerks(session, new.unit_id),
                             "sent_back", new, event, now, skip_user_id=who.id, reason=reason)
    service.flush(session)
    return new

