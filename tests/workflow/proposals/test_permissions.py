"""Every legal transition works for the right role and is refused for every other role,
for a clerk of another unit, for a reviewer who is not the assignee, and from every
other state — each with a clear error and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from models import AuditEvent, DecisionEntry, Proposal
from tests.support.decisions import issue_for
from workflow import machine
from workflow.actors import Actor
from workflow.errors import InvalidInput, InvalidTransition, PermissionDenied
from workflow.proposals.service import act, allowed_actions

ACTORS = ["unit1", "unit2", "reviewer", "reviewer2", "boardhead", "secretary", "member1",
          "admin"]
ROLES = {"unit1": {"unit_clerk"}, "unit2": {"unit_clerk"}, "reviewer": {"board_reviewer"},
         "reviewer2": {"board_reviewer"}, "boardhead": {"board_head", "board_reviewer"},
         "secretary": {"council_secretary"}, "member1": {"council_member"}, "admin": {"admin"}}
CASES = [(spec.name, source) for spec in machine.TRIGGERS for source in spec.sources]


def expected_allowed(trigger: str, actor: str) -> bool:
    """The permission rule restated from DESIGN.md, independently of the service.

    The proposal belongs to unit1's unit and, once claimed, is assigned to `reviewer`.
    """
    spec = machine.SPECS[trigger]
    if not ROLES[actor] & spec.roles:
        return False
    if spec.own_unit and actor != "unit1":
        return False
    return not (spec.assignee_only and actor not in ("reviewer", "boardhead"))


def decision_for(session: Any, proposal: Proposal, world: Any) -> int:
    """The decision listing the proposal's nominees (issued on first use, not yet applied
    to the proposal); 0 when it cannot have one (not approved): act refuses it first."""
    listed = session.scalar(select(DecisionEntry.decision_id)
                            .where(DecisionEntry.proposal_id == proposal.id).limit(1))
    if listed is not None or proposal.state != "approved":
        return listed or 0
    return issue_for(session, proposal, world.user(session, "secretary"), advance=False).id


def payload_for(trigger: str, proposal: Proposal, world: Any,
                session: Any = None) -> dict[str, Any]:
    if trigger in ("return", "send_back"):
        return {"reason": "Thiếu biên bản họp xét"}
    if trigger == "reassign":
        return {"assignee_id": world.user_ids["reviewer2"]}
    if trigger == "decide":
        return {"outcomes": [{"nominee_id": n.id, "outcome": "passed"}
                             for n in proposal.nominees]}
    if trigger == "issue_decision":
        return {"decision_id": decision_for(session, proposal, world)}
    return {}


def snapshot(session: Any, pid: int) -> tuple[Any, ...]:
    p = session.get(Proposal, pid)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return (p.state, p.version, p.audit_seq, p.assignee_id, p.last_reason, events)


def attempt(world: Any, pid: int, trigger: str, actor: str) -> Exception | str:
    with world.db.unit_of_work() as session:
        proposal = world.proposal(session, pid)
        payload = payload_for(trigger, proposal, world, session)
        try:
            act(session, pid, trigger, world.user(session, actor), **payload)
        except (PermissionDenied, InvalidTransition) as exc:
            return exc
        return session.get(Proposal, pid).state


@pytest.mark.parametrize(("trigger", "source"), CASES, ids=[f"{t}-from-{s}" for t, s in CASES])
def test_each_transition_obeys_the_permission_table(make_proposal, world, trigger, source):
    refused_on = make_proposal(source)
    if trigger == "issue_decision":  # the decision exists before anyone is refused
        with world.db.unit_of_work() as session:
            decision_for(session, world.proposal(session, refused_on), world)
    for actor in ACTORS:
        if expected_allowed(trigger, actor):
            pid = make_proposal(source)
            result = attempt(world, pid, trigger, actor)
            assert result in machine.SPECS[trigger].dests, f"{actor}: {result}"
            with world.db.session() as session:
                last = session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                                       .order_by(AuditEvent.seq.desc())).first()
                assert (last.action, last.from_state, last.to_state) == (trigger, source, result)
                assert last.actor_id == world.user_ids[actor]
        else:
            with world.db.session() as session:
                before = snapshot(session, refused_on)
            result = attempt(world, refused_on, trigger, actor)
            assert isinstance(result, PermissionDenied), f"{actor} was not refused: {result}"
            assert result.message  # a sentence for the user, in Vietnamese
            with world.db.session() as session:
                assert snapshot(session, refused_on) == before


WRONG_STATES = [(spec.name, state) for spec in machine.TRIGGERS for state in machine.STATES
                if state not in spec.sources]


@pytest.mark.parametrize(("trigger", "state"), WRONG_STATES,
                         ids=[f"{t}-from-{s}" for t, s in WRONG_STATES])
def test_each_transition_is_refused_from_every_other_state(make_proposal, world, trigger, state):
    pid = make_proposal(state)
    rightful = next(a for a in ACTORS if expected_allowed(trigger, a))
    with world.db.session() as session:
        before = snapshot(session, pid)
    result = attempt(world, pid, trigger, rightful)
    assert isinstance(result, (InvalidTransition, PermissionDenied)), result
    if isinstance(result, PermissionDenied):
        # Only a plain reviewer on a proposal that nobody assigned to them.
        assert machine.SPECS[trigger].assignee_only
    else:
        assert "trạng thái" in result.message
    with world.db.session() as session:
        assert snapshot(session, pid) == before


def test_allowed_actions_are_exactly_what_the_service_accepts(make_proposal, world):
    pid = make_proposal("under_review")
    with world.db.session() as session:
        proposal = world.proposal(session, pid)
        offered = {a: allowed_actions(proposal, world.user(session, a)) for a in ACTORS}
    assert offered["reviewer"] == ["return", "forward"]
    assert offered["reviewer2"] == []
    assert offered["boardhead"] == ["reassign", "return", "forward"]
    assert offered["unit1"] == offered["secretary"] == offered["admin"] == []


def test_an_actor_that_is_no_user_claims_nothing(make_proposal, world):
    """A reviewer's role without a user behind it (as the command line's actors are) would
    have put the proposal under review with nobody assigned."""
    pid = make_proposal("submitted")
    nobody = Actor(None, "Không phải người dùng", frozenset({"board_reviewer"}))
    with world.db.session() as session:
        before = snapshot(session, pid)
    with world.db.unit_of_work() as session, pytest.raises(InvalidInput):
        act(session, pid, "claim", nobody)
    with world.db.session() as session:
        assert snapshot(session, pid) == before
