"""`tdkt audit verify` on a live database: writers keep acting through the service while
verify runs again and again, and no verify may report tampering.

Before verify read in one snapshot, it read a proposal's events in one statement and the
proposal's head in another (PostgreSQL, READ COMMITTED): an action committed in between
made the head run past the chain it had read, "its last events are gone"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.support.races import JOIN_TIMEOUT, LATER, ON_POSTGRES, REASON, person
from workflow.accounts import administration
from workflow.actors import Actor
from workflow.audit.chain import verify
from workflow.proposals import service

WRITERS = 4
VERIFIES = 50
ACTIONS = 200
# Each writer walks its own proposal round the loop submitted → under_review → returned.
CYCLE = (("claim", "reviewer"), ("return", "reviewer"), ("resubmit", "unit1"))


@ON_POSTGRES
def test_verify_passes_every_time_while_proposals_and_users_change(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pids = [make_proposal("submitted") for _ in range(WRITERS)]
    people = {name: person(world, name) for name in ("reviewer", "unit1", "admin")}
    with world.db.session() as s:
        unit1 = world.user(s, "unit1")
        user_id, unit_id = unit1.id, unit1.unit_id
    stop = threading.Event()
    actions = [0] * (WRITERS + 1)
    errors: list[BaseException] = []

    def walk(i: int, pid: int) -> None:
        step = 0
        try:
            while not stop.is_set():
                trigger, who = CYCLE[step % len(CYCLE)]
                with world.db.unit_of_work() as s:
                    extra = {"reason": REASON} if trigger == "return" else {}
                    service.act(s, pid, trigger, people[who], now=LATER, **extra)
                step += 1
                actions[i] += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def rename(admin_actor: Actor) -> None:
        """A user's stream (not a proposal's: its head is an audit_heads row) grows too."""
        n = 0
        try:
            while not stop.is_set():
                with world.db.unit_of_work() as s:
                    administration.update_profile(s, admin_actor, user_id, f"Cán bộ thử {n}",
                                         None, unit_id, now=LATER)
                n += 1
                actions[WRITERS] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=walk, args=(i, pid)) for i, pid in enumerate(pids)]
    threads.append(threading.Thread(target=rename, args=(people["admin"],)))
    for t in threads:
        t.start()
    failures: list[str] = []
    verifies = 0
    try:
        while verifies < VERIFIES or sum(actions) < ACTIONS:
            with world.db.session() as s:
                report = verify(s)
            verifies += 1
            if not report.ok:
                failures.append(str(report.broken))
            if errors:
                break
    finally:
        stop.set()
        for t in threads:
            t.join(JOIN_TIMEOUT)
    assert not errors, errors
    print(f"\n{verifies} verifies during {sum(actions)} actions: {len(failures)} failed")
    assert sum(actions) >= ACTIONS and verifies >= VERIFIES
    assert failures == [], f"{len(failures)} of {verifies} verifies failed: {failures[:3]}"
    with world.db.session() as s:
        assert verify(s).ok
