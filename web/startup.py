"""What a long-running tdkt process (`tdkt serve`, `tdkt demo`, `tdkt scheduler`, a
gunicorn worker through `web.wsgi`) does once it has started and before it takes work."""

from __future__ import annotations

import gc

from flask import Flask


def settle_startup_heap() -> int:
    """Set aside, for the rest of the process, every object alive once startup is over
    (the imported modules and the app); returns how many there now are.

    Python's cycle collector walks every tracked object in its oldest generation each
    time that generation is collected, and a started tdkt holds some 150,000 that live as
    long as the process. Under load those walks took a quarter of a decision over 1,000
    nominees and lengthened the slowest page requests (benchmarks/README, 28/11/2026).
    Frozen objects are no longer walked; garbage made later is collected as before,
    automatically."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def settled_app() -> Flask:
    """The app built from the environment, with the startup heap set aside after it."""
    from web.app import create_app  # the app imports every blueprint; only a server needs it

    app = create_app()
    settle_startup_heap()
    return app
