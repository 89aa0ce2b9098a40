"""A started server or scheduler sets its startup heap aside (`web.process`): the objects
alive once the app is built are no longer walked by the cycle collector, and garbage
made afterwards (a request's reference cycles) is still freed. Run in a fresh
interpreter: freezing is for the whole process, and the test process must keep its own."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json, weakref
from web.app import create_app
from web.process import settle_startup_heap

app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 32})
before = gc.get_freeze_count()
frozen = settle_startup_heap()

class Node:
    pass

# A reference cycle made after startup, as a request makes them, then dropped.
a, b = Node(), Node()
a.other, b.other = b, a
freed = []
weakref.finalize(a, freed.append, True)
del a, b
gc.collect()
print(json.dumps({"before": before, "frozen": frozen, "freed": freed == [True],
                  "generation_2": len(gc.get_objects(generation=2))}))
"""


def test_settling_freezes_the_startup_heap_and_later_garbage_is_still_freed() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    # The app, its modules and templates: tens of thousands of objects, set aside.
    assert seen["frozen"] > 20_000
    # What is left for the collector to walk in its oldest generation is a small part.
    assert seen["generation_2"] < seen["frozen"] / 10
    assert seen["freed"], "a reference cycle made after settling was never collected"
