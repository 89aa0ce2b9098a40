"""A pytest plugin that watches the one door: every change of a proposal (a new one, a column
set, an UPDATE of `proposals`) must happen with `workflow/proposals/service.py` on the call
stack. It records the call site of each change made without it, and fails the test that made
it. Tests and benchmarks may change proposals directly (to set up or tamper); migrations too."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from models import Proposal

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = tuple(str(ROOT / name) + "/" for name in ("workflow", "web", "models", "rules"))
EXEMPT = (str(ROOT / "models" / "migrations") + "/",)
DOOR = str(ROOT / "workflow" / "proposals" / "service.py")
# Product functions that may write a proposal row without the door, and why.
ALLOWED = {
    # `tdkt audit seal` signs existing chain heads with the new key: it changes no state,
    # assignee or version, and the proposal's chain gains no event.
    ("workflow/audit/chain.py", "seal"),
}

# Call sites of changes made outside the door, since the last test began.
outside: list[str] = []


def _first_product_frame(frame: FrameType | None) -> tuple[FrameType | None, bool]:
    """The innermost frame of product code, and whether the door is anywhere on the stack."""
    found: FrameType | None = None
    while frame is not None:
        name = frame.f_code.co_filename
        if name == DOOR:
            return frame, True
        if found is None and name.startswith(PRODUCT) and not name.startswith(EXEMPT):
            found = frame
        if name.startswith(str(ROOT / "tests")) or name.startswith(str(ROOT / "benchmarks")):
            # Reached test or benchmark code before the door: a test's own change, unless
            # product code below it made the change.
            return found, False
        frame = frame.f_back
    return found, False


def _check(what: str) -> None:
    site, through_door = _first_product_frame(sys._getframe(2))
    if site is None or through_door:
        return
    where = str(Path(site.f_code.co_filename).relative_to(ROOT))
    if (where, site.f_code.co_name) not in ALLOWED:
        outside.append(f"{what} at {where}:{site.f_lineno} ({site.f_code.co_name})")


def _on_set(target: Proposal, value: Any, old: Any, initiator: Any) -> None:
    if value is not old:
        _check(f"Proposal.{initiator.key} set")


def _on_init(target: Proposal, args: Any, kwargs: Any) -> None:
    _check("Proposal() created")


def _on_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                  executemany: bool) -> None:
    head = statement.lstrip()[:30].lower()
    if head.startswith(("update proposals", 'update "proposals"')):
        _check("UPDATE proposals")


def _columns() -> list[Any]:
    return [getattr(Proposal, c.key) for c in Proposal.__mapper__.column_attrs]


@pytest.fixture(scope="session", autouse=True)
def watch_the_door() -> Iterator[None]:
    for attr in _columns():
        event.listen(attr, "set", _on_set)
    event.listen(Proposal, "init", _on_init)
    event.listen(Engine, "before_cursor_execute", _on_statement)
    yield
    event.remove(Engine, "before_cursor_execute", _on_statement)
    event.remove(Proposal, "init", _on_init)
    for attr in _columns():
        event.remove(attr, "set", _on_set)


@pytest.fixture(autouse=True)
def through_the_door(watch_the_door: None) -> Iterator[None]:
    outside.clear()
    yield
    if outside:
        seen = sorted(set(outside))
        outside.clear()
        pytest.fail("A proposal changed outside the one door (workflow/proposals/service.py):\n  "
                    + "\n  ".join(seen), pytrace=False)
