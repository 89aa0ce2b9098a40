"""A served app for tests that need real connections: `tdkt serve` (waitress, 4 threads) on
a database, in a process of its own, and the port it listens on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def serve(url: str, world: Any) -> tuple[subprocess.Popen[bytes], int]:
    """`tdkt serve` (waitress, 4 threads) on `url`, in a process of its own."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "TDKT_DATABASE_URL": url, "TDKT_STORAGE_DIR": str(world.storage),
           "TDKT_SECRET_KEY": "lost-connection-test", "TDKT_PAGE_CACHE_SECONDS": "0"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port",
         str(port), "--threads", "4"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            assert server.poll() is None, f"the server exited with {server.returncode}"
            time.sleep(0.05)
    server.kill()
    raise AssertionError("the server did not start")
