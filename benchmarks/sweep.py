"""Benchmark 2: the escalation sweep. Many open deadlines, some due: `workflow.escalation.sweep`
applying every due step (each its own transaction) against the same number of bare-SQL
transactions; and an idle sweep with nothing due, whose cost must not grow with the open
deadlines. Runs last: its extra open deadlines would crowd the Board queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from benchmarks.database import analyze, reset_sequences
from benchmarks.dataset import CHUNK, World, step_row
from benchmarks.floor import Floor
from benchmarks.measure import Figure, median, progress, timed
from benchmarks.sizes import Sizes
from models import Deadline, DeadlineStep, Proposal
from models.db import Database
from workflow.escalation.sweep import BATCH, SweepReport, sweep


def run(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    dialect = "sqlite" if database.is_sqlite else "postgresql"
    due_ids = build(database, world, sizes)
    floor = Floor(database)
    service_s, floor_s, idle_ms = [], [], []
    idle_at = world.now - timedelta(days=1)
    for r in range(sizes.repeat):
        idle_ms.append(timed(lambda: sweep(database, idle_at)) * 1000)
        service_s.append(timed(lambda: _applied(sweep(database, world.now), len(due_ids))))
        _reset(database, due_ids)
        floor_s.append(timed(lambda: _floor(database, floor, world, len(due_ids))))
        _reset(database, due_ids)
        progress(f"sweep {r + 1}/{sizes.repeat}: service {service_s[-1]:.2f} s, floor "
                 f"{floor_s[-1]:.2f} s for {len(due_ids):,} due; idle {idle_ms[-1]:.2f} ms")
    shape = f"{sizes.open_deadlines:,} open deadlines, {len(due_ids):,} due"
    return [
        Figure(f"sweep.{dialect}", f"Sweep applying all due steps, {dialect}",
               median(service_s), "s", median(floor_s),
               "bare SQL: the same number of transactions (claim step, lock proposal, "
               "mark done, audit INSERT)", "ratio_max", 2.0, service_s, floor_s,
               note=f"{shape}; each step is a reminder to the assignee (inbox row + mail); the "
                    f"sweep applies up to {BATCH} steps a transaction, the floor one"),
        Figure(f"sweep.{dialect}.idle", f"Idle sweep (nothing due), {dialect}",
               median(idle_ms), "ms", None, None, "value_max", 10.0, idle_ms,
               note=f"{shape}: one indexed query finds nothing"),
    ]


def build(database: Database, world: World, sizes: Sizes) -> list[int]:
    """`open_deadlines` open deadlines with one pending reminder each, on proposals in
    review; the first `due_steps` (on distinct proposals where possible) are due."""
    progress(f"building {sizes.open_deadlines:,} open deadlines ({sizes.due_steps:,} due)")
    with database.engine.begin() as conn:
        targets = list(conn.scalars(select(Proposal.id).where(
            Proposal.state == "under_review", Proposal.id != world.long_timeline_id)
            .order_by(Proposal.id)))
        due_ids = _insert(conn, world, sizes, targets)
    reset_sequences(database, ["deadlines", "escalation_steps"])
    analyze(database)
    return due_ids


def _insert(conn: Connection, world: World, sizes: Sizes, targets: list[int]) -> list[int]:
    did = conn.scalar(select(func.max(Deadline.id))) or 0
    sid = conn.scalar(select(func.max(DeadlineStep.id))) or 0
    due_ids, deadlines, steps = [], [], []
    for i in range(sizes.open_deadlines):
        did, sid = did + 1, sid + 1
        pid = targets[i % len(targets)]
        is_due = i < sizes.due_steps
        step_due = world.now - timedelta(hours=1) if is_due else (
            world.now + timedelta(days=1 + i % 90))
        deadlines.append({"id": did, "proposal_id": pid, "kind": "review",
                          "state": "under_review", "ruleset_version_id": _version(world, pid),
                          "started_at": world.now - timedelta(days=20),
                          "due_at": step_due + timedelta(days=2), "closed_at": None})
        steps.append(step_row(sid, did, pid, 0, "remind", "assignee", -2, step_due))
        if is_due:
            due_ids.append(sid)
        if len(steps) >= CHUNK * 5:
            _flush(conn, deadlines, steps)
    _flush(conn, deadlines, steps)
    return due_ids


def _version(world: World, pid: int) -> int:
    return world.version_ids[world.campaign_ids[pid % len(world.campaign_ids)]]


def _flush(conn: Connection, deadlines: list[dict[str, Any]],
           steps: list[dict[str, Any]]) -> None:
    for table, rows in ((Deadline.__table__, deadlines), (DeadlineStep.__table__, steps)):
        for start in range(0, len(rows), CHUNK):
            conn.execute(table.insert(), rows[start:start + CHUNK])
        rows.clear()


def _applied(report: SweepReport, expected: int) -> None:
    applied = len(report.applied)
    if applied != expected:
        raise RuntimeError(f"sweep applied {applied} steps, expected {expected}")


def _floor(database: Database, floor: Floor, world: World, expected: int) -> None:
    done = 0
    raw = database.engine.raw_connection()
    try:
        while floor.sweep_step(raw, world.now):
            done += 1
    finally:
        raw.close()
    if done != expected:
        raise RuntimeError(f"floor applied {done} steps, expected {expected}")


def _reset(database: Database, step_ids: list[int]) -> None:
    """Make the same steps due again (not timed)."""
    with database.engine.begin() as conn:
        for start in range(0, len(step_ids), CHUNK):
            conn.execute(update(DeadlineStep).where(
                DeadlineStep.id.in_(step_ids[start:start + CHUNK])).values(
                status="pending", applied_at=None, audit_event_id=None, attempts=0))
