from workflow.audit.chain import verify
from workflow.machine import STATES


def test_a_proposal_can_be_driven_to_every_state(make_proposal, world):
    ids = {state: make_proposal(state) for state in STATES}
    with world.db.session() as session:
        for state, pid in ids.items():
            assert world.proposal(session, pid).state == state
        report = verify(session)
    assert report.ok, report.broken
