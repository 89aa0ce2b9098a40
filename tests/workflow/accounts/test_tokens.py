"""API tokens in the workflow layer: expiry and scope on a pinned clock, last use marked
at most once a minute, who may revoke, and the per-user cap under concurrent creates."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import ApiToken
from models.db import Database
from tests.conftest import VN
from workflow.accounts import tokens
from workflow.actors import Actor
from workflow.errors import InvalidInput, PermissionDenied

PG_URL = os.environ.get("TDKT_TEST_DATABASE_URL")
ON_POSTGRES = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set"),
])])
CLIENTS = 30
JOIN_TIMEOUT = 60  # seconds; only reached if the code under test deadlocks
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=VN)  # the pinned clock


def _create(world: Any, username: str = "unit1", now: datetime = T0, **kw: Any) -> str:
    with world.db.unit_of_work() as s:
        return tokens.create_token(s, world.user_ids[username], "khoá", now, **kw)[1]


def _check(world: Any, secret: str, now: datetime) -> tokens.Verdict:
    """What a request at `now` does: look the token up, mark it used if due."""
    with world.db.unit_of_work() as s:
        verdict = tokens.authenticate(s, secret, now)
        if verdict.touch_due and verdict.token_id is not None:
            tokens.touch(s, verdict.token_id, now)
        return verdict


def _row(world: Any, secret: str) -> ApiToken:
    with world.db.session() as s:
        return s.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.hash_secret(secret)))


def test_a_token_lives_90_days_by_default_and_then_says_it_expired(world: Any) -> None:
    secret = _create(world)
    assert _row(world, secret).expires_at == T0 + timedelta(days=90)
    live = _check(world, secret, T0 + timedelta(days=90) - timedelta(seconds=1))
    assert live.user is not None and live.scope == "act" and live.expired_at is None
    dead = _check(world, secret, T0 + timedelta(days=90))
    assert dead.user is None and dead.expired_at == T0 + timedelta(days=90)
    short = _create(world, days=1, scope="read")
    assert _check(world, short, T0 + timedelta(hours=23)).scope == "read"
    assert not _check(world, short, T0 + timedelta(hours=23)).may_act
    assert _check(world, short, T0 + timedelta(days=1)).expired_at is not None


@pytest.mark.parametrize("days", [0, 366, -1, True])
def test_an_expiry_outside_1_to_365_days_is_refused(world: Any, days: int) -> None:
    with pytest.raises(InvalidInput, match="1 đến 365"):
        _create(world, days=days)
    with pytest.raises(InvalidInput, match="Phạm vi"):
        _create(world, scope="write")
    assert _active(world, "unit1") == 0


def test_last_use_is_written_at_most_once_a_minute(world: Any) -> None:
    secret = _create(world)
    assert _row(world, secret).last_used_at is None
    assert _check(world, secret, T0).touch_due
    assert _row(world, secret).last_used_at == T0
    for seconds in (1, 30, 59):
        assert not _check(world, secret, T0 + timedelta(seconds=seconds)).touch_due
    assert _row(world, secret).last_used_at == T0
    assert _check(world, secret, T0 + timedelta(seconds=60)).touch_due
    assert _row(world, secret).last_used_at == T0 + timedelta(seconds=60)


def test_a_late_touch_never_moves_last_use_back_nor_writes_twice(world: Any) -> None:
    """Two requests found the touch due at once: only the first UPDATE writes."""
    secret = _create(world)
    token_id = _row(world, secret).id
    with world.db.unit_of_work() as s:
        assert tokens.touch(s, token_id, T0 + timedelta(seconds=5))
    with world.db.unit_of_work() as s:
        assert not tokens.touch(s, token_id, T0 + timedelta(seconds=6))
        assert not tokens.touch(s, token_id, T0)
    assert _row(world, secret).last_used_at == T0 + timedelta(seconds=5)


def test_expired_tokens_do_not_count_towards_the_cap(world: Any) -> None:
    for _ in range(tokens.MAX_ACTIVE_TOKENS):
        _create(world, days=1)
    with pytest.raises(InvalidInput, match="tối đa 20"):
        _create(world, now=T0 + timedelta(hours=1))
    _create(world, now=T0 + timedelta(days=1))  # the twenty have expired by then


def test_only_the_owner_or_an_admin_revokes_a_token(world: Any) -> None:
    secret = _create(world)
    token_id = _row(world, secret).id
    with world.db.session() as s:
        head = Actor.of(world.user(s, "boardhead"))
        admin = Actor.of(world.user(s, "admin"))
    with pytest.raises(PermissionDenied), world.db.unit_of_work() as s:
        tokens.revoke_token(s, world.user_ids["unit1"], token_id, T0, head)
    with pytest.raises(PermissionDenied), world.db.unit_of_work() as s:
        tokens.revoke_all(s, world.user_ids["unit1"], head, T0)
    assert _check(world, secret, T0).user is not None
    with world.db.unit_of_work() as s:
        assert [t.id for t in tokens.revoke_all(s, world.user_ids["unit1"], admin, T0)] == [
            token_id]
    assert _check(world, secret, T0).user is None


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
