"""Public notice and objections: the notice holds the Council's vote (or the decision) for
its working days and while an objection is open; an upheld objection sends the nominee
back to the Board while the others go on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Document, Nominee, Objection, Proposal
from tests.conftest import VN
from tests.support.decisions import issue_for
from tests.support.notices import MONDAY, after, entries, notice_world, person, publish
from workflow.audit.chain import replay, verify
from workflow.deadlines import tracking
from workflow.errors import InvalidInput, InvalidTransition, PermissionDenied
from workflow.notices import objections
from workflow.notices import publication as notices
from workflow.notices.objections import ObjectionForm
from workflow.proposals.service import act

__all__ = ["notice_world"]  # the fixture, used by name

OBJECTION = ObjectionForm("Trần Văn Dân", "0912 345 678",
                          "Cá nhân này đang bị xem xét kỷ luật tại đơn vị.")


def decide_all(world, pid, now, passed=True):
    with world.db.unit_of_work() as session:
        proposal = world.proposal(session, pid)
        outcomes = [{"nominee_id": n.id, "outcome": "passed" if passed else "rejected",
                     "reason": None if passed else "Không đủ phiếu"} for n in proposal.nominees]
        act(session, pid, "decide", world.user(session, "secretary"), now=now,
            outcomes=outcomes)


def issue(world, pid, now):
    """Issue the decision (the one place that knows issue_decision's input)."""
    with world.db.unit_of_work() as session:
        issue_for(session, world.proposal(session, pid), world.user(session, "secretary"),
                  now=now, signed_on=now.astimezone(VN).date())


def nominee_id(world, pid, name):
    with world.db.session() as session:
        return next(n.id for n in world.proposal(session, pid).nominees if n.full_name == name)


def object_to(world, notice_id, nid, now, form=OBJECTION):
    with world.db.unit_of_work() as session:
        return objections.file_objection(session, notice_id, nid, form, now).id


def resolve(world, oid, resolution, reason, now):
    with world.db.unit_of_work() as session:
        objections.resolve(session, oid, world.user(session, "secretary"), resolution,
                           reason, now)


def state(world, pid):
    with world.db.session() as session:
        return world.proposal(session, pid).state


def audit_ok(world):
    with world.db.session() as session:
        report = verify(session)
        assert report.ok, str(report.broken)


# --- the notice holds the vote for its working days ------------------------------------------

def test_the_vote_waits_for_a_notice_and_its_working_days(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Nguyễn Văn A"), person("Lê Thị B", "LDTT")])
    with pytest.raises(InvalidTransition, match="chưa công khai danh sách trước khi Hội đồng "
                                                "xét cho: Nguyễn Văn A"):
        decide_all(world, pid, MONDAY)
    notice_id, ends = publish(world, "BK_CT_UBND")
    # Mon 21/11 + 3 working days: the close of Thu 24/11 (17:00 in Vietnam).
    assert ends.astimezone(VN) == datetime(2022, 11, 24, 17, 0, tzinfo=VN)
    assert entries(world, notice_id) == ["Nguyễn Văn A"]  # LDTT asks for no notice
    with pytest.raises(InvalidTransition, match="đến 17 giờ ngày 24/11/2022"):
        decide_all(world, pid, ends - timedelta(minutes=1))
    decide_all(world, pid, ends)
    assert state(world, pid) == "approved"
    audit_ok(world)


def test_a_weekend_and_a_holiday_do_not_count(notice_world, make_proposal):
    world = notice_world
    make_proposal("at_council", campaign="TEST-NOTICE", nominees=[person("Nguyễn Văn A")],
                  now=datetime(2022, 8, 25, 9, 0, tzinfo=VN))
    # Published Wed 31/08/2022: 01-02/09 are National Day holidays, 03-04/09 a weekend.
    _, ends = publish(world, "BK_CT_UBND", datetime(2022, 8, 31, 9, 0, tzinfo=VN))
    assert ends.astimezone(VN).date() == date(2022, 9, 7)


def test_the_decision_waits_for_a_notice_of_the_passed_nominees(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Phạm Văn C", "GIAY_KHEN")])
    decide_all(world, pid, MONDAY)  # a before-decision notice does not hold the vote
    with pytest.raises(InvalidTransition, match="chưa công khai danh sách trước khi ban "
                                                "hành quyết định cho: Phạm Văn C"):
        issue(world, pid, MONDAY)
    _, ends = publish(world, "GIAY_KHEN")
    with pytest.raises(InvalidTransition, match="đang trong thời gian công khai"):
        issue(world, pid, ends - timedelta(hours=1))
    issue(world, pid, after(ends))
    assert state(world, pid) == "decided"


def test_a_nominee_the_council_rejected_needs_no_notice(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Phạm Văn C", "GIAY_KHEN")])
    decide_all(world, pid, MONDAY, passed=False)
    assert state(world, pid) == "rejected"
    with world.db.session() as session, pytest.raises(InvalidInput, match="Không có"):
        notices.publish(session, world.user(session, "secretary"),
                        world.proposal(session, pid).campaign_id, "GIAY_KHEN", MONDAY)


def test_a_shipped_campaign_holds_its_decision_too(world, make_proposal):
    """GPMB-2022-2025 publishes its emulation flag (Cờ thi đua) 5 working days."""
    start = datetime(2026, 10, 5, 9, 0, tzinfo=VN)
    pid = make_proposal("approved", campaign="GPMB-2022-2025", now=start, nominees=[
        {"kind": "collective", "full_name": "Ban Quản lý dự án huyện Cao Lộc",
         "award_form": "CO_THI_DUA_TINH",
         "attributes": {"on_schedule": True, "hectares_cleared": 12.5}}],
        documents=["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"])
    monday = datetime(2026, 10, 12, 9, 0, tzinfo=VN)
    with pytest.raises(InvalidTransition, match="chưa công khai"):
        issue(world, pid, monday)
    _, ends = publish(world, "CO_THI_DUA_TINH", monday, campaign="GPMB-2022-2025")
    assert ends.astimezone(VN).date() == date(2026, 10, 19)
    issue(world, pid, after(ends))
    assert state(world, pid) == "decided"


# --- publishing ----------------------------------------------------------------------------

def test_only_the_secretary_publishes_and_nobody_is_listed_twice(notice_world, make_proposal):
    world = notice_world
    make_proposal("at_council", campaign="TEST-NOTICE", nominees=[person("Nguyễn Văn A")])
    with world.db.session() as session, pytest.raises(PermissionDenied):
        notices.publish(session, world.user(session, "reviewer"),
                        world.proposal(session, 1).campaign_id, "BK_CT_UBND", MONDAY)
    publish(world, "BK_CT_UBND")
    with pytest.raises(InvalidInput, match="Không có cá nhân, tập thể nào cần công khai"):
        publish(world, "BK_CT_UBND")
    with pytest.raises(InvalidInput, match="không yêu cầu công khai"):
        publish(world, "LDTT")
    with world.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.stream == "notice:1"))
        assert [e.action for e in events] == ["publish"]
    audit_ok(world)


def test_current_notices_leave_out_the_ended_ones(notice_world, make_proposal):
    world = notice_world
    make_proposal("at_council", campaign="TEST-NOTICE", nominees=[person("Nguyễn Văn A")])
    notice_id, ends = publish(world, "BK_CT_UBND")
    with world.db.session() as session:
        assert [n.id for n in notices.current_notices(session, MONDAY)] == [notice_id]
        assert notices.current_notices(session, ends) == []
        assert notices.current_notices(session, MONDAY - timedelta(days=1)) == []


# --- objections ----------------------------------------------------------------------------

def test_an_open_objection_holds_the_vote_until_dismissed_with_a_reason(notice_world,
                                                                        make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE", nominees=[person("Nguyễn Văn A")])
    notice_id, ends = publish(world, "BK_CT_UBND")
    oid = object_to(world, notice_id, nominee_id(world, pid, "Nguyễn Văn A"), MONDAY)
    with pytest.raises(InvalidTransition, match="còn khiếu nại chưa giải quyết về: Nguyễn Văn A"):
        decide_all(world, pid, after(ends))
    with pytest.raises(InvalidInput, match="Cần ghi lý do"):
        resolve(world, oid, "dismiss", "  ", after(ends))
    with pytest.raises(PermissionDenied), world.db.session() as session:
        objections.resolve(session, oid, world.user(session, "reviewer"), "dismiss",
                           "Không có căn cứ", after(ends))
    resolve(world, oid, "dismiss", "Đã xác minh: không có quyết định kỷ luật", after(ends))
    with pytest.raises(InvalidTransition, match="đã được giải quyết"):
        resolve(world, oid, "uphold", "", after(ends))
    decide_all(world, pid, after(ends))
    assert state(world, pid) == "approved"
    with world.db.session() as session:
        objection = session.get(Objection, oid)
        assert objection.status == "dismissed"
        assert objection.resolution == "Đã xác minh: không có quyết định kỷ luật"
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.stream == f"notice:{notice_id}").order_by(AuditEvent.seq))
        assert list(actions) == ["publish", "file_objection", "dismiss_objection"]
    audit_ok(world)


def test_upholding_splits_the_nominee_off_and_the_others_go_on(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Nguyễn Văn A"), person("Lê Thị B")])
    notice_id, ends = publish(world, "BK_CT_UBND")
    objected = nominee_id(world, pid, "Nguyễn Văn A")
    oid = object_to(world, notice_id, objected, MONDAY + timedelta(days=1))
    object_to(world, notice_id, objected, MONDAY + timedelta(days=1, hours=1),
              ObjectionForm("Hoàng Thị E", "e@example.vn", "Thành tích báo cáo không đúng."))
    resolve(world, oid, "uphold", "Đơn vị đang xem xét kỷ luật", MONDAY + timedelta(days=2))
    with pytest.raises(InvalidTransition, match="đã được chấp nhận"):
        object_to(world, notice_id, objected, MONDAY + timedelta(days=2, hours=1))

    with world.db.session() as session:
        original = world.proposal(session, pid)
        assert [n.full_name for n in original.nominees] == ["Lê Thị B"]
        assert original.state == "at_council"
        new = session.scalar(select(Proposal).where(Proposal.split_from_id == pid))
        assert new.state == "submitted"
        assert new.title == "Hồ sơ thử (tách do khiếu nại)"
        assert new.reference == f"TEST-NOTICE/{new.id:05d}"
        assert (new.unit_id, new.campaign_id, new.ruleset_version_id) == (
            original.unit_id, original.campaign_id, original.ruleset_version_id)
        assert [(n.full_name, n.outcome) for n in new.nominees] == [("Nguyễn Văn A", "pending")]
        assert [d.doc_type for d in new.documents] == [d.doc_type for d in original.documents]
        assert session.scalar(select(Document.sha256).where(Document.proposal_id == new.id)) \
            == original.documents[0].sha256
        # The Board sees it in its queue, its review clock running.
        queue = tracking.board_queue(session, MONDAY + timedelta(days=2))
        row = next(r for r in queue if r.proposal.id == new.id)
        assert row.due is not None and row.due.kind == "review"
        # Both open objections on the nominee are answered: the one upheld, the other
        # settled by it (not upheld on its own merits).
        assert [o.status for o in session.scalars(select(Objection).order_by(Objection.id))
                ] == ["upheld", "settled"]
        chain = list(session.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == new.id).order_by(AuditEvent.seq)))
        assert [(e.action, e.from_state, e.to_state) for e in chain] == [
            ("split", None, "submitted")]
        assert replay(chain) == "submitted"
        last = session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                               .order_by(AuditEvent.seq.desc())).first()
        assert (last.action, last.from_state, last.to_state) == (
            "split_nominee", "at_council", "at_council")
    audit_ok(world)
    # The others go on: the vote is no longer held by the objected nominee.
    decide_all(world, pid, after(ends))
    assert state(world, pid) == "approved"
    audit_ok(world)


def test_upholding_the_only_nominee_sends_the_proposal_back(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE", nominees=[person("Nguyễn Văn A")])
    notice_id, _ = publish(world, "BK_CT_UBND")
    oid = object_to(world, notice_id, nominee_id(world, pid, "Nguyễn Văn A"), MONDAY)
    resolve(world, oid, "uphold", "", MONDAY + timedelta(hours=2))
    with world.db.session() as session:
        proposal = world.proposal(session, pid)
        assert proposal.state == "under_review"
        assert "được chấp nhận" in proposal.last_reason
        assert OBJECTION.text in proposal.last_reason  # no reason given: the objection's
        assert session.scalar(select(Proposal).where(Proposal.split_from_id == pid)) is None
    audit_ok(world)


def test_an_upheld_nominee_is_listed_again_when_it_comes_back(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Nguyễn Văn A"), person("Lê Thị B")])
    notice_id, _ = publish(world, "BK_CT_UBND")
    objected = nominee_id(world, pid, "Nguyễn Văn A")
    resolve(world, object_to(world, notice_id, objected, MONDAY), "uphold", "Sai thành tích",
            MONDAY + timedelta(hours=1))
    later = MONDAY + timedelta(days=7)
    with world.db.unit_of_work() as session:
        new_id = session.scalar(select(Proposal.id).where(Proposal.split_from_id == pid))
        act(session, new_id, "claim", world.user(session, "reviewer"), now=later)
        act(session, new_id, "forward", world.user(session, "reviewer"), now=later)
    with pytest.raises(InvalidTransition, match="chưa công khai"):
        decide_all(world, new_id, later)
    second, ends = publish(world, "BK_CT_UBND", later)
    assert entries(world, second) == ["Nguyễn Văn A"]
    decide_all(world, new_id, ends)
    assert state(world, new_id) == "approved"
    audit_ok(world)


def test_upholding_before_the_decision_splits_a_passed_nominee_off(notice_world,
                                                                   make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Phạm Văn C", "GIAY_KHEN"),
                                  person("Đỗ Thị D", "GIAY_KHEN")])
    decide_all(world, pid, MONDAY)
    notice_id, ends = publish(world, "GIAY_KHEN", MONDAY + timedelta(hours=1))
    assert entries(world, notice_id) == ["Phạm Văn C", "Đỗ Thị D"]
    oid = object_to(world, notice_id, nominee_id(world, pid, "Đỗ Thị D"), MONDAY + timedelta(1))
    with pytest.raises(InvalidTransition, match="khiếu nại chưa giải quyết về: Đỗ Thị D"):
        issue(world, pid, after(ends))
    resolve(world, oid, "uphold", "Thành tích không đúng thực tế", after(ends))
    issue(world, pid, after(ends))
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "decided"
        assert [n.full_name for n in world.proposal(session, pid).nominees] == ["Phạm Văn C"]
        moved = session.scalar(select(Nominee).where(Nominee.full_name == "Đỗ Thị D"))
        assert moved.proposal.state == "submitted" and moved.outcome == "pending"
    audit_ok(world)


def test_objections_only_while_the_notice_runs_and_well_formed(notice_world, make_proposal):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Nguyễn Văn A"), person("Lê Thị B", "LDTT")])
    notice_id, ends = publish(world, "BK_CT_UBND")
    listed = nominee_id(world, pid, "Nguyễn Văn A")
    with pytest.raises(InvalidTransition, match="đã kết thúc ngày 24/11/2022"):
        object_to(world, notice_id, listed, ends)
    with pytest.raises(InvalidInput, match="có tên trong danh sách"):
        object_to(world, notice_id, nominee_id(world, pid, "Lê Thị B"), MONDAY)
    with pytest.raises(InvalidInput) as caught:
        object_to(world, notice_id, listed, MONDAY, ObjectionForm(" A ", "", "ngắn"))
    assert caught.value.details["errors"] == [
        "Họ và tên: cần từ 2 đến 255 ký tự", "Địa chỉ liên hệ: cần từ 5 đến 255 ký tự",
        "Nội dung ý kiến: cần từ 10 đến 5000 ký tự"]
    oid = object_to(world, notice_id, listed, MONDAY, ObjectionForm(
        "Trần Văn Dân", "dan@example.vn", "<b>Không</b>\x00 đúng\r\nthành tích"))
    with world.db.session() as session:
        assert session.get(Objection, oid).text == "<b>Không</b> đúng\nthành tích"
