"""Deadlines as rows: opened and closed by transitions, due in working days as a person
counts them, shown as days left or overdue, moved only when an admin recomputes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import AuditEvent, Deadline, DeadlineStep
from tests.conftest import PG_URL
from tests.workflow.conftest import CLAIM, LADDER_RULES, RETURN, SUBMIT, close_of, fire, vn
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.deadlines import tracking
from workflow.deadlines.tracking import board_queue, due_info, upcoming_steps
from workflow.escalation.recompute import recompute
from workflow.labels import text_in


def deadlines_of(session, pid):
    return list(session.scalars(select(Deadline).where(Deadline.proposal_id == pid)
                                .order_by(Deadline.id)))


def step_times(session, deadline):
    return {s.action + str(s.offset_days): s.due_at for s in session.scalars(
        select(DeadlineStep).where(DeadlineStep.deadline_id == deadline.id))}


# Counted by hand on a wall calendar (17:00 in Hà Nội is 10:00 UTC):
#
# Tết 2024 (Thu 08/02 – Wed 14/02 off). Submitted Fri 26/01/2024, 10 working days:
#   29, 30, 31/1, 1, 2, 5, 6, 7/2 (8), Tết, 15 (9), Fri 16/02 (10).
#   Reminder 2 working days before: Thu 15 (1), back over Tết to Wed 07/02 (2).
#   Escalation 5 working days after: 19, 20, 21, 22, Fri 23/02.
#
# Labour day 2024: Mon 29/04 is a day off swapped for the make-up Saturday 04/05, with
# 30/04 and 01/05 off. Submitted Thu 25/04/2024, 10 working days:
#   Fri 26 (1), Thu 2/5 (2), Fri 3 (3), Sat 4 make-up (4), 6, 7, 8, 9, 10 (9), Mon 13/05.
#   Returned Thu 25/04, 5 days to resubmit: 26, 2/5, 3, Sat 4, Mon 06/05.
#
# Tết 2025 (Mon 27/01 – Sat 01/02) plus the province's own day off Fri 24/01/2025.
# Submitted Wed 22/01/2025, 10 working days:
#   Thu 23 (1), [24 province], Tết, Mon 3/2 (2), 4, 5, 6, 7 (6), 10, 11, 12, Thu 13/02 (10).
#   Reminder: Wed 12 (1), Tue 11/02 (2). Escalation: 14, 17, 18, 19, Thu 20/02.
#   (With national holidays only, Fri 24/01 counts and the limit ends on Wed 12/02.)
#
# The province's make-up Saturday 08/02/2025. Submitted Wed 05/02/2025, 10 working days:
#   6, 7, Sat 8 (3), 10, 11, 12, 13, 14 (8), 17, Tue 18/02 (10).
#   Reminder: Mon 17 (1), Fri 14/02 (2). Escalation: 19, 20, 21, 24, Tue 25/02.
DAY_OFF = {"extra_days_off": frozenset({date(2025, 1, 24)})}
MAKE_UP = {"extra_working_days": frozenset({date(2025, 2, 8)})}


CASES = {  # province calendar, submitted, due, reminder (T-2), escalation (T+5)
    "tet-2024": ({}, vn(2024, 1, 26, 10), close_of(2024, 2, 16), close_of(2024, 2, 7),
                 close_of(2024, 2, 23)),
    "swapped-day-and-make-up-saturday-2024": (
        {}, vn(2024, 4, 25), close_of(2024, 5, 13), close_of(2024, 5, 9),
        close_of(2024, 5, 20)),
    "tet-2025-national": ({}, vn(2025, 1, 22), close_of(2025, 2, 12), close_of(2025, 2, 10),
                          close_of(2025, 2, 19)),
    "tet-2025-province-day-off": (DAY_OFF, vn(2025, 1, 22), close_of(2025, 2, 13),
                                  close_of(2025, 2, 11), close_of(2025, 2, 20)),
    "province-make-up-saturday-2025": (MAKE_UP, vn(2025, 2, 5), close_of(2025, 2, 18),
                                       close_of(2025, 2, 14), close_of(2025, 2, 25)),
}


def test_review_due_dates_are_what_a_person_counts(ladder, drive, calendar):
    for case, (province, submitted, due, remind, escalate) in CASES.items():
        calendar(**province)
        pid = drive(SUBMIT, submitted)
        with ladder.db.session() as session:
            [deadline] = deadlines_of(session, pid)
            assert (deadline.kind, deadline.state, deadline.due_at) == (
                "review", "submitted", due), case
            assert step_times(session, deadline) == {
                "remind-2": remind, "escalate0": due, "escalate5": escalate}, case


def test_resubmission_due_date_counts_the_make_up_saturday(ladder, drive):
    pid = drive(RETURN, vn(2024, 4, 25))
    with ladder.db.session() as session:
        review, resubmission = deadlines_of(session, pid)
        assert review.closed_at == vn(2024, 4, 25)
        assert (resubmission.kind, resubmission.due_at) == ("resubmission", close_of(2024, 5, 6))
        assert step_times(session, resubmission) == {"auto_withdraw0": close_of(2024, 5, 6)}


def test_claim_keeps_the_review_clock_and_each_stay_gets_its_own_deadline(ladder, drive):
    pid = drive(CLAIM, vn(2024, 3, 4))
    with ladder.db.session() as session:
        [review] = deadlines_of(session, pid)
        assert (review.state, review.closed_at) == ("submitted", None)
    fire(ladder, pid, "reviewer", "forward", vn(2024, 3, 6))
    fire(ladder, pid, "secretary", "send_back", vn(2024, 3, 8), reason="Cần thẩm định lại")
    fire(ladder, pid, "reviewer", "return", vn(2024, 3, 11), reason="Bổ sung hồ sơ")
    fire(ladder, pid, "unit1", "resubmit", vn(2024, 3, 12))
    fire(ladder, pid, "unit1", "withdraw", vn(2024, 3, 13))
    with ladder.db.session() as session:
        rows = deadlines_of(session, pid)
        assert [(d.kind, d.state) for d in rows] == [
            ("review", "submitted"), ("council", "at_council"), ("review", "under_review"),
            ("resubmission", "returned"), ("review", "submitted")]
        assert all(d.closed_at is not None for d in rows)
        pending = session.scalars(select(DeadlineStep).where(
            DeadlineStep.proposal_id == pid, DeadlineStep.status == "pending")).all()
        assert pending == []  # closing a deadline cancels its rungs


def test_a_rung_before_the_clock_started_is_left_out(ladder, drive):
    rules = LADDER_RULES.replace("resubmission_working_days: 5", "resubmission_working_days: 1")
    rules = rules.replace("applies_to: [review, council]}", "applies_to: [resubmission]}")
    with ladder.db.unit_of_work() as session:
        load_ruleset_text(session, rules, "short.yaml")
    pid = drive(RETURN, vn(2024, 3, 4))
    with ladder.db.session() as session:
        resubmission = deadlines_of(session, pid)[-1]
        # A reminder 2 working days before a 1-day limit would fall before the return.
        assert set(step_times(session, resubmission)) == {"auto_withdraw0"}


def test_due_info_counts_working_days_left_and_overdue(ladder, drive):
    pid = drive(SUBMIT, vn(2024, 1, 26, 10))  # due Fri 16/02/2024 17:00, after Tết
    expected = [
        (vn(2024, 2, 5), False, 4, 0),        # Mon 05/02: Tue 6, Wed 7, Thu 15, Fri 16
        (vn(2024, 2, 7, 18), False, 2, 0),    # Wed evening: Thu 15, Fri 16
        (vn(2024, 2, 16, 9), False, 0, 0),    # due today
        (vn(2024, 2, 16, 17), True, 0, 0),    # 17:00 sharp: overdue
        (vn(2024, 2, 19, 8), True, 0, 1),     # Monday after: one working day late
        (vn(2024, 2, 23, 9), True, 0, 5),
    ]
    with ladder.db.session() as session:
        for now, overdue, left, late in expected:
            info = due_info(session, pid, now)
            assert info is not None
            assert (info.overdue, info.working_days_left, info.overdue_by) == (
                overdue, left, late), now
            assert info.due_date == date(2024, 2, 16)
        assert text_in(due_info(session, pid, vn(2024, 2, 23)).label, "vi") == (
            "Hạn thẩm định 16/02/2024 — quá hạn 5 ngày làm việc")
        assert text_in(due_info(session, pid, vn(2024, 2, 14)).label, "en") == (
            "Board review due 16/02/2024 — 2 working days left")
        assert text_in(due_info(session, pid, vn(2024, 2, 16)).label, "en") == (
            "Board review due 16/02/2024 — due today")


def test_the_board_queue_sorts_and_filters_by_due_time(ladder, drive):
    late = drive(SUBMIT, vn(2024, 3, 1))
    soon = drive(CLAIM, vn(2024, 3, 11))
    later = drive(SUBMIT, vn(2024, 3, 20))
    now = vn(2024, 3, 18)  # late is due Fri 15/03, soon Mon 25/03, later Wed 03/04
    with ladder.db.session() as session:
        assert [r.proposal.id for r in board_queue(session, now)] == [late, soon, later]
        assert [r.proposal.id for r in board_queue(session, now, overdue_only=True)] == [late]
        assert [r.proposal.id for r in board_queue(session, now, due_within_days=5)] == [
            late, soon]
        mine = board_queue(session, now, assignee_id=ladder.user_ids["reviewer"])
        assert [(r.proposal.id, r.due.working_days_left) for r in mine] == [(soon, 5)]


def test_upcoming_steps_list_what_the_timeline_will_show(ladder, drive):
    pid = drive(CLAIM, vn(2024, 1, 26, 10))
    with ladder.db.session() as session:
        assert [(s.action, s.due_at) for s in upcoming_steps(session, pid)] == [
            ("remind", close_of(2024, 2, 7)), ("escalate", close_of(2024, 2, 16)),
            ("escalate", close_of(2024, 2, 23))]


# --- new rules do not move open deadlines unless an admin asks ------------------------------

def longer_review() -> str:
    return LADDER_RULES.replace("review_sla_working_days: 10", "review_sla_working_days: 12")


def test_new_rules_leave_open_deadlines_alone_until_recomputed(ladder, drive):
    pid = drive(CLAIM, vn(2024, 1, 26, 10))
    with ladder.db.unit_of_work() as session:
        load_ruleset_text(session, longer_review(), "v2.yaml")
    with ladder.db.session() as session:
        assert deadlines_of(session, pid)[0].due_at == close_of(2024, 2, 16)
    with ladder.db.unit_of_work() as session:
        [move] = recompute(session, "TEST-LADDER", vn(2024, 2, 1))  # preview
        assert (move.proposal_id, move.old_due, move.new_due) == (
            pid, close_of(2024, 2, 16), close_of(2024, 2, 20))
        assert (move.old_version, move.new_version, move.steps_changed) == (1, 2, 3)
    with ladder.db.session() as session:  # the preview wrote nothing
        assert deadlines_of(session, pid)[0].due_at == close_of(2024, 2, 16)
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "recompute_deadline")) is None


def test_recompute_apply_moves_pending_rungs_and_never_reruns_a_done_one(ladder, drive):
    from workflow.escalation.sweep import sweep

    pid = drive(CLAIM, vn(2024, 1, 26, 10))
    sweep(ladder.db, close_of(2024, 2, 7))  # the reminder runs
    with ladder.db.unit_of_work() as session:
        load_ruleset_text(session, longer_review(), "v2.yaml")
        [move] = recompute(session, "TEST-LADDER", vn(2024, 2, 8), apply=True)
        assert move.steps_changed == 2
    with ladder.db.session() as session:
        [deadline] = deadlines_of(session, pid)
        assert deadline.due_at == close_of(2024, 2, 20)
        steps = {s.step_index: (s.status, s.due_at) for s in deadline.steps}
        # The reminder at T-2 moved to 16/02, but it ran on 07/02: it stays done.
        assert steps == {0: ("done", close_of(2024, 2, 7)),
                         1: ("pending", close_of(2024, 2, 20)),
                         2: ("pending", close_of(2024, 2, 27))}
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == pid, AuditEvent.action == "recompute_deadline")).one()
        assert event.payload["new_due"] == close_of(2024, 2, 20).isoformat()
    with ladder.db.unit_of_work() as session:  # applying again finds nothing to move
        assert recompute(session, "TEST-LADDER", vn(2024, 2, 8), apply=True) == []


def test_recompute_of_an_unknown_campaign_is_refused(ladder):
    from workflow.errors import NotFound

    with ladder.db.unit_of_work() as session, pytest.raises(NotFound):
        recompute(session, "NO-SUCH", vn(2024, 2, 8))


def test_the_council_deadline_uses_the_council_time_limit(ladder, drive):
    # Forwarded Mon 04/03/2024, 15 working days: 5 … 8 (4), 11 … 15 (9), 18 … 22 (14), 25/03.
    pid = drive([*CLAIM, ("reviewer", "forward", {})], vn(2024, 3, 4))
    with ladder.db.session() as session:
        council = deadlines_of(session, pid)[-1]
        assert (council.kind, council.due_at) == ("council", close_of(2024, 3, 25))
        assert step_times(session, council) == {"remind-2": close_of(2024, 3, 21)}
        label = text_in(due_info(session, pid, vn(2024, 3, 26)).label, "vi")
        assert label == "Hạn Hội đồng xét 25/03/2024 — quá hạn 1 ngày làm việc"


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_recompute_sees_a_rung_the_sweep_applied_after_the_preview_read_it(
        ladder, drive, monkeypatch):
    """A sweep commits the reminder between recompute's first read of the rungs and its
    lock on the proposal: the reminder stays done where it ran, as if it had run before."""
    from workflow.escalation import recompute as recompute_module
    from workflow.escalation.sweep import sweep

    pid = drive(CLAIM, vn(2024, 1, 26, 10))
    with ladder.db.unit_of_work() as session:
        load_ruleset_text(session, longer_review(), "v2.yaml")
    real = recompute_module.load_for_update

    def sweep_first(session, proposal_id, **kwargs):
        assert [o.action for o in sweep(ladder.db, close_of(2024, 2, 7)).applied] == ["remind"]
        return real(session, proposal_id, **kwargs)

    monkeypatch.setattr(recompute_module, "load_for_update", sweep_first)
    with ladder.db.unit_of_work() as session:
        recompute(session, "TEST-LADDER", vn(2024, 2, 8), apply=True)
    with ladder.db.session() as session:
        [deadline] = deadlines_of(session, pid)
        steps = {s.step_index: (s.status, s.due_at) for s in deadline.steps}
        assert steps == {0: ("done", close_of(2024, 2, 7)),
                         1: ("pending", close_of(2024, 2, 20)),
                         2: ("pending", close_of(2024, 2, 27))}


def test_closing_a_deadline_cancels_a_step_added_in_the_same_unit_of_work(make_proposal,
                                                                           world):
    pid = make_proposal("submitted")
    with world.db.unit_of_work() as session:
        clock = tracking.open_deadline(session, pid)
        assert clock is not None
        added = DeadlineStep(deadline_id=clock.id, proposal_id=pid, step_index=9,
                             action="remind", recipient="assignee", reassign=False,
                             offset_days=-1, due_at=clock.due_at, status="pending",
                             attempts=0)
        session.add(added)
        tracking.close(session, clock, vn(2022, 12, 6))
    with world.db.session() as session:
        closed = session.get_one(Deadline, clock.id)
        assert closed.closed_at is not None
        assert {s.status for s in closed.steps} == {"cancelled"}
