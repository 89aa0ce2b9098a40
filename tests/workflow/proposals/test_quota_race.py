"""A unit's quota holds when its clerks submit many proposals at the same moment.

A quota of 10 Bằng khen per unit: each submit counts the unit's live nominees and refuses
one that would pass the quota. Before the count was taken under a lock per (campaign,
unit), 30 simultaneous submits of one unit's drafts on PostgreSQL were accepted 11 and 16
times (through the API) and up to all 30 times (through the service). Every race below
lets its clients start together at a barrier, each with its own connection.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Campaign, Nominee, Outcome, Proposal
from tests.conftest import CDS_NOW
from tests.support.races import ON_POSTGRES
from tests.support.served import serve
from workflow.accounts import tokens
from workflow.actors import Actor
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.errors import RuleViolation
from workflow.filing.dossier import add_nominee
from workflow.proposals import service
from workflow.proposals.facts import LIVE_STATES

QUOTA = 10
RACERS = 30
JOIN_TIMEOUT = 120  # seconds; reached only if the code under test deadlocks
LATER = CDS_NOW + timedelta(days=3)  # after make_proposal has walked its proposals
RULES = f"""
campaign: QUOTA-RACE
title: Phong trào thử hạn mức (kiểm thử)
legal_basis: [Không — dữ liệu kiểm thử]
kind: regular
period: {{starts: 2020-01-01, ends: 2030-12-31}}
award_year: 2022
submission: {{opens: 2020-01-01, closes: 2030-12-31}}
review_sla_working_days: 10
council_sla_working_days: 15
resubmission_working_days: 5
awards:
  - form: BK_CT_UBND
    nominee: [individual, collective]
    quota_per_unit: {QUOTA}
    council: {{threshold: 0.7}}
"""


def nominee(n: int) -> dict[str, Any]:
    return {"kind": "individual", "full_name": f"Người thứ {n}", "award_form": "BK_CT_UBND",
            "years_in_service": 5}


@pytest.fixture
def quota_campaign(world: Any) -> None:
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, RULES, "quota-race.yaml")


def drafts(make_proposal: Callable[..., int], count: int, clerk: str = "unit1",
           state: str = "draft") -> list[int]:
    return [make_proposal(state, clerk=clerk, campaign="QUOTA-RACE", nominees=[nominee(i)],
                          documents=[]) for i in range(count)]


def counted(world: Any, unit_clerk: str = "unit1") -> int:
    """The unit's nominees that count toward its quota, as a Board clerk would count them."""
    with world.db.session() as s:
        unit_id = world.user(s, unit_clerk).unit_id
        return s.scalar(select(func.count()).select_from(Nominee).join(Proposal).join(Campaign)
                        .where(Campaign.code == "QUOTA-RACE", Proposal.unit_id == unit_id,
                               Proposal.state.in_(LIVE_STATES),
                               Nominee.outcome != Outcome.REJECTED)) or 0


def race(world: Any, jobs: list[tuple[str, int, str]], now: datetime) -> Counter[str]:
    """Fire (trigger, proposal, clerk) jobs at once, one thread and unit of work each:
    how many were accepted and how many refused by the quota."""
    actors: dict[str, Actor] = {}
    with world.db.session() as s:
        for _, _, clerk in jobs:
            actors[clerk] = Actor.of(world.user(s, clerk))
    barrier = threading.Barrier(len(jobs))
    results: Counter[str] = Counter()
    lock = threading.Lock()

    def run(trigger: str, pid: int, clerk: str) -> None:
        barrier.wait()
        try:
            with world.db.unit_of_work() as s:
                service.act(s, pid, trigger, actors[clerk], now=now)
            outcome = f"{trigger} accepted"
        except RuleViolation as e:
            assert {f.code for f in e.findings} == {"quota_exceeded"}, e.findings
            outcome = f"{trigger} refused"
        with lock:
            results[outcome] += 1

    threads = [threading.Thread(target=run, args=job, daemon=True) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a submit never finished (deadlock?)"
    assert sum(results.values()) == len(jobs), results
    return results


def test_thirty_submits_at_once_accept_exactly_the_quota(world, quota_campaign, make_proposal):
    pids = drafts(make_proposal, RACERS)
    results = race(world, [("submit", p, "unit1") for p in pids], LATER)
    assert results == {"submit accepted": QUOTA, "submit refused": RACERS - QUOTA}
    assert counted(world) == QUOTA
    late = make_proposal("draft", campaign="QUOTA-RACE", nominees=[nominee(99)], documents=[])
    with world.db.unit_of_work() as s, pytest.raises(RuleViolation):   # refused as before
        service.act(s, late, "submit", Actor.of(world.user(s, "unit1")), now=LATER)


def test_two_units_racing_each_get_their_own_quota(world, quota_campaign, make_proposal):
    jobs = [("submit", p, "unit1") for p in drafts(make_proposal, 15)]
    jobs += [("submit", p, "unit2") for p in drafts(make_proposal, 15, clerk="unit2")]
    results = race(world, jobs, LATER)
    assert results == {"submit accepted": 2 * QUOTA, "submit refused": 30 - 2 * QUOTA}
    assert counted(world, "unit1") == QUOTA
    assert counted(world, "unit2") == QUOTA


def test_resubmits_and_submits_racing_share_one_count(world, quota_campaign, make_proposal):
    # Four proposals came back for more work and each got a second nominee meanwhile: 8
    # nominees count; ten new drafts race the four resubmits for the last 2 places.
    returned = drafts(make_proposal, 4, state="returned")
    with world.db.unit_of_work() as s:
        clerk = world.user(s, "unit1")
        for i, pid in enumerate(returned):
            add_nominee(s, pid, clerk, nominee(100 + i), now=LATER)
    new = drafts(make_proposal, 10)
    jobs = [("resubmit", p, "unit1") for p in returned] + [("submit", p, "unit1") for p in new]
    results = race(world, jobs, LATER)
    assert results["resubmit accepted"] == 4          # their nominees were counted already
    assert results["submit accepted"] == QUOTA - 8
    assert results["submit refused"] == 10 - (QUOTA - 8)
    assert counted(world) == QUOTA


def _submit(port: int, secret: str, pid: int, version: int) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", f"/api/v1/proposals/{pid}/actions/submit",
                     json.dumps({"expected_version": version}),
                     {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@ON_POSTGRES
def test_thirty_api_submits_at_once_to_a_served_app_accept_exactly_the_quota(
        world, quota_campaign, make_proposal):
    pids = drafts(make_proposal, RACERS)
    with world.db.unit_of_work() as s:
        secret = tokens.create_token(s, world.user_ids["unit1"], "quota race")[1]
        versions = {p: world.proposal(s, p).version for p in pids}
    server, port = serve(world.db.url, world)
    barrier = threading.Barrier(RACERS)
    answers: list[tuple[int, dict[str, Any]]] = []

    def client(pid: int) -> None:
        barrier.wait()
        answers.append(_submit(port, secret, pid, versions[pid]))

    try:
        threads = [threading.Thread(target=client, args=(p,), daemon=True) for p in pids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(JOIN_TIMEOUT)
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: QUOTA, 422: RACERS - QUOTA}, statuses
    refusals = [body for status, body in answers if status == 422]
    assert all(body["error"]["code"] == "rule_violation" for body in refusals)
    assert counted(world) == QUOTA


# The race's campaign with its awards replaced: Lao động tiên tiến without a quota, and
# Chiến sĩ thi đua cơ sở for at most 15/100 of the unit's Lao động tiên tiến nominees.
SHARE_RULES = (RULES.replace("campaign: QUOTA-RACE", "campaign: SHARE-RACE")
               .split("awards:")[0]) + """\
awards:
  - form: LDTT
    nominee: [individual]
    council: {threshold: 1/2}
  - form: CSTD_CS
    nominee: [individual]
    quota_share: {of: LDTT, share: 15/100}
    council: {threshold: 1/2}
"""


def test_a_share_quota_holds_when_submits_race(world, make_proposal):
    """Chiến sĩ thi đua cơ sở for at most 15% of the unit's Lao động tiên tiến nominees:
    with 14 filed, 2 places (15% of 14 = 2.1, rounded down) for 8 racing drafts."""
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, SHARE_RULES, "share-race.yaml")
    make_proposal("submitted", campaign="SHARE-RACE", documents=[], nominees=[
        {"kind": "individual", "full_name": f"Lao động {i}", "award_form": "LDTT"}
        for i in range(14)])
    pids = [make_proposal("draft", campaign="SHARE-RACE", documents=[], nominees=[
        {"kind": "individual", "full_name": f"Chiến sĩ {i}", "award_form": "CSTD_CS"}])
        for i in range(8)]
    results = race(world, [("submit", p, "unit1") for p in pids], LATER)
    assert results == {"submit accepted": 2, "submit refused": 6}
    late = make_proposal("draft", campaign="SHARE-RACE", documents=[], nominees=[
        {"kind": "individual", "full_name": "Chiến sĩ muộn", "award_form": "CSTD_CS"}])
    with world.db.unit_of_work() as s, pytest.raises(RuleViolation) as refused:
        service.act(s, late, "submit", Actor.of(world.user(s, "unit1")), now=LATER)
    assert refused.value.findings[0].message == (
        "Vượt tỉ lệ tối đa của đơn vị cho “Chiến sĩ thi đua cơ sở”: 3 người, trong khi 15% "
        "của 14 người được đề nghị “Lao động tiên tiến” cho phép 2 (kể cả các hồ sơ khác đã "
        "nộp)")
