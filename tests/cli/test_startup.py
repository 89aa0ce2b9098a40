"""A started server or scheduler sets its startup heap aside (`web.startup`): the objects
alive once the app is built are no longer walked by the cycle collector, and garbage
made afterwards (a request's reference cycles) is still freed, by the collector on its
own. Run in a fresh interpreter, configured from the environment as a server is:
freezing is for the whole process, and the test process must keep its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import gc, json, weakref
from web.startup import settled_app

before = gc.get_freeze_count()
app = settled_app()
frozen = gc.get_freeze_count()
left = len(gc.get_objects(generation=2))

class Node:
    pass

# Reference cycles made after startup, as requests make them, then dropped; the
# collector must find them by itself, as it does in a server (no gc.collect() here).
freed = []
for _ in range(50):
    a, b = Node(), Node()
    a.other, b.other = b, a
    weakref.finalize(a, freed.append, True)
    del a, b
junk = [[] for _ in range(100_000)]  # allocations, which is what sets the collector off
print(json.dumps({"before": before, "frozen": frozen, "enabled": gc.isenabled(),
                  "freed": len(freed), "generation_2": left,
                  "app": app.name}))
"""


def test_settling_freezes_the_startup_heap_and_later_garbage_is_still_freed(
        tmp_path: Path) -> None:
    env = {**os.environ, "TDKT_DATABASE_URL": f"sqlite:///{tmp_path / 'tdkt.sqlite'}",
           "TDKT_SECRET_KEY": "x" * 32, "TDKT_STORAGE_DIR": str(tmp_path / "documents"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=False, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    # The app, its modules and templates: tens of thousands of objects, set aside.
    assert seen["frozen"] > 20_000
    # What is left for the collector to walk in its oldest generation is a small part.
    assert seen["generation_2"] < seen["frozen"] / 10
    assert seen["app"] == "web.app"
    assert seen["enabled"] and seen["freed"] == 50, "cycles made after settling stay uncollected"
