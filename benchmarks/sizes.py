"""How big the built province is and how long each benchmark runs: small by default
(a few minutes on two cores), the issue's sizes with `--full`."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Sizes:
    units: int = 50
    campaigns: int = 5
    proposals: int = 5_000
    timeline_events: int = 300      # events on the one proposal with a long timeline
    transitions: int = 200          # actions per repeat (service and floor each)
    concurrent_clients: int = 8     # writers for the actions/second figure
    open_deadlines: int = 50_000    # sweep: open deadlines (one pending step each) …
    due_steps: int = 500            # … of which this many are due
    page_clients: int = 16
    page_requests: int = 20         # per client and page, per repeat, at least …
    page_seconds: int = 2           # … and for at least this long
    checks: int = 20_000            # nominee checks per repeat
    export_rows: int = 10_000
    decision_nominees: int = 1_000  # one decision over this many nominees (2 per proposal)
    repeat: int = 3


FULL = Sizes(units=500, proposals=100_000, timeline_events=1_000, transitions=500,
             open_deadlines=1_000_000, due_steps=10_000, page_requests=40, checks=100_000,
             repeat=5)
TINY = Sizes(units=6, proposals=120, timeline_events=30, transitions=10, concurrent_clients=2,
             open_deadlines=400, due_steps=10, page_clients=2, page_requests=3, page_seconds=0,
             checks=500, export_rows=200, decision_nominees=20, repeat=2)
PRESETS = {"small": Sizes(), "full": FULL, "tiny": TINY}


def with_overrides(base: Sizes, overrides: dict[str, int | None]) -> Sizes:
    names = {f.name for f in fields(Sizes)}
    return replace(base, **{k: v for k, v in overrides.items() if k in names and v is not None})
