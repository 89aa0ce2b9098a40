"""Numbered decisions: numbering per issuing body and year (gap-free, never duplicated,
also with two secretaries at once on PostgreSQL), immutability, corrections, the audit
trail, and the achievement history they record."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from models import (
    AuditEvent,
    Decision,
    DecisionCounter,
    DecisionEntry,
    Notification,
    Proposal,
    Role,
    Unit,
)
from tests.conftest import VN
from tests.support.decisions import LATER, SIGNER, decided_day, issue, issue_for, person
from tests.support.races import ON_POSTGRES, race
from workflow.accounts.credentials import ensure_user
from workflow.actors import Actor
from workflow.audit.chain import verify
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.decisions import issuing as decisions
from workflow.errors import InvalidInput, InvalidTransition, PermissionDenied
from workflow.history import achievements as history

CDS_DOCS = ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"]


def count(world: Any, model: Any) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- numbering --------------------------------------------------------------------------

def test_numbers_run_one_by_one_per_issuing_body_and_year(make_proposal, world):
    pids = [make_proposal("approved") for _ in range(4)]
    numbers = [issue(world, pid)[1] for pid in pids[:3]]
    assert numbers == ["1/QĐ-UBND", "2/QĐ-UBND", "3/QĐ-UBND"]
    # A new year starts again at 1: the number repeats, the (body, year, seq) does not.
    _, next_year = issue(world, pids[3], signed_on=date(2023, 1, 3),
                         now=datetime(2023, 1, 5, 9, tzinfo=VN))
    assert next_year == "1/QĐ-UBND"
    with world.db.session() as s:
        counters = {(c.issuing_body, c.year): c.last_seq for c in s.scalars(
            select(DecisionCounter))}
    assert counters == {("UBND", 2022): 3, ("UBND", 2023): 1}


FORMATTED_RULES = """
campaign: TEST-SNV
title: Phong trào thử số quyết định của Sở Nội vụ
legal_basis: [Quyết định số 1/QĐ-SNV ngày 02/01/2022 (thử nghiệm)]
kind: regular
period: {starts: 2020-01-01, ends: 2030-12-31}
award_year: 2022
submission: {opens: 2020-01-01, closes: 2030-12-31}
review_sla_working_days: 10
council_sla_working_days: 15
resubmission_working_days: 5
decision: {issuing_body: SNV, number_format: "{seq}/{year}/QĐ-{body}", signer_title: GIÁM ĐỐC}
awards:
  - form: GIAY_KHEN
    nominee: [individual, collective]
    council: {threshold: 0.5}
"""


def test_the_number_follows_the_campaigns_format_and_its_own_sequence(make_proposal, world):
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, FORMATTED_RULES)
    snv = make_proposal("approved", campaign="TEST-SNV", documents=[],
                        nominees=[person("Lò Văn Sở", "GIAY_KHEN")])
    ubnd = make_proposal("approved")
    assert issue(world, snv)[1] == "1/2022/QĐ-SNV"
    assert issue(world, ubnd)[1] == "1/QĐ-UBND"  # another issuing body, another sequence


def test_a_failed_issue_gives_its_number_back(make_proposal, world):
    first, second = make_proposal("approved"), make_proposal("approved")
    with pytest.raises(RuntimeError), world.db.unit_of_work() as s:
        taken = issue_for(s, world.proposal(s, first), world.user(s, "secretary"), now=LATER)
        assert taken.number == "1/QĐ-UBND"
        raise RuntimeError("the printer caught fire after numbering")
    assert count(world, Decision) == 0
    assert issue(world, second)[1] == "1/QĐ-UBND"
    assert issue(world, first)[1] == "2/QĐ-UBND"


# --- who, what, and what it does ----------------------------------------------------------

@pytest.mark.parametrize("who", ["unit1", "reviewer", "boardhead", "member1", "admin"])
def test_only_the_council_secretary_issues(make_proposal, world, who):
    pid = make_proposal("approved")
    with pytest.raises(PermissionDenied, match="Thư ký Hội đồng"):
        issue(world, pid, who=who)
    assert count(world, Decision) == count(world, DecisionCounter) == 0


def test_a_decision_lists_the_passed_nominees_as_they_were_and_decides_the_proposals(
        make_proposal, world):
    one = make_proposal("approved", campaign="CDS-2022", documents=CDS_DOCS, nominees=[
        person("Nguyễn Văn An", position="Trưởng phòng", work_unit="Phòng CĐS",
               achievement_summary="Số hoá 100% hồ sơ", attributes={"digital_outcome": True}),
        person("Lê Thị Giấy", "GIAY_KHEN")])
    two = make_proposal("approved", campaign="CDS-2022", clerk="unit2", documents=CDS_DOCS,
                        nominees=[{"kind": "collective", "full_name": "UBND xã Hợp Thành",
                                   "award_form": "BK_CT_UBND",
                                   "attributes": {"digital_outcome": True}}])
    did, number = issue(world, one, two, award_form="BK_CT_UBND")
    with world.db.session() as s:
        d = s.get(Decision, did)
        assert d.title.startswith("Về việc tặng Bằng khen của Chủ tịch UBND tỉnh cho các tập "
                                  "thể, cá nhân có thành tích trong phong trào thi đua")
        assert d.legal_bases[0] == ("Chỉ thị số 04/CT-UBND ngày 27/4/2022 của Chủ tịch UBND "
                                    "tỉnh Lạng Sơn")
        assert (d.signer_name, d.signer_title) == (SIGNER, "CHỦ TỊCH")
        assert [(e.position, e.full_name, e.position_title, e.work_unit, e.unit_name,
                 e.achievement_summary) for e in d.entries] == [
            (1, "Nguyễn Văn An", "Trưởng phòng", "Phòng CĐS", "Sở Thông tin và Truyền thông",
             "Số hoá 100% hồ sơ"),
            (2, "UBND xã Hợp Thành", None, None, "UBND huyện Cao Lộc", None)]
        # Lê Thị Giấy (Giấy khen) awaits a decision of her own: her proposal stays approved.
        assert world.proposal(s, one).state == "approved"
        decided = world.proposal(s, two)
        assert (decided.state, decided.decision_number) == ("decided", number)
        assert verify(s).ok
    _, giay_khen = issue(world, one, award_form="GIAY_KHEN")
    with world.db.session() as s:
        assert (world.proposal(s, one).state, world.proposal(s, one).decision_number) == (
            "decided", giay_khen)


def test_each_decision_has_its_own_audit_chain(make_proposal, world):
    did, number = issue(world, make_proposal("approved"))
    with world.db.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.stream == f"decision:{did}")
                           ).all()
        assert [(e.action, e.payload["number"]) for e in events] == [("issue", number)]
        assert verify(s).ok


def test_nobody_is_decided_twice(make_proposal, world):
    pid = make_proposal("approved")
    issue(world, pid)
    with pytest.raises(InvalidTransition, match="đã có quyết định"):
        issue(world, pid)
    rejected = make_proposal("rejected")
    with pytest.raises(InvalidTransition):
        issue(world, rejected)
    assert count(world, Decision) == 1


def test_an_issued_decision_cannot_be_changed_or_deleted(make_proposal, world):
    did, _ = issue(world, make_proposal("approved"))
    with pytest.raises(ValueError, match="correcting decision"), \
            world.db.unit_of_work() as s:
        s.get(Decision, did).title = "Về việc khác"
    with pytest.raises(ValueError, match="correcting decision"), \
            world.db.unit_of_work() as s:
        s.delete(s.get(Decision, did).entries[0])
    with world.db.session() as s:
        assert s.get(Decision, did).title.startswith("Về việc tặng")
        assert len(s.get(Decision, did).entries) == 1


def test_each_proposal_of_a_decision_is_decided_logged_and_told_to_its_own_unit(
        make_proposal, world):
    """Every proposal gets its own audit event; each unit's clerks get one message for all
    the unit's proposals the decision decided (two here), or the usual one for a single."""
    pids = [make_proposal("approved", clerk=clerk, nominees=[person(f"Đỗ Văn {i}")])
            for i, clerk in enumerate(["unit1", "unit2", "unit1"])]
    with world.db.session() as s:
        versions = {pid: world.proposal(s, pid).version for pid in pids}
    with world.db.unit_of_work() as s:
        first = world.proposal(s, pids[0])
        d = decisions.issue(s, world.user(s, "secretary"), {
            "campaign_id": first.campaign_id, "proposal_ids": pids,
            "signed_on": decided_day(first), "signer_name": SIGNER}, now=LATER)
        did, number = d.id, d.number
        # What the session holds is what was written: a later change in the same unit of
        # work passes the version check.
        first.updated_at = LATER + timedelta(minutes=1)
        s.flush()
    with world.db.session() as s:
        for pid in pids:
            p = world.proposal(s, pid)
            assert (p.state, p.decision_number) == ("decided", number)
            assert p.version == versions[pid] + (2 if pid == pids[0] else 1)
            last = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                             .order_by(AuditEvent.seq.desc())).first()
            assert (last.action, last.from_state, last.to_state) == (
                "issue_decision", "approved", "decided")
            assert (last.payload["decision_id"], last.payload["decision_number"]) == (
                did, number)
        assert verify(s).ok

        def told(clerk: str) -> list[Notification]:
            return list(s.scalars(select(Notification).where(
                Notification.user_id == world.user(s, clerk).id,
                Notification.kind.in_(["decision_issued", "decisions_issued"]))))

        [digest] = told("unit1")
        assert digest.kind == "decisions_issued" and digest.proposal_id is None
        refs = [world.proposal(s, pid).reference for pid in (pids[0], pids[2])]
        assert f"Quyết định số {number}" in digest.body and "cho 2 hồ sơ" in digest.body
        assert all(ref in digest.body for ref in refs)
        [single] = told("unit2")
        assert (single.kind, single.proposal_id) == ("decision_issued", pids[1])
        assert number in single.body


def test_one_person_filed_twice_is_refused_by_name_and_nothing_is_issued(
        make_proposal, world):
    pids = [make_proposal("approved", nominees=[person("Đỗ Văn Trùng")]) for _ in range(2)]
    with pytest.raises(InvalidInput, match="Đỗ Văn Trùng có tên hai lần với cùng hình thức"):
        issue(world, *pids)
    assert count(world, Decision) == 0
    with world.db.session() as s:
        assert {world.proposal(s, pid).state for pid in pids} == {"approved"}


def test_issuing_over_many_proposals_reads_no_more_than_over_one(make_proposal, world):
    """No query per proposal or nominee: lock, coverage, entries, history, and moving the
    proposals to decided (checks, clocks, audit events, notifications) read the same
    whatever the list's length, and the unit's clerks get one message for them all; the
    proposals are updated in one executemany. Only on SQLite (no ordered multi-row
    INSERT … RETURNING) does each proposal's audit event take a statement of its own."""
    pids = [make_proposal("approved", nominees=[person(f"Lê Văn Một {i}"),
                                                 person(f"Lê Thị Hai {i}")])
            for i in range(4)]

    def statements(ids: list[int]) -> list[str]:
        seen: list[str] = []

        def listener(*args: Any) -> None:
            seen.append(args[2])

        with world.db.unit_of_work() as s:
            first = world.proposal(s, ids[0])
            data = {"campaign_id": first.campaign_id, "proposal_ids": ids,
                    "signed_on": decided_day(first), "signer_name": SIGNER}
            secretary = world.user(s, "secretary")
            event.listen(world.db.engine, "before_cursor_execute", listener)
            try:
                d = decisions.issue(s, secretary, data, now=LATER)
            finally:
                event.remove(world.db.engine, "before_cursor_execute", listener)
            assert {e.proposal_id for e in d.entries} == set(ids)
            assert {world.proposal(s, pid).state for pid in ids} == {"decided"}
        return seen

    one, three = statements(pids[:1]), statements(pids[1:])

    def reads(seen: list[str]) -> list[str]:
        return [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]

    assert len(reads(three)) == len(reads(one))
    per_row = 0 if world.db.engine.dialect.name == "postgresql" else 1
    assert len(three) - len(one) == 2 * per_row


# --- corrections ------------------------------------------------------------------------

def test_a_correction_is_a_new_numbered_decision_naming_the_old_one(make_proposal, world):
    pid = make_proposal("approved", nominees=[
        person("Nguyễn Văn Sai", position="Chuyên vien"), person("Trần Thị Thừa")])
    did, number = issue(world, pid)
    with world.db.session() as s:
        wrong, extra = s.get(Decision, did).entries
        wrong_id, extra_id = wrong.id, extra.id
    fix = {"signed_on": date(2022, 11, 25), "signer_name": SIGNER, "entries": [
        {"entry_id": wrong_id, "full_name": "Nguyễn Văn Sài", "position_title": "Chuyên viên"},
        {"entry_id": extra_id, "drop": True}]}
    with world.db.unit_of_work() as s, pytest.raises(InvalidInput, match="lý do"):
        decisions.correct(s, world.user(s, "secretary"), did, fix, now=LATER)
    with world.db.unit_of_work() as s, pytest.raises(PermissionDenied):
        decisions.correct(s, world.user(s, "reviewer"), did,
                          {**fix, "reason": "Sai chính tả"}, now=LATER)
    with world.db.unit_of_work() as s:
        new = decisions.correct(s, world.user(s, "secretary"), did,
                                {**fix, "reason": "Sai chính tả họ tên"}, now=LATER)
        new_id = new.id
    with world.db.session() as s:
        new, old = s.get(Decision, new_id), s.get(Decision, did)
        assert (new.number, new.corrects_id, new.correction_reason) == (
            "2/QĐ-UBND", did, "Sai chính tả họ tên")
        assert new.title == f"Về việc đính chính Quyết định số {number} ngày 19/11/2022"
        assert [(e.full_name, e.position_title) for e in new.entries] == [
            ("Nguyễn Văn Sài", "Chuyên viên")]
        assert [e.full_name for e in old.entries] == ["Nguyễn Văn Sai", "Trần Thị Thừa"]
        # History follows the correction: the dropped entry and the old spelling are gone.
        kept = s.scalars(select(DecisionEntry).where(DecisionEntry.decision_id == new_id)).one()
        nominee = s.get(Proposal, pid).nominees[1]
        assert history.history_of(s, history.nominee_key(nominee)) == []
        lines = history.history_of(s, history.subject_key(
            "individual", "nguyễn  văn SÀI", s.get(Proposal, pid).unit_id, None))
        assert [(ln.decision_number, ln.full_name) for ln in lines] == [
            ("2/QĐ-UBND", kept.full_name)]
        # The nominee filed as "Nguyễn Văn Sai" still sees the title on their own page.
        renamed = s.get(Proposal, pid).nominees[0]
        assert [(ln.decision_number, ln.full_name) for ln in history.history_of(
            s, history.nominee_key(renamed), renamed.id)] == [("2/QĐ-UBND", "Nguyễn Văn Sài")]
        assert verify(s).ok
    with world.db.unit_of_work() as s, pytest.raises(InvalidInput, match="đã được đính chính"):
        decisions.correct(s, world.user(s, "secretary"), did,
                          {**fix, "reason": "Lần nữa"}, now=LATER)


def test_a_correction_keeps_someone_on_the_list(make_proposal, world):
    did, _ = issue(world, make_proposal("approved"))
    with world.db.session() as s:
        only = s.get(Decision, did).entries[0].id
    with world.db.unit_of_work() as s, pytest.raises(InvalidInput, match="ít nhất một"):
        decisions.correct(s, world.user(s, "secretary"), did, {
            "reason": "Rút tên", "signed_on": date(2022, 11, 25), "signer_name": SIGNER,
            "entries": [{"entry_id": only, "drop": True}]}, now=LATER)


# --- PostgreSQL: two secretaries at the same moment ----------------------------------------

def second_secretary(world: Any) -> Actor:
    with world.db.unit_of_work() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "SNV"))
        user = ensure_user(s, "secretary2", "Phạm Thị Hai (Thư ký Hội đồng TĐKT)",
                           [Role.COUNCIL_SECRETARY], unit, "tdkt-demo",
                           password_hash="x")
        return Actor.of(user)


def issuing(world: Any, pid: int, who: Actor, fail: bool = False) -> Any:
    def action(s: Any) -> str:
        p = world.proposal(s, pid)
        d = issue_for(s, p, who, now=LATER)
        if fail:
            raise RuntimeError(f"failed after taking {d.number}")
        return d.number

    return action


@ON_POSTGRES
@pytest.mark.parametrize("round_", range(3))
def test_postgres_two_secretaries_at_once_get_consecutive_distinct_numbers(
        make_proposal, world, round_):
    pids = [make_proposal("approved") for _ in range(2)]
    with world.db.session() as s:
        one = Actor.of(world.user(s, "secretary"))
    two = second_secretary(world)
    results = race(world.db, issuing(world, pids[0], one), issuing(world, pids[1], two))
    assert sorted(results) == ["1/QĐ-UBND", "2/QĐ-UBND"], results
    assert issue(world, make_proposal("approved"))[1] == "3/QĐ-UBND"


@ON_POSTGRES
def test_postgres_failed_issues_at_the_same_moment_leave_no_gap(make_proposal, world):
    pids = [make_proposal("approved") for _ in range(4)]
    with world.db.session() as s:
        one = Actor.of(world.user(s, "secretary"))
    two = second_secretary(world)
    results = race(world.db, issuing(world, pids[0], one, fail=True),
                   issuing(world, pids[1], two), issuing(world, pids[2], one),
                   issuing(world, pids[3], two, fail=True))
    assert isinstance(results[0], RuntimeError) and isinstance(results[3], RuntimeError)
    assert sorted(results[1:3]) == ["1/QĐ-UBND", "2/QĐ-UBND"], results
    assert issue(world, pids[0])[1] == "3/QĐ-UBND"
    with world.db.session() as s:
        assert sorted(s.scalars(select(Decision.seq))) == [1, 2, 3]
        assert verify(s).ok


@ON_POSTGRES
def test_postgres_two_secretaries_on_the_same_proposal_one_decision(make_proposal, world):
    pid = make_proposal("approved")
    with world.db.session() as s:
        one = Actor.of(world.user(s, "secretary"))
    two = second_secretary(world)
    results = race(world.db, issuing(world, pid, one), issuing(world, pid, two))
    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "str"], results
    assert "1/QĐ-UBND" in results
    assert count(world, DecisionEntry) == 1
