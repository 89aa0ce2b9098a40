"""Council sittings as the secretary and the members live them: prepare, open, vote,
finalize, close; who may do what and who sees what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import AgendaItem, AuditEvent, CouncilSession, Outcome, Role, SessionStatus
from tests.conftest import CDS_NOW, FAST_HASH
from tests.support.races import ON_POSTGRES, race
from workflow.accounts.credentials import ensure_user
from workflow.actors import Actor
from workflow.audit.chain import verify
from workflow.council import proceedings as council
from workflow.council import sittings
from workflow.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from workflow.proposals import queries
from workflow.proposals.service import act

LATER = CDS_NOW + timedelta(days=1)
TWO = [{"kind": "individual", "full_name": "Nguyễn Văn Đạt", "award_form": "BK_CT_UBND",
        "years_in_service": 5},
       {"kind": "individual", "full_name": "Trần Thị Thiếu", "award_form": "BK_CT_UBND",
        "years_in_service": 5}]


def who(world, session, name: str) -> Actor:
    return Actor.of(world.user(session, name))


def members(world, *numbers: int) -> frozenset[int]:
    return frozenset(world.user_ids[f"member{n}"] for n in numbers)


def new_sitting(world, session, present=(1, 2, 3, 4, 5, 6, 7), title="Phiên họp thử"):
    return council.create(session, council.SittingInput(
        title, date(2022, 11, 20), "Hội trường tỉnh", members(world, *present)),
        who(world, session, "secretary"), LATER).id


def open_with(world, pids, present=(1, 2, 3, 4, 5, 6, 7)) -> int:
    with world.db.unit_of_work() as session:
        sid = new_sitting(world, session, present)
        secretary = who(world, session, "secretary")
        council.add_to_agenda(session, sid, pids, secretary, LATER)
        council.open_sitting(session, sid, secretary, LATER)
        return sid


def tally(world, sid, nid, **count) -> None:
    with world.db.unit_of_work() as session:
        council.record(session, sid, nid, council.Count(**count),
                       who(world, session, "secretary"), LATER)


def nominee_ids(world, pid) -> list[int]:
    with world.db.session() as session:
        return [n.id for n in world.proposal(session, pid).nominees]


def test_a_sitting_from_agenda_to_close(make_proposal, world):
    mixed, failing = make_proposal("at_council", nominees=TWO), make_proposal("at_council")
    sid = open_with(world, [mixed, failing], present=(1, 2, 3, 4, 5, 6))
    passed, short = nominee_ids(world, mixed)
    tally(world, sid, passed, yes=5, no=1)
    tally(world, sid, short, yes=4, no=2)
    tally(world, sid, nominee_ids(world, failing)[0], yes=2, no=3, invalid=1)
    with world.db.unit_of_work() as session:
        secretary = who(world, session, "secretary")
        assert council.finalize(session, sid, mixed, secretary, LATER).state == "approved"
        with pytest.raises(InvalidTransition, match="chưa chốt"):
            council.close(session, sid, secretary, LATER)
        assert council.finalize(session, sid, failing, secretary, LATER).state == "rejected"
        council.close(session, sid, secretary, LATER)
    with world.db.session() as session:
        p = world.proposal(session, mixed)
        assert [n.outcome for n in p.nominees] == [Outcome.PASSED, Outcome.REJECTED]
        assert p.nominees[1].outcome_reason == (
            "4/7 = 57,1% < 70% tổng số thành viên Hội đồng")
        assert world.proposal(session, failing).nominees[0].outcome_reason == (
            "2/7 = 28,6% < 70% tổng số thành viên Hội đồng")
        sitting = session.get(CouncilSession, sid)
        assert (sitting.status, sitting.roster_size) == (SessionStatus.CLOSED, 7)
        assert sitting.tallies[0].explanation == (
            "5/7 = 71,4% ≥ 70% tổng số thành viên Hội đồng")
        trail = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.stream == f"council_session:{sid}").order_by(AuditEvent.seq)))
        assert trail == ["create", "add_to_agenda", "open", "record_tally", "record_tally",
                         "record_tally", "finalize", "finalize", "close"]
        decide = session.scalar(select(AuditEvent).where(AuditEvent.proposal_id == mixed,
                                                         AuditEvent.action == "decide"))
        assert decide.payload["session_id"] == sid
        assert verify(session).ok


def test_a_tally_that_does_not_add_up_is_refused_and_one_may_be_corrected(
        make_proposal, world):
    pid = make_proposal("at_council")
    sid = open_with(world, [pid], present=(1, 2, 3, 4, 5))
    nid = nominee_ids(world, pid)[0]
    with pytest.raises(InvalidInput, match="nhiều hơn số thành viên dự họp"):
        tally(world, sid, nid, yes=5, no=1)
    with pytest.raises(InvalidInput, match="nhiều hơn số thành viên vắng mặt"):
        tally(world, sid, nid, yes=5, written_yes=3)
    tally(world, sid, nid, yes=4, no=1)
    tally(world, sid, nid, yes=4, no=1, written_yes=1)  # a late written opinion: corrected
    with world.db.session() as session:
        (only,) = session.get(CouncilSession, sid).tallies
        assert only.passed and only.explanation.startswith("5/7 = 71,4% ≥ 70%")
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.stream == f"council_session:{sid}").order_by(AuditEvent.seq))
        assert list(actions)[-1] == "correct_tally"


def test_quorum_not_met_refuses_every_tally(make_proposal, world):
    pid = make_proposal("at_council")
    sid = open_with(world, [pid], present=(1, 2, 3))  # TEST-OPEN: quorum half the roster
    with pytest.raises(InvalidInput, match="Không đủ số thành viên tham gia: 3/7"):
        tally(world, sid, nominee_ids(world, pid)[0], yes=3)


def test_finalize_needs_every_nominee_tallied_and_then_nothing_changes(make_proposal, world):
    pid = make_proposal("at_council", nominees=TWO)
    sid = open_with(world, [pid])
    first, second = nominee_ids(world, pid)
    tally(world, sid, first, yes=7)
    with world.db.unit_of_work() as session, pytest.raises(InvalidInput,
                                                           match="Trần Thị Thiếu"):
        council.finalize(session, sid, pid, who(world, session, "secretary"), LATER)
    tally(world, sid, second, yes=7)
    with world.db.unit_of_work() as session:
        council.finalize(session, sid, pid, who(world, session, "secretary"), LATER)
    with pytest.raises(InvalidTransition, match="đã được chốt"):
        tally(world, sid, second, yes=1, no=6)


def test_tallies_only_while_the_sitting_is_open(make_proposal, world):
    pid = make_proposal("at_council")
    with world.db.unit_of_work() as session:
        sid = new_sitting(world, session)
        council.add_to_agenda(session, sid, [pid], who(world, session, "secretary"), LATER)
    with pytest.raises(InvalidTransition, match="đang diễn ra"):
        tally(world, sid, nominee_ids(world, pid)[0], yes=7)


@pytest.mark.parametrize("name", ["member1", "reviewer", "boardhead", "unit1", "admin"])
def test_only_the_secretary_changes_sittings(make_proposal, world, name):
    pid = make_proposal("at_council")
    sid = open_with(world, [pid])
    with world.db.unit_of_work() as session:
        other = who(world, session, name)
        with pytest.raises(PermissionDenied):
            council.create(session, council.SittingInput(
                "Phiên họp khác", date(2022, 11, 21), "Hội trường", members(world, 1)),
                other, LATER)
        with pytest.raises(PermissionDenied):
            council.record(session, sid, nominee_ids(world, pid)[0], council.Count(yes=7),
                           other, LATER)
        with pytest.raises(PermissionDenied):
            council.finalize(session, sid, pid, other, LATER)
        with pytest.raises(PermissionDenied):
            council.close(session, sid, other, LATER)


def test_a_proposal_is_on_one_sitting_not_yet_closed(make_proposal, world):
    pid = make_proposal("at_council")
    first = open_with(world, [pid])
    with world.db.unit_of_work() as session:
        secretary = who(world, session, "secretary")
        second = new_sitting(world, session, title="Phiên họp sau")
        assert pid not in [p.id for p in council.candidates(session)]
        with pytest.raises(InvalidInput, match="“Phiên họp thử”"):
            council.add_to_agenda(session, second, [pid], secretary, LATER)
        # Sent back to the Board from the sitting, the item is left undecided; the sitting
        # may still close, and once back at the Council the proposal may go on another.
        act(session, pid, "send_back", secretary, now=LATER, reason="Cần thẩm định lại")
        council.close(session, first, secretary, LATER)
        act(session, pid, "forward", who(world, session, "reviewer"), now=LATER)
        assert pid in [p.id for p in council.candidates(session)]
        council.add_to_agenda(session, second, [pid], secretary, LATER)


def test_the_agenda_takes_only_proposals_at_the_council(make_proposal, world):
    under_review = make_proposal("under_review")
    at_council = make_proposal("at_council")
    cds = make_proposal("at_council", campaign="CDS-2022", nominees=[
        {"kind": "collective", "full_name": "Xã Hợp Thành", "award_form": "GIAY_KHEN"}],
        documents=["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"])
    with world.db.unit_of_work() as session:
        sid = new_sitting(world, session)
        with pytest.raises(InvalidTransition, match="không ở trạng thái trình Hội đồng"):
            council.add_to_agenda(session, sid, [under_review], who(world, session,
                                                                    "secretary"), LATER)
        cds_id = world.proposal(session, cds).campaign_id
        assert [p.id for p in council.candidates(session)] == [at_council, cds]
        assert [p.id for p in council.candidates(session, campaign_id=cds_id)] == [cds]
        assert [p.id for p in council.candidates(session, award_form="GIAY_KHEN")] == [cds]


def test_members_see_the_sittings_they_sit_on_once_open(make_proposal, world):
    on_agenda, elsewhere = make_proposal("at_council"), make_proposal("at_council")
    with world.db.unit_of_work() as session:
        sid = new_sitting(world, session, present=(1, 2, 3, 4))
        council.add_to_agenda(session, sid, [on_agenda], who(world, session, "secretary"),
                              LATER)
    with world.db.session() as session:
        member = who(world, session, "member5")  # absent, but on the roster: sits on it
        with pytest.raises(NotFound):
            sittings.get(session, sid, member)  # not yet opened
        assert queries.list_proposals(session, member) == []
    with world.db.unit_of_work() as session:
        council.open_sitting(session, sid, who(world, session, "secretary"), LATER)
        newcomer = ensure_user(session, "member8", "Thành viên mới", [Role.COUNCIL_MEMBER],
                               world.user(session, "member1").unit, "x",
                               password_hash=FAST_HASH)
        session.flush()
        newcomer_id = newcomer.id
    with world.db.session() as session:
        member = who(world, session, "member5")
        assert sittings.get(session, sid, member).id == sid
        assert [p.id for p in queries.list_proposals(session, member)] == [on_agenda]
        with pytest.raises(NotFound):
            queries.get_visible(session, elsewhere, member)
        late = Actor.of(session.get(type(world.user(session, "member1")), newcomer_id))
        with pytest.raises(NotFound):
            sittings.get(session, sid, late)
        assert queries.list_proposals(session, late) == []


def test_walk_to_decides_in_a_closed_sitting(make_proposal, world):
    approved, rejected = make_proposal("approved"), make_proposal("rejected")
    with world.db.session() as session:
        for pid in (approved, rejected):
            sitting = sittings.sitting_of(session, pid)
            assert sitting is not None and sitting.status == SessionStatus.CLOSED
        reason = world.proposal(session, rejected).nominees[0].outcome_reason
        assert reason == "3/7 = 42,9% < 70% tổng số thành viên Hội đồng"
        assert verify(session).ok


@ON_POSTGRES
@pytest.mark.parametrize("round_", range(3))
def test_two_tabs_putting_a_proposal_on_two_sittings_at_once(make_proposal, world, round_):
    pid = make_proposal("at_council")
    with world.db.unit_of_work() as session:
        first, second = new_sitting(world, session), new_sitting(world, session, title="Khác")
        secretary = who(world, session, "secretary")
    results = race(world.db, *(
        lambda s, sid=sid: council.add_to_agenda(s, sid, [pid], secretary, LATER).id
        for sid in (first, second)))
    assert sorted(type(r).__name__ for r in results) == ["InvalidInput", "int"], results
    with world.db.session() as session:
        on = session.scalars(select(AgendaItem.session_id).where(AgendaItem.proposal_id == pid))
        assert list(on) == [r for r in results if isinstance(r, int)]
