"""The transition's baselines do the work their labels claim: the floor and its version
through SQLAlchemy Core write the same rows, and the bare-SQL action writes the rows the
service's own `submit` writes (the same kinds, as many of each). A baseline that did
less would make the service look slower than it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from benchmarks.database import bench_database
from benchmarks.dataset import World, build
from benchmarks.sizes import TINY
from benchmarks.transition import (
    bare_action_submitter,
    floor_submitter,
    stack_submitter,
    submitter,
)
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
    """What a submit leaves on the proposal: its state and version, and how many events,
    open deadlines and pending escalation steps it has."""
    with database.engine.connect() as conn:
        state, version = conn.execute(text(
            "SELECT state, version FROM proposals WHERE id = :p"), {"p": pid}).one()
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table} WHERE proposal_id = :p"
                                     + extra), {"p": pid}).scalar()
            for table, extra in (("audit_events", ""),
                                 ("deadlines", " AND closed_at IS NULL"),
                                 ("escalation_steps", " AND status = 'pending'"))}
    return {"state": state, "version": version, **counts}


def data_version(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT n FROM data_version WHERE id = 1")).scalar_one()


def run(database: Database, world: World, pool: str, make: Submitter
        ) -> tuple[dict[str, object], dict[str, object], int]:
    pid = world.pools[pool][0]
    before, version = written(database, pid), data_version(database)
    make(database, world)(pid)
    return before, written(database, pid), data_version(database) - version


def test_the_bare_action_writes_what_the_services_submit_writes(
        built: tuple[Database, World]) -> None:
    database, world = built
    before, service, service_raised = run(database, world, "submit_service", submitter)
    _, bare, bare_raised = run(database, world, "submit_bare_action", bare_action_submitter)
    assert service["state"] == "submitted" and service["version"] == before["version"] + 1
    assert service["audit_events"] == before["audit_events"] + 1
    assert service["deadlines"] == 1 and service["escalation_steps"] == 3
    assert bare == service
    assert service_raised == bare_raised == 1


@pytest.mark.parametrize("pool, make", [("submit_floor", floor_submitter),
                                        ("submit_stack_floor", stack_submitter)])
def test_the_floor_and_its_sqlalchemy_version_write_the_same_rows(
        built: tuple[Database, World], pool: str, make: Submitter) -> None:
    database, world = built
    before, after, raised = run(database, world, pool, make)
    assert after == {**before, "state": "submitted", "version": before["version"] + 1,
                     "audit_events": before["audit_events"] + 1}
    assert raised == 0  # neither raises the data version: the floor has none
