"""kill -9 in the middle of writing, many times, on SQLite (a file) and PostgreSQL.

A child process (tests/workflow/operations/crash_worker.py) loops through service actions and
document uploads; after a random number of commits the test SIGKILLs it — wherever it is
in the next action: inside a transaction, between writing a file and committing, or
between two — and starts it again. Afterwards `tdkt doctor`'s checks must pass: every
audit chain verifies, every proposal's state is its replay, every document row has its
file with the right SHA-256 and its `add_document` event. Orphan files (written, never
committed) are allowed and counted: `tdkt doctor --fix` removes them.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models import AuditEvent, Document
from workflow.operations.doctor import examine, fix_orphans

KILLS = 15
PROPOSALS = 6
ROOT = Path(__file__).resolve().parents[3]


def start(world: Any, seed: int, pids: list[int]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workflow.operations.crash_worker", world.db.url,
         str(world.storage), str(seed), *map(str, pids)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killing_a_writer_at_random_points_leaves_a_consistent_database_and_store(
        world: Any, make_proposal: Callable[..., int], backend: str) -> None:
    rng = random.Random(20261127)
    pids = [make_proposal(state, clerk=("unit1", "unit2")[n % 2]) for n, state in
            enumerate(["draft", "submitted", "under_review", "returned", "at_council",
                       "draft"][:PROPOSALS])]
    commits = 0
    for kill in range(KILLS):
        child = start(world, rng.randrange(10**6), pids)
        assert child.stdout is not None
        wanted = rng.randint(1, 8)
        seen = 0
        for line in child.stdout:  # the restarted writer makes progress...
            assert line.startswith("ok"), line
            seen += 1
            if seen == wanted:
                break
        child.send_signal(signal.SIGKILL)  # ...and dies somewhere in the next action
        _out, err = child.communicate(timeout=60)
        assert seen == wanted, f"kill {kill}: the writer stopped early: {err[-2000:]}"
        assert child.returncode == -signal.SIGKILL
        commits += seen

    with world.db.session() as s:
        report = examine(s, world.storage)
        documents = s.scalar(select(func.count()).select_from(Document))
        uploads = s.scalar(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.action == "add_document"))
    print(f"\n{backend}: {KILLS} kill -9 of a writer after {commits} commits; "
          f"{report.events} events, {documents} documents, {len(report.orphans)} orphan files")
    assert report.broken_chain is None
    assert report.state_mismatches == []
    assert report.missing_files == [] and report.damaged_files == []
    assert documents == uploads  # no document row without its event, nor the reverse
    assert documents > len(pids)  # the writer really uploaded
    removed = fix_orphans(report)
    assert report.orphans == [] and all(not p.exists() for p in removed)
    with world.db.session() as s:
        assert examine(s, world.storage).ok
