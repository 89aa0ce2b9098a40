"""What a search box matches: Vietnamese names typed with or without accents, in any case,
and units found by part of their name or code."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from models import Unit
from workflow.proposals.queries import units_matching
from workflow.proposals.search import fold


@pytest.mark.parametrize(("typed", "folded"), [
    ("Sở Giáo dục  và Đào tạo", "so giao duc va dao tao"),
    (unicodedata.normalize("NFD", "Lường Thị Hoa"), "luong thi hoa"),  # as some IMEs send
    ("ĐÔNG ĐĂNG", "dong dang"),
    ("Ðông", "dong"),  # the look-alike eth some keyboards type for Đ
    ("Ｓở", "so"),  # full-width
    ("  \u0301\u0323 ", ""),  # marks alone leave nothing to match
])
def test_fold_drops_case_marks_and_extra_spaces(typed, folded):
    assert fold(typed) == folded


def ids(world, *codes: str) -> list[int]:
    with world.db.session() as session:
        return sorted(session.scalars(select(Unit.id).where(Unit.code.in_(codes))))


def matching(world, text: str) -> list[int] | None:
    with world.db.session() as session:
        found = units_matching(session, text)
    return None if found is None else sorted(found)


def test_units_are_found_by_part_of_their_name_or_code(world):
    assert matching(world, "thi dua") == ids(world, "SNV")  # "Ban Thi đua – Khen thưởng"
    assert matching(world, "cao loc") == ids(world, "UBND-CL", "THCS-CL")
    assert matching(world, "-cl") == ids(world, "UBND-CL", "THCS-CL")
    assert matching(world, "Lạng Sơn") == ids(world, "UBND-LS")
    assert matching(world, "Hà Nội") == []


def test_a_units_whole_code_finds_that_unit_only(world):
    with world.db.unit_of_work() as session:  # a unit whose name holds another's code
        session.add(Unit(code="SNV-2", name="Phòng SNV cũ"))
    assert matching(world, "snv") == ids(world, "SNV")
    assert matching(world, "snv-") == ids(world, "SNV-2")


def test_marks_alone_match_nothing_and_filter_nothing(world):
    assert matching(world, "\u0301") is None
