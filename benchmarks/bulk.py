"""Benchmark 4: bulk work. Rule checks per second (`rules.checks.run_checks`) against the
compiled expressions alone; a decision's attached list of 10,000 entries exported to
Excel (`workflow.decisions.exports.write_list`: time and peak memory); and one decision issued over
1,000 nominees (`workflow.decisions.issuing.issue`)."""

from __future__ import annotations

import csv
import io
import tempfile
import time
import tracemalloc

from sqlalchemy import select

from benchmarks.dataset import World, decision_split
from benchmarks.floor import Floor
from benchmarks.measure import Figure, median, progress, timed
from benchmarks.sizes import Sizes
from models import Campaign, Decision, Nominee, User
from models.db import Database
from rules.checks import ProposalFacts, run_checks
from rules.loader import CompiledRuleSet
from workflow.actors import as_actor
from workflow.campaigns.rulesets import compiled
from workflow.decisions import exports
from workflow.decisions import issuing as decisions
from workflow.proposals.facts import nominee_facts


def run(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    return [checks(database, world, sizes), *export(database, world, sizes),
            decision(database, world, sizes)]


# --- rule checks ---------------------------------------------------------------------------

def checks(database: Database, world: World, sizes: Sizes) -> Figure:
    with database.session() as session:
        campaign = session.get(Campaign, world.campaign_ids[0])
        assert campaign is not None and campaign.active_ruleset is not None
        rules = compiled(campaign.active_ruleset)
        rows = list(session.scalars(select(Nominee).limit(min(sizes.checks, 5_000))))
        facts = [nominee_facts(session, n) for n in rows]
    # One proposal per nominee, as when a list of nominees is checked one filing at a time.
    batch = [ProposalFacts(nominees=[facts[i % len(facts)]], document_types=frozenset(
        {"to_trinh"})) for i in range(sizes.checks)]
    now = world.now
    rates, floor_rates = [], []
    for r in range(sizes.repeat):
        for expression in rules.expressions.values():
            expression.forget()  # each repeat starts with no answer remembered
        rates.append(sizes.checks / timed(lambda: [run_checks(rules, f, now) for f in batch]))
        floor_rates.append(sizes.checks / timed(lambda: _bare_expressions(rules, batch)))
        progress(f"checks {r + 1}/{sizes.repeat}: {rates[-1]:,.0f}/s, expressions alone "
                 f"{floor_rates[-1]:,.0f}/s")
    return Figure("bulk.checks", "Nominee checks per second (run_checks)", median(rates),
                  "checks/s", median(floor_rates),
                  "the compiled eligibility expressions alone (rule_engine matches)",
                  "value_min", 50_000, rates, floor_rates,
                  note="a check: window, documents, quota and every eligibility rule of one "
                       "nominee's award form")


def _bare_expressions(rules: CompiledRuleSet, batch: list[ProposalFacts]) -> None:
    """Every rule of the nominee's award form through rule-engine itself, each time."""
    for facts in batch:
        nominee = facts.nominees[0]
        values = nominee.expression_facts()
        for (form, _), expression in rules.expressions.items():
            if form == nominee.award_form:
                expression.rule.matches(values)


# --- the decision's attached list as Excel -------------------------------------------------

def export(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    did, rows = world.export_decision_id, sizes.export_rows
    seconds, peaks, floor_s = [], [], []
    size = 0
    for r in range(sizes.repeat):
        seconds.append(timed(lambda: list_xlsx(database, did)))
        # Memory on a run of its own: tracemalloc slows Python several times over.
        tracemalloc.start()
        size = list_xlsx(database, did)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
        floor_s.append(timed(lambda: list_csv(database, did)))
        progress(f"export {r + 1}/{sizes.repeat}: {seconds[-1]:.2f} s, peak "
                 f"{peaks[-1]:.1f} MB, csv {floor_s[-1]:.2f} s")
    note = (f"a decision of {rows:,} entries, workflow.decisions.exports.write_list "
            f"(yield_per query into an openpyxl write-only workbook, saved to a temporary file), "
            f"{size / 2**20:.1f} MB file")
    return [
        Figure("bulk.export.seconds", f"Decision list to Excel, {rows:,} rows", median(seconds),
               "s", median(floor_s), "the same rows (exports.list_rows) written as CSV",
               "value_max", 2.0, seconds, floor_s, note=note),
        Figure("bulk.export.memory", "Decision list to Excel, peak Python memory",
               median(peaks), "MB", None, None, "value_max", 150.0, peaks,
               note=note + "; tracemalloc peak, on a run of its own"),
    ]


def list_xlsx(database: Database, decision_id: int) -> int:
    """The product's export, as the web view runs it; returns the file's size."""
    with database.session() as session, tempfile.TemporaryFile() as out:
        found = session.get(Decision, decision_id)
        assert found is not None
        exports.write_list(session, found, out)
        return out.tell()


def list_csv(database: Database, decision_id: int) -> int:
    with database.session() as session, tempfile.TemporaryFile() as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([label for label, _ in exports.LIST_COLUMNS])
        writer.writerows(exports.list_rows(session, decision_id))
        out.flush()
        return raw.tell()


# --- one decision over many nominees -------------------------------------------------------

def decision(database: Database, world: World, sizes: Sizes) -> Figure:
    n = sizes.decision_nominees
    per = len(decision_split(n))  # proposals per decision
    floor = Floor(database)
    with database.session() as session:
        secretary = as_actor(session.scalars(select(User).where(
            User.username == "secretary")).one())
    per_1000, floor_1000 = [], []
    for r in range(sizes.repeat):
        ids = world.pools["decision_service"][r * per:(r + 1) * per]
        floor_ids = world.pools["decision_floor"][r * per:(r + 1) * per]
        start = time.perf_counter()
        with database.unit_of_work() as session:
            issued = decisions.issue(session, secretary, {
                "campaign_id": world.campaign_ids[0], "proposal_ids": ids, "signed_on": world.today,
                "signer_name": "Cán bộ ký thử"}, now=world.now)
            listed = len(issued.entries)
        seconds = time.perf_counter() - start
        if listed != n:
            raise RuntimeError(f"decision lists {listed} nominees, not {n}")
        per_1000.append(seconds * 1000 / n)
        floor_1000.append(_floor_decision(database, floor, world, floor_ids, r + 1,
                                          secretary.id or 0) * 1000 / n)
        progress(f"decision {r + 1}/{sizes.repeat}: {seconds:.2f} s for {n:,} nominees, "
                 f"floor {floor_1000[-1] * n / 1000:.2f} s")
    return Figure(
        "bulk.decision", "Issue one decision, per 1,000 nominees", median(per_1000), "s",
        median(floor_1000), "the same decision, entries and proposal updates as bare SQL in "
        "one transaction", "value_max", 1.0, per_1000, floor_1000,
        note=f"workflow.decisions.issuing.issue over {per:,} approved proposals holding "
             f"{n:,} passed nominees (scaled to 1,000), one unit of work, committed: number, "
             f"decision, entries, history, audit events, every proposal moved to decided by "
             f"service.issue_decision_each (act's checks and writes, batched); the floor "
             f"writes the decision, its entries and one UPDATE and "
             f"one audit INSERT per proposal")


def _floor_decision(database: Database, floor: Floor, world: World, ids: list[int],
                    seq: int, secretary_id: int) -> float:
    raw = database.engine.raw_connection()
    try:
        start = time.perf_counter()
        floor.decision(raw, world.campaign_ids[0], ids, seq, world.today, secretary_id,
                       world.now)
        return time.perf_counter() - start
    finally:
        raw.close()
