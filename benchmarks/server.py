"""The page benchmark's server process: tdkt and a bare Flask endpoint in one WSGI app,
served by waitress as `tdkt serve` does, so both are served the same way.

    python -m benchmarks.server DATABASE_URL PORT THREADS SECRET_KEY STORAGE_DIR CACHE_SECONDS
"""

from __future__ import annotations

import logging
import sys

from flask import Flask
from waitress import serve
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from web.app import create_app
from web.startup import settle_startup_heap


def bare_app() -> Flask:
    bare = Flask("bare")

    @bare.get("/")
    def hello() -> str:
        return "ok"

    return bare


def main(argv: list[str]) -> None:
    url, port, threads, secret, storage, cache_seconds = argv
    # 16 clients on 8 threads queue by design: no warning per request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    tdkt = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "STORAGE_DIR": storage,
                       "PAGE_CACHE_SECONDS": int(cache_seconds)})
    app = DispatcherMiddleware(tdkt, {"/bare": bare_app()})
    settle_startup_heap()  # as `tdkt serve` does
    serve(app, host="127.0.0.1", port=int(port), threads=int(threads), _quiet=True,
          connection_limit=200)


if __name__ == "__main__":
    main(sys.argv[1:])
