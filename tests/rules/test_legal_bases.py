"""The shipped rule sets cite the law in force when their dossiers are filed: Decree
152/2025/NĐ-CP from 01/07/2025, when it replaced Decree 98/2023/NĐ-CP; the 2022 campaign
the 2003 Law and Decree 91/2017 (docs/legal.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rules.loader import load_file

CAMPAIGNS = sorted((Path(__file__).resolve().parents[2] / "rules" / "campaigns").glob("*.yaml"))
DECREE_152_IN_FORCE = date(2025, 7, 1)


@pytest.mark.parametrize("path", CAMPAIGNS, ids=[p.stem for p in CAMPAIGNS])
def test_each_rule_set_cites_the_decree_in_force_when_its_dossiers_are_filed(path):
    rules = load_file(path).rules
    cited = " ".join(rules.legal_basis)
    if rules.submission.opens >= DECREE_152_IN_FORCE:
        assert "Nghị định số 152/2025/NĐ-CP" in cited
        assert "Luật Thi đua, Khen thưởng số 06/2022/QH15" in cited
        assert not any(b.startswith(("Nghị định số 98/2023", "Nghị định số 28/2024"))
                       for b in rules.legal_basis)
    else:
        assert rules.submission.closes < date(2024, 1, 1)  # before the 2022 Law took force
        assert "Nghị định số 91/2017/NĐ-CP" in cited and "năm 2003" in cited
