"""A database that goes away in the middle of a request: real faults, no mocks.

On PostgreSQL the request's own backend is terminated (`pg_terminate_backend`, from a
connection of the test's) at a chosen moment, found through the app engine's events: just
before the COMMIT of the write (the outcome is then unknown to the app: it was not
committed), or on every transaction after the COMMIT (the write is in, the reply cannot be
read). On SQLite the database is locked by another connection, or refuses writes.

Each time the API answers JSON (503 `database_unavailable`, saying what became of the
write), the request's teardown does not raise (a raising teardown reached the WSGI server
as its own bare 500, after the response was made), and replaying the request with the same
Idempotency-Key tells the real outcome. The HTML UI answers its own error page.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.pool import NullPool

from models import Proposal
from tests.support.api_client import Caller
from tests.support.races import ON_POSTGRES, PG_URL
from tests.support.served import serve
from tests.web.conftest import csrf_token, login
from web.api.schemas import ErrorOut
from workflow.accounts import tokens

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"])
DRAFT = {"campaign": "TEST-OPEN", "title": "Hồ sơ gửi lúc mất kết nối"}
CLEANUP = "closing the read session failed"


def session_api(app: Flask, username: str = "unit1") -> Caller:
    """`username` calling the API through the web session (no token: no bookkeeping write
    of its own before the request's)."""
    client = login(app.test_client(), username)
    return Caller(client, {"X-CSRFToken": csrf_token(client, "/")})


def drafts(world: Any, title: str = DRAFT["title"]) -> list[int]:
    with world.db.session() as s:
        return list(s.scalars(select(Proposal.id).where(Proposal.title == title)))


def assert_json_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json", response.content_type
    body = response.get_json()["error"]
    assert body["code"] == code and body["message"], body
    ErrorOut.model_validate(response.get_json())   # as the OpenAPI document describes it
    return body


def test_the_openapi_document_declares_the_503(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    create = doc["paths"]["/proposals"]["post"]
    assert create["responses"]["503"] == {"$ref": "#/components/responses/ServiceUnavailable"}
    assert "Idempotency-Key" in doc["info"]["description"]


# -- PostgreSQL: a backend terminated at a chosen point of the request

class Killer:
    """Terminates the app's own backends from a connection of the test's, when the app's
    engine reaches a point (its SQLAlchemy events) while armed."""

    def __init__(self, engine: Engine) -> None:
        assert PG_URL
        self.engine = engine
        self.admin = create_engine(PG_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.killed = 0

    def kill(self, conn: Any) -> None:
        self.kill_pid(conn.connection.dbapi_connection.info.backend_pid)

    def kill_pid(self, pid: int) -> None:
        with self.admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            for _ in range(200):   # gone before the app's next word reaches it (≤ 2 s)
                if not c.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"),
                                 {"p": pid}).first():
                    break
                time.sleep(0.01)
        self.killed += 1

    @contextmanager
    def before_the_commit_of(self, table: str) -> Iterator[None]:
        """Kill the backend of the next transaction that inserts into `table`, just before
        its COMMIT is sent."""
        armed = [True]

        def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
                conn.info["fault_target"] = True

        def commit(conn: Any) -> None:
            if conn.info.pop("fault_target", False) and armed[0]:
                armed[0] = False
                self.kill(conn)

        with self._listening(("before_cursor_execute", note), ("commit", commit)):
            yield

    @contextmanager
    def after_the_commit_of(self, table: str) -> Iterator[None]:
        """Once a transaction inserting into `table` is committing, kill the backend of
        every transaction begun after it: the write is in, and nothing can be read back."""
        committed = [False]

        def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
                conn.info["fault_target"] = True

        def commit(conn: Any) -> None:
            if conn.info.pop("fault_target", False):
                committed[0] = True

        def begin(conn: Any) -> None:
            if committed[0]:
                self.kill(conn)

        with self._listening(("before_cursor_execute", note), ("commit", commit),
                             ("begin", begin)):
            yield

    @contextmanager
    def others_at_the_commit_of(self, table: str) -> Iterator[None]:
        """When a transaction inserting into `table` commits, kill the backends of the app's
        other connections checked out meanwhile (the request's read session), once."""
        seen: dict[int, Any] = {}
        armed = [True]

        def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
            seen[id(record)] = record

        def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
                conn.info["fault_target"] = True

        def commit(conn: Any) -> None:
            if conn.info.pop("fault_target", False) and armed[0]:
                armed[0] = False
                mine = conn.connection.dbapi_connection
                for record in seen.values():
                    other = record.dbapi_connection
                    if other is not None and other is not mine and not other.closed:
                        self.kill_pid(other.info.backend_pid)

        with self._listening(("checkout", checkout), ("before_cursor_execute", note),
                             ("commit", commit)):
            yield

    @contextmanager
    def at_the_first_transaction(self) -> Iterator[None]:
        """Kill the backend of the next transaction begun, whichever it is."""
        armed = [True]

        def begin(conn: Any) -> None:
            if armed[0]:
                armed[0] = False
                self.kill(conn)

        with self._listening(("begin", begin)):
            yield

    @contextmanager
    def _listening(self, *listeners: tuple[str, Callable[..., None]]) -> Iterator[None]:
        for name, fn in listeners:
            event.listen(self.engine, name, fn)
        try:
            yield
        finally:
            for name, fn in listeners:
                event.remove(self.engine, name, fn)


@pytest.fixture
def killer(app: Flask) -> Iterator[Killer]:
    k = Killer(app.extensions["tdkt_db"].engine)
    yield k
    k.admin.dispose()


@ON_POSTGRES
def test_a_connection_lost_before_the_commit_is_a_json_503_and_the_replay_creates(
        app, world, killer, caplog):
    api = session_api(app)
    key = {"Idempotency-Key": "lost-before-commit"}
    with killer.before_the_commit_of("idempotency_keys"):
        lost = api.post("/proposals", json=DRAFT, headers=key)
    assert killer.killed == 1
    body = assert_json_error(lost, 503, "database_unavailable")
    assert body["outcome"] == "unknown"    # the COMMIT was cut off: the app cannot know
    assert "Idempotency-Key" in body["message"] and lost.headers["Retry-After"]
    assert drafts(world) == []             # (it was not committed)
    replay = api.post("/proposals", json=DRAFT, headers=key)
    assert replay.status_code == 201 and "Idempotent-Replayed" not in replay.headers
    assert drafts(world) == [replay.json["id"]]


@ON_POSTGRES
def test_a_write_committed_before_the_connection_was_lost_is_shown_by_the_replay(
        app, world, killer, caplog):
    """The five requests of the report: committed, answered with an error."""
    api = session_api(app)
    key = {"Idempotency-Key": "lost-after-commit"}
    with caplog.at_level(logging.WARNING), killer.after_the_commit_of("idempotency_keys"):
        lost = api.post("/proposals", json=DRAFT, headers=key)
    body = assert_json_error(lost, 503, "database_unavailable")
    assert body["outcome"] == "applied"
    # The read session's dead connection could not be closed cleanly; that was contained
    # (the teardown raised here before, and the server sent its bare 500).
    assert CLEANUP in caplog.text
    [made] = drafts(world)
    replay = api.post("/proposals", json=DRAFT, headers=key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id"] == made and drafts(world) == [made]


@ON_POSTGRES
def test_a_read_connection_lost_during_the_write_does_not_fail_the_request(
        app, world, killer, caplog):
    """The request's read session lost its connection while the write committed: the
    reply is read on a fresh one instead of the committed create being answered 503."""
    api = session_api(app)   # (the request reads its user first: the read session's)
    with caplog.at_level(logging.WARNING), killer.others_at_the_commit_of("idempotency_keys"):
        made = api.post("/proposals", json=DRAFT, headers={"Idempotency-Key": "read-lost"})
    assert killer.killed >= 1
    assert made.status_code == 201, made.get_data(as_text=True)
    assert drafts(world) == [made.json["id"]]
    assert "the read session could not be reset" in caplog.text


@ON_POSTGRES
def test_an_action_whose_reply_was_lost_is_told_by_the_proposal_version(
        app, world, killer, make_proposal):
    """A write to an existing proposal carries expected_version: its replay is refused
    (409) either way, and the proposal's version says whether it was applied."""
    pid = make_proposal("draft")
    api = session_api(app)
    version = api.get(f"/proposals/{pid}").json["version"]
    with killer.after_the_commit_of("audit_events"):
        lost = api.post(f"/proposals/{pid}/actions/submit", json={"expected_version": version})
    assert assert_json_error(lost, 503, "database_unavailable")["outcome"] == "applied"
    now = api.get(f"/proposals/{pid}").json
    assert (now["state"], now["version"]) == ("submitted", version + 1)
    again = api.post(f"/proposals/{pid}/actions/submit", json={"expected_version": version})
    assert again.status_code == 409


@ON_POSTGRES
def test_the_ui_answers_its_own_page_when_the_connection_is_lost(
        app, world, killer, client_for):
    clerk = client_for("unit1")
    page = clerk.get("/unit/").get_data(as_text=True)
    form = {"campaign": "TEST-OPEN", "title": DRAFT["title"],
            "csrf_token": csrf_token(clerk, "/unit/"),
            "form_key": page.split('name="form_key" value="', 1)[1][:32]}
    with killer.before_the_commit_of("idempotency_keys"):
        lost = clerk.post("/unit/proposals", data=form)
    assert lost.status_code == 503 and lost.mimetype == "text/html"
    text_ = lost.get_data(as_text=True)
    assert "Mất kết nối tới cơ sở dữ liệu" in text_ and "Hãy mở lại trang hồ sơ" in text_
    assert 'id="inbox-link"' in text_         # the page's own frame, the user still known
    # The user's lookup is the request's first read: lost there, the page is rendered
    # without anyone (the database is not asked again).
    with killer.at_the_first_transaction():
        first = clerk.get("/account/tokens")   # (a page not served from the page cache)
    shown = first.get_data(as_text=True)
    assert first.status_code == 503 and "Mất kết nối tới cơ sở dữ liệu" in shown
    assert 'id="inbox-link"' not in shown
    # and the next request is served as usual
    assert clerk.get("/account/tokens").status_code == 200


# -- SQLite: the database locked by another writer, or refusing writes

@contextmanager
def waiting_briefly(app: Flask, ms: int = 200) -> Iterator[None]:
    """The app's connections wait `ms` for a lock, not the production 30 s."""
    engine = app.extensions["tdkt_db"].engine

    def checkout(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={ms}")

    event.listen(engine, "checkout", checkout)
    try:
        yield
    finally:
        event.remove(engine, "checkout", checkout)


@contextmanager
def locked(world: Any) -> Iterator[None]:
    """Another process's write transaction holds the database's write lock."""
    holder = sqlite3.connect(world.db.url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@contextmanager
def read_only(app: Flask) -> Iterator[None]:
    """SQLite refuses every write on the app's connections ("attempt to write a readonly
    database"), as for a file the server may not write."""
    engine = app.extensions["tdkt_db"].engine

    def checkout(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.execute("PRAGMA query_only=ON")

    event.listen(engine, "checkout", checkout)
    try:
        yield
    finally:
        event.remove(engine, "checkout", checkout)
        engine.dispose()   # no connection stays read-only


@ON_SQLITE
@pytest.mark.parametrize("fault", ["locked", "read-only"])
def test_a_sqlite_database_that_cannot_be_written_is_a_json_503(app, world, fault):
    api = session_api(app)
    key = {"Idempotency-Key": f"sqlite-{fault}"}
    fault_on = locked(world) if fault == "locked" else read_only(app)
    with waiting_briefly(app), fault_on:
        refused = api.post("/proposals", json=DRAFT, headers=key)
    body = assert_json_error(refused, 503, "database_unavailable")
    assert body["outcome"] == "not_applied" and refused.headers["Retry-After"]
    assert drafts(world) == []
    replay = api.post("/proposals", json=DRAFT, headers=key)
    assert replay.status_code == 201 and "Idempotent-Replayed" not in replay.headers
    assert drafts(world) == [replay.json["id"]]


@ON_SQLITE
def test_a_locked_database_gives_the_ui_its_own_page(app, world, client_for):
    clerk = client_for("unit1")
    with waiting_briefly(app), locked(world):
        page = clerk.post("/unit/proposals", data={
            "campaign": "TEST-OPEN", "title": DRAFT["title"],
            "csrf_token": csrf_token(clerk, "/unit/")})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Thao tác chưa được ghi nhận" in page.get_data(as_text=True)


# -- errors raised after the view: in an after-request hook, in a teardown

def test_an_error_in_an_after_request_hook_is_still_json(world, db_url):
    from tests.web.conftest import app_with

    with app_with(world, db_url, PROPAGATE_EXCEPTIONS=False) as app:  # as in production
        @app.after_request
        def broken(response: Any) -> Any:
            raise RuntimeError("an after-request hook failed")

        client = app.test_client()
        api = client.get("/api/v1/openapi.json")
        assert_json_error(api, 500, "internal_error")
        page = client.get("/login")
        assert page.status_code == 500 and page.mimetype == "text/html"
        assert "Đã xảy ra lỗi hệ thống" in page.get_data(as_text=True)


def test_an_error_in_a_teardown_is_answered_by_the_app_not_the_server(world, db_url):
    from tests.web.conftest import app_with

    with app_with(world, db_url) as app:
        @app.teardown_appcontext
        def broken(_exc: Any) -> None:
            raise RuntimeError("a teardown failed")

        client: FlaskClient = app.test_client()
        api = client.get("/api/v1/openapi.json")   # would raise out of the client before
        assert_json_error(api, 500, "internal_error")
        page = client.get("/login")
        assert page.status_code == 500 and page.mimetype == "text/html"
        assert "Đã xảy ra lỗi hệ thống" in page.get_data(as_text=True)


# -- a served app under load, its backends terminated from outside

CLIENTS, REQUESTS = 4, 25          # 100 creates, each with its own key
LOAD_SECONDS = 120                 # the whole run's bound; a few seconds in practice


def create(port: int, secret: str, key: str, title: str) -> tuple[int, str, dict[str, Any],
                                                                   bool]:
    """POST /proposals: (status, content type, JSON body, replayed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/proposals", json.dumps({**DRAFT, "title": title}),
                     {"Authorization": f"Bearer {secret}", "Idempotency-Key": key,
                      "Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("Content-Type", "")
        body = json.loads(raw) if kind.startswith("application/json") else {"raw": raw[:200]}
        return (response.status, kind, body,
                response.getheader("Idempotent-Replayed") == "true")
    finally:
        conn.close()


@ON_POSTGRES
def test_a_served_app_whose_backends_are_terminated_under_load_answers_json(world):
    name = f"tdkt_lost_{os.getpid()}"
    url = f"{world.db.url}&application_name={name}"
    with world.db.unit_of_work() as s:
        secret = tokens.create_token(s, world.user_ids["unit1"], "load")[1]
    server, port = serve(url, world)
    admin = create_engine(PG_URL or "", poolclass=NullPool, isolation_level="AUTOCOMMIT")
    first: dict[str, tuple[int, str, dict[str, Any], bool]] = {}
    done, kills = threading.Event(), [0]
    rng = random.Random(20261201)
    deadline = time.monotonic() + LOAD_SECONDS

    def client(n: int) -> None:
        for i in range(REQUESTS):
            key = f"load-{n}-{i}"
            first[key] = create(port, secret, key, f"Hồ sơ tải {n}-{i}")

    def kill_in_flight() -> None:
        with admin.connect() as c:
            while not done.is_set() and time.monotonic() < deadline:
                time.sleep(rng.uniform(0.02, 0.15))
                kills[0] += len(c.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :n AND state IS DISTINCT FROM 'idle'"),
                    {"n": name}).all())

    try:
        killer = threading.Thread(target=kill_in_flight, daemon=True)
        clients = [threading.Thread(target=client, args=(n,), daemon=True)
                   for n in range(CLIENTS)]
        killer.start()
        for t in clients:
            t.start()
        for t in clients:
            t.join(timeout=max(1.0, deadline - time.monotonic()))
        done.set()
        killer.join(timeout=30)
        assert len(first) == CLIENTS * REQUESTS, "the clients did not finish in time"
        replays = {key: create(port, secret, key, f"Hồ sơ tải {key[5:]}") for key in first}
    finally:
        done.set()
        server.terminate()
        server.wait(timeout=30)
        admin.dispose()

    raw = {k: v for k, v in first.items() if not v[1].startswith("application/json")}
    assert not raw, f"answers that are not JSON: {raw}"
    statuses = Counter(v[0] for v in first.values())
    assert set(statuses) <= {201, 503}, statuses
    outcomes = Counter(v[2]["error"]["outcome"] for v in first.values() if v[0] == 503)
    assert all(r[0] == 201 for r in replays.values()), replays
    for key, (status, _kind, body, _replayed) in first.items():
        replayed = replays[key][3]
        if status == 201 or body["error"]["outcome"] == "applied":
            assert replayed, key            # it was committed: the replay shows it
        elif body["error"]["outcome"] == "not_applied":
            assert not replayed, key        # it was not: the replay made it now
    with world.db.session() as s:
        made = s.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.title.like("Hồ sơ tải %")))
    assert made == len(first)                # one draft per key, none twice, none lost
    committed_unanswered = sum(1 for k, v in first.items() if v[0] == 503 and replays[k][3])
    unknown_in = sum(1 for k, v in first.items() if v[0] == 503 and replays[k][3]
                     and v[2]["error"]["outcome"] == "unknown")
    print(f"\n{len(first)} creates, {kills[0]} backends terminated: {dict(statuses)}; "
          f"503 outcomes {dict(outcomes)}; committed but answered 503: "
          f"{committed_unanswered} (of the unknown: {unknown_in} committed)")
