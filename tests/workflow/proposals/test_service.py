"""The service's inputs, rule checks and side effects, as a user of each role sees them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Deadline, Outcome, Proposal
from tests.conftest import CDS_NOW, VN
from tests.support.decisions import issue_for
from workflow.audit.chain import verify
from workflow.errors import ConflictError, InvalidInput, PermissionDenied, RuleViolation
from workflow.filing.dossier import add_nominee, remove_nominee, rename, update_nominee
from workflow.proposals.service import act


def events(session, pid):
    return session.scalar(select(func.count()).where(AuditEvent.proposal_id == pid))


def test_submit_with_blocking_findings_is_refused_listing_all_of_them(make_proposal, world):
    pid = make_proposal("draft", campaign="CDS-2022", documents=["to_trinh"], nominees=[
        {"kind": "individual", "full_name": "Trần Văn Kỷ", "award_form": "BK_CT_UBND",
         "years_in_service": 1, "disciplined": True, "attributes": {"digital_outcome": False}},
    ])
    with world.db.unit_of_work() as session:
        before = events(session, pid)
        with pytest.raises(RuleViolation) as caught:
            act(session, pid, "submit", world.user(session, "unit1"), now=CDS_NOW)
    messages = [f.message for f in caught.value.findings]
    assert "Thiếu tài liệu bắt buộc: Báo cáo thành tích" in messages
    assert "Thiếu tài liệu bắt buộc: Biên bản họp xét của Hội đồng TĐKT đơn vị" in messages
    assert "Cá nhân cần có ít nhất 2 năm công tác" in messages
    assert "Đang trong thời gian bị kỷ luật" in messages
    assert {f.nominee for f in caught.value.findings if f.nominee} == {"Trần Văn Kỷ"}
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "draft"
        assert events(session, pid) == before


def test_submit_outside_the_window_is_refused(make_proposal, world):
    pid = make_proposal("draft", campaign="CDS-2022", nominees=[
        {"kind": "collective", "full_name": "Phòng CĐS", "award_form": "GIAY_KHEN"}],
        documents=["to_trinh", "bao_cao_thanh_tich"])
    late = datetime(2022, 12, 16, 8, 0, tzinfo=VN)
    with world.db.unit_of_work() as session, pytest.raises(RuleViolation) as caught:
        act(session, pid, "submit", world.user(session, "unit1"), now=late)
    assert [f.code for f in caught.value.findings] == ["window_closed"]
    assert "15/12/2022" in caught.value.findings[0].message


def test_submit_pins_the_active_rule_set_and_records_warnings(make_proposal, world):
    pid = make_proposal("submitted", campaign="CDS-2022", nominees=[
        {"kind": "individual", "full_name": "Lê Thị Sáng", "award_form": "BK_CT_UBND",
         "years_in_service": 4, "attributes": {"digital_outcome": True}}],
        documents=["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"])
    with world.db.session() as session:
        proposal = world.proposal(session, pid)
        assert proposal.reference == f"CDS-2022/{pid:05d}"
        assert proposal.ruleset_version_id == proposal.campaign.active_ruleset_id
        submit = session.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == pid, AuditEvent.action == "submit")).one()
        # initiative_recognised is only encouraged: a warning, recorded, not blocking.
        assert [w["severity"] for w in submit.payload["warnings"]] == ["warning"]


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_return_requires_a_reason(make_proposal, world, reason):
    pid = make_proposal("under_review")
    with world.db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
        act(session, pid, "return", world.user(session, "reviewer"), reason=reason)
    assert "lý do" in caught.value.message
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "under_review"


def test_return_then_fix_and_resubmit(make_proposal, world):
    pid = make_proposal("returned")
    with world.db.unit_of_work() as session:
        p = world.proposal(session, pid)
        assert p.last_reason.startswith("Báo cáo thành tích")
        clerk = world.user(session, "unit1")
        add_nominee(session, pid, clerk, {"kind": "collective", "full_name": "Tổ CNTT",
                                          "award_form": "BK_CT_UBND"})
        act(session, pid, "resubmit", clerk)
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "submitted"
        assert len(world.proposal(session, pid).nominees) == 2


def test_decide_needs_an_outcome_for_every_nominee_and_reasons_for_rejections(
        make_proposal, world):
    pid = make_proposal("at_council", nominees=[
        {"kind": "individual", "full_name": "A", "award_form": "BK_CT_UBND",
         "years_in_service": 3},
        {"kind": "collective", "full_name": "B", "award_form": "BK_CT_UBND"}])
    with world.db.unit_of_work() as session:
        ids = [n.id for n in world.proposal(session, pid).nominees]
        secretary = world.user(session, "secretary")
        with pytest.raises(InvalidInput, match="đúng và đủ"):
            act(session, pid, "decide", secretary,
                outcomes=[{"nominee_id": ids[0], "outcome": "passed"}])
        with pytest.raises(InvalidInput, match="lý do"):
            act(session, pid, "decide", secretary,
                outcomes=[{"nominee_id": ids[0], "outcome": "passed"},
                          {"nominee_id": ids[1], "outcome": "rejected"}])
        act(session, pid, "decide", secretary,
            outcomes=[{"nominee_id": ids[0], "outcome": "passed"},
                      {"nominee_id": ids[1], "outcome": "rejected",
                       "reason": "Không đủ phiếu"}])
    with world.db.session() as session:
        p = world.proposal(session, pid)
        assert p.state == "approved"  # at least one nominee passed
        assert [n.outcome for n in p.nominees] == [Outcome.PASSED, Outcome.REJECTED]
        assert p.nominees[1].outcome_reason == "Không đủ phiếu"


def test_all_rejected_makes_the_proposal_rejected(make_proposal, world):
    assert_state = make_proposal("rejected")
    with world.db.session() as session:
        assert world.proposal(session, assert_state).nominees[0].outcome == Outcome.REJECTED


def test_issue_decision_records_the_decisions_number_and_date(make_proposal, world):
    pid = make_proposal("approved")
    with world.db.unit_of_work() as session:
        secretary = world.user(session, "secretary")
        p = world.proposal(session, pid)
        with pytest.raises(InvalidInput, match="quyết định: bắt buộc"):
            act(session, pid, "issue_decision", secretary, decision_number="12/QĐ-UBND")
        decision = issue_for(session, p, secretary, advance=False)
        number, signed = decision.number, decision.signed_on
        act(session, pid, "issue_decision", secretary, now=CDS_NOW + timedelta(days=10),
            decision_id=decision.id)
    with world.db.session() as session:
        p = world.proposal(session, pid)
        assert (p.state, p.decision_number, p.decision_date) == ("decided", number, signed)
        assert number == "1/QĐ-UBND"


def test_issue_decision_needs_a_decision_listing_everyone_who_passed(make_proposal, world):
    pid = make_proposal("approved", campaign="CDS-2022", nominees=[
        {"kind": "individual", "full_name": "Nguyễn Văn A", "award_form": "BK_CT_UBND",
         "years_in_service": 5, "attributes": {"digital_outcome": True}},
        {"kind": "collective", "full_name": "Phòng Một", "award_form": "GIAY_KHEN"}],
        documents=["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"])
    other = make_proposal("approved", campaign="CDS-2022", clerk="unit2", nominees=[
        {"kind": "collective", "full_name": "Xã Hai", "award_form": "GIAY_KHEN"}],
        documents=["to_trinh", "bao_cao_thanh_tich"])
    with world.db.unit_of_work() as session:
        secretary = world.user(session, "secretary")
        p = world.proposal(session, pid)
        later = CDS_NOW + timedelta(days=10)
        mine = issue_for(session, p, secretary, award_form="BK_CT_UBND", now=later)
        theirs = issue_for(session, world.proposal(session, other), secretary, now=later)
        assert world.proposal(session, other).state == "decided"
        assert p.state == "approved"  # Phòng Một awaits its own decision
        with pytest.raises(InvalidInput, match="Phòng Một"):
            act(session, pid, "issue_decision", secretary, now=later, decision_id=mine.id)
        with pytest.raises(InvalidInput, match="không có tên ai trong hồ sơ này"):
            act(session, pid, "issue_decision", secretary, now=later, decision_id=theirs.id)
        issue_for(session, p, secretary, award_form="GIAY_KHEN", now=later)
        assert (p.state, p.decision_number) == ("decided", "3/QĐ-UBND")


def test_board_head_reassigns_to_a_reviewer_only(make_proposal, world):
    pid = make_proposal("under_review")
    with world.db.unit_of_work() as session:
        head = world.user(session, "boardhead")
        with pytest.raises(InvalidInput):
            act(session, pid, "reassign", head, assignee_id=world.user_ids["unit1"])
        act(session, pid, "reassign", head, assignee_id=world.user_ids["reviewer2"])
    with world.db.unit_of_work() as session:
        # The former assignee may no longer act; the new one may.
        with pytest.raises(PermissionDenied):
            act(session, pid, "forward", world.user(session, "reviewer"))
        act(session, pid, "forward", world.user(session, "reviewer2"))


def test_send_back_resets_outcomes_and_returns_to_the_board(make_proposal, world):
    pid = make_proposal("at_council")
    with world.db.unit_of_work() as session:
        act(session, pid, "send_back", world.user(session, "secretary"),
            reason="Cần thẩm định lại thành tích")
    with world.db.session() as session:
        p = world.proposal(session, pid)
        assert (p.state, p.assignee_id) == ("under_review", world.user_ids["reviewer"])


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(make_proposal, world):
    pid = make_proposal("submitted")
    with world.db.session() as session:
        seen = world.proposal(session, pid).version
    with world.db.unit_of_work() as session:
        act(session, pid, "claim", world.user(session, "reviewer"), expected_version=seen)
    with world.db.unit_of_work() as session, pytest.raises(ConflictError):
        act(session, pid, "withdraw", world.user(session, "unit1"), expected_version=seen)
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "under_review"


def test_dossier_edits_are_audited_and_only_while_editable(make_proposal, world):
    pid = make_proposal("draft")
    with world.db.unit_of_work() as session:
        clerk = world.user(session, "unit1")
        nominee = add_nominee(session, pid, clerk, {
            "kind": "individual", "full_name": "Phạm Thu", "award_form": "BK_CT_UBND",
            "years_in_service": 2, "attributes": {"digital_outcome": True}})
        update_nominee(session, pid, nominee.id, clerk, {
            "kind": "individual", "full_name": "Phạm Thu Hà", "award_form": "BK_CT_UBND",
            "years_in_service": 2})
        remove_nominee(session, pid, nominee.id, clerk)
        rename(session, pid, clerk, "Hồ sơ đã đổi tên")
        with pytest.raises(PermissionDenied):
            rename(session, pid, world.user(session, "unit2"), "Hồ sơ của đơn vị khác")
        with pytest.raises(InvalidInput, match="Thuộc tính"):
            add_nominee(session, pid, clerk, {"kind": "individual", "full_name": "X",
                                              "award_form": "BK_CT_UBND",
                                              "attributes": {"unknown": 1}})
        with pytest.raises(InvalidInput, match="không xét"):
            add_nominee(session, pid, clerk, {"kind": "individual", "full_name": "X",
                                              "award_form": "CO_THI_DUA_TINH"})
    with world.db.session() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.proposal_id == pid)
                                  .order_by(AuditEvent.seq)).all()
        assert actions[-4:] == ["add_nominee", "update_nominee", "remove_nominee", "rename"]
        assert world.proposal(session, pid).title == "Hồ sơ đã đổi tên"
    submitted = make_proposal("submitted")
    with world.db.unit_of_work() as session, pytest.raises(Exception, match="dự thảo"):
        rename(session, submitted, world.user(session, "unit1"), "Không được sửa")


def test_documents_are_stored_by_content_hash(make_proposal, world):
    pid = make_proposal("draft", documents=["to_trinh"])
    with world.db.session() as session:
        doc = world.proposal(session, pid).documents[0]
        stored = world.storage / doc.storage_path
        assert stored.read_bytes() == b"%PDF to_trinh"
        assert doc.sha256 == __import__("hashlib").sha256(b"%PDF to_trinh").hexdigest()
        assert doc.size == len(b"%PDF to_trinh")


def test_proposal_rows_carry_the_optimistic_version(make_proposal, world):
    pid = make_proposal("draft")
    with world.db.session() as session:
        before = world.proposal(session, pid).version
    with world.db.unit_of_work() as session:
        act(session, pid, "submit", world.user(session, "unit1"))
    with world.db.session() as session:
        p = session.get(Proposal, pid)
        assert p.version == before + 1


def test_a_decision_cannot_be_dated_in_the_future_or_before_the_council_decided(
        make_proposal, world):
    pid = make_proposal("approved")  # decided by the Council on 19/11/2022 (walk_to's days)
    with world.db.unit_of_work() as session:
        secretary = world.user(session, "secretary")
        p = world.proposal(session, pid)
        decided_on = p.decided_at.astimezone(VN).date()
        with pytest.raises(InvalidInput, match="không được sau ngày hôm nay"):
            issue_for(session, p, secretary, signed_on=decided_on + timedelta(days=2))
        with pytest.raises(InvalidInput, match="không được trước ngày Hội đồng xét"):
            issue_for(session, p, secretary, signed_on=decided_on - timedelta(days=1))
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "approved"


def test_reassigning_to_the_current_assignee_is_refused(make_proposal, world):
    pid = make_proposal("under_review")
    with world.db.unit_of_work() as session, pytest.raises(InvalidInput, match="người khác"):
        act(session, pid, "reassign", world.user(session, "boardhead"),
            assignee_id=world.user_ids["reviewer"])


def test_a_blank_return_reason_says_it_is_required(make_proposal, world):
    pid = make_proposal("under_review")
    with world.db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
        act(session, pid, "return", world.user(session, "reviewer"), reason=None)
    assert "lý do: bắt buộc" in caught.value.message


def test_actions_in_one_unit_of_work_each_see_the_last_and_write_once(make_proposal, world):
    """A page may hold the proposal before acting, and one unit of work may act twice (the
    sweep withdraws among its reminders): each action starts from the one before, and
    the proposal moves one version per action, its clock closed and reopened."""
    pid = make_proposal("submitted")
    with world.db.session() as session:
        before = world.proposal(session, pid).version
    with world.db.unit_of_work() as session:
        shown = session.get(Proposal, pid)  # what the page read, before the actions
        reviewer = world.user(session, "reviewer")
        act(session, pid, "claim", reviewer, expected_version=before)
        act(session, pid, "return", reviewer, expected_version=before + 1,
            reason="Thiếu biên bản họp xét")
        assert (shown.state, shown.version, shown.last_reason) == (
            "returned", before + 2, "Thiếu biên bản họp xét")
    with world.db.session() as session:
        p = world.proposal(session, pid)
        assert (p.state, p.version) == ("returned", before + 2)
        last = session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                               .order_by(AuditEvent.seq.desc()).limit(2)).all()
        assert [e.action for e in last] == ["return", "claim"]
        assert last[0].seq == last[1].seq + 1 and last[0].prev_hash == last[1].hash
        assert p.audit_head == last[0].hash
        clocks = session.scalars(select(Deadline).where(Deadline.proposal_id == pid)
                                 .order_by(Deadline.id)).all()
        assert [(d.kind, d.closed_at is None) for d in clocks][-2:] == [
            ("review", False), ("resubmission", True)]
        assert verify(session).ok
