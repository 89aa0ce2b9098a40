"""Up to 10,000 actions raced by several processes at 40 shared proposals on PostgreSQL,
half through `workflow.service.act` and half through the JSON API (a real app in each worker,
bearer tokens): legal moves, stale versions and people who may not act, all at once.

Every accepted action must be in the audit log exactly once (its proposal and sequence
number, and the unique marker in its reason), a refused one must have written nothing,
every proposal's state must be the replay of its events and every chain must verify.
`TDKT_RACE_ACTIONS` sets the total: 10,000 on CI (the `CI` variable set), 3,000 by default
on a developer's machine (one action costs about 20 queries; the API ones also serialise
the proposal, so 10,000 take a few minutes on two cores).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Proposal, User
from models.db import Database
from tests.conftest import PG_URL
from workflow.accounts import tokens
from workflow.actors import Actor
from workflow.audit.chain import replay, verify
from workflow.errors import WorkflowError
from workflow.proposals import service

WORKERS = 4
PROPOSALS = 40
# CI races the full 10,000; a developer's run 3,000 unless told otherwise.
ACTIONS = int(os.environ.get("TDKT_RACE_ACTIONS", "10000" if os.environ.get("CI") else "3000"))
PEOPLE = ("unit1", "unit2", "reviewer", "reviewer2", "boardhead", "secretary", "member1")
STATES = ("draft", "submitted", "under_review", "returned", "at_council")
# Only these may really be withdrawn (a final state): the rest keep cycling all run long.
WITHDRAWABLE = 3

ON_POSTGRES = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set"),
])])


def _plan(rng: random.Random, state: str, clerk: str, assignee: str | None,
          withdrawable: bool) -> tuple[str, str]:
    """Who does what next: mostly the legal move, sometimes a conflicting one."""
    reviewer = assignee or rng.choice(["reviewer", "reviewer2", "boardhead"])
    legal = {
        "draft": [(clerk, "submit")],
        "submitted": [(rng.choice(["reviewer", "reviewer2", "boardhead"]), "claim")],
        "under_review": [(reviewer, "forward"), (reviewer, "return")],
        "returned": [(clerk, "resubmit")],
        "at_council": [("secretary", "send_back")],
    }.get(state, [(clerk, "resubmit")])
    roll = rng.random()
    if roll < 0.03 and (withdrawable or state not in ("draft", "submitted", "returned")):
        return clerk, "withdraw"
    if roll < 0.15:  # a move from another state: refused by the machine
        return rng.choice([(clerk, "resubmit"), ("secretary", "send_back"),
                           ("reviewer", "claim"), (reviewer, "forward")])
    return rng.choice(legal)


def worker(url: str, storage: str, user_ids: dict[str, int], secrets: dict[str, str],
           owners: dict[int, str], withdrawable: list[int], seed: int,
           count: int) -> dict[str, Any]:
    """One process: `count` actions, odd ones through the API, even ones through the
    service. Returns the (proposal, seq, marker) of each accepted action, refusals by
    kind, and anything unexpected (a 500, an unknown exception)."""
    from web.app import create_app  # imported here: the spawned child builds its own app

    rng = random.Random(seed)
    db = Database(url)
    app = create_app({"DATABASE_URL": url, "STORAGE_DIR": storage, "SECRET_KEY": "race",
                      "TESTING": True})
    client = app.test_client()
    with db.session() as s:
        people = {n: Actor.of(s.get(User, i)) for n, i in user_ids.items()}
    names = {a.id: n for n, a in people.items()}
    pids = sorted(owners)
    accepted: list[tuple[int, int, str | None]] = []
    refused: Counter[str] = Counter()
    unexpected: list[str] = []
    for i in range(count):
        pid = rng.choice(pids)
        with db.session() as s:  # the worker's page: what it believes right now
            state, version, assignee_id = s.execute(
                select(Proposal.state, Proposal.version, Proposal.assignee_id)
                .where(Proposal.id == pid)).one()
        name, trigger = _plan(rng, state, owners[pid], names.get(assignee_id),
                              pid in withdrawable)
        if rng.random() < 0.1:
            name = rng.choice(PEOPLE)  # someone who may well not be allowed to
        if rng.random() < 0.1:
            version -= 1  # a page opened before the last change
        marker = f"race-{seed}-{i}" if trigger not in ("claim", "submit") else None
        body: dict[str, Any] = {"reason": f"Lý do kiểm thử {marker}"} if marker else {}
        if i % 2:
            reply = client.post(f"/api/v1/proposals/{pid}/actions/{trigger}",
                                data=json.dumps({**body, "expected_version": version}),
                                headers={"Authorization": f"Bearer {secrets[name]}"},
                                content_type="application/json")
            if reply.status_code == 200:
                accepted.append((pid, reply.get_json()["event"]["seq"], marker))
            elif 400 <= reply.status_code < 500:
                refused[f"http {reply.status_code}"] += 1
            else:
                unexpected.append(f"{trigger} #{pid} by {name}: {reply.status_code} "
                                  f"{reply.get_data(as_text=True)[:300]}")
            continue
        expected = version if rng.random() < 0.7 else None
        try:
            with db.unit_of_work() as s:
                event = service.act(s, pid, trigger, people[name], now=datetime.now(UTC),
                                    expected_version=expected, **body)
                seq = event.seq
            accepted.append((pid, seq, marker))
        except WorkflowError as exc:
            refused[type(exc).__name__] += 1
        except Exception as exc:
            unexpected.append(f"{trigger} #{pid} by {name}: {exc!r}")
    app.extensions["tdkt_db"].dispose()
    db.dispose()
    return {"accepted": accepted, "refused": dict(refused), "unexpected": unexpected}


@ON_POSTGRES
def test_thousands_of_raced_actions_each_accepted_one_logged_once_refused_ones_leave_nothing(
        world: Any, make_proposal: Callable[..., int]) -> None:
    owners = {make_proposal(STATES[n % len(STATES)], clerk=("unit1", "unit2")[n % 2]):
              ("unit1", "unit2")[n % 2] for n in range(PROPOSALS)}
    with world.db.unit_of_work() as s:
        secrets = {n: tokens.create_token(s, world.user_ids[n], "race")[1] for n in PEOPLE}
    with world.db.session() as s:
        before = {pid: world.proposal(s, pid).audit_seq for pid in owners}
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))

    per_worker = ACTIONS // WORKERS
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(WORKERS) as pool:
        reports = pool.starmap(worker, [
            (world.db.url, str(world.storage), world.user_ids, secrets, owners,
             sorted(owners)[:WITHDRAWABLE], seed, per_worker) for seed in range(WORKERS)])

    assert [r["unexpected"] for r in reports] == [[]] * WORKERS
    accepted = [tuple(a) for r in reports for a in r["accepted"]]
    refused: Counter[str] = Counter()
    for r in reports:
        refused.update(r["refused"])
    assert len(accepted) + sum(refused.values()) == per_worker * WORKERS
    print(f"\nraced {per_worker * WORKERS} actions by {WORKERS} processes on {PROPOSALS} "
          f"proposals: {len(accepted)} accepted, {sum(refused.values())} refused "
          f"{dict(sorted(refused.items()))}")
    assert len(accepted) > ACTIONS // 10 and sum(refused.values()) > ACTIONS // 20

    with world.db.session() as s:
        new_events = s.execute(
            select(AuditEvent.proposal_id, AuditEvent.seq, AuditEvent.reason)
            .where(AuditEvent.proposal_id.in_(owners))).all()
        new_events = [e for e in new_events if e.seq > before[e.proposal_id]]
        # Each accepted action is one event, with its own (proposal, seq): none twice, none
        # missing, and no event that nobody was told was accepted.
        logged = Counter((e.proposal_id, e.seq) for e in new_events)
        assert set(logged.values()) <= {1}
        assert sorted(logged) == sorted((pid, seq) for pid, seq, _m in accepted)
        markers = {(pid, seq): m for pid, seq, m in accepted}
        for e in new_events:
            want = markers[(e.proposal_id, e.seq)]
            assert (want is None and e.reason is None) or (want and (e.reason or "").endswith(want))
        # Refused actions wrote nothing anywhere in the log.
        total = s.scalar(select(func.count()).select_from(AuditEvent))
        assert total == events_before + len(accepted)
        for pid in owners:
            proposal = world.proposal(s, pid)
            assert proposal.audit_seq == before[pid] + sum(1 for a in accepted if a[0] == pid)
            events = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                               .order_by(AuditEvent.seq)).all()
            assert replay(events) == proposal.state, pid
        report = verify(s)
        assert report.ok, str(report.broken)
