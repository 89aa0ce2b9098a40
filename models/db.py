"""Engine and session setup: SQLite (WAL, foreign keys) by default, PostgreSQL by URL; every
committed write raises the data version (`models.data_version`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE_PATH = Path("instance") / "tdkt.sqlite"


def default_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


# Statements that change no rows; anything else in a committed transaction raises the
# data version (a false alarm costs a cache miss, a missed write a stale page).
_READS = frozenset({"SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW",
                    "SET", "EXPLAIN"})
RAISE_VERSION = "UPDATE data_version SET n = n + 1 WHERE id = 1"
READ_VERSION = "SELECT n FROM data_version WHERE id = 1"
UNTRACKED = "tdkt_untracked"  # execution option: migrations, which may predate the table
_WROTE = "tdkt_wrote"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, **kwargs)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        if make_url(url).get_driver_name() in _LIBPQ_DRIVERS:
            kwargs["connect_args"] = _network_defaults(url, kwargs.get("connect_args") or {})
        engine = create_engine(url, **kwargs)
    _track_writes(engine)
    return engine


# By default libpq waits without limit: for a server that stops answering while
# connecting, and for a statement's reply when the server's host vanished (a dropped
# network, a failed-over VM); data it sent that is never acknowledged holds it some 15
# minutes, until the kernel gives up. With these it gives up within about a minute. A
# live server busy with a long statement still answers the keepalive probes, so no
# statement is cut short.
PG_NETWORK = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
              "keepalives_interval": 10, "keepalives_count": 3, "tcp_user_timeout": 60_000}
_LIBPQ_DRIVERS = frozenset({"psycopg", "psycopg2"})


def _network_defaults(url: str, connect_args: dict[str, Any]) -> dict[str, Any]:
    """PG_NETWORK under whatever the URL's query or the caller sets (a copy)."""
    given = set(make_url(url).query) | set(connect_args)
    return {**{k: v for k, v in PG_NETWORK.items() if k not in given}, **connect_args}


def _track_writes(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        first = statement.lstrip()[:10].split(None, 1)
        if not first or first[0].upper() not in _READS:
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _raise(conn: Any) -> None:
        # The last statement of the transaction: its row lock is held only for the commit.
        if (conn.info.pop(_WROTE, False) and not conn.get_execution_options().get(UNTRACKED)
                and _has_counter(conn)):
            conn.exec_driver_sql(RAISE_VERSION)
        conn.info.pop(_WROTE, None)

    @event.listens_for(engine, "rollback")
    def _forget(conn: Any) -> None:
        conn.info.pop(_WROTE, None)


_COUNTED: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def _has_counter(conn: Connection) -> bool:
    """Whether the schema has the counter (not before migration 0008). Only a yes is
    remembered (until the next migration, `schema_changed`): a process started before
    `tdkt db upgrade` ran elsewhere starts raising the counter at its first write after."""
    if _COUNTED.get(conn.engine):
        return True
    found = inspect(conn).has_table("data_version")
    if found:
        _COUNTED[conn.engine] = True
    return found


def schema_changed(engine: Engine) -> None:
    _COUNTED.pop(engine, None)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A unit of work takes the write lock up front: a deferred transaction that
        # reads and then writes fails at once if another writer committed meanwhile.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """One engine plus the two ways to use it: read sessions and units of work."""

    def __init__(self, url: str | None = None, **engine_kwargs: Any) -> None:
        self.url = url or default_url()
        self.engine = make_engine(self.url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        write_opts = {"sqlite_begin": "IMMEDIATE"} if self.is_sqlite else {}
        self._writer = sessionmaker(
            self.engine, expire_on_commit=False, execution_options=write_opts
        )
        self._versions = _VersionReader(self.engine)

    def session(self) -> Session:
        return self._reader()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A write transaction: committed once on success, rolled back on any error."""
        with self._writer() as session, session.begin():
            yield session

    def data_version(self) -> int | None:
        """The data version now (None if its row is missing). Read before a page reads
        anything, so the page shows at least every write this number counts."""
        return self._versions.read()

    def dispose(self) -> None:
        self._versions.close()
        self.engine.dispose()


class _VersionReader:
    """Reads the data version on one driver connection per thread, kept outside the pool in
    autocommit: one statement and one round trip, none of the pool's ping, begin and
    rollback around it, which were most of what a page served from the cache cost.

    Each request reads for itself, so no request waits on another's read: a read that
    hangs holds up its own request only, as the page's own queries would. Sharing one read
    among the requests that arrived together saved round trips, but it ran one read at a
    time and woke every waiting thread after each, and that convoy cost cached pages more
    than the round trips it saved (benchmarks/README.md, "Fixes made")."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._opened: dict[int, Any] = {}  # thread ident → its connection
        self._lock = threading.Lock()

    def read(self) -> int | None:
        """The counter, or None (the page is rendered, not looked up) when the database
        cannot say: no counter yet (before migration 0008) or the server is gone."""
        errors = (self._engine.dialect.loaded_dbapi.Error, DBAPIError)
        for _attempt in (1, 2):
            try:
                conn = self._opened.get(threading.get_ident()) or self._connect()
                cursor = conn.cursor()
                cursor.execute(READ_VERSION)
                row = cursor.fetchone()
                cursor.close()
                return None if row is None else int(row[0])
            except errors:
                self._drop(threading.get_ident())  # a server restart: one fresh try
        return None

    def _connect(self) -> Any:
        pooled = self._engine.raw_connection()
        conn = pooled.driver_connection  # set up as the engine sets up each connection
        assert conn is not None  # a connection just taken from the pool is open
        pooled.detach()
        if self._engine.dialect.name != "sqlite":  # SQLite's is in autocommit already
            conn.autocommit = True
        with self._lock:
            # Listed under the lock: a thread that registers its connection meanwhile is
            # alive in this list, so it is never taken for gone and closed mid-read.
            alive = {t.ident for t in threading.enumerate()}
            # A server that starts a thread per request must not leave one behind each.
            gone = [self._opened.pop(i) for i in list(self._opened) if i not in alive]
            self._opened[threading.get_ident()] = conn
        for old in gone:
            _close(old)
        return conn

    def _drop(self, ident: int) -> None:
        with self._lock:
            conn = self._opened.pop(ident, None)
        _close(conn)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, {}
        for conn in opened.values():
            _close(conn)


def _close(conn: Any) -> None:
    with contextlib.suppress(Exception):
        if conn is not None:
            conn.close()
