"""Achievement history: issuing a decision records each title, and a rule asking for
consecutive titles (TN-2021-2030: Chiến sĩ thi đua cấp tỉnh needs 3 years of Chiến sĩ
thi đua cơ sở) passes or fails on what tdkt recorded, not on what a unit typed in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.conftest import VN
from workflow.campaigns.rulesets import load_ruleset_text
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


def test_typed_in_titles_count_only_for_years_tdkt_has_not_decided(world, grassroots_titles):
    grassroots_titles("Người Khác", [2023, 2024, 2025])  # tdkt conferred CSTD_CS those years
    claimed = youth_nominee(world, "Hà Thị Khai", claims={
        2023: ["CSTD_CS"], 2024: ["CSTD_CS"], 2025: ["CSTD_CS"]})
    assert prior_title_findings(world, claimed) == ["Hà Thị Khai"]
    with world.db.session() as s:
        nominee = world.proposal(s, claimed).nominees[0]
        nominee.prior_titles = {"2019": ["CSTD_CS"], "2024": ["CSTD_CS"]}
        assert history.titles_for(s, nominee) == {2019: frozenset({"CSTD_CS"})}


def test_legacy_claims_still_count_where_tdkt_holds_nothing(world):
    claimed = youth_nominee(world, "Hà Thị Khai", claims={
        2023: ["CSTD_CS"], 2024: ["CSTD_CS"], 2025: ["CSTD_CS"]})
    assert prior_title_findings(world, claimed) == []
