"""The transition's baselines do the work their labels claim: the floor and its version
through SQLAlchemy Core write the same rows, and the bare-SQL submit writes what the
service's own `submit` writes (the same columns of the proposal, the same deadline and
as many escalation steps). A baseline that did less would make the service look slower
than it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from benchmarks.database import bench_database
from benchmarks.dataset import World, build
from benchmarks.sizes import TINY
from benchmarks.transition import bare_submitter, core_submitter, floor_submitter, submitter
from models.db import Database
from tests.conftest import PG_URL

Submitter = Callable[[Database, World], Callable[[int], None]]
DATABASES = ["sqlite", pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")])]


@pytest.fixture(scope="module", params=DATABASES)
def built(request: pytest.FixtureRequest) -> Iterator[tuple[Database, World]]:
    url = None if request.param == "sqlite" else PG_URL
    with bench_database(url) as database:
        yield database, build(database, TINY)


def written(database: Database, pid: int) -> dict[str, object]:
    """What a submit leaves on the proposal: the columns it changes (which of them are
    set, for those whose value is the writer's own), its events, and its open deadline
    with its pending escalation steps."""
    with database.engine.connect() as conn:
        proposal = conn.execute(text(
            "SELECT state, version, audit_seq, ruleset_version_id, reference IS NOT NULL, "
            "submitted_at IS NOT NULL, audit_head IS NOT NULL FROM proposals WHERE id = :p"),
            {"p": pid}).one()
        events = conn.execute(text(
            "SELECT count(*) FROM audit_events WHERE proposal_id = :p"), {"p": pid}).scalar()
        deadlines = conn.execute(text(
            "SELECT kind, state, ruleset_version_id FROM deadlines "
            "WHERE proposal_id = :p AND closed_at IS NULL"), {"p": pid}).all()
        steps = conn.execute(text(
            "SELECT step_index FROM escalation_steps "
            "WHERE proposal_id = :p AND status = 'pending' ORDER BY step_index"),
            {"p": pid}).scalars().all()
    return {"proposal": tuple(proposal), "events": events,
            "deadlines": [tuple(d) for d in deadlines], "steps": len(steps)}


def data_version(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT n FROM data_version WHERE id = 1")).scalar_one()


def run(database: Database, world: World, pool: str, make: Submitter
        ) -> tuple[dict[str, object], dict[str, object], int]:
    pid = world.pools[pool][0]
    before, version = written(database, pid), data_version(database)
    make(database, world)(pid)
    return before, written(database, pid), data_version(database) - version


def test_the_bare_submit_writes_what_the_services_submit_writes(
        built: tuple[Database, World]) -> None:
    database, world = built
    before, service, service_raised = run(database, world, "submit_service", submitter)
    _, bare, bare_raised = run(database, world, "submit_bare", bare_submitter)
    state, version, seq, ruleset, has_reference, has_submitted_at, _ = service["proposal"]
    assert (state, version, seq) == ("submitted", before["proposal"][1] + 1,
                                     before["proposal"][2] + 1)
    assert ruleset is not None and has_reference and has_submitted_at
    assert service["events"] == before["events"] + 1
    assert service["deadlines"] == [("review", "submitted", ruleset)]
    assert service["steps"] == 3  # the benchmark rule set's ladder: remind, escalate ×2
    assert bare == service
    assert service_raised == bare_raised == 1


@pytest.mark.parametrize("pool, make", [("submit_floor", floor_submitter),
                                        ("submit_core_floor", core_submitter)])
def test_the_floor_and_its_sqlalchemy_version_write_the_same_rows(
        built: tuple[Database, World], pool: str, make: Submitter) -> None:
    database, world = built
    before, after, raised = run(database, world, pool, make)
    _, version, seq, *rest = before["proposal"]
    assert after == {**before, "events": before["events"] + 1,
                     "proposal": ("submitted", version + 1, seq + 1, *rest)}
    assert raised == 0  # neither raises the data version: the floor has none
