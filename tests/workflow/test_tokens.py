"""API tokens in the workflow layer: the per-user cap under concurrent creates."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from models import ApiToken
from models.db import Database
from workflow import tokens
from workflow.errors import InvalidInput

PG_URL = os.environ.get("TDKT_TEST_DATABASE_URL")
ON_POSTGRES = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set"),
])])
CLIENTS = 30
JOIN_TIMEOUT = 60  # seconds; only reached if the code under test deadlocks


def _active(world: Any, username: str) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(ApiToken).where(
            ApiToken.user_id == world.user_ids[username], ApiToken.revoked_at.is_(None)))


@ON_POSTGRES
@pytest.mark.parametrize("round_", range(3))
def test_thirty_concurrent_creates_for_a_user_with_no_token_make_exactly_twenty(
        world: Any, db_url: str, round_: int) -> None:
    """Thirty clients, each with its own connection, all released at once: the cap holds."""
    user_id = world.user_ids["unit1"]
    assert _active(world, "unit1") == 0
    # A pool as large as the crowd, so no client waits for a connection instead of the lock.
    database = Database(db_url, pool_size=CLIENTS, max_overflow=0)
    barrier = threading.Barrier(CLIENTS)
    results: list[Any] = [None] * CLIENTS

    def create(i: int) -> None:
        try:
            with database.unit_of_work() as session:
                session.connection()  # connected before the barrier: the creates start together
                barrier.wait(JOIN_TIMEOUT)
                results[i] = tokens.create_token(session, user_id, f"khoá {i}")[0].id
        except Exception as exc:  # a refusal, or a crash the test reports
            results[i] = exc

    threads = [threading.Thread(target=create, args=(i,)) for i in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(JOIN_TIMEOUT)
            assert not t.is_alive(), "a create never finished: deadlock?"
    finally:
        database.dispose()
    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    others = [r for r in results if not isinstance(r, int | InvalidInput)]
    assert others == []
    cap = tokens.MAX_ACTIVE_TOKENS
    assert (len(made), len(refused)) == (cap, CLIENTS - cap)
    assert _active(world, "unit1") == cap
