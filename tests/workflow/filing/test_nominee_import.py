"""Importing nominees from a workbook with the version the clerk saw: checked under the
proposal's lock, so a second post of the same import adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.races import (
    ON_POSTGRES,
    Seen,
    assert_log_is_whole,
    held_then_contended,
    person,
    seen_version,
)
from tests.support.sheets import sheet
from workflow.campaigns.rulesets import compiled
from workflow.errors import ConflictError, NotFound
from workflow.filing.nominee_import import import_nominees

ROWS = sheet([["Cá nhân", "Lò Văn Một", "", "", "BK_CT_UBND", 5, "Không"]])


def rules_of(world: Any, pid: int) -> Any:
    with world.db.session() as s:
        return compiled(world.proposal(s, pid).ruleset_version).rules


def test_an_import_with_a_version_into_a_missing_proposal_is_not_found(
        world: Any, make_proposal: Callable[..., int]) -> None:
    rules = rules_of(world, make_proposal("draft"))
    with world.db.unit_of_work() as s, pytest.raises(NotFound):
        import_nominees(s, 999_999, person(world, "unit1"), ROWS, rules, expected_version=1)


@ON_POSTGRES
def test_postgres_an_import_posted_twice_at_once_adds_its_rows_once(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("draft")
    clerk, rules = person(world, "unit1"), rules_of(world, pid)
    version = seen_version(world, pid)
    before = Seen.of(world, pid)

    def post(s: Any) -> int:
        return import_nominees(s, pid, clerk, ROWS, rules, expected_version=version)

    first, second = held_then_contended(world, post, post)

    assert first == 1
    assert isinstance(second, ConflictError), second
    after = Seen.of(world, pid)
    assert after.nominees == (*before.nominees, "Lò Văn Một")
    assert after.events == before.events + 1
    assert_log_is_whole(world, pid)
