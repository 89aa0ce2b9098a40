"""Council sittings (phiên họp Hội đồng): prepare, open, vote, finalize and close.

The secretary creates a sitting with the members present (from the roster: active users
with the council_member role), builds its agenda from proposals at the Council, opens it
(the roster size is fixed then: the "all members" denominator), records each nominee's
tally (`workflow.tallies`), finalizes each proposal through the one door
(`act(..., "decide", session_id=...)`) and closes the sitting once every item is done.
Members see the sittings they sit on once opened. Every change is audited on the stream
`council_session:<id>`. Nothing here commits: the caller owns the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session, selectinload

from models import (
    AgendaItem,
    CouncilSession,
    Nominee,
    Proposal,
    Role,
    SessionMember,
    SessionStatus,
    User,
    UserRole,
)
from rules.council import Count
from workflow.actors import Actor
from workflow.audit.chain import record_stream_event
from workflow.council.tallies import (
    load_sitting,
    present_count,
    record,
    require_secretary,
    stream,
)
from workflow.errors import N_, InvalidInput, InvalidTransition, NotFound
from workflow.proposals.service import act, load_for_update

__all__ = ["Count", "SittingInput", "add_to_agenda", "candidates", "close", "create",
           "finalize", "open_sitting", "record", "remove_from_agenda", "roster",
           "set_attendance"]

NOT_CLOSED = (SessionStatus.DRAFT, SessionStatus.OPEN)
CLOSED = N_("Phiên họp đã kết thúc")


@dataclass(frozen=True)
class SittingInput:
    title: str
    sitting_date: date | None
    place: str
    present_ids: frozenset[int]


def roster(session: Session) -> list[User]:
    """The council: every active user with the council_member role."""
    return list(session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.COUNCIL_MEMBER, User.active)
        .distinct().order_by(User.full_name)))


def _checked(data: SittingInput) -> SittingInput:
    title, place = data.title.strip(), data.place.strip()
    problems = [label for label, bad in (
        ("tên phiên họp", not 3 <= len(title) <= 255), ("ngày họp", data.sitting_date is None),
        ("địa điểm", not 1 <= len(place) <= 255)) if bad]
    if problems:
        raise InvalidInput(N_("Cần nhập %(fields)s"), params={"fields": ", ".join(problems)},
                           errors=problems)
    return SittingInput(title, data.sitting_date, place, data.present_ids)


def create(session: Session, data: SittingInput, actor: Actor, now: datetime
           ) -> CouncilSession:
    require_secretary(actor)
    data = _checked(data)
    assert data.sitting_date is not None
    sitting = CouncilSession(title=data.title, sitting_date=data.sitting_date,
                             place=data.place, created_by_id=actor.id, created_at=now)
    session.add(sitting)
    _seat(session, sitting, data.present_ids)
    session.flush()
    _audit(session, sitting, "create", actor, now, title=data.title, place=data.place,
           sitting_date=data.sitting_date.isoformat(), present=sorted(data.present_ids))
    return sitting


def _seat(session: Session, sitting: CouncilSession, present_ids: Iterable[int]) -> None:
    """Seat the whole current roster, each member present or absent."""
    members = roster(session)
    present = set(present_ids)
    unknown = present - {m.id for m in members}
    if unknown:
        raise InvalidInput(N_("Chỉ chọn thành viên Hội đồng đang hoạt động làm người dự họp"))
    seated = {m.user_id: m for m in sitting.members}
    on_roster = {m.id for m in members}
    for gone in [m for uid, m in seated.items() if uid not in on_roster]:
        sitting.members.remove(gone)
    for member in members:
        if member.id in seated:
            seated[member.id].present = member.id in present
        else:
            sitting.members.append(SessionMember(user_id=member.id, present=member.id in present))


def set_attendance(session: Session, session_id: int, present_ids: Iterable[int],
                   actor: Actor, now: datetime) -> CouncilSession:
    """Who is present; only before the sitting opens (tallies depend on it)."""
    require_secretary(actor)
    sitting = load_sitting(session, session_id, lock=True)
    _require(sitting, SessionStatus.DRAFT, N_("Chỉ sửa danh sách dự họp trước khi khai mạc"))
    present = sorted(set(present_ids))
    _seat(session, sitting, present)
    _audit(session, sitting, "attendance", actor, now, present=present)
    return sitting


def candidates(session: Session, campaign_id: int | None = None,
               award_form: str | None = None) -> list[Proposal]:
    """Proposals at the Council and on no sitting still to be held or closed."""
    query = (select(Proposal).where(Proposal.state == "at_council", ~_on_live_sitting())
             .options(selectinload(Proposal.nominees), selectinload(Proposal.unit),
                      selectinload(Proposal.campaign)).order_by(Proposal.id))
    if campaign_id:
        query = query.where(Proposal.campaign_id == campaign_id)
    if award_form:
        query = query.where(exists().where(Nominee.proposal_id == Proposal.id,
                                           Nominee.award_form_code == award_form))
    return list(session.scalars(query))


def _on_live_sitting() -> Exists:
    """The proposal is an undecided item of a sitting not yet closed."""
    return exists().where(
        AgendaItem.proposal_id == Proposal.id, AgendaItem.decided.is_(False),
        CouncilSession.id == AgendaItem.session_id, CouncilSession.status.in_(NOT_CLOSED))


def add_to_agenda(session: Session, session_id: int, proposal_ids: Iterable[int],
                  actor: Actor, now: datetime) -> CouncilSession:
    require_secretary(actor)
    ids = sorted(set(proposal_ids))
    if not ids:
        raise InvalidInput(N_("Chọn ít nhất một hồ sơ để đưa vào chương trình"))
    # Proposals first, then the sitting: the order `decide` locks them in.
    proposals = [load_for_update(session, pid) for pid in ids]
    sitting = load_sitting(session, session_id, lock=True)
    if sitting.status not in NOT_CLOSED:
        raise InvalidTransition(CLOSED)
    on_it = {i.proposal_id for i in sitting.items}
    for p in proposals:
        _addable(session, p, sitting, on_it)
    position = max((i.position for i in sitting.items), default=0)
    for offset, p in enumerate(proposals, start=1):
        sitting.items.append(AgendaItem(proposal_id=p.id, position=position + offset))
    session.flush()
    _audit(session, sitting, "add_to_agenda", actor, now, proposal_ids=ids)
    return sitting


def _addable(session: Session, p: Proposal, sitting: CouncilSession, on_it: set[int]) -> None:
    # A proposal is named by its reference, or "số <id>" before it has one (a draft).
    named = {"reference": p.reference, "id": p.id}
    if p.state != "at_council":
        raise InvalidTransition(
            N_("Hồ sơ %(reference)s không ở trạng thái trình Hội đồng") if p.reference
            else N_("Hồ sơ số %(id)s không ở trạng thái trình Hội đồng"), params=named)
    if p.id in on_it:
        raise InvalidInput(
            N_("Hồ sơ %(reference)s đã có trong chương trình phiên họp này") if p.reference
            else N_("Hồ sơ số %(id)s đã có trong chương trình phiên họp này"), params=named)
    other = session.scalar(select(CouncilSession.title).join(AgendaItem).where(
        AgendaItem.proposal_id == p.id, AgendaItem.decided.is_(False),
        CouncilSession.status.in_(NOT_CLOSED), CouncilSession.id != sitting.id))
    if other is not None:
        raise InvalidInput(
            N_("Hồ sơ %(reference)s đang có trong chương trình phiên họp “%(sitting)s”; "
               "mỗi hồ sơ chỉ thuộc một phiên họp chưa kết thúc") if p.reference
            else N_("Hồ sơ số %(id)s đang có trong chương trình phiên họp “%(sitting)s”; "
                    "mỗi hồ sơ chỉ thuộc một phiên họp chưa kết thúc"),
            params={**named, "sitting": other})


def remove_from_agenda(session: Session, session_id: int, proposal_id: int, actor: Actor,
                       now: datetime) -> CouncilSession:
    require_secretary(actor)
    sitting = load_sitting(session, session_id, lock=True)
    if sitting.status not in NOT_CLOSED:
        raise InvalidTransition(CLOSED)
    item = next((i for i in sitting.items if i.proposal_id == proposal_id), None)
    if item is None:
        raise NotFound(N_("Hồ sơ số %(id)s không có trong chương trình phiên họp"),
                       params={"id": proposal_id})
    if item.decided:
        raise InvalidTransition(
            N_("Hồ sơ đã được chốt kết quả; không rút khỏi chương trình được"))
    nominees = {n.id for n in item.proposal.nominees}
    sitting.tallies = [t for t in sitting.tallies if t.nominee_id not in nominees]
    sitting.items.remove(item)
    session.flush()
    _audit(session, sitting, "remove_from_agenda", actor, now, proposal_id=proposal_id)
    return sitting


def open_sitting(session: Session, session_id: int, actor: Actor, now: datetime
                 ) -> CouncilSession:
    """Open the sitting: the roster is re-read and its size fixed; members now see it."""
    require_secretary(actor)
    sitting = load_sitting(session, session_id, lock=True)
    _require(sitting, SessionStatus.DRAFT, N_("Phiên họp đã khai mạc hoặc đã kết thúc"))
    if not sitting.items:
        raise InvalidInput(N_("Chương trình phiên họp chưa có hồ sơ nào"))
    _seat(session, sitting, [m.user_id for m in sitting.members if m.present])
    if present_count(sitting) == 0:
        raise InvalidInput(N_("Chưa chọn thành viên dự họp"))
    sitting.roster_size = len(sitting.members)
    sitting.status, sitting.opened_at = SessionStatus.OPEN, now
    session.flush()
    _audit(session, sitting, "open", actor, now, roster_size=sitting.roster_size,
           present=sorted(m.user_id for m in sitting.members if m.present))
    return sitting


def finalize(session: Session, session_id: int, proposal_id: int, actor: Actor,
             now: datetime, expected_version: int | None = None) -> Proposal:
    """Apply the sitting's tallies to the proposal: approved if a nominee passed, else
    rejected; each rejected nominee's reason is the verdict's explanation."""
    require_secretary(actor)
    act(session, proposal_id, "decide", actor, now=now, expected_version=expected_version,
        session_id=session_id)
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    return proposal


def close(session: Session, session_id: int, actor: Actor, now: datetime) -> CouncilSession:
    """Close once every item is finalized (or has left the Council, e.g. sent back)."""
    require_secretary(actor)
    sitting = load_sitting(session, session_id, lock=True)
    _require(sitting, SessionStatus.OPEN, N_("Chỉ kết thúc phiên họp đang diễn ra"))
    pending = [i.proposal.reference or str(i.proposal_id) for i in sitting.items
               if not i.decided and i.proposal.state == "at_council"]
    if pending:
        raise InvalidTransition(N_("Còn hồ sơ chưa chốt kết quả: %(proposals)s"),
                                params={"proposals": ", ".join(pending)})
    sitting.status, sitting.closed_at = SessionStatus.CLOSED, now
    session.flush()
    _audit(session, sitting, "close", actor, now,
           decided=sorted(i.proposal_id for i in sitting.items if i.decided))
    return sitting


def _require(sitting: CouncilSession, status: SessionStatus, message: str) -> None:
    if sitting.status != status:
        raise InvalidTransition(message, status=sitting.status.value)


def _audit(session: Session, sitting: CouncilSession, action: str, actor: Actor,
           now: datetime, **payload: object) -> None:
    record_stream_event(session, stream(sitting.id), action, actor, now, payload=payload)
