"""Ballot tallies of a sitting: record or correct one nominee's count, and read a
proposal's outcomes from its sitting's tallies (what the `decide` step applies).

Kept apart from `workflow.council` because the service reads outcomes from here, and
`workflow.council` goes through the service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgendaItem, CouncilSession, Nominee, Proposal, SessionStatus, Tally
from rules.council import Count, TallyRefused, Verdict, judge
from rules.schema import CouncilVote
from workflow.actors import Actor
from workflow.audit.chain import record_stream_event
from workflow.campaigns.rulesets import compiled
from workflow.errors import N_, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from workflow.proposals.inputs import NomineeOutcome

SECRETARY = "council_secretary"


def stream(session_id: int) -> str:
    return f"council_session:{session_id}"


def require_secretary(actor: Actor) -> None:
    if not actor.active or SECRETARY not in actor.roles:
        raise PermissionDenied(N_("Chỉ Thư ký Hội đồng được thay đổi phiên họp"))


def load_sitting(session: Session, session_id: int, *, lock: bool = False) -> CouncilSession:
    query = select(CouncilSession).where(CouncilSession.id == session_id)
    if lock:
        query = query.with_for_update()
    sitting = session.scalar(query)
    if sitting is None:
        raise NotFound(N_("Không tìm thấy phiên họp số %(id)s"), params={"id": session_id})
    return sitting


def agenda_item(sitting: CouncilSession, proposal_id: int) -> AgendaItem:
    item = next((i for i in sitting.items if i.proposal_id == proposal_id), None)
    if item is None:
        raise InvalidInput(N_("Hồ sơ số %(id)s không có trong chương trình phiên họp "
                              "“%(sitting)s”"),
                           params={"id": proposal_id, "sitting": sitting.title})
    return item


def present_count(sitting: CouncilSession) -> int:
    return sum(1 for m in sitting.members if m.present)


def vote_rule(proposal: Proposal, nominee: Nominee) -> CouncilVote:
    """The award form's vote rule, from the rule set the proposal was submitted under."""
    award = compiled(proposal.ruleset_version).rules.award(nominee.award_form_code)
    if award is None:
        raise InvalidInput(N_("Hình thức khen thưởng %(form)s của %(name)s không có trong bộ "
                              "quy tắc của hồ sơ"),
                           params={"form": nominee.award_form_code, "name": nominee.full_name})
    return award.council


def judge_count(sitting: CouncilSession, proposal: Proposal, nominee: Nominee,
                count: Count) -> Verdict:
    try:
        return judge(vote_rule(proposal, nominee), sitting.roster_size, present_count(sitting),
                     count)
    except TallyRefused as exc:
        raise InvalidInput(N_("%(name)s: %(reason)s"),
                           params={"name": nominee.full_name, "reason": exc.text}) from None


def record(session: Session, session_id: int, nominee_id: int, count: Count, actor: Actor,
           now: datetime) -> Tally:
    """Record (or correct) a nominee's tally while the sitting is open and the proposal
    not yet finalized; the verdict and its explanation are stored with it."""
    require_secretary(actor)
    sitting = load_sitting(session, session_id, lock=True)
    if sitting.status != SessionStatus.OPEN:
        raise InvalidTransition(N_("Chỉ ghi kết quả bỏ phiếu khi phiên họp đang diễn ra"))
    nominee = session.get(Nominee, nominee_id)
    if nominee is None:
        raise NotFound(N_("Không tìm thấy người được đề nghị số %(id)s"), params={"id": nominee_id})
    item = agenda_item(sitting, nominee.proposal_id)
    if item.decided:
        raise InvalidTransition(N_("Hồ sơ đã được chốt kết quả; không sửa phiếu được nữa"))
    proposal = item.proposal
    if proposal.state != "at_council":
        raise InvalidTransition(N_("Hồ sơ không còn ở Hội đồng"))
    verdict = judge_count(sitting, proposal, nominee, count)
    tally = next((t for t in sitting.tallies if t.nominee_id == nominee_id), None)
    action = "correct_tally" if tally else "record_tally"
    if tally is None:
        tally = Tally(nominee_id=nominee_id)
        sitting.tallies.append(tally)
    tally.yes, tally.no, tally.invalid = count.yes, count.no, count.invalid
    tally.written_yes, tally.written_no = count.written_yes, count.written_no
    tally.passed, tally.explanation = verdict.passed, verdict.explanation
    tally.recorded_by_id, tally.recorded_at = actor.id, now
    record_stream_event(session, stream(sitting.id), action, actor, now, payload={
        "proposal_id": proposal.id, "nominee_id": nominee_id, "yes": count.yes,
        "no": count.no, "invalid": count.invalid, "written_yes": count.written_yes,
        "written_no": count.written_no, "passed": verdict.passed,
        "explanation": verdict.explanation})
    session.flush()
    return tally


def outcomes_from_sitting(session: Session, proposal: Proposal, session_id: int
                          ) -> tuple[list[NomineeOutcome], AgendaItem]:
    """Each nominee's outcome from the sitting's tallies; refused unless the sitting is
    open, the proposal on its agenda and every nominee tallied."""
    sitting = load_sitting(session, session_id, lock=True)
    if sitting.status != SessionStatus.OPEN:
        raise InvalidTransition(N_("Chỉ chốt kết quả khi phiên họp đang diễn ra"))
    item = agenda_item(sitting, proposal.id)
    if item.decided:
        raise InvalidTransition(N_("Hồ sơ đã được chốt kết quả trong phiên họp này"))
    by_nominee = {t.nominee_id: t for t in sitting.tallies}
    missing = [n.full_name for n in proposal.nominees if n.id not in by_nominee]
    if missing:
        raise InvalidInput(N_("Chưa ghi kết quả bỏ phiếu cho: %(names)s"),
                           params={"names": ", ".join(missing)})
    outcomes = [NomineeOutcome(nominee_id=n.id, outcome="passed")
                if by_nominee[n.id].passed else
                NomineeOutcome(nominee_id=n.id, outcome="rejected",
                               reason=by_nominee[n.id].explanation)
                for n in proposal.nominees]
    return outcomes, item


def mark_decided(session: Session, item: AgendaItem, proposal: Proposal, actor: Actor,
                 now: datetime) -> None:
    """The agenda item is done; the sitting's chain says so, whoever fired `decide`."""
    item.decided = True
    record_stream_event(session, stream(item.session_id), "finalize", actor, now,
                        payload={"proposal_id": proposal.id, "to_state": proposal.state})
