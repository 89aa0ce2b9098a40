"""The sweep applies each due escalation step once: reminders, escalations (with
reassignment), automatic withdrawal; failures are retried, a killed sweep is finished
by the next one, and downtime is caught up in due order. Time is always injected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEvent, DeadlineStep, Notification, OutboxMail, Proposal, User
from tests.conftest import PG_URL
from tests.workflow.conftest import (
    CLAIM,
    LADDER_RULES,
    RETURN,
    SUBMIT,
    close_of,
    fire,
    inbox,
    totals,
    vn,
)
from workflow.actors import SYSTEM
from workflow.audit.chain import verify
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.errors import PermissionDenied
from workflow.escalation import sweep as sweep_module
from workflow.escalation.sweep import sweep
from workflow.machine import TRIGGERS
from workflow.proposals.service import act

ROOT = Path(__file__).resolve().parents[3]
# TEST-LADDER, submitted Fri 26/01/2024 10:00 and claimed: due Fri 16/02/2024 17:00.
SUBMITTED = vn(2024, 1, 26, 10)
REMIND, DUE, LATE = close_of(2024, 2, 7), close_of(2024, 2, 16), close_of(2024, 2, 23)
MINUTE = timedelta(minutes=1)


def step_events(session, pid):
    return [(e.action, e.occurred_at) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.proposal_id == pid,
                                 AuditEvent.action.in_(["remind", "escalate"]))
        .order_by(AuditEvent.id))]


def test_time_travel_through_a_review(ladder, drive):
    pid = drive(CLAIM, SUBMITTED)
    db = ladder.db
    assert sweep(db, REMIND - MINUTE).outcomes == []
    assert [o.action for o in sweep(db, REMIND).applied] == ["remind"]  # T-2
    with db.session() as s:
        [note] = inbox(s, ladder, "reviewer", "remind")
        assert note.subject == f"Nhắc hạn thẩm định: hồ sơ TEST-LADDER/{pid:05d}"
        assert "17:00 16/02/2024" in note.body
        assert inbox(s, ladder, "boardhead") == inbox(s, ladder, "secretary") == []
    assert sweep(db, DUE - MINUTE).outcomes == []
    assert [o.action for o in sweep(db, DUE).applied] == ["escalate"]  # T
    with db.session() as s:
        [note] = inbox(s, ladder, "boardhead", "escalate")
        assert "đã được chuyển cho Lăng Văn Quân" in note.body
        assert s.get(Proposal, pid).assignee_id == ladder.user_ids["boardhead"]
        assert inbox(s, ladder, "secretary") == []
    assert [o.action for o in sweep(db, LATE).applied] == ["escalate"]  # T+5
    with db.session() as s:
        assert len(inbox(s, ladder, "secretary", "escalate")) == 1
        before = totals(s)
    for n in range(10):
        assert sweep(db, LATE + timedelta(days=n)).outcomes == []
    with db.session() as s:
        assert totals(s) == before
        assert step_events(s, pid) == [("remind", REMIND), ("escalate", DUE),
                                       ("escalate", LATE)]
        assert len(inbox(s, ladder, "reviewer", "remind")) == 1
        assert verify(s).ok


def test_escalation_without_reassign_leaves_the_assignee(ladder, drive):
    pid = drive(CLAIM, SUBMITTED)
    sweep(ladder.db, LATE)
    with ladder.db.session() as s:
        escalations = s.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == pid, AuditEvent.action == "escalate")
            .order_by(AuditEvent.id)).all()
        assert escalations[0].payload["assignee_id"] == ladder.user_ids["boardhead"]
        assert "assignee_id" not in escalations[1].payload  # the secretary: no reassignment


def test_an_unclaimed_proposal_reminds_the_board_head(ladder, drive):
    drive(SUBMIT, SUBMITTED)
    sweep(ladder.db, REMIND)
    with ladder.db.session() as s:
        assert len(inbox(s, ladder, "boardhead", "remind")) == 1
        assert inbox(s, ladder, "reviewer") == []


def test_steps_of_a_closed_deadline_never_run(ladder, drive):
    pid = drive(CLAIM, SUBMITTED)
    fire(ladder, pid, "reviewer", "forward", vn(2024, 2, 1))
    report = sweep(ladder.db, LATE)
    with ladder.db.session() as s:
        assert step_events(s, pid) == []
        assert report.applied == []  # the council's reminder is due later (15 days)


def test_a_late_resubmission_is_withdrawn_by_the_system(ladder, drive):
    pid = drive(RETURN, vn(2024, 4, 25))  # resubmission due Mon 06/05/2024 17:00
    sweep(ladder.db, close_of(2024, 5, 6) - MINUTE)
    with ladder.db.session() as s:
        assert s.get(Proposal, pid).state == "returned"
    [done] = sweep(ladder.db, close_of(2024, 5, 6)).applied
    assert done.action == "auto_withdraw"
    with ladder.db.session() as s:
        assert s.get(Proposal, pid).state == "withdrawn"
        event = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                          .order_by(AuditEvent.seq.desc())).first()
        assert (event.action, event.actor_id, event.actor_name) == (
            "withdraw", None, SYSTEM.name)
        assert "06/05/2024" in event.reason
        [note] = inbox(s, ladder, "unit1", "withdrawn")
        assert note.subject == f"Hồ sơ TEST-LADDER/{pid:05d} đã bị rút tự động"
        assert inbox(s, ladder, "unit2") == []
        assert verify(s).ok


def test_the_window_closing_withdraws_a_returned_proposal(ladder, drive):
    rules = LADDER_RULES.replace("closes: 2030-12-31}", "closes: 2024-04-29}")
    with ladder.db.unit_of_work() as s:
        load_ruleset_text(s, rules, "closing.yaml")
    pid = drive(RETURN, vn(2024, 4, 25))  # 5 working days would be 06/05; the window
    sweep(ladder.db, vn(2024, 4, 29, 23, 59))  # closes at midnight after Mon 29/04
    with ladder.db.session() as s:
        assert s.get(Proposal, pid).state == "returned"
    sweep(ladder.db, vn(2024, 4, 30, 0, 0))
    with ladder.db.session() as s:
        assert s.get(Proposal, pid).state == "withdrawn"


def test_the_system_may_fire_only_the_automatic_actions(make_proposal, world):
    for spec in TRIGGERS:
        pid = make_proposal(spec.sources[0])
        with world.db.unit_of_work() as s:
            if spec.automatic:
                act(s, pid, spec.name, SYSTEM)
                continue
            with pytest.raises(PermissionDenied):
                act(s, pid, spec.name, SYSTEM)
    assert [s.name for s in TRIGGERS if s.automatic] == ["withdraw"]


def test_a_failing_step_is_retried_next_time_without_stopping_the_others(
        ladder, drive, monkeypatch):
    first, second = drive(CLAIM, SUBMITTED), drive(CLAIM, SUBMITTED)
    real = sweep_module.ACTIONS["remind"]

    def broken(session, proposal, step, deadline, now, known):
        if proposal.id == first:
            raise RuntimeError("máy chủ thư nội bộ không phản hồi")
        return real(session, proposal, step, deadline, now, known)

    monkeypatch.setitem(sweep_module.ACTIONS, "remind", broken)
    report = sweep(ladder.db, REMIND)
    assert [(o.proposal_id, o.result) for o in report.outcomes] == [
        (first, "failed"), (second, "applied")]
    with ladder.db.session() as s:
        row = s.scalars(select(DeadlineStep).where(DeadlineStep.proposal_id == first,
                                                   DeadlineStep.action == "remind")).one()
        assert (row.status, row.attempts) == ("pending", 1)
        assert "không phản hồi" in row.last_error
        assert step_events(s, first) == []  # rolled back whole
    monkeypatch.setitem(sweep_module.ACTIONS, "remind", real)
    assert [o.proposal_id for o in sweep(ladder.db, REMIND + MINUTE).applied] == [first]
    assert sweep(ladder.db, REMIND + MINUTE).outcomes == []


def test_downtime_is_caught_up_once_in_due_order(ladder, drive):
    """Sweeping every hour, then off for three days: the first sweep back applies every
    step that fell due meanwhile, once, oldest first."""
    # Submitted Mon 04/03 … Fri 08/03/2024: due 18 … 22/03, reminders 14, 15, 18, 19, 20/03.
    pids = [drive(CLAIM, vn(2024, 3, 4 + d)) for d in range(5)]
    db, now, back_at = ladder.db, vn(2024, 3, 14, 0), vn(2024, 3, 21, 0)
    while now < vn(2024, 3, 18, 0):  # hourly until Mon 18/03 00:00, then nothing
        sweep(db, now)
        now += timedelta(hours=1)
    with db.session() as s:
        last_seen = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        missed = s.scalars(select(DeadlineStep).where(
            DeadlineStep.status == "pending", DeadlineStep.due_at <= back_at)
            .order_by(DeadlineStep.due_at, DeadlineStep.id)).all()
        expected = [(m.proposal_id, m.action, m.due_at) for m in missed]
    p1, p2, p3, p4, p5 = pids
    assert [(p, a) for p, a, _ in expected] == [
        (p1, "escalate"), (p3, "remind"), (p2, "escalate"), (p4, "remind"),
        (p3, "escalate"), (p5, "remind")]
    back = sweep(db, back_at)
    assert [(o.proposal_id, o.action, o.due_at) for o in back.applied] == expected
    assert sweep(db, back_at).outcomes == []
    with db.session() as s:
        caught = s.scalars(select(AuditEvent).where(
            AuditEvent.id > last_seen, AuditEvent.action.in_(["remind", "escalate"]))
            .order_by(AuditEvent.id)).all()
        assert [(e.proposal_id, e.action, e.payload["step_due_at"]) for e in caught] == [
            (p, a, d.isoformat()) for p, a, d in expected]
        assert {e.occurred_at for e in caught} == {back_at}


@pytest.mark.parametrize(("batch", "committed"), [(1, 3), (2, 2)])
def test_a_sweep_killed_mid_step_is_finished_once_by_the_next(ladder, drive, db_url, batch,
                                                               committed):
    """Killed inside the 4th step's transaction: the batches before it stay applied (3
    steps a transaction at a time, 2 by twos), the killed one is rolled back whole."""
    pids = [drive(CLAIM, SUBMITTED) for _ in range(5)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.workflow.escalation.sweeper_process", db_url,
         LATE.isoformat(), "--pause-after", "4", "--batch", str(batch)], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("paused"), line
        child.send_signal(signal.SIGKILL)  # inside the 4th step's transaction
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with ladder.db.session() as s:
        assert len(s.scalars(select(DeadlineStep).where(DeadlineStep.status == "done")).all()
                   ) == committed
        assert len(s.scalars(select(AuditEvent).where(AuditEvent.action == "remind")).all()
                   ) == committed
    report = sweep(ladder.db, LATE)
    assert len(report.applied) == 15 - committed
    with ladder.db.session() as s:
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["remind", "escalate"]))).all()
        step_ids = [e.payload["step_id"] for e in events]
        assert len(step_ids) == len(set(step_ids)) == 15
        assert {e.proposal_id for e in events} == set(pids)
        assert verify(s).ok


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_proposal_someone_holds_is_left_for_the_next_sweep(ladder, drive):
    """A user's transaction holds one proposal: the sweep neither waits for it nor stops;
    it applies the others, reports that one busy, and the next sweep applies it."""
    held, free = drive(CLAIM, SUBMITTED), drive(CLAIM, SUBMITTED)
    with ladder.db.unit_of_work() as s:
        s.execute(select(Proposal.id).where(Proposal.id == held).with_for_update())
        report = sweep(ladder.db, REMIND)
    assert [(o.proposal_id, o.result) for o in report.outcomes] == [
        (free, "applied"), (held, "busy")]
    assert [(o.proposal_id, o.result) for o in sweep(ladder.db, REMIND).outcomes] == [
        (held, "applied")]
    with ladder.db.session() as s:
        assert len(inbox(s, ladder, "reviewer", "remind")) == 2


def test_a_batch_with_a_withdrawal_among_reminders_keeps_due_order(ladder, drive):
    """One transaction applies an escalation (written in bulk) and an automatic withdrawal
    (through the service): the events still follow the rungs' due order."""
    reviewing = drive(CLAIM, SUBMITTED)  # three rungs, due 07/02, 16/02 and 23/02/2024
    returned = drive(RETURN, vn(2024, 4, 25))  # withdrawn when 06/05/2024 17:00 passes
    report = sweep(ladder.db, close_of(2024, 5, 6))
    expected = [(reviewing, "remind"), (reviewing, "escalate"), (reviewing, "escalate"),
                (returned, "auto_withdraw")]
    assert [(o.proposal_id, o.action) for o in report.applied] == expected
    with ladder.db.session() as s:
        assert s.get(Proposal, returned).state == "withdrawn"
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["remind", "escalate", "withdraw"]))
            .order_by(AuditEvent.id)).all()
        assert [(e.proposal_id, e.action) for e in events] == [
            *expected[:3], (returned, "withdraw")]
        assert verify(s).ok


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_later_rung_waits_while_another_transaction_holds_the_first(ladder, drive):
    """Another transaction holds a proposal's first due rung (not the proposal): the sweep
    must not apply the later rungs before it."""
    pid = drive(CLAIM, SUBMITTED)
    with ladder.db.unit_of_work() as s:
        s.execute(select(DeadlineStep.id).where(DeadlineStep.proposal_id == pid)
                  .order_by(DeadlineStep.due_at, DeadlineStep.id).limit(1).with_for_update())
        report = sweep(ladder.db, LATE)
    assert report.applied == []
    assert report.count("busy") == 3
    assert [o.action for o in sweep(ladder.db, LATE).applied] == [
        "remind", "escalate", "escalate"]


def test_each_step_done_in_a_batch_points_at_its_own_event_inbox_rows_and_mails(
        ladder, drive):
    pids = [drive(CLAIM, SUBMITTED) for _ in range(3)]
    sweep(ladder.db, LATE)  # each: a reminder, an escalation that reassigns, one that does not
    with ladder.db.session() as s:
        steps = s.scalars(select(DeadlineStep).where(DeadlineStep.status == "done")).all()
        assert sorted(step.proposal_id for step in steps) == sorted(pids * 3)
        for step in steps:
            event = s.get(AuditEvent, step.audit_event_id)
            assert (event.payload["step_id"], event.proposal_id, event.action) == (
                step.id, step.proposal_id, step.action)
            assert (step.attempts, step.applied_at) == (1, LATE)
            notes = s.scalars(select(Notification).where(
                Notification.audit_event_id == event.id)).all()
            assert sorted(n.user_id for n in notes) == sorted(
                r["user_id"] for r in event.payload["recipients"])
            assert {(n.kind, n.proposal_id) for n in notes} == {(step.action, step.proposal_id)}
            for note in notes:
                [mail] = s.scalars(select(OutboxMail).where(
                    OutboxMail.notification_id == note.id)).all()
                assert (mail.to_address, mail.subject, mail.proposal_id) == (
                    s.get(User, note.user_id).email, note.subject, note.proposal_id)
        for pid in pids:
            proposal = s.get(Proposal, pid)
            assert proposal.assignee_id == ladder.user_ids["boardhead"]
            last = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                             .order_by(AuditEvent.seq.desc())).first()
            assert (proposal.audit_seq, proposal.audit_head) == (last.seq, last.hash)
        assert verify(s).ok
