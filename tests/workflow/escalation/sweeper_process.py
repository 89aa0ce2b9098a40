"""A sweep in a process of its own, for tests that kill it: after `--pause-after N` steps
it stops inside the N-th step's transaction (before commit), says `paused` on stdout and
waits on stdin for ever, so the test can SIGKILL it there. No sleeping anywhere.

    python -m tests.workflow.escalation.sweeper_process URL NOW_ISO [--pause-after N] [--batch B]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from models.db import Database
from workflow.escalation.sweep import sweep


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("now")
    parser.add_argument("--pause-after", type=int, default=0)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    database = Database(args.url)
    seen = 0

    def before_commit(session: Any, step: Any) -> None:
        nonlocal seen
        seen += 1
        if seen == args.pause_after:
            print("paused", step.id, flush=True)
            sys.stdin.readline()  # the test kills us here, mid-transaction

    report = sweep(database, datetime.fromisoformat(args.now), before_commit=before_commit,
                   batch=args.batch)
    print("applied", report.count("applied"), flush=True)


if __name__ == "__main__":
    main()
