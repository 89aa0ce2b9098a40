"""The fast lane against the plain flush (`models.fast_writes`), measured in one run: one
submit, and one decision over many proposals, each written both ways. Rounds alternate
which lane goes first; the figure is the median of the per-round ratios (fast ÷ plain), and
the lane pays where it saves at least 15%."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select

from benchmarks.dataset import World, decision_split
from benchmarks.measure import Figure, median, progress
from benchmarks.sizes import Sizes
from benchmarks.transition import submitter
from models import User, fast_writes
from models.db import Database
from workflow.actors import as_actor
from workflow.decisions import issuing as decisions

PAYS = 0.85  # the lane is kept where it takes at most this share of the flush's time
LANES = ("fast", "plain")


def run(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    dialect = "sqlite" if database.is_sqlite else "postgresql"
    return [action(database, world, sizes, dialect), decision(database, world, sizes, dialect)]


def _order(r: int) -> tuple[str, ...]:
    return LANES if r % 2 == 0 else LANES[::-1]


def _figure(key: str, label: str, ms: dict[str, list[float]], unit: str, note: str) -> Figure:
    ratios = [f / p for f, p in zip(ms["fast"], ms["plain"], strict=True)]
    ratio = median(ratios)
    # The figure's ratio is the median of the rounds' ratios, not the ratio of medians:
    # the baseline is scaled so that value / baseline gives it.
    return Figure(key, label, median(ms["fast"]), unit, median(ms["fast"]) / ratio,
                  "the same writes through the plain flush (median of per-round ratios)",
                  "ratio_max", PAYS, ms["fast"], ms["plain"],
                  note=f"{note}; per-round ratios {', '.join(f'{x:.2f}' for x in ratios)}; "
                       f"plain flush median {median(ms['plain']):.3g} {unit}")


def _both_lanes(world: World, sizes: Sizes, pool: str, per: int, what: str,
                write: Callable[[list[int]], None]) -> dict[str, list[float]]:
    """Milliseconds of `write` over each round's share of each lane's pool, the lane that
    goes first alternating round by round."""
    ms: dict[str, list[float]] = {lane: [] for lane in LANES}
    for r in range(sizes.repeat):
        for lane in _order(r):
            ids = world.pools[f"{pool}_{lane}"][r * per:(r + 1) * per]
            with fast_writes.forced(lane == "fast"):
                start = time.perf_counter()
                write(ids)
                ms[lane].append((time.perf_counter() - start) * 1000)
        progress(f"fast lane, {what} {r + 1}/{sizes.repeat}: fast {ms['fast'][-1]:.1f} ms, "
                 f"plain {ms['plain'][-1]:.1f} ms")
    return ms


def action(database: Database, world: World, sizes: Sizes, dialect: str) -> Figure:
    n, submit = sizes.transitions, submitter(database, world)

    def submit_each(ids: list[int]) -> None:
        for pid in ids:
            submit(pid)

    rounds = _both_lanes(world, sizes, "lane_submit", n, f"{n} submits", submit_each)
    ms = {lane: [t / n for t in times] for lane, times in rounds.items()}  # per submit
    return _figure(f"fastpath.{dialect}.action", f"One submit, fast lane ÷ plain flush, "
                   f"{dialect}", ms, "ms", f"{n} submits per lane and round")


def decision(database: Database, world: World, sizes: Sizes, dialect: str) -> Figure:
    n = sizes.decision_nominees
    per = len(decision_split(n))
    with database.session() as session:
        secretary = as_actor(session.scalars(select(User).where(
            User.username == "secretary")).one())

    def issue(ids: list[int]) -> None:
        with database.unit_of_work() as session:
            decisions.issue(session, secretary, {
                "campaign_id": world.campaign_ids[0], "proposal_ids": ids,
                "signed_on": world.today, "signer_name": "Cán bộ ký thử"}, now=world.now)

    ms = _both_lanes(world, sizes, "lane_decision", per, "one decision", issue)
    return _figure(f"fastpath.{dialect}.decision",
                   f"One decision over {per:,} proposals, fast lane ÷ plain flush, {dialect}",
                   ms, "ms", f"{n:,} nominees on {per:,} approved proposals per decision")
