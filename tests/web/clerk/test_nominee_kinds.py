"""The nominee form offers a household (hộ gia đình) only in a campaign whose rule set
allows households for one of its forms, and the page names it in the reader's language."""

from __future__ import annotations

from tests.support.households import RULES, draft
from tests.web.conftest import login
from workflow.campaigns.rulesets import load_ruleset_text


def test_the_form_offers_households_only_where_the_campaign_allows_them(app, world):
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, RULES, "household.yaml")
    allowing, not_allowing = draft(world, "TEST-HOUSEHOLD"), draft(world, "CDS-2022")
    clerk = login(app.test_client(), "unit1")
    page = clerk.get(f"/proposals/{allowing}").get_data(as_text=True)
    assert '<option value="household"' in page and ">Hộ gia đình</option>" in page
    assert '<option value="collective"' not in page  # this campaign's form is not for them
    other = clerk.get(f"/proposals/{not_allowing}").get_data(as_text=True)
    assert '<option value="household"' not in other and '<option value="collective"' in other
