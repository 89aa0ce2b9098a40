"""Households (hộ gia đình), which the 2022 Law added as recipients, can be nominated where
the campaign's rule set allows it for the award form, by form, through the Excel import
and on the nominee form; elsewhere they are refused with a message that says so."""

from __future__ import annotations

import pytest

from models import NomineeKind
from rules.loader import load_text
from tests.support.households import LATER, RULES, draft
from tests.support.sheets import sheet
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.errors import InvalidInput
from workflow.filing.dossier import add_nominee
from workflow.filing.nominee_import import import_nominees
from workflow.proposals.service import check_proposal

HOUSEHOLD = {"kind": "household", "full_name": "Hộ ông Hoàng Văn Sáng", "award_form": "BK_CT_UBND"}


@pytest.fixture
def household_campaign(world):
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, RULES, "household.yaml")


def test_a_household_is_nominated_where_the_rule_set_allows_it(world, household_campaign):
    pid = draft(world, "TEST-HOUSEHOLD")
    with world.db.unit_of_work() as s:
        nominee = add_nominee(s, pid, world.user(s, "unit1"), HOUSEHOLD, now=LATER)
        assert nominee.kind is NomineeKind.HOUSEHOLD
    with world.db.session() as s:
        findings = check_proposal(s, world.proposal(s, pid), LATER)
        assert not [f for f in findings if f.nominee == HOUSEHOLD["full_name"]]


def test_a_household_is_refused_where_the_form_is_not_for_households(world):
    pid = draft(world, "CDS-2022")  # its Bằng khen is for individuals and collectives
    with world.db.unit_of_work() as s, pytest.raises(InvalidInput) as refused:
        add_nominee(s, pid, world.user(s, "unit1"), HOUSEHOLD, now=LATER)
    assert "không xét cho loại đối tượng này" in refused.value.message


def test_the_import_reads_households_and_a_rule_set_may_only_offer_them_for_forms_that_allow_them(
        world, household_campaign):
    pid = draft(world, "TEST-HOUSEHOLD")
    content = sheet([["Hộ gia đình", "Hộ bà Lường Thị Mai", None, None, "BK_CT_UBND", None,
                      "Không", None, "Trồng rừng"]])
    with world.db.unit_of_work() as s:
        rules = load_text(RULES).rules
        assert import_nominees(s, pid, world.user(s, "unit1"), content, rules) == 1
    with world.db.session() as s:
        (nominee,) = world.proposal(s, pid).nominees
        assert (nominee.kind, nominee.full_name) == (NomineeKind.HOUSEHOLD,
                                                     "Hộ bà Lường Thị Mai")
    # Cờ thi đua is for collectives only in the catalogue: a rule set cannot open it to
    # households.
    bad = RULES.replace("form: BK_CT_UBND", "form: CO_THI_DUA_TINH")
    with pytest.raises(Exception, match="CO_THI_DUA_TINH chỉ dành cho: collective"):
        load_text(bad)
