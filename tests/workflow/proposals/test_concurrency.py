"""Two people (or processes) changing the same proposal at the same moment.

The web UI passes the version the user saw (`expected_version`); whoever comes second
must be told to reload (ConflictError) and must write nothing. Edits made without a
version (two clerks adding nominees) must both land: no update may be lost. Each actor
here has its own thread (or process) and its own session from `db.unit_of_work()`.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Deadline, Proposal, Role, Unit, User
from models.db import Database
from tests.support.races import (
    LATER,
    ON_POSTGRES,
    REASON,
    VN,
    Seen,
    assert_log_is_whole,
    held_then_contended,
    person,
    race,
    seen_version,
)
from workflow.accounts.credentials import ensure_user
from workflow.actors import Actor
from workflow.decisions import issuing as decisions
from workflow.errors import ConflictError, PermissionDenied, WorkflowError
from workflow.filing import dossier
from workflow.proposals import service

# --- expected_version: one wins, the other is told to reload ------------------------------

@pytest.mark.parametrize("round_", range(3))
def test_two_reviewers_acting_on_the_same_page_one_wins_one_must_reload(
        world: Any, make_proposal: Callable[..., int], round_: int) -> None:
    pid = make_proposal("under_review")  # assigned to `reviewer`
    reviewer, head = person(world, "reviewer"), person(world, "boardhead")
    before = Seen.of(world, pid)
    version = seen_version(world, pid)  # both opened the proposal page

    forward, ret = race(
        world.db,
        lambda s: service.act(s, pid, "forward", reviewer, now=LATER, expected_version=version),
        lambda s: service.act(s, pid, "return", head, now=LATER, expected_version=version,
                              reason=REASON),
    )

    outcomes = {type(forward).__name__, type(ret).__name__}
    assert outcomes == {"AuditEvent", "ConflictError"}, (forward, ret)
    winner = "forward" if isinstance(ret, ConflictError) else "return"
    loser = ret if winner == "forward" else forward
    assert "tải lại" in loser.message  # the loser is told to reload
    after = Seen.of(world, pid)
    assert after.state == {"forward": "at_council", "return": "returned"}[winner]
    assert after.events == before.events + 1
    assert after.audit_seq == before.audit_seq + 1
    with world.db.session() as s:
        last = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                         .order_by(AuditEvent.seq.desc())).first()
        assert last is not None and last.action == winner
        assert world.proposal(s, pid).last_reason == (REASON if winner == "return" else None)
    assert_log_is_whole(world, pid)


def test_two_reviewers_claiming_at_once_without_a_version_the_first_keeps_it(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("submitted")
    first, second = person(world, "reviewer"), person(world, "reviewer2")
    before = Seen.of(world, pid)

    results = race(world.db,
                   lambda s: service.act(s, pid, "claim", first, now=LATER),
                   lambda s: service.act(s, pid, "claim", second, now=LATER))

    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["AuditEvent", "InvalidTransition"], results
    winner = first if not isinstance(results[0], WorkflowError) else second
    after = Seen.of(world, pid)
    assert (after.state, after.assignee_id) == ("under_review", winner.id)
    assert after.events == before.events + 1
    assert_log_is_whole(world, pid)


def second_clerk(world: Any, home: str = "unit1") -> Actor:
    """Another clerk of the same unit as `home` (two clerks, one dossier)."""
    with world.db.unit_of_work() as s:
        unit = s.get(Unit, world.user(s, home).unit_id)
        user = ensure_user(s, f"{home}-b", "Phạm Thị Thu (cán bộ TĐKT, cùng đơn vị)",
                           [Role.UNIT_CLERK], unit, "tdkt-demo",
                           password_hash=world.user(s, home).password_hash)
        return Actor.of(user)


@pytest.mark.parametrize("round_", range(3))
def test_two_clerks_adding_nominees_at_once_both_land(
        world: Any, make_proposal: Callable[..., int], round_: int) -> None:
    pid = make_proposal("draft")
    one, other = person(world, "unit1"), second_clerk(world)
    before = Seen.of(world, pid)

    def add(who: Actor, name: str) -> Callable[[Any], Any]:
        data = {"kind": "individual", "full_name": name, "award_form": "BK_CT_UBND",
                "years_in_service": 4}
        return lambda s: dossier.add_nominee(s, pid, who, data, now=LATER).full_name

    results = race(world.db, add(one, "Đặng Văn Hùng"), add(other, "Lý Thị Nga"))

    assert results == ["Đặng Văn Hùng", "Lý Thị Nga"]
    after = Seen.of(world, pid)
    assert sorted(after.nominees) == sorted([*before.nominees, "Đặng Văn Hùng", "Lý Thị Nga"])
    assert after.audit_seq == before.audit_seq + 2
    assert after.events == before.events + 2
    assert after.version > before.version
    with world.db.session() as s:
        last_two = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                             .order_by(AuditEvent.seq.desc()).limit(2)).all()
        assert {(e.action, e.actor_id) for e in last_two} == {
            ("add_nominee", one.id), ("add_nominee", other.id)}
    assert_log_is_whole(world, pid)


# --- stale pages and stale objects ---------------------------------------------------------

def test_acting_on_a_stale_page_is_refused_and_writes_nothing(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("under_review")
    reviewer, head, reviewer2 = (person(world, n) for n in ("reviewer", "boardhead",
                                                            "reviewer2"))
    with world.db.session() as s:  # the reviewer opens the page...
        page = world.proposal(s, pid)
    with world.db.unit_of_work() as s:  # ...meanwhile the head gives it to reviewer2
        service.act(s, pid, "reassign", head, now=LATER, assignee_id=reviewer2.id)
    before = Seen.of(world, pid)

    with pytest.raises(ConflictError), world.db.unit_of_work() as s:
        service.act(s, pid, "forward", reviewer, now=LATER, expected_version=page.version)
    assert Seen.of(world, pid) == before

    # Without a version the service judges the fresh row, not the reviewer's old view.
    with pytest.raises(PermissionDenied), world.db.unit_of_work() as s:
        service.act(s, pid, "forward", reviewer, now=LATER)
    assert Seen.of(world, pid) == before
    assert (page.state, page.assignee_id) == ("under_review", reviewer.id)
    assert_log_is_whole(world, pid)


@ON_POSTGRES
def test_a_stale_object_in_the_writers_own_session_is_refreshed_under_lock(
        world: Any, make_proposal: Callable[..., int]) -> None:
    """PostgreSQL only: on SQLite a unit of work holds the write lock from its first read,
    so nobody can commit in between."""
    pid = make_proposal("under_review")
    reviewer, head, reviewer2 = (person(world, n) for n in ("reviewer", "boardhead",
                                                            "reviewer2"))
    with world.db.unit_of_work() as mine:
        stale = world.proposal(mine, pid)  # in this session's identity map
        seen = stale.version
        with world.db.unit_of_work() as theirs:
            service.act(theirs, pid, "reassign", head, now=LATER, assignee_id=reviewer2.id)
        before = Seen.of(world, pid)
        with pytest.raises(ConflictError):
            service.act(mine, pid, "forward", reviewer, now=LATER, expected_version=seen)
        with pytest.raises(PermissionDenied):
            service.act(mine, pid, "forward", reviewer, now=LATER)
        assert stale.assignee_id == reviewer2.id  # the lock refreshed the object
    assert Seen.of(world, pid) == before
    assert_log_is_whole(world, pid)


# --- PostgreSQL: the second writer provably waits for the first ------------------------------


@ON_POSTGRES
def test_postgres_the_second_writer_waits_then_sees_the_new_version(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("under_review")
    reviewer, head = person(world, "reviewer"), person(world, "boardhead")
    version = seen_version(world, pid)
    before = Seen.of(world, pid)

    first, second = held_then_contended(
        world,
        lambda s: service.act(s, pid, "return", head, now=LATER, expected_version=version,
                              reason=REASON).action,
        lambda s: service.act(s, pid, "forward", reviewer, now=LATER,
                              expected_version=version))

    assert first == "return"
    assert isinstance(second, ConflictError), second
    after = Seen.of(world, pid)
    assert after.state == "returned"
    assert after.events == before.events + 1
    assert_log_is_whole(world, pid)


@ON_POSTGRES
def test_postgres_a_waiting_clerk_adds_to_the_dossier_as_it_is_now(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("draft")
    one, other = person(world, "unit1"), second_clerk(world)
    before = Seen.of(world, pid)
    nominee = {"kind": "collective", "award_form": "BK_CT_UBND"}

    first, second = held_then_contended(
        world,
        lambda s: dossier.add_nominee(s, pid, one, {**nominee, "full_name": "Tổ A"},
                                      now=LATER).full_name,
        lambda s: dossier.add_nominee(s, pid, other, {**nominee, "full_name": "Tổ B"},
                                      now=LATER).full_name)

    assert (first, second) == ("Tổ A", "Tổ B")
    after = Seen.of(world, pid)
    assert after.nominees == (*before.nominees, "Tổ A", "Tổ B")
    assert after.audit_seq == before.audit_seq + 2
    assert_log_is_whole(world, pid)


# --- PostgreSQL: several processes hammering a few proposals -------------------------------

WORKERS = 4
FINAL = ("decided", "rejected", "withdrawn")
ACTIONS_PER_WORKER = 50


def _plan(rng: random.Random, state: str, clerk: str, assignee: str | None,
          nominee_ids: list[int]) -> tuple[str, str, dict[str, Any]]:
    """A plausible next action (who, what, payload) for a proposal in `state`."""
    reviewer = assignee or rng.choice(["reviewer", "reviewer2"])
    if state == "draft":
        return rng.choice([(clerk, "submit", {}), (clerk, "submit", {}),
                           (clerk, "add_nominee", {})])
    if state == "submitted":
        return rng.choice(["reviewer", "reviewer2", "boardhead"]), "claim", {}
    if state == "under_review":
        return rng.choice([(reviewer, "forward", {}), (reviewer, "return", {"reason": REASON}),
                           (reviewer, "return", {"reason": REASON}),
                           ("boardhead", "reassign", {"assignee_id": "reviewer2"})])
    if state == "returned":
        return rng.choice([(clerk, "resubmit", {}), (clerk, "add_nominee", {}),
                           (clerk, "withdraw", {}) if rng.random() < 0.1
                           else (clerk, "resubmit", {})])
    if state == "at_council":
        passed = rng.random() < 0.8
        outcomes = [{"nominee_id": n, "outcome": "passed" if passed else "rejected",
                     "reason": None if passed else REASON} for n in nominee_ids]
        return rng.choice([("secretary", "decide", {"outcomes": outcomes}),
                           ("secretary", "send_back", {"reason": REASON}),
                           ("secretary", "send_back", {"reason": REASON})])
    if state == "approved":  # through workflow.decisions, which fires issue_decision
        return "secretary", "issue", {"signer_name": "Hoàng Văn Thắng"}
    return rng.choice(["reviewer", "secretary", clerk]), "claim", {}  # refused: final state


def hammer(url: str, user_ids: dict[str, int], owners: dict[int, str],
           seed: int) -> dict[str, Any]:
    """One worker process: fire plausible (and sometimes out-of-date) actions through the
    service at the shared proposals; report what was accepted, per proposal."""
    rng = random.Random(seed)
    db = Database(url)
    with db.session() as s:
        people = {n: Actor.of(s.get(User, i)) for n, i in user_ids.items()}
    accepted: Counter[int] = Counter()
    refused: Counter[str] = Counter()
    unexpected: list[str] = []
    for i in range(ACTIONS_PER_WORKER):
        with db.session() as s:  # the worker's "page": what it believes right now
            rows = s.scalars(select(Proposal).where(Proposal.id.in_(owners))).all()
            live = [p for p in rows if p.state not in FINAL] or rows
            p = rng.choice(sorted(live, key=lambda p: p.id))
            pid, state, version, campaign_id = p.id, p.state, p.version, p.campaign_id
            assignee = next((n for n, a in people.items() if a.id == p.assignee_id), None)
            nominee_ids = [n.id for n in p.nominees]
        name, action, payload = _plan(rng, state, owners[pid], assignee, nominee_ids)
        if rng.random() < 0.1:
            name = rng.choice(sorted(people))  # someone who may well not be allowed to
        if payload.get("assignee_id") == "reviewer2":
            payload = {"assignee_id": people["reviewer2"].id}
        expected = version if rng.random() < 0.7 else None
        now = LATER + timedelta(minutes=i)
        try:
            with db.unit_of_work() as s:
                if action == "add_nominee":
                    dossier.add_nominee(s, pid, people[name], {
                        "kind": "collective", "award_form": "BK_CT_UBND",
                        "full_name": f"Tập thể {seed}-{i}"}, now=now, expected_version=expected)
                elif action == "issue":
                    decisions.issue(s, people[name], {
                        "campaign_id": campaign_id, "proposal_ids": [pid],
                        "signed_on": now.astimezone(VN).date(), **payload}, now=now)
                else:
                    service.act(s, pid, action, people[name], now=now,
                                expected_version=expected, **payload)
            accepted[pid] += 1
        except WorkflowError as exc:
            refused[type(exc).__name__] += 1
        except Exception as exc:
            unexpected.append(f"{action} on #{pid} by {name}: {exc!r}")
    db.dispose()
    return {"accepted": dict(accepted), "refused": dict(refused), "unexpected": unexpected}


@ON_POSTGRES
def test_postgres_four_processes_lose_no_update_and_keep_the_log_whole(
        world: Any, make_proposal: Callable[..., int]) -> None:
    owners = {make_proposal(state, clerk=clerk): clerk for state, clerk in [
        ("draft", "unit1"), ("submitted", "unit2"), ("under_review", "unit1"),
        ("returned", "unit2"), ("at_council", "unit1")]}
    with world.db.session() as s:
        events_before = {pid: world.proposal(s, pid).audit_seq for pid in owners}
        total_before = s.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.proposal_id.is_not(None)))

    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(WORKERS) as pool:
        reports = pool.starmap(hammer, [
            (world.db.url, world.user_ids, owners, seed)
            for seed in range(WORKERS)])

    assert [r["unexpected"] for r in reports] == [[]] * WORKERS
    accepted: Counter[int] = Counter()
    refused: Counter[str] = Counter()
    for r in reports:
        accepted.update({int(k): v for k, v in r["accepted"].items()})
        refused.update(r["refused"])
    assert sum(accepted.values()) + sum(refused.values()) == WORKERS * ACTIONS_PER_WORKER
    assert sum(accepted.values()) >= len(owners), (accepted, refused)
    with world.db.session() as s:
        for pid in owners:
            proposal = world.proposal(s, pid)
            assert proposal.audit_seq == events_before[pid] + accepted[pid], pid
            open_clocks = s.scalar(select(func.count()).select_from(Deadline).where(
                Deadline.proposal_id == pid, Deadline.closed_at.is_(None)))
            assert open_clocks <= 1, f"#{pid} shows {open_clocks} running time limits"
        total_after = s.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.proposal_id.is_not(None)))
    assert total_after == total_before + sum(accepted.values())
    assert_log_is_whole(world, *owners)
