"""A substitute acts only in the roles they share with the person they stand in for, and
only while the substitution lasts (on a pinned clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEvent
from tests.conftest import CDS_NOW
from workflow.accounts import substitutes
from workflow.accounts.substitutes import deputy, name_substitute
from workflow.actors import Actor
from workflow.errors import PermissionDenied
from workflow.proposals.service import act, allowed_actions

CLAIMED = CDS_NOW + timedelta(days=2)   # the board head claims the proposal that day
AWAY_FROM, AWAY_TO = CLAIMED.date(), CLAIMED.date() + timedelta(days=3)
DURING = CLAIMED + timedelta(days=1)
AFTER = CLAIMED + timedelta(days=4)     # the day after the last day of the substitution


def _actor(world: Any, name: str) -> Actor:
    with world.db.session() as s:
        return Actor.of(world.user(s, name))


@pytest.fixture
def heads_proposal(world: Any, make_proposal: Callable[..., int]) -> int:
    """A proposal claimed by the board head, who then names reviewer2 as substitute."""
    pid = make_proposal("submitted")
    head = _actor(world, "boardhead")
    with world.db.unit_of_work() as s:
        act(s, pid, "claim", head, now=CLAIMED)
        name_substitute(s, head.id, world.user_ids["reviewer2"], AWAY_FROM, AWAY_TO, head,
                        CLAIMED)
    return pid


def test_a_reviewer_standing_in_for_the_board_head_cannot_reassign_and_after_the_end_nothing(
        world: Any, heads_proposal: int):
    pid, stand_in = heads_proposal, _actor(world, "reviewer2")
    head_id = world.user_ids["boardhead"]
    with world.db.session() as s:
        who = deputy(s, stand_in, head_id, DURING)
        assert who.roles == frozenset({"board_reviewer"})  # shared; not the head's own
        offered = allowed_actions(world.proposal(s, pid), who)
    assert "reassign" not in offered and {"forward", "return"} <= set(offered)
    with pytest.raises(PermissionDenied), world.db.unit_of_work() as s:
        act(s, pid, "reassign", stand_in, now=DURING, on_behalf_of_id=head_id,
            assignee_id=world.user_ids["reviewer"])
    with world.db.session() as s:
        assert world.proposal(s, pid).assignee_id == head_id

    # The day after the last day of the substitution: nothing, for the head or as oneself.
    with world.db.session() as s:
        who, principal = substitutes.acting_for(s, stand_in, head_id, AFTER)
        assert (who, principal) == (stand_in, None)
        assert allowed_actions(world.proposal(s, pid), who) == []
    for trigger, payload in [("forward", {}), ("return", {"reason": "Thiếu hồ sơ gốc"}),
                             ("reassign", {"assignee_id": world.user_ids["reviewer"]})]:
        with pytest.raises(PermissionDenied), world.db.unit_of_work() as s:
            act(s, pid, trigger, stand_in, now=AFTER, on_behalf_of_id=head_id, **payload)
        with pytest.raises(PermissionDenied), world.db.unit_of_work() as s:
            act(s, pid, trigger, stand_in, now=AFTER, **payload)
    with world.db.session() as s:
        proposal = world.proposal(s, pid)
        assert (proposal.state, proposal.assignee_id) == ("under_review", head_id)


def test_the_substitute_acts_on_the_heads_claimed_proposal_as_the_reviewer_they_share(
        world: Any, heads_proposal: int):
    pid, stand_in = heads_proposal, _actor(world, "reviewer2")
    head_id = world.user_ids["boardhead"]
    with world.db.unit_of_work() as s:
        who, principal = substitutes.acting_for(s, stand_in, head_id, DURING)
        assert who.roles == frozenset({"board_reviewer"})
        assert principal == head_id
        act(s, pid, "return", stand_in, now=DURING, on_behalf_of_id=principal,
            reason="Thiếu biên bản họp xét của đơn vị; đề nghị bổ sung")
    with world.db.session() as s:
        assert world.proposal(s, pid).state == "returned"
        event = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid,
                                                   AuditEvent.action == "return")).one()
        assert (event.actor_id, event.on_behalf_of_id) == (stand_in.id, head_id)
