"""Browser fixtures: the real app served by waitress on a free local port, over a fresh
SQLite database holding the demo world, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def live_server(world: Any, db_url: str) -> Iterator[str]:
    """The app under waitress in a background thread; yields its base URL."""
    from waitress import create_server

    from web.app import create_app

    app = create_app({"DATABASE_URL": db_url, "STORAGE_DIR": str(world.storage),
                      "SECRET_KEY": "browser-test-secret"})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except OSError as exc:
            # waitress 3.0.2's loop may select() on the socket close() just shut
            # (Pylons/waitress#468, fixed after that release): expected only when stopping.
            if not (stopping.is_set() and exc.errno == errno.EBADF):
                raise

    thread = threading.Thread(target=serve, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stopping.set()
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)
    app.extensions["tdkt_db"].dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot prefix; earlier shots of the same test are removed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.originalname
    for old in SCREENSHOTS.glob(f"{prefix}-*.png"):
        old.unlink()
    return SCREENSHOTS / prefix
