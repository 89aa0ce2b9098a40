"""Public notices (công khai): the secretary publishes the list of nominees of one campaign
and award form for N working days, before the Council votes or before the decision, as the
award form's rule asks; `gate` holds the Council's vote or the decision until the notice
has run and no objection on a nominee is open. Objections: `workflow.objections`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select, text
from sqlalchemy.orm import Session, selectinload

from models import (
    AwardForm,
    Campaign,
    Nominee,
    Notice,
    NoticeEntry,
    NoticeStage,
    Objection,
    ObjectionStatus,
    Outcome,
    Proposal,
    RuleSetVersion,
)
from rules.calendar import TZ
from workflow.actors import Actor, as_actor
from workflow.audit.chain import record_stream_event
from workflow.campaigns.rulesets import compiled
from workflow.deadlines.tracking import working_calendar
from workflow.errors import N_, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from workflow.labels import term

# The trigger each stage holds back, and the state the listed proposals are in meanwhile.
GATED = {"decide": NoticeStage.BEFORE_COUNCIL, "issue_decision": NoticeStage.BEFORE_DECISION}
STATE_OF_STAGE = {NoticeStage.BEFORE_COUNCIL: "at_council",
                  NoticeStage.BEFORE_DECISION: "approved"}
# "Quy tắc của phong trào yêu cầu công khai " + the stage's label, one message per stage.
OTHER_STAGE = {
    NoticeStage.BEFORE_COUNCIL: N_("Quy tắc của phong trào yêu cầu công khai trước khi Hội "
                                   "đồng xét"),
    NoticeStage.BEFORE_DECISION: N_("Quy tắc của phong trào yêu cầu công khai trước khi ban "
                                    "hành quyết định")}


def notice_stream(notice_id: int) -> str:
    return f"notice:{notice_id}"


@dataclass(frozen=True)
class NoticeRule:
    """A campaign's award form whose active rule set asks for a public notice."""

    campaign_id: int
    campaign_code: str
    campaign_title: str
    award_form_code: str
    award_form_name: str
    stage: NoticeStage
    working_days: int


def notice_rules(session: Session) -> list[NoticeRule]:
    """Every (campaign, award form) whose active rule set asks for a notice."""
    names = {code: name for code, name in session.execute(
        select(AwardForm.code, AwardForm.name_vi))}
    found = []
    campaigns = session.scalars(select(Campaign).where(Campaign.active_ruleset_id.is_not(None))
                                .order_by(Campaign.code))
    for campaign in campaigns:
        assert campaign.active_ruleset is not None
        for award in compiled(campaign.active_ruleset).rules.awards:
            if award.public_notice_working_days > 0:
                found.append(NoticeRule(
                    campaign.id, campaign.code, campaign.title, award.form,
                    names.get(award.form, award.form), NoticeStage(award.public_notice_stage),
                    award.public_notice_working_days))
    return found


def rule_for(session: Session, campaign_id: int, award_form_code: str) -> NoticeRule | None:
    return next((r for r in notice_rules(session) if r.campaign_id == campaign_id
                 and r.award_form_code == award_form_code), None)


def _struck() -> Any:
    """An upheld objection struck the entry's nominee from the entry's notice."""
    return exists().where(Objection.notice_id == NoticeEntry.notice_id,
                          Objection.nominee_id == NoticeEntry.nominee_id,
                          Objection.status == ObjectionStatus.UPHELD)


def _covered(stage: NoticeStage) -> Any:
    """The nominee is on a notice of this stage that no upheld objection struck it from."""
    return exists().where(NoticeEntry.nominee_id == Nominee.id,
                          NoticeEntry.notice_id == Notice.id, Notice.stage == stage, ~_struck())


def candidates(session: Session, campaign_id: int, award_form_code: str,
               stage: NoticeStage) -> list[Nominee]:
    """Who a notice of this stage would list now: the form's nominees in proposals at the
    Council (before the vote) or the passed ones of approved proposals (before the
    decision), not yet on a notice of that stage."""
    query = (select(Nominee).join(Proposal)
             .where(Proposal.campaign_id == campaign_id,
                    Proposal.state == STATE_OF_STAGE[stage],
                    Nominee.award_form_code == award_form_code, ~_covered(stage))
             .options(selectinload(Nominee.proposal).selectinload(Proposal.unit))
             .order_by(Proposal.id, Nominee.id))
    if stage == NoticeStage.BEFORE_DECISION:
        query = query.where(Nominee.outcome == Outcome.PASSED)
    return list(session.scalars(query))


def publish(session: Session, actor: Any, campaign_id: int, award_form_code: str,
            now: datetime, stage: str | None = None) -> Notice:
    """Publish the list for N working days from now; flushes, never commits."""
    who = require_secretary(actor)
    rule = rule_for(session, campaign_id, award_form_code)
    if rule is None:
        raise InvalidInput(N_("Hình thức khen thưởng này của phong trào không yêu cầu công khai"))
    if stage is not None and stage != rule.stage:
        raise InvalidInput(OTHER_STAGE[rule.stage])
    _one_at_a_time(session, f"notice:{campaign_id}:{award_form_code}:{rule.stage}")
    nominees = candidates(session, campaign_id, award_form_code, rule.stage)
    if not nominees:
        raise InvalidInput(N_("Không có cá nhân, tập thể nào cần công khai lúc này"))
    ends = period_end(rule, now)
    notice = Notice(
        campaign_id=campaign_id, award_form_code=award_form_code, stage=rule.stage,
        title=f"Công khai danh sách đề nghị {rule.award_form_name} — {rule.campaign_title}",
        starts_at=now, ends_at=ends, working_days=rule.working_days,
        published_by_id=who.id, published_at=now,
        entries=[NoticeEntry(nominee_id=n.id, full_name=n.full_name, position_title=n.position,
                             unit_name=n.work_unit or n.proposal.unit.name) for n in nominees])
    session.add(notice)
    session.flush()
    record_stream_event(session, notice_stream(notice.id), "publish", who, now, payload={
        "campaign": rule.campaign_code, "award_form": award_form_code,
        "stage": rule.stage.value, "working_days": rule.working_days,
        "starts_at": now.isoformat(), "ends_at": ends.isoformat(),
        "nominees": [{"id": e.nominee_id, "full_name": e.full_name} for e in notice.entries]})
    session.flush()
    return notice


def _one_at_a_time(session: Session, key: str) -> None:
    """Two secretaries publishing the same list at once would both list everyone: on
    PostgreSQL the second waits for the first (and then finds nobody left to list)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                        {"k": key})


def period_end(rule: NoticeRule, now: datetime) -> datetime:
    """A notice published now ends at the close of its N-th working day after today."""
    return working_calendar().add_working_days(now, rule.working_days)


def is_secretary(actor: Any) -> bool:
    """Whether this actor publishes notices, resolves objections and reads them all."""
    who = as_actor(actor)
    return who.active and "council_secretary" in who.roles


def require_secretary(actor: Any) -> Actor:
    who = as_actor(actor)
    if not is_secretary(who):
        raise PermissionDenied(N_("Chỉ Thư ký Hội đồng được công khai danh sách và giải quyết "
                                  "khiếu nại"))
    return who


# --- reading -------------------------------------------------------------------------------

def is_running(notice: Notice, now: datetime) -> bool:
    return notice.starts_at <= now < notice.ends_at


_LISTED = select(Notice).options(selectinload(Notice.entries), selectinload(Notice.campaign))
_NEWEST_FIRST = _LISTED.order_by(Notice.published_at.desc(), Notice.id.desc())


def _running_at(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """`is_running` as a query's condition."""
    return Notice.starts_at <= now, Notice.ends_at > now


def current_notices(session: Session, now: datetime) -> list[Notice]:
    """The notices running now, the soonest to end first (the public page)."""
    return list(session.scalars(
        _LISTED.where(*_running_at(now)).order_by(Notice.ends_at, Notice.id)))


def all_notices(session: Session, limit: int = 200) -> list[Notice]:
    """Every notice, the newest first (the secretary's list)."""
    return list(session.scalars(_NEWEST_FIRST.limit(limit)))


def get_notice(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise _no_notice(notice_id)
    return notice


def _no_notice(notice_id: int) -> NotFound:
    return NotFound(N_("Không tìm thấy thông báo công khai số %(id)s"), params={"id": notice_id})


def visible_notices(session: Session, actor: Any, now: datetime,
                    limit: int = 200) -> list[Notice]:
    """The notices this actor may read, the newest first: the secretary every one (running,
    ended, to come); anyone else those running now, as the public page lists them."""
    if is_secretary(actor):
        return all_notices(session, limit)
    return list(session.scalars(_NEWEST_FIRST.where(*_running_at(now)).limit(limit)))


def get_visible(session: Session, notice_id: int, actor: Any, now: datetime) -> Notice:
    """The notice, or NotFound — also, as on the public page, for anyone but the secretary
    when it has not begun. Once it has ended its names are no longer shown
    (`shows_entries`)."""
    notice = session.scalar(select(Notice).where(Notice.id == notice_id).options(
        selectinload(Notice.entries).selectinload(NoticeEntry.nominee),
        selectinload(Notice.campaign)))
    if notice is None or (now < notice.starts_at and not is_secretary(actor)):
        raise _no_notice(notice_id)
    return notice


def shows_entries(notice: Notice, actor: Any, now: datetime) -> bool:
    """The list is public while the notice runs (the public page hides it after); the
    secretary sees it always."""
    return is_running(notice, now) or is_secretary(actor)


def open_objection_counts(session: Session) -> dict[int, int]:
    """Open objections per notice id."""
    rows = session.execute(select(Objection.notice_id, func.count())
                           .where(Objection.status == ObjectionStatus.OPEN)
                           .group_by(Objection.notice_id))
    return {notice_id: count for notice_id, count in rows}


def objections_of(session: Session, notice_id: int | None = None,
                  status: ObjectionStatus | None = None) -> list[Objection]:
    query = select(Objection).options(selectinload(Objection.nominee),
                                      selectinload(Objection.notice))
    if notice_id is not None:
        query = query.where(Objection.notice_id == notice_id)
    if status is not None:
        query = query.where(Objection.status == status)
    return list(session.scalars(query.order_by(Objection.filed_at, Objection.id)))


# --- the gate ------------------------------------------------------------------------------

def gate(session: Session, proposal: Proposal, trigger: str, now: datetime) -> None:
    """Refuse `decide` / `issue_decision` while a notice the rules ask for has not run its
    working days, or an objection on one of the proposal's nominees is open."""
    gate_each(session, [proposal], trigger, now)


def gate_each(session: Session, proposals: list[Proposal], trigger: str,
              now: datetime) -> None:
    """`gate` for many proposals, with one query for their notices and one for their
    objections; refuses on the first proposal held."""
    stage = GATED.get(trigger)
    if stage is None:
        return
    for proposal, problems in zip(proposals, problems_each(session, proposals, stage, now),
                                  strict=True):
        if problems:
            action = term("action", trigger)
            raise InvalidTransition(N_("Chưa thể “%(action)s”: %(problems)s"),
                                    params={"action": action, "problems": "; ".join(problems)},
                                    state=proposal.state, trigger=trigger)


def gate_problems(session: Session, proposal: Proposal, stage: NoticeStage,
                  now: datetime) -> list[str]:
    """What still holds the proposal at this stage, as sentences (none: it may go on)."""
    return problems_each(session, [proposal], stage, now)[0]


def problems_each(session: Session, proposals: list[Proposal], stage: NoticeStage,
                  now: datetime) -> list[list[str]]:
    """`gate_problems` of each proposal, in order."""
    needing = [_needing_notice(session, p, stage) for p in proposals]
    ids = [n.id for nominees in needing for n in nominees]
    if not ids:
        return [[] for _ in proposals]
    latest = _latest_notices(session, ids, stage)
    objected = set(session.scalars(select(Objection.nominee_id).where(
        Objection.nominee_id.in_(ids), Objection.status == ObjectionStatus.OPEN)))
    return [_problems(nominees, stage, latest, objected, now) for nominees in needing]


def _problems(nominees: list[Nominee], stage: NoticeStage, latest: dict[int, Notice],
              objected: set[int], now: datetime) -> list[str]:
    if not nominees:
        return []
    unlisted = [n.full_name for n in nominees if n.id not in latest]
    running: dict[str, list[str]] = defaultdict(list)
    for n in nominees:
        notice = latest.get(n.id)
        if notice is not None and notice.ends_at > now:
            running[f"{notice.ends_at.astimezone(TZ):%d/%m/%Y}"].append(n.full_name)
    problems = []
    if unlisted:
        problems.append(f"chưa công khai danh sách {term('notice_stage', stage.value)} cho: "
                        + ", ".join(unlisted))
    for end, names in running.items():
        problems.append(f"đang trong thời gian công khai (đến 17 giờ ngày {end}): "
                        + ", ".join(names))
    if any(n.id in objected for n in nominees):
        problems.append("còn khiếu nại chưa giải quyết về: "
                        + ", ".join(n.full_name for n in nominees if n.id in objected))
    return problems


def _needing_notice(session: Session, proposal: Proposal, stage: NoticeStage) -> list[Nominee]:
    """The proposal's nominees whose award form asks for a notice at this stage (before the
    decision, only those the Council passed)."""
    version = session.get(RuleSetVersion, proposal.ruleset_version_id)
    assert version is not None
    rules = compiled(version).rules
    out = []
    for n in proposal.nominees:
        award = rules.award(n.award_form_code)
        if (award is None or award.public_notice_working_days == 0
                or award.public_notice_stage != stage):
            continue
        if stage == NoticeStage.BEFORE_DECISION and n.outcome != Outcome.PASSED:
            continue
        out.append(n)
    return out


def _latest_notices(session: Session, nominee_ids: list[int],
                    stage: NoticeStage) -> dict[int, Notice]:
    """Each nominee's latest notice of this stage that no upheld objection struck it from."""
    rows = session.execute(
        select(NoticeEntry.nominee_id, Notice)
        .join(Notice, and_(Notice.id == NoticeEntry.notice_id, Notice.stage == stage))
        .where(NoticeEntry.nominee_id.in_(nominee_ids), ~_struck())
        .order_by(Notice.starts_at, Notice.id))
    return {nominee_id: notice for nominee_id, notice in rows}
