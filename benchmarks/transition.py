"""Benchmark 1: one change of state through `workflow.proposals.service.act` (permission, rules,
state change, audit event, deadline, notifications) against the bare-SQL floor, single
client; and actions per second with several concurrent clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from benchmarks.core_floor import CoreFloor
from benchmarks.dataset import World
from benchmarks.floor import Floor
from benchmarks.measure import Figure, median, progress
from benchmarks.sizes import Sizes
from models.db import Database
from workflow.campaigns.rulesets import compiled_by_id
from workflow.proposals.service import act

FLOOR_LABEL = "bare SQL: row read + version-checked UPDATE + audit INSERT, one transaction"
CORE_LABEL = ("the floor's transaction through SQLAlchemy Core and tdkt's engine hooks, "
              "statements built once (no ORM session)")
BARE_SUBMIT_LABEL = (
    "a submit's own statements as bare SQL: the service's locked read (the proposal with "
    "its nominees, rule set, documents and open deadline), its UPDATE and audit INSERT, a "
    "review deadline with its escalation steps, the data version")


def run(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    dialect = "sqlite" if database.is_sqlite else "postgresql"
    figures = single(database, world, sizes, dialect)
    if database.is_sqlite:
        progress("concurrent actions: PostgreSQL only (SQLite takes one writer at a time)")
    else:
        figures.append(concurrent(database, world, sizes, dialect))
    return figures


def submitter(database: Database, world: World) -> Callable[[int], None]:
    def submit(pid: int) -> None:
        with database.unit_of_work() as session:
            act(session, pid, "submit", world.clerks[world.unit_of(pid)], now=world.now)

    return submit


def floor_submitter(database: Database, world: World) -> Callable[[int], None]:
    floor = Floor(database)

    def submit(pid: int) -> None:
        raw = database.engine.raw_connection()
        try:
            floor.transition(raw, pid, "submit", "submitted",
                             world.clerks[world.unit_of(pid)].id or 0, world.now)
        finally:
            raw.close()

    return submit


def core_submitter(database: Database, world: World) -> Callable[[int], None]:
    floor = CoreFloor(database)

    def submit(pid: int) -> None:
        floor.transition(pid, "submit", "submitted", world.clerks[world.unit_of(pid)].id or 0,
                         world.now)

    return submit


def bare_submitter(database: Database, world: World) -> Callable[[int], None]:
    floor, steps = Floor(database), review_rungs(database, world)

    def submit(pid: int) -> None:
        raw = database.engine.raw_connection()
        try:
            floor.submit(raw, pid, world.clerks[world.unit_of(pid)].id or 0, world.now, steps)
        finally:
            raw.close()

    return submit


def review_rungs(database: Database, world: World) -> int:
    """The escalation steps a submit plans under the benchmark's rule sets."""
    with database.session() as session:
        rules = compiled_by_id(session, world.version_ids[world.campaign_ids[0]]).rules
    return sum("review" in rung.applies_to for rung in rules.escalation)


def single(database: Database, world: World, sizes: Sizes, dialect: str) -> list[Figure]:
    """The service's submit beside the bare floor; and, to show where the gap comes from,
    beside the floor's transaction through SQLAlchemy Core and beside the submit's own
    statements as bare SQL (what the database itself does for it)."""
    n = sizes.transitions
    runs = {"service": (submitter(database, world), "submit_service"),
            "floor": (floor_submitter(database, world), "submit_floor"),
            "core": (core_submitter(database, world), "submit_core_floor"),
            "bare": (bare_submitter(database, world), "submit_bare")}
    ms: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(sizes.repeat):
        for name, (fn, pool) in runs.items():
            ms[name].append(_sequential(fn, world.pools[pool][r * n:(r + 1) * n]) / n * 1000)
        progress(f"transition {r + 1}/{sizes.repeat}: service {ms['service'][-1]:.2f} ms, "
                 f"floor {ms['floor'][-1]:.2f} ms, floor through SQLAlchemy Core "
                 f"{ms['core'][-1]:.2f} ms, the submit's statements bare "
                 f"{ms['bare'][-1]:.2f} ms")
    service, floor, core, bare = (median(ms[k]) for k in ("service", "floor", "core", "bare"))
    return [
        Figure(f"transition.{dialect}", f"Transition (submit via service.act), {dialect}",
               service, "ms", floor, FLOOR_LABEL, "ratio_max",
               2.0 if dialect == "sqlite" else 1.3, ms["service"], ms["floor"],
               note=f"{n} actions per repeat, one unit of work each; the service also checks "
                    f"the actor and the rules, opens a deadline with its escalation steps "
                    f"and raises the data version. It is {service / bare:.1f}× the same "
                    f"statements as bare SQL (transition.{dialect}.bare_submit)"),
        Figure(f"transition.{dialect}.core",
               f"Floor's transaction through SQLAlchemy Core, {dialect}", core, "ms", floor,
               FLOOR_LABEL, None, None, ms["core"], ms["floor"],
               note=f"{CORE_LABEL}; no target in the issue. Its ratio is what SQLAlchemy "
                    f"Core costs for the floor's three statements beyond the driver"),
        Figure(f"transition.{dialect}.bare_submit",
               f"A submit's own statements as bare SQL, {dialect}", bare, "ms", floor,
               FLOOR_LABEL, None, None, ms["bare"], ms["floor"],
               note=f"{BARE_SUBMIT_LABEL}; no target in the issue. Its ratio is what the "
                    f"database itself does for a submit beyond the floor, with no Python work"),
    ]


def concurrent(database: Database, world: World, sizes: Sizes, dialect: str) -> Figure:
    n, clients = sizes.transitions, sizes.concurrent_clients
    service, bare = submitter(database, world), floor_submitter(database, world)
    rates, floor_rates = [], []
    for r in range(sizes.repeat):
        ids = world.pools["submit_concurrent"][r * n:(r + 1) * n]
        floor_ids = world.pools["submit_concurrent_floor"][r * n:(r + 1) * n]
        rates.append(n / _parallel(service, ids, clients))
        floor_rates.append(n / _parallel(bare, floor_ids, clients))
        progress(f"concurrent {r + 1}/{sizes.repeat}: service {rates[-1]:.0f}/s, "
                 f"floor {floor_rates[-1]:.0f}/s")
    return Figure(
        f"transition.{dialect}.concurrent",
        f"Actions/second, {clients} concurrent clients, {dialect}", median(rates),
        "actions/s", median(floor_rates), f"the same floor, {clients} clients", None, None,
        rates, floor_rates,
        note="threads of one Python process (one GIL); no target in the issue: the ratio is "
             "the share of the floor's rate")


def _sequential(fn: Callable[[int], None], ids: list[int]) -> float:
    start = time.perf_counter()
    for pid in ids:
        fn(pid)
    return time.perf_counter() - start


def _parallel(fn: Callable[[int], None], ids: list[int], clients: int) -> float:
    """Seconds for `clients` workers to run `fn` over all ids, each id once."""
    shares = [ids[i::clients] for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for done in [pool.submit(_sequential, fn, share) for share in shares]:
            done.result()
    return time.perf_counter() - start
