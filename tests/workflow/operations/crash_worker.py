"""A writer in a process of its own, for tests that SIGKILL it: it loops for ever through
legal service actions on the given proposals and uploads documents (a fresh file each
time) through `workflow.filing.dossier.add_document`, printing `ok N` after each commit. The test
kills it at a random point of a later action. No sleeping anywhere.

    python -m tests.workflow.operations.crash_worker URL STORAGE_DIR SEED PID [PID ...]
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from models import Proposal, User
from models.db import Database
from workflow.actors import Actor
from workflow.errors import WorkflowError
from workflow.filing import dossier
from workflow.proposals import service

CLERKS = ("unit1", "unit2")
REASON = "Kiểm thử sự cố: bổ sung hồ sơ"


def next_move(rng: random.Random, state: str, assignee: str | None) -> tuple[str | None, str]:
    """(who, what) for the state: who None means the proposal's unit clerk."""
    reviewer = assignee or rng.choice(["reviewer", "reviewer2"])
    return {
        "draft": rng.choice([(None, "submit"), (None, "upload")]),
        "submitted": (rng.choice(["reviewer", "reviewer2"]), "claim"),
        "under_review": rng.choice([(reviewer, "forward"), (reviewer, "return")]),
        "returned": rng.choice([(None, "resubmit"), (None, "upload")]),
        "at_council": ("secretary", "send_back"),
    }.get(state, (None, "resubmit"))


def main() -> None:
    url, storage, seed, *pids = sys.argv[1:]
    rng = random.Random(int(seed))
    database = Database(url)
    with database.session() as s:
        people = {u.username: Actor.of(u) for u in s.scalars(select(User))}
        clerk_of = {p.id: next(n for n in CLERKS if people[n].unit_id == p.unit_id)
                    for p in s.scalars(select(Proposal).where(Proposal.id.in_(map(int, pids))))}
    names = {a.id: n for n, a in people.items()}
    done = 0
    for i in range(10**9):
        pid = rng.choice(sorted(clerk_of))
        with database.session() as s:
            state, assignee_id = s.execute(select(Proposal.state, Proposal.assignee_id)
                                           .where(Proposal.id == pid)).one()
        who, what = next_move(rng, state, names.get(assignee_id))
        actor = people[who or clerk_of[pid]]
        now = datetime.now(UTC)
        try:
            with database.unit_of_work() as s:
                if what == "upload":
                    content = f"%PDF-1.4 crash {seed}-{i} {rng.random()}".encode() * 50
                    dossier.add_document(s, pid, actor, "bao_cao_thanh_tich", f"bc-{i}.pdf",
                                         content, Path(storage), now=now)
                else:
                    reason = REASON if what in ("return", "send_back") else None
                    service.act(s, pid, what, actor, now=now,
                                **({"reason": reason} if reason else {}))
        except WorkflowError:
            continue
        done += 1
        print("ok", done, flush=True)


if __name__ == "__main__":
    main()
