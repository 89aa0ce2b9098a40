"""Benchmark 3: pages under concurrent clients. The Board queue, a proposal page with a
long timeline and a unit's dashboard, served by waitress in a process of their own beside
a bare Flask endpoint served the same way; plus SQL statements per page (N+1 watch)."""

from __future__ import annotations

import http.client
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from benchmarks.dataset import PASSWORD, World
from benchmarks.measure import Figure, median, percentile, progress
from benchmarks.sizes import Sizes
from models import User
from models.db import Database
from workflow.proposals.queries import TIMELINE_SHOWN

SERVER_THREADS = 8  # as `tdkt serve`


def pages(world: World) -> list[tuple[str, str, str, str]]:
    """(key, label, path, user) of each page measured."""
    return [
        ("queue", "Board queue (one campaign)", f"/review/?campaign={world.campaign_ids[0]}",
         world.reviewer_names[0]),
        ("proposal", "Proposal page, long timeline", f"/proposals/{world.long_timeline_id}",
         world.reviewer_names[0]),
        ("dashboard", "Unit dashboard", "/unit/", world.clerk_names[world.busiest_unit_id]),
    ]


def run(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    figures = statement_counts(database, world)
    for cached in (True, False):
        with served(database, cached) as port:
            cookies = {user: login(port, user) for *_, user in pages(world)}
            bare = [measure(port, "/bare/", None, sizes) for _ in range(sizes.repeat)]
            bare_p95, bare_rps = median([b[1] for b in bare]), median([b[2] for b in bare])
            progress(f"bare endpoint: p95 {bare_p95:.1f} ms, {bare_rps:.0f} req/s")
            for key, label, path, user in pages(world):
                runs = [measure(port, path, cookies[user], sizes) for _ in range(sizes.repeat)]
                figures += page_figures(key, label, runs, bare, sizes, cached)
                progress(f"{key}{'' if cached else ' (cache off)'}: "
                         f"p50 {figures[-3].value:.1f} ms, p95 {figures[-2].value:.1f} ms, "
                         f"{figures[-1].value:.0f} req/s")
    return figures


def page_figures(key: str, label: str, runs: list[tuple[float, float, float]],
                 bare: list[tuple[float, float, float]], sizes: Sizes, cached: bool
                 ) -> list[Figure]:
    """With the page cache (as served), against the targets; with it off, every request
    rendered: the cost of a page after a write, reported beside them without a target."""
    clients = f"{sizes.page_clients} clients"
    base = "bare Flask endpoint, served the same way"
    if not cached:
        key, label = f"{key}.rendered", f"{label}, cache off"
    p95_target: tuple[str | None, float | None] = ("value_max", 50.0) if cached else (None, None)
    rps_target: tuple[str | None, float | None] = ("ratio_min", 0.4) if cached else (None, None)
    return [
        Figure(f"pages.{key}.p50", f"{label}: p50, {clients}", median([r[0] for r in runs]),
               "ms", median([b[0] for b in bare]), base, None, None, [r[0] for r in runs],
               [b[0] for b in bare]),
        Figure(f"pages.{key}.p95", f"{label}: p95, {clients}", median([r[1] for r in runs]),
               "ms", median([b[1] for b in bare]), base, *p95_target,
               [r[1] for r in runs], [b[1] for b in bare]),
        Figure(f"pages.{key}.rps", f"{label}: throughput, {clients}",
               median([r[2] for r in runs]), "req/s", median([b[2] for b in bare]), base,
               *rps_target, [r[2] for r in runs], [b[2] for b in bare],
               note=f"at least {sizes.page_clients * sizes.page_requests} requests and "
                    f"{sizes.page_seconds} s per repeat; "
                    f"waitress, {SERVER_THREADS} threads, one process"
                    + ("" if cached else "; TDKT_PAGE_CACHE_SECONDS=0")
                    + (f"; it lists the latest {TIMELINE_SHOWN} of the proposal's "
                       f"{sizes.timeline_events}+ events, with a link to all"
                       if key.startswith("proposal") else "")),
    ]


def measure(port: int, path: str, cookie: str | None, sizes: Sizes
            ) -> tuple[float, float, float]:
    """p50 and p95 latency (ms) and requests/second of `page_clients` clients, each
    sending requests one after another on a kept-alive connection: at least
    `page_requests` each, and for at least `page_seconds` (a page served from the cache
    answers 320 requests in a quarter of a second, too short a window to measure)."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    until = time.perf_counter() + sizes.page_seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        while len(mine) < sizes.page_requests or time.perf_counter() < until:
            start = time.perf_counter()
            status, _ = get(conn, path, cookie)
            mine.append((time.perf_counter() - start) * 1000)
            if status != 200:
                errors.append(f"{path}: HTTP {status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    get(http.client.HTTPConnection("127.0.0.1", port, timeout=120), path, cookie)  # warm
    threads = [threading.Thread(target=client) for _ in range(sizes.page_clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(errors[0])
    return percentile(latencies, 50), percentile(latencies, 95), len(latencies) / elapsed


def get(conn: http.client.HTTPConnection, path: str, cookie: str | None) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    return response.status, response.read()


def login(port: int, username: str) -> str:
    """The session cookie of a real login through the login form (CSRF included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = _cookie(page)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username,
                                   "password": PASSWORD})
    conn.request("POST", "/login", body, {"Cookie": cookie,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    done = conn.getresponse()
    done.read()
    if done.status != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {done.status}")
    return _cookie(done)


def _cookie(response: http.client.HTTPResponse) -> str:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    raise RuntimeError("no session cookie")


@contextmanager
def served(database: Database, cached: bool = True) -> Iterator[int]:
    port = _free_port()
    url = database.engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="tdkt-bench-docs-") as storage:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server", url, str(port), str(SERVER_THREADS),
             secrets.token_hex(16), storage, "30" if cached else "0"])
        try:
            _wait_for(port, process)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the benchmark server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


# --- SQL statements per page ---------------------------------------------------------------

def statement_counts(database: Database, world: World) -> list[Figure]:
    """SQL statements one request of each page runs (in-process test client): a number
    that grows with the rows shown is an N+1 query."""
    from models.base import utcnow
    from web.app import create_app
    from workflow.accounts import signins

    url = database.engine.url.render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "PAGE_CACHE_SECONDS": 0})  # what a render costs, not a kept page
    engine = app.extensions["tdkt_db"].engine
    figures = []
    for key, label, path, user in pages(world):
        client = app.test_client()
        with database.session() as session:
            row = session.query(User).filter_by(username=user).one()
            user_key = str(signins.begin(row, utcnow(), remembered=False))
        with client.session_transaction() as flask_session:
            flask_session["_user_id"], flask_session["_fresh"] = user_key, True
        client.get(path)  # warm caches (rule sets, templates)
        statements: list[str] = []
        listener = _recorder(statements)
        event.listen(engine, "before_cursor_execute", listener)
        status = client.get(path).status_code
        event.remove(engine, "before_cursor_execute", listener)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        figures.append(Figure(f"pages.{key}.statements", f"{label}: SQL statements",
                              float(len(statements)), "statements", note="one request, warm"))
    app.extensions["tdkt_db"].dispose()
    return figures


def _recorder(statements: list[str]) -> Any:
    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    return record
