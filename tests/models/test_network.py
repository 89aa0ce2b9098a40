"""A PostgreSQL server that stops answering does not hang tdkt: connecting gives up after
the default time limit (`models.db.PG_NETWORK`), or after the one the database URL sets.
The 'server' here is a socket that accepts connections and never says a word, as a
server does whose host froze."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import OperationalError

from models.db import PG_NETWORK, Database
from tests.conftest import PG_URL


@pytest.fixture
def silent_server() -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def attempt(url: str) -> tuple[BaseException | None, float]:
    """Connect in a thread; what it raised and how long it took (None, inf: still hung
    after a minute)."""
    outcome: list[BaseException | None] = []
    started = time.monotonic()

    def connect() -> None:
        database = Database(url)
        try:
            with database.engine.connect():
                outcome.append(None)
        except Exception as exc:  # the test looks at what it was
            outcome.append(exc)
        finally:
            database.engine.dispose()

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(60)
    if not outcome:
        return None, float("inf")
    return outcome[0], time.monotonic() - started


def test_connecting_to_a_server_that_never_answers_gives_up(silent_server: int):
    error, seconds = attempt(f"postgresql+psycopg://tdkt@127.0.0.1:{silent_server}/tdkt")
    assert seconds != float("inf"), "connecting to a silent server hung"
    assert isinstance(error, OperationalError)
    assert seconds >= PG_NETWORK["connect_timeout"] - 1


def test_the_urls_own_time_limit_wins(silent_server: int):
    error, seconds = attempt(
        f"postgresql+psycopg://tdkt@127.0.0.1:{silent_server}/tdkt?connect_timeout=2")
    assert isinstance(error, OperationalError)
    assert seconds < PG_NETWORK["connect_timeout"] - 3


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
def test_a_real_connection_carries_the_keepalives_and_the_urls_own_values():
    """What libpq was given, read back from a live connection: the defaults, except where
    the URL says otherwise."""
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    for url, idle in ((PG_URL, "30"), (f"{PG_URL}{sep}keepalives_idle=75", "75")):
        database = Database(url)
        try:
            with database.engine.connect() as conn:
                given = conn.connection.dbapi_connection.info.get_parameters()
        finally:
            database.engine.dispose()
        assert given["keepalives"] == "1" and given["keepalives_idle"] == idle
        assert given["connect_timeout"] == "10" and given["tcp_user_timeout"] == "60000"
