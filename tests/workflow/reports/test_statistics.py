"""A campaign's figures, checked against numbers worked out by hand from a small world.

The world (campaign TEST-STATS, time limits of 5 working days, national holidays only;
November 2022, 09:00 Vietnam time every time; the figures are taken on 01/12):

- P1 (unit1) An (BK), Bình (GK): submit 02/11, claim 03/11, forward 04/11, the Council
  passes An and rejects Bình on 08/11 → approved (still there on 01/12).
- P2 (unit1) Cường (BK): submit 02/11, claim 03/11, return 08/11, resubmit 10/11,
  claim 11/11, forward 14/11, rejected on 25/11 (council due 21/11: closed late).
- P3 (unit2) Dung (GK): submitted 02/11 and never claimed (review due 09/11: overdue).
- P4 (unit2) Em (GK): submit 29/11, claim 30/11 (review due 06/12: running).
- P5 (unit1) Giang (BK): a draft, counted by nobody.
- P6 (unit2) Hà (GK): submit 02/11, withdrawn 03/11.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import World
from tests.workflow.conftest import vn
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.errors import NotFound, PermissionDenied
from workflow.proposals.service import act
from workflow.reports.statistics import campaign_counts, campaign_statistics

STATS_RULES = """
campaign: TEST-STATS
title: Phong trào thử thống kê (chỉ dùng cho kiểm thử)
legal_basis: [Không — dữ liệu kiểm thử]
kind: regular
period: {starts: 2020-01-01, ends: 2030-12-31}
award_year: 2022
submission: {opens: 2020-01-01, closes: 2030-12-31}
review_sla_working_days: 5
council_sla_working_days: 5
resubmission_working_days: 5
awards:
  - form: BK_CT_UBND
    nominee: [individual, collective]
    required_documents: [to_trinh]
    council: {threshold: 0.7}
  - form: GIAY_KHEN
    nominee: [individual, collective]
    required_documents: [to_trinh]
    council: {threshold: 0.5}
"""
NOW = vn(2022, 12, 1)
UNIT1, UNIT2 = "Sở Thông tin và Truyền thông", "UBND huyện Cao Lộc"
BK, GK = "BK_CT_UBND", "GIAY_KHEN"


def person(name: str, form: str) -> dict[str, Any]:
    return {"kind": "individual", "full_name": name, "award_form": form,
            "years_in_service": 5}


@pytest.fixture
def stats_world(world: World, make_proposal: Callable[..., int],
                calendar: Callable[..., Any]) -> dict[str, int]:
    with world.db.unit_of_work() as session:
        load_ruleset_text(session, STATS_RULES, "test-stats.yaml")

    def proposal(clerk: str, nominees: list[dict[str, Any]],
                 steps: list[tuple[str, str, datetime, dict[str, Any]]]) -> int:
        pid = make_proposal("draft", clerk=clerk, campaign="TEST-STATS", nominees=nominees,
                            now=vn(2022, 11, 1))
        for who, trigger, at, payload in steps:
            with world.db.unit_of_work() as session:
                if trigger == "decide":
                    payload = {"outcomes": outcomes(world.proposal(session, pid), payload)}
                act(session, pid, trigger, world.user(session, who), now=at, **payload)
        return pid

    return {
        "P1": proposal("unit1", [person("An", BK), person("Bình", GK)], [
            ("unit1", "submit", vn(2022, 11, 2), {}),
            ("reviewer", "claim", vn(2022, 11, 3), {}),
            ("reviewer", "forward", vn(2022, 11, 4), {}),
            ("secretary", "decide", vn(2022, 11, 8), {"An": True, "Bình": False})]),
        "P2": proposal("unit1", [person("Cường", BK)], [
            ("unit1", "submit", vn(2022, 11, 2), {}),
            ("reviewer", "claim", vn(2022, 11, 3), {}),
            ("reviewer", "return", vn(2022, 11, 8), {"reason": "Thiếu biên bản"}),
            ("unit1", "resubmit", vn(2022, 11, 10), {}),
            ("reviewer", "claim", vn(2022, 11, 11), {}),
            ("reviewer", "forward", vn(2022, 11, 14), {}),
            ("secretary", "decide", vn(2022, 11, 25), {"Cường": False})]),
        "P3": proposal("unit2", [person("Dung", GK)], [
            ("unit2", "submit", vn(2022, 11, 2), {})]),
        "P4": proposal("unit2", [person("Em", GK)], [
            ("unit2", "submit", vn(2022, 11, 29), {}),
            ("reviewer", "claim", vn(2022, 11, 30), {})]),
        "P5": proposal("unit1", [person("Giang", BK)], []),
        "P6": proposal("unit2", [person("Hà", GK)], [
            ("unit2", "submit", vn(2022, 11, 2), {}),
            ("unit2", "withdraw", vn(2022, 11, 3), {})]),
    }


def outcomes(p: Any, passes: dict[str, bool]) -> list[dict[str, Any]]:
    return [{"nominee_id": n.id, "outcome": "passed" if passes[n.full_name] else "rejected",
             "reason": None if passes[n.full_name] else "Không đủ số phiếu"}
            for n in p.nominees]


def figures(world: World, who: str, now: datetime = NOW, **kw: Any) -> Any:
    with world.db.session() as session:
        return campaign_statistics(session, world.user(session, who), "TEST-STATS", now, **kw)


def rows(stats: Any, name: str) -> list[tuple[Any, ...]]:
    return list(stats.table(name).rows)


def test_the_board_sees_every_unit_by_unit_state_and_award_form(world, stats_world):
    stats = figures(world, "reviewer")
    assert (stats.proposals, stats.nominees, stats.unit_id) == (5, 6, None)
    assert rows(stats, "by_unit") == [(UNIT1, 2, 3), (UNIT2, 3, 3)]
    assert rows(stats, "by_state") == [("submitted", 1, 1), ("under_review", 1, 1),
                                       ("approved", 1, 2), ("rejected", 1, 1),
                                       ("withdrawn", 1, 1)]
    assert rows(stats, "by_award") == [(BK, 2, 2), (GK, 4, 4)]


def test_pass_rates_count_the_nominees_the_council_decided(world, stats_world):
    stats = figures(world, "secretary")
    # form/unit, nominees, decided, passed, rejected, rate
    assert rows(stats, "pass_by_award") == [(BK, 2, 2, 1, 1, 0.5), (GK, 4, 1, 0, 1, 0.0)]
    assert rows(stats, "pass_by_unit") == [(UNIT1, 3, 3, 1, 2, 0.3333),
                                           (UNIT2, 3, 0, 0, 0, None)]


def test_time_in_each_state_counts_returns_and_runs_up_to_now(world, stats_world):
    # state, stays, still there, mean days, median days
    assert rows(figures(world, "boardhead"), "time_in_state") == [
        ("submitted", 6, 1, 5.7, 1.0),     # 1, 1, 1 (resubmitted), 29 (P3 to now), 1, 1
        ("under_review", 4, 1, 2.5, 2.0),  # 1, 5, 3 (after the return), 1 (P4 to now)
        ("returned", 1, 0, 2.0, 2.0),
        ("at_council", 2, 0, 7.5, 7.5),    # 4, 11
        ("approved", 1, 1, 23.0, 23.0),    # P1 from 08/11 to now
    ]


def test_deadlines_met_and_missed_per_kind(world, stats_world):
    # kind, total, met, missed, of which closed late, of which open past due, running, rate
    assert rows(figures(world, "admin"), "deadlines") == [
        ("review", 6, 4, 1, 0, 1, 1, 0.8),
        ("council", 2, 1, 1, 1, 0, 0, 0.5),
        ("resubmission", 1, 1, 0, 0, 0, 0, 1.0),
    ]


def test_moving_the_clock_past_a_due_time_turns_a_running_deadline_into_a_missed_one(
        world, stats_world):
    later = figures(world, "admin", now=vn(2022, 12, 7))  # P4's review was due 06/12
    assert rows(later, "deadlines")[0] == ("review", 6, 4, 2, 0, 2, 0, round(4 / 6, 4))
    submitted = rows(later, "time_in_state")[0]
    assert submitted[:3] == ("submitted", 6, 1) and submitted[4] == 1.0
    assert submitted[3] == round((1 + 1 + 1 + 35 + 1 + 1) / 6, 1)  # P3 now 35 days


def test_a_clerk_sees_only_their_own_unit_and_never_a_draft(world, stats_world):
    stats = figures(world, "unit1")
    assert (stats.proposals, stats.nominees, stats.unit_name) == (2, 3, UNIT1)
    assert rows(stats, "by_unit") == [(UNIT1, 2, 3)]
    assert rows(stats, "by_state") == [("approved", 1, 2), ("rejected", 1, 1)]
    assert rows(stats, "by_award") == [(BK, 2, 2), (GK, 1, 1)]  # not P5's draft
    assert rows(stats, "pass_by_unit") == [(UNIT1, 3, 3, 1, 2, 0.3333)]
    assert rows(stats, "deadlines") == [("review", 3, 3, 0, 0, 0, 0, 1.0),
                                        ("council", 2, 1, 1, 1, 0, 0, 0.5),
                                        ("resubmission", 1, 1, 0, 0, 0, 0, 1.0)]
    other = figures(world, "unit2")
    assert [r[0] for r in rows(other, "by_unit")] == [UNIT2]
    assert (other.proposals, other.nominees) == (3, 3)


def test_a_clerk_may_not_ask_for_another_unit_and_council_members_see_none(
        world, stats_world):
    with world.db.session() as session:
        unit2 = world.user(session, "unit2").unit_id
    with pytest.raises(PermissionDenied):
        figures(world, "unit1", unit_id=unit2)
    with pytest.raises(PermissionDenied):
        figures(world, "member1")
    # The Board may narrow the figures to one unit.
    narrowed = figures(world, "reviewer", unit_id=unit2)
    assert (narrowed.proposals, narrowed.unit_name) == (3, UNIT2)


def test_an_unknown_campaign_or_table_is_not_found(world, stats_world):
    with world.db.session() as session, pytest.raises(NotFound):
        campaign_statistics(session, world.user(session, "admin"), "NO-SUCH", NOW)
    with pytest.raises(NotFound):
        figures(world, "admin").table("no_such_table")


def test_the_campaign_list_counts_filed_proposals_in_view(world, stats_world):
    with world.db.session() as session:
        board = {c.code: c.proposals for c in campaign_counts(
            session, world.user(session, "reviewer"))}
        clerk = {c.code: c.proposals for c in campaign_counts(
            session, world.user(session, "unit1"))}
    assert board["TEST-STATS"] == 5 and board["CDS-2022"] == 0
    assert clerk["TEST-STATS"] == 2
