"""kill -9 of a real web worker while requests are in flight, on SQLite (a file) and
PostgreSQL.

`tdkt serve` (waitress, several threads) runs in a process of its own on the test's
database; two client threads fire JSON API actions at it (claim, return, resubmit,
forward, send back, each with the version just read, through bearer tokens). After a
random number of answered requests the server is SIGKILLed — with the other thread's
request on its way — and started again. Afterwards `tdkt doctor`'s checks pass: every
chain verifies and every proposal's state is its replay; and every action the server
answered 200 for is in the audit log (an acknowledged action is never lost).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models import AuditEvent
from tests.support.smtp import free_port
from workflow.accounts import tokens
from workflow.operations.doctor import examine

KILLS = 8
ROOT = Path(__file__).resolve().parents[2]
REASON = "Kiểm thử máy chủ bị dừng đột ngột"
MOVES = {"submitted": ("reviewer", "claim", False), "under_review": ("reviewer", "return", True),
         "returned": ("unit1", "resubmit", False)}


def start_server(world: Any, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TDKT_DATABASE_URL": world.db.url,
           "TDKT_STORAGE_DIR": str(world.storage), "TDKT_SECRET_KEY": "kill9-test-key"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port",
         str(port), "--threads", "4"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):  # until it answers (an import and a bind: a few seconds at most)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"the server exited with {server.returncode}") from None
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def call(port: int, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


class Client(threading.Thread):
    """Moves random proposals one legal step at a time until the server goes away."""

    def __init__(self, port: int, keys: dict[str, str], pids: list[int], seed: int,
                 answered: threading.Semaphore) -> None:
        super().__init__(daemon=True)
        self.port, self.keys, self.pids = port, keys, pids
        self.rng = random.Random(seed)
        self.answered = answered
        self.acknowledged: list[tuple[int, str]] = []

    def run(self) -> None:
        try:
            while True:
                pid = self.rng.choice(self.pids)
                status, found = call(self.port, self.keys["unit1"], "GET", f"/proposals/{pid}")
                if status != 200:
                    continue
                who, trigger, needs_reason = MOVES.get(found["state"], ("unit1", "", False))
                if not trigger:
                    continue
                body: dict[str, Any] = {"expected_version": found["version"]}
                if needs_reason:
                    body["reason"] = REASON
                status, _ = call(self.port, self.keys[who], "POST",
                                 f"/proposals/{pid}/actions/{trigger}", body)
                if status == 200:
                    self.acknowledged.append((pid, trigger))
                self.answered.release()
        except (OSError, http.client.HTTPException):
            return  # the server was killed under us, perhaps halfway through an answer


def test_killing_the_web_server_mid_request_loses_no_acknowledged_action(
        world: Any, make_proposal: Any, backend: str) -> None:
    rng = random.Random(20261127)
    pids = [make_proposal(state) for state in ("submitted", "under_review", "returned") * 2]
    with world.db.unit_of_work() as s:
        keys = {name: tokens.create_token(s, world.user_ids[name], "kill -9")[1]
                for name in ("unit1", "reviewer")}
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
    acknowledged: list[tuple[int, str]] = []
    port = free_port()
    for _ in range(KILLS):
        server = start_server(world, port)
        answered = threading.Semaphore(0)
        clients = [Client(port, keys, pids, rng.randrange(10**6), answered) for _ in range(2)]
        for client in clients:
            client.start()
        for _ in range(rng.randint(2, 12)):
            assert answered.acquire(timeout=60), "the server stopped answering"
        server.send_signal(signal.SIGKILL)  # the other client's request is on its way
        server.wait(timeout=30)
        for client in clients:
            client.join(timeout=60)
            acknowledged += client.acknowledged

    with world.db.session() as s:
        report = examine(s, world.storage)
        logged = s.scalar(select(func.count()).select_from(AuditEvent)) - events_before
    print(f"\n{backend}: {KILLS} kill -9 of a web server; {len(acknowledged)} actions "
          f"acknowledged, {logged} logged")
    assert report.broken_chain is None
    assert report.state_mismatches == []
    assert acknowledged, "no action went through"
    # Every 200 is in the log; at most the requests cut off by a kill may be there too
    # (committed, the answer lost): one in flight per client per kill.
    assert len(acknowledged) <= logged <= len(acknowledged) + 2 * KILLS
