"""Helpers for tests that race writers at one proposal: actions released at once, a first
writer that holds its lock while a second one waits for it, what a user sees of a proposal,
and the marker that runs a test on PostgreSQL when TDKT_TEST_DATABASE_URL names one."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from models import AuditEvent, Proposal
from models.db import Database
from workflow.actors import Actor
from workflow.audit.chain import replay, verify

VN = ZoneInfo("Asia/Ho_Chi_Minh")
LATER = datetime(2022, 12, 5, 9, 0, tzinfo=VN)  # after make_proposal's walk through the states
REASON = "Thiếu biên bản họp xét của đơn vị; đề nghị bổ sung"
JOIN_TIMEOUT = 60  # seconds; only reached if the code under test deadlocks
PG_URL = os.environ.get("TDKT_TEST_DATABASE_URL")
ON_POSTGRES = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set"),
])])


def person(world: Any, name: str) -> Actor:
    with world.db.session() as s:
        return Actor.of(world.user(s, name))


def seen_version(world: Any, pid: int) -> int:
    """The version a user's page shows: read in its own (read-only) session."""
    with world.db.session() as s:
        return s.scalar(select(Proposal.version).where(Proposal.id == pid))


@dataclass(frozen=True)
class Seen:
    """What a user sees of a proposal: everything a refused action must leave alone."""

    state: str
    version: int
    audit_seq: int
    assignee_id: int | None
    nominees: tuple[str, ...]
    events: int

    @classmethod
    def of(cls, world: Any, pid: int) -> Seen:
        with world.db.session() as s:
            p = world.proposal(s, pid)
            events = s.scalar(select(func.count()).select_from(AuditEvent))
            return cls(p.state, p.version, p.audit_seq, p.assignee_id,
                       tuple(n.full_name for n in p.nominees), events)


def assert_log_is_whole(world: Any, *pids: int) -> None:
    with world.db.session() as s:
        report = verify(s)
        assert report.ok, str(report.broken)
        for pid in pids:
            events = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                               .order_by(AuditEvent.seq)).all()
            proposal = world.proposal(s, pid)
            assert replay(events) == proposal.state
            assert [e.seq for e in events] == list(range(1, proposal.audit_seq + 1))


def race(db: Database, *actions: Callable[[Any], Any]) -> list[Any]:
    """Run each action in its own thread and unit of work, all released at once.

    Returns what each returned or the WorkflowError it raised, in order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Callable[[Any], Any]) -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as session:
                results[i] = action(session)
        except Exception as exc:  # a refusal, or a crash the test will report
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
        assert not t.is_alive(), "a writer never finished: deadlock?"
    return results


def wait_until_blocked(db: Database, backend_pid: int, seconds: float = 20) -> None:
    """Return once `backend_pid` waits on a lock held by another session."""
    deadline = time.monotonic() + seconds
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            blockers = conn.execute(text("SELECT pg_blocking_pids(:pid)"),
                                    {"pid": backend_pid}).scalar()
            conn.rollback()
            if blockers:
                return
    raise AssertionError("the second writer never waited for the first one's lock")


def held_then_contended(world: Any, first: Callable[[Any], Any],
                        second: Callable[[Any], Any]) -> tuple[Any, Any]:
    """`first` acts and holds its transaction open; `second` starts and must block on
    the row lock; only then does `first` commit. Returns both results."""
    first_done, release, second_started = threading.Event(), threading.Event(), threading.Event()
    second_pid: list[int] = []
    results: list[Any] = [None, None]

    def run_first() -> None:
        try:
            with world.db.unit_of_work() as s:
                results[0] = first(s)
                first_done.set()
                assert release.wait(JOIN_TIMEOUT)
        except Exception as exc:
            results[0] = exc
            first_done.set()

    def run_second() -> None:
        try:
            with world.db.unit_of_work() as s:
                second_pid.append(s.scalar(text("SELECT pg_backend_pid()")))
                second_started.set()
                results[1] = second(s)
        except Exception as exc:
            results[1] = exc
            second_started.set()

    a = threading.Thread(target=run_first)
    a.start()
    assert first_done.wait(JOIN_TIMEOUT) and not isinstance(results[0], Exception), results
    b = threading.Thread(target=run_second)
    b.start()
    try:
        assert second_started.wait(JOIN_TIMEOUT) and second_pid, results
        wait_until_blocked(world.db, second_pid[0])
    finally:
        release.set()
    for t in (a, b):
        t.join(JOIN_TIMEOUT)
        assert not t.is_alive(), "deadlock"
    return results[0], results[1]
