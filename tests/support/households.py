"""A campaign whose rule set allows households (hộ gia đình), and a draft in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import CDS_NOW, TEST_CAMPAIGN
from workflow.filing.dossier import create_proposal

LATER = CDS_NOW + timedelta(days=1)
# The test campaign (tests/data/test-open.yaml) with its Bằng khen opened to households
# instead of collectives.
RULES = (TEST_CAMPAIGN.read_text(encoding="utf-8")
         .replace("campaign: TEST-OPEN", "campaign: TEST-HOUSEHOLD")
         .replace("nominee: [individual, collective]", "nominee: [individual, household]")
         .replace("kind == 'collective' or", "kind != 'individual' or"))


def draft(world: Any, campaign: str) -> int:
    with world.db.unit_of_work() as s:
        return create_proposal(s, world.user(s, "unit1"), campaign, "Hồ sơ hộ gia đình",
                               now=LATER).id
