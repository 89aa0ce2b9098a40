"""The write path's two lanes (`models.fast_writes`): an action or a decision writes the
same rows whether they go past the unit of work or through the plain flush, and a rollback
takes everything back. (A lost race in the lane: tests/models/test_fast_writes.py.)"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEvent, Deadline, DeadlineStep, Notification, Proposal, fast_writes
from tests.conftest import CDS_NOW
from tests.support.decisions import LATER, issue, person
from workflow.audit.chain import verify
from workflow.proposals.service import act

LANES = [pytest.param(True, id="fast"), pytest.param(False, id="plain")]
WALK = [("unit1", "submit", {}), ("reviewer", "claim", {}),
        ("reviewer", "return", {"reason": "Thiếu biên bản họp xét"}),
        ("unit1", "resubmit", {}), ("reviewer", "claim", {}), ("reviewer", "forward", {})]


def what_was_written(world: Any, pid: int) -> dict[str, Any]:
    """What a user or an auditor can see of a proposal's path, without ids or times."""
    with world.db.session() as s:
        p = s.get_one(Proposal, pid)
        events = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                           .order_by(AuditEvent.seq)).all()
        clocks = s.scalars(select(Deadline).where(Deadline.proposal_id == pid)
                           .order_by(Deadline.id)).all()
        steps = s.scalars(select(DeadlineStep).where(DeadlineStep.proposal_id == pid)
                          .order_by(DeadlineStep.id)).all()
        notes = s.scalars(select(Notification).where(Notification.proposal_id == pid)
                          .order_by(Notification.id)).all()
        return {
            "state": p.state, "version": p.version, "assignee": p.assignee_id,
            "head_is_last_event": p.audit_head == events[-1].hash,
            "events": [(e.action, e.from_state, e.to_state) for e in events],
            "chained": all(b.prev_hash == a.hash for a, b in pairwise(events)),
            "clocks": [(d.kind, d.state, d.closed_at is None) for d in clocks],
            "steps": [(st.action, st.recipient, st.status) for st in steps],
            "notes": [(n.kind, n.user_id) for n in notes],
        }


def test_an_action_writes_the_same_rows_in_either_lane(make_proposal, world):
    written = {}
    for fast in (True, False):
        pid = make_proposal("draft")
        with fast_writes.forced(fast):
            for i, (who, trigger, payload) in enumerate(WALK):
                with world.db.unit_of_work() as s:
                    act(s, pid, trigger, world.user(s, who),
                        now=CDS_NOW + timedelta(hours=i + 1), **payload)
        written[fast] = what_was_written(world, pid)
    fast, plain = written[True], written[False]
    assert fast == plain
    assert plain["state"] == "at_council" and plain["chained"] and plain["head_is_last_event"]
    assert [e[1] for e in plain["events"][-len(WALK):]] == [
        "draft", "submitted", "under_review", "returned", "submitted", "under_review"]
    assert any(open_ for _, _, open_ in plain["clocks"])  # the Council's clock runs
    with world.db.session() as s:
        assert verify(s).ok


@pytest.mark.parametrize("fast", LANES)
def test_a_decision_over_several_proposals_writes_the_same_in_either_lane(
        make_proposal, world, fast):
    pids = [make_proposal("approved", clerk=clerk, nominees=[person(f"Lê Thị {i}")])
            for i, clerk in enumerate(["unit1", "unit2", "unit1"])]
    with world.db.session() as s:
        before = {pid: s.get_one(Proposal, pid).version for pid in pids}
    with fast_writes.forced(fast):
        _, number = issue(world, *pids)
    with world.db.session() as s:
        for pid in pids:
            p = s.get_one(Proposal, pid)
            assert (p.state, p.decision_number, p.version) == ("decided", number,
                                                              before[pid] + 1)
        assert verify(s).ok


@pytest.mark.parametrize("fast", LANES)
def test_a_rolled_back_action_leaves_nothing_and_the_session_goes_on(
        make_proposal, world, fast):
    pid = make_proposal("draft")
    with world.db.session() as s:
        events_before = len(s.scalars(select(AuditEvent.id)
                                      .where(AuditEvent.proposal_id == pid)).all())
    with fast_writes.forced(fast), world.db.session() as s:
        clerk = world.user(s, "unit1")
        act(s, pid, "submit", clerk, now=LATER)
        s.rollback()
        assert s.get_one(Proposal, pid).state == "draft"
        # The same session acts again: the rolled-back rows are gone from it, even where
        # the database hands their ids out again (SQLite does).
        act(s, pid, "submit", clerk, now=LATER + timedelta(minutes=1))
        s.commit()
    after = what_was_written(world, pid)
    assert after["state"] == "submitted"
    assert len(after["events"]) == events_before + 1 and after["chained"]
    assert [c for c in after["clocks"] if c[2]] == [("review", "submitted", True)]
