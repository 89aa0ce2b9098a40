"""Issuing numbered decisions (quyết định khen thưởng) and correcting them.

`issue` takes the next number, writes the decision and its attached list (a snapshot of
each passed nominee), records the achievement history and a "decision:<id>" audit event,
then moves to `decided` — through the service's one door — each proposal whose passed
nominees are now all in decisions. Everything happens in the caller's unit of work, so
a failure anywhere (a refused proposal, a gate) also gives the number back.

A decision never changes. `correct` issues a new decision, with its own number, that
names the one it corrects and lists its entries as corrected (names, positions and units
edited, entries dropped); history then reads the correction instead of the original.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from models import AwardForm, Campaign, Decision, DecisionEntry, Nominee, Proposal, User
from models.base import utcnow
from models.membership import among
from rules.messages import labelled
from rules.schema import RuleSet
from workflow.actors import Actor, as_actor
from workflow.audit.chain import DIGEST, decision_digest, record_stream_event
from workflow.campaigns.rulesets import compiled
from workflow.decisions import coverage, numbering
from workflow.errors import N_, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from workflow.history import achievements as history
from workflow.proposals.service import issue_decision_each

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]
ISSUERS = frozenset({"council_secretary"})


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IssueInput(_Input):
    campaign_id: int
    proposal_ids: list[int] = Field(min_length=1, max_length=500)
    award_form: Annotated[str, StringConstraints(max_length=40)] | None = None
    signed_on: date
    signer_name: Name


class EntryCorrection(_Input):
    entry_id: int
    full_name: Name | None = None
    position_title: Text | None = None
    work_unit: Text | None = None
    drop: bool = False


class CorrectionInput(_Input):
    reason: Reason
    signed_on: date
    signer_name: Name
    entries: list[EntryCorrection] = []


_FIELDS_VI = {"campaign_id": "phong trào", "proposal_ids": "hồ sơ", "award_form":
              "hình thức khen thưởng", "signed_on": "ngày ký", "signer_name": "người ký",
              "reason": "lý do đính chính", "entries": "danh sách", "full_name": "họ tên",
              "position_title": "chức vụ", "work_unit": "đơn vị công tác"}
In = TypeVar("In", bound=_Input)


def _parse(model: type[In], data: In | dict[str, Any]) -> In:
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [labelled(e, _FIELDS_VI) for e in exc.errors()]
        raise InvalidInput(N_("Dữ liệu không hợp lệ — %(problems)s"),
                           params={"problems": "; ".join(problems)}, errors=problems) from None


def _issuer(actor: User | Actor) -> Actor:
    who = as_actor(actor)
    if not who.active or not who.roles & ISSUERS:
        raise PermissionDenied(N_("Chỉ Thư ký Hội đồng được ban hành quyết định"))
    return who


def issue(session: Session, actor: User | Actor, data: IssueInput | dict[str, Any], *,
          now: datetime | None = None, advance: bool = True) -> Decision:
    """Issue one decision for the passed nominees (of `award_form`, if given) of the
    chosen approved proposals; move each fully covered proposal to `decided` (unless
    `advance` is False: then the caller fires issue_decision itself)."""
    now = now or utcnow()
    who = _issuer(actor)
    info = _parse(IssueInput, data)
    campaign, rules = _campaign(session, info.campaign_id)
    if info.award_form and rules.award(info.award_form) is None:
        raise InvalidInput(N_("Phong trào không xét hình thức %(form)s"),
                           params={"form": info.award_form})
    proposals = _locked_proposals(session, campaign, info.proposal_ids)
    waiting = coverage.awaiting_each(session, proposals)
    lines = []
    for p in proposals:
        coverage.check_signing_date(info.signed_on, p.decided_at, now)
        chosen = [n for n in waiting[p.id] if info.award_form in (None, n.award_form_code)]
        if not chosen:
            raise InvalidInput(N_("Hồ sơ %(proposal)s không còn ai được chấp thuận với hình "
                                  "thức này mà chưa có quyết định"),
                               params={"proposal": p.reference or p.id})
        lines += [_line_of(n, p) for n in chosen]
    decision = _write(session, who, campaign, rules, info.signed_on, info.signer_name, lines,
                      now, award_form=info.award_form)
    # The proposals are locked: what awaited a decision before, less what this one listed,
    # is what awaits one now.
    listed = {line["nominee_id"] for line in lines}
    covered = [p for p in proposals if all(n.id in listed for n in waiting[p.id])]
    if advance and covered:
        issue_decision_each(session, covered, who, decision.id, now=now)
    return decision


def correct(session: Session, actor: User | Actor, decision_id: int,
            data: CorrectionInput | dict[str, Any], *, now: datetime | None = None) -> Decision:
    """Issue a decision correcting `decision_id`: its entries, edited or dropped."""
    now = now or utcnow()
    who = _issuer(actor)
    info = _parse(CorrectionInput, data)
    original = session.get(Decision, decision_id, with_for_update=True)
    if original is None:
        raise NotFound(N_("Không tìm thấy quyết định số hiệu %(id)s"), params={"id": decision_id})
    later = corrected_by(session, original)
    if later is not None:
        raise InvalidInput(N_("Quyết định %(number)s đã được đính chính bởi quyết định "
                              "%(later)s; hãy đính chính quyết định đó"),
                           params={"number": original.number, "later": later.number})
    coverage.check_signing_date(info.signed_on, None, now)
    if info.signed_on < original.signed_on:
        raise InvalidInput(N_("Ngày đính chính không được trước ngày quyết định được đính "
                              "chính (%(signed_on)s)"),
                           params={"signed_on": f"{original.signed_on:%d/%m/%Y}"})
    lines = _corrected_lines(original, info.entries)
    campaign, rules = _campaign(session, original.campaign_id)
    decision = _write(session, who, campaign, rules, info.signed_on, info.signer_name, lines,
                      now, award_form=original.award_form_code, corrects=original,
                      reason=info.reason)
    record_stream_event(session, f"decision:{original.id}", "corrected", who, now,
                        payload={"corrected_by": decision.id, "number": decision.number})
    return decision


def _corrected_lines(original: Decision, edits: list[EntryCorrection]) -> list[dict[str, Any]]:
    by_id = {e.entry_id: e for e in edits}
    unknown = set(by_id) - {e.id for e in original.entries}
    if unknown:
        raise InvalidInput(N_("Quyết định %(number)s không có dòng số hiệu %(entries)s"),
                           params={"number": original.number,
                                   "entries": ", ".join(map(str, sorted(unknown)))})
    lines = []
    for entry in original.entries:
        edit = by_id.get(entry.id)
        if edit is not None and edit.drop:
            continue
        line = _line_of_entry(entry)
        if edit is not None:
            line["full_name"] = edit.full_name or entry.full_name
            line["position_title"] = edit.position_title or None
            line["work_unit"] = edit.work_unit or None
        lines.append(line)
    if not lines:
        raise InvalidInput(
            N_("Quyết định đính chính phải còn ít nhất một người trong danh sách"))
    return lines


def _campaign(session: Session, campaign_id: int) -> tuple[Campaign, RuleSet]:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.active_ruleset is None:
        raise NotFound(N_("Không có phong trào đang áp dụng quy tắc số hiệu %(id)s"),
                       params={"id": campaign_id})
    return campaign, compiled(campaign.active_ruleset).rules


def _locked_proposals(session: Session, campaign: Campaign, ids: list[int]) -> list[Proposal]:
    """The proposals, locked in id order (so two issuers never deadlock), all approved;
    one query for them all (PostgreSQL locks the rows in the order it returns them), one
    each for their nominees and units."""
    wanted = sorted(set(ids))
    found = {p.id: p for p in session.scalars(
        select(Proposal).where(among(session, Proposal.id, wanted))
        .options(selectinload(Proposal.nominees), selectinload(Proposal.unit))
        .order_by(Proposal.id)
        .with_for_update(of=Proposal)
        .execution_options(populate_existing=True))}
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise NotFound(N_("Không tìm thấy hồ sơ số %(id)s"), params={"id": missing[0]})
    proposals = [found[pid] for pid in wanted]
    for p in proposals:
        if p.campaign_id != campaign.id:
            raise InvalidInput(N_("Hồ sơ %(proposal)s không thuộc phong trào %(campaign)s"),
                               params={"proposal": p.reference or p.id,
                                       "campaign": campaign.code})
        if p.state != "approved":
            raise InvalidTransition(N_("Hồ sơ %(proposal)s chưa được Hội đồng chấp thuận "
                                       "hoặc đã có quyết định"),
                                    params={"proposal": p.reference or p.id}, state=p.state)
    return proposals


def _line_of(n: Nominee, p: Proposal) -> dict[str, Any]:
    return {"nominee_id": n.id, "proposal_id": p.id, "kind": n.kind.value,
            "full_name": n.full_name, "position_title": n.position, "work_unit": n.work_unit,
            "unit_name": p.unit.name, "award_form_code": n.award_form_code,
            "achievement_summary": n.achievement_summary}


def _line_of_entry(e: DecisionEntry) -> dict[str, Any]:
    return {"nominee_id": e.nominee_id, "proposal_id": e.proposal_id, "kind": e.kind,
            "full_name": e.full_name, "position_title": e.position_title,
            "work_unit": e.work_unit, "unit_name": e.unit_name,
            "award_form_code": e.award_form_code, "achievement_summary": e.achievement_summary}


def _write(session: Session, who: Actor, campaign: Campaign, rules: RuleSet, signed_on: date,
           signer_name: str, lines: list[dict[str, Any]], now: datetime, *,
           award_form: str | None, corrects: Decision | None = None,
           reason: str | None = None) -> Decision:
    seq, number = numbering.next_number(session, rules.decision, signed_on.year)
    decision = Decision(
        issuing_body=rules.decision.issuing_body, year=signed_on.year, seq=seq, number=number,
        signed_on=signed_on, title=_title(session, campaign, lines, corrects),
        signer_name=signer_name, signer_title=rules.decision.signer_title,
        campaign_id=campaign.id, award_form_code=award_form,
        legal_bases=list(rules.legal_basis), corrects_id=corrects.id if corrects else None,
        correction_reason=reason, issued_by_id=who.id, issued_at=now)
    session.add(decision)
    session.flush()
    # One executemany, not an INSERT … RETURNING per entry: nothing here needs their ids
    # (decision.entries loads them when asked).
    entries = [dict(line, decision_id=decision.id, position=i)
               for i, line in enumerate(lines, start=1)]
    session.execute(insert(DecisionEntry), entries)
    history.record(session, decision, lines, rules.award_year)
    record_stream_event(session, f"decision:{decision.id}",
                        "correct" if corrects else "issue", who, now, payload={
                            "number": number, "signed_on": signed_on.isoformat(),
                            "signer_name": signer_name, "title": decision.title,
                            "corrects_id": decision.corrects_id, "reason": reason,
                            "nominee_ids": [line["nominee_id"] for line in lines],
                            "proposal_ids": sorted({line["proposal_id"] for line in lines
                                                    if line["proposal_id"]}),
                            # What the decision prints, sealed in the chain: verify
                            # recomputes it from the rows (a correction seals its own).
                            DIGEST: decision_digest(decision, entries)})
    session.flush()
    return decision


def _title(session: Session, campaign: Campaign, lines: list[dict[str, Any]],
           corrects: Decision | None) -> str:
    if corrects is not None:
        return (f"Về việc đính chính Quyết định số {corrects.number} ngày "
                f"{corrects.signed_on:%d/%m/%Y}")
    codes = list(dict.fromkeys(line["award_form_code"] for line in lines))
    names = session.scalars(select(AwardForm.name_vi).where(AwardForm.code.in_(codes))).all()
    campaign_title = campaign.title[:1].lower() + campaign.title[1:]
    title = (f"Về việc tặng {', '.join(names) or ', '.join(codes)} cho các tập thể, cá nhân "
             f"có thành tích trong {campaign_title}")
    return title[:500]


def corrected_by(session: Session, decision: Decision) -> Decision | None:
    """The decision that corrected this one, if any."""
    return session.scalar(select(Decision).where(Decision.corrects_id == decision.id))
