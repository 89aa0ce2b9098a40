"""Achievement history: issuing a decision records each title, and a rule asking for
consecutive titles (TN-2021-2030: Chiến sĩ thi đua cấp tỉnh needs 3 years of Chiến sĩ
thi đua cơ sở) passes or fails on what tdkt recorded for that person, and on what the unit
typed in where tdkt holds no record of that person's title."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from models import Achievement, Decision
from tests.conftest import VN
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.decisions import issuing as decisions
from workflow.errors import InvalidInput
from workflow.filing.dossier import add_nominee, create_proposal
from workflow.history import achievements as history
from workflow.proposals.service import check_proposal

YOUTH_NOW = datetime(2026, 10, 1, 9, tzinfo=VN)  # inside TN-2021-2030's submission window
GRASSROOTS_RULES = """
campaign: TEST-CSCS-{year}
title: Phong trào thử danh hiệu Chiến sĩ thi đua cơ sở năm {year}
legal_basis: [Không — dữ liệu kiểm thử]
kind: regular
period: {{starts: 2020-01-01, ends: 2030-12-31}}
award_year: {year}
submission: {{opens: 2020-01-01, closes: 2030-12-31}}
review_sla_working_days: 10
council_sla_working_days: 15
resubmission_working_days: 5
awards:
  - form: CSTD_CS
    nominee: [individual]
    council: {{threshold: 0.5}}
"""


@pytest.fixture
def grassroots_titles(world, make_proposal):
    """Decide CSTD_CS in tdkt for the given years for one person (by code or name)."""
    def give(name: str, years: list[int], code: str | None = None) -> None:
        for year in years:
            with world.db.unit_of_work() as s:
                load_ruleset_text(s, GRASSROOTS_RULES.format(year=year))
            make_proposal("decided", campaign=f"TEST-CSCS-{year}", documents=[], nominees=[
                {"kind": "individual", "full_name": name, "award_form": "CSTD_CS",
                 "person_code": code}])
    return give


def youth_nominee(world: Any, name: str, clerk: str = "unit1", code: str | None = None,
                  claims: dict[int, list[str]] | None = None) -> int:
    """A draft TN-2021-2030 proposal nominating `name` for Chiến sĩ thi đua cấp tỉnh."""
    with world.db.unit_of_work() as s:
        user = world.user(s, clerk)
        p = create_proposal(s, user, "TN-2021-2030", "Đề nghị CSTĐ cấp tỉnh", now=YOUTH_NOW)
        add_nominee(s, p.id, user, {
            "kind": "individual", "full_name": name, "award_form": "CSTD_TINH",
            "person_code": code, "prior_titles": claims or {},
            "attributes": {"age": 28, "initiative_recognised": True}}, now=YOUTH_NOW)
        return p.id


def prior_title_findings(world: Any, pid: int) -> list[str]:
    with world.db.session() as s:
        findings = check_proposal(s, world.proposal(s, pid), YOUTH_NOW)
        return [f.nominee for f in findings if f.code == "prior_titles"]


def test_three_recorded_years_satisfy_the_rule_two_do_not(world, grassroots_titles):
    grassroots_titles("Lộc Thị Kim", [2023, 2024, 2025], code="020095001234")
    grassroots_titles("Vi Văn Hai Năm", [2024, 2025])
    # The code carries the history to another unit; the name alone ties it to the unit.
    kim = youth_nominee(world, "Lộc Thị Kim", clerk="unit2", code="020 095 001 234")
    two_years = youth_nominee(world, "  vi văn hai  năm ")
    assert prior_title_findings(world, kim) == []
    assert prior_title_findings(world, two_years) == ["vi văn hai  năm"]


def test_another_persons_recorded_titles_never_void_what_a_unit_typed_in(
        world, grassroots_titles):
    grassroots_titles("Người Khác", [2023, 2024, 2025])  # tdkt conferred CSTD_CS those years
    claimed = youth_nominee(world, "Hà Thị Khai", claims={
        2023: ["CSTD_CS"], 2024: ["CSTD_CS"], 2025: ["CSTD_CS"]})
    assert prior_title_findings(world, claimed) == []


def test_a_typed_in_title_gives_way_to_tdkts_own_record_of_that_person(world, make_proposal):
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, GRASSROOTS_RULES.format(year=2024))
    make_proposal("decided", campaign="TEST-CSCS-2024", documents=[], nominees=[
        {"kind": "individual", "full_name": name, "award_form": "CSTD_CS", "person_code": code}
        for name, code in (("Hà Thị Khai", "020095009999"), ("Người Khác", None))])
    claimed = youth_nominee(world, "Hà Thị Khai", code="020095009999", claims={
        2023: ["CSTD_CS"], 2025: ["CSTD_CS"]})
    assert prior_title_findings(world, claimed) == []  # 2024 recorded, 2023 and 2025 typed
    # The 2024 title recorded by tdkt, then dropped by a correcting decision: typing it in
    # again does not bring it back.
    with world.db.unit_of_work() as s:
        nominee = world.proposal(s, claimed).nominees[0]
        row = s.scalars(select(Achievement).where(
            Achievement.subject_key == history.nominee_key(nominee))).one()
        original = s.get_one(Decision, row.decision_id)
        decisions.correct(s, world.user(s, "secretary"), original.id, {
            "reason": "Không đủ tiêu chuẩn", "signed_on": original.signed_on,
            "signer_name": original.signer_name,
            "entries": [{"entry_id": e.id, "drop": True} for e in original.entries
                        if e.full_name == "Hà Thị Khai"]},
            now=YOUTH_NOW)
    with world.db.session() as s:
        nominee = world.proposal(s, claimed).nominees[0]
        nominee.prior_titles = {"2023": ["CSTD_CS"], "2024": ["CSTD_CS"], "2025": ["CSTD_CS"]}
        assert history.titles_for(s, nominee) == {2023: frozenset({"CSTD_CS"}),
                                                  2025: frozenset({"CSTD_CS"})}


def test_a_title_typed_in_for_a_year_after_the_award_year_is_refused(world):
    with pytest.raises(InvalidInput) as refused:
        youth_nominee(world, "Nông Văn Sớm", claims={2030: ["CSTD_CS"]})
    assert refused.value.message == ("Danh hiệu đã đạt năm 2030: năm này sau năm xét khen "
                                     "thưởng của phong trào (2026), nên chưa thể đã đạt")


def test_legacy_claims_still_count_where_tdkt_holds_nothing(world):
    claimed = youth_nominee(world, "Hà Thị Khai", claims={
        2023: ["CSTD_CS"], 2024: ["CSTD_CS"], 2025: ["CSTD_CS"]})
    assert prior_title_findings(world, claimed) == []
