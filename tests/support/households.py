"""A campaign whose rule set allows households (hộ gia đình), and a draft in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import CDS_NOW
from workflow.filing.dossier import create_proposal

LATER = CDS_NOW + timedelta(days=1)
RULES = """
campaign: TEST-HOUSEHOLD
title: Phong trào thử khen thưởng hộ gia đình (kiểm thử)
legal_basis: [Không — dữ liệu kiểm thử]
kind: thematic
period: {starts: 2020-01-01, ends: 2030-12-31}
award_year: 2022
submission: {opens: 2020-01-01, closes: 2030-12-31}
review_sla_working_days: 10
council_sla_working_days: 15
resubmission_working_days: 5
awards:
  - form: BK_CT_UBND
    nominee: [individual, household]
    council: {threshold: 1/2}
"""


def draft(world: Any, campaign: str) -> int:
    with world.db.unit_of_work() as s:
        return create_proposal(s, world.user(s, "unit1"), campaign, "Hồ sơ hộ gia đình",
                               now=LATER).id
