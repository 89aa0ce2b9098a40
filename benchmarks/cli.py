"""The command line: `python -m benchmarks [--full] [--database-url URL] [--json PATH]`."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from benchmarks import bulk, fastpath, pages, sweep, transition
from benchmarks.database import bench_database
from benchmarks.dataset import World, build
from benchmarks.measure import Figure, progress
from benchmarks.report import baselines, machine, table, write_json
from benchmarks.sizes import PRESETS, Sizes, with_overrides
from models.db import Database
from web.startup import settle_startup_heap

Benchmark = Callable[[Database, World, Sizes], list[Figure]]
# The sweep runs last: the open deadlines it adds would crowd the Board queue. The fast
# lane's comparison runs only when asked for (`--only fastpath`).
BENCHMARKS: dict[str, Benchmark] = {"transition": transition.run, "pages": pages.run,
                                    "bulk": bulk.run, "fastpath": fastpath.run,
                                    "sweep": sweep.run}
ON_REQUEST = {"fastpath"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="tdkt beside the floor of its own database, measured in the same run.")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_const", const="full", dest="preset",
                      help="the issue's sizes: 500 units, 100,000 proposals, 1,000,000 open "
                           "deadlines … (long)")
    size.add_argument("--tiny", action="store_const", const="tiny", dest="preset",
                      help="seconds: checks that the tool runs, measures nothing useful")
    p.add_argument("--database-url", help="default: a temporary SQLite file; a PostgreSQL "
                   "URL gets a schema of its own, dropped afterwards")
    p.add_argument("--json", type=Path, help="write every figure to this file")
    p.add_argument("--only", action="append", choices=list(BENCHMARKS),
                   help="run only these benchmarks (repeatable)")
    p.add_argument("--keep", action="store_true", help="keep the built database")
    for f in fields(Sizes):
        p.add_argument(f"--{f.name.replace('_', '-')}", type=int, dest=f.name,
                       help=f"(default {getattr(Sizes(), f.name)}; --full "
                            f"{getattr(PRESETS['full'], f.name)})")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    sizes = with_overrides(PRESETS[args.preset or "small"], vars(args))
    chosen = args.only or [name for name in BENCHMARKS if name not in ON_REQUEST]
    started = time.perf_counter()
    figures: list[Figure] = []
    with bench_database(args.database_url, args.keep) as database:
        dialect = database.engine.dialect.name
        progress(f"{dialect}, sizes: {sizes}")
        world = build(database, sizes, lanes="fastpath" in chosen)
        # The benchmarks below run the service in this process, standing in for a
        # started `tdkt serve` or `tdkt scheduler`, which settle their heap this way.
        settle_startup_heap()
        for name in BENCHMARKS:
            if name in chosen:
                progress(f"--- {name}")
                figures += BENCHMARKS[name](database, world, sizes)
    info = machine()
    print(f"tdkt benchmarks — {dialect}, {info['date'][:16]} UTC, {info['nproc']} CPUs, "
          f"Python {info['python']}, {time.perf_counter() - started:.0f} s")
    print(f"Built: {world.counts}")
    print(table(figures))
    print(baselines(figures))
    if args.json:
        write_json(args.json, figures, sizes, dialect)
        progress(f"figures written to {args.json}")
    return 0
