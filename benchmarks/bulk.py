"""Benchmark 4: bulk work. Rule checks per second (`rules.checks.run_checks`) against the
compiled expressions alone; a 10,000-row Excel list of nominees (time and peak memory);
and one bulk action over many proposals (`workflow.bulk`), standing in for issuing one
decision over 1,000 nominees until numbered decisions land."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import UTC

from openpyxl import Workbook
from sqlalchemy import select

from benchmarks.dataset import World
from benchmarks.floor import Floor
from benchmarks.measure import Figure, median, progress, timed
from benchmarks.sizes import Sizes
from models import Campaign, Nominee, Proposal, Unit
from models.db import Database
from rules.checks import ProposalFacts, run_checks
from rules.expressions import evaluate
from workflow.bulk import bulk_act
from workflow.facts import nominee_facts
from workflow.rulesets import compiled

EXPORT_HEADER = ["STT", "Họ và tên / Tên tập thể", "Loại", "Chức vụ", "Đơn vị công tác",
                 "Hình thức khen thưởng", "Số năm công tác", "Hồ sơ", "Đơn vị đề nghị",
                 "Phong trào", "Kết quả"]


def run(database: Database, world: World, sizes: Sizes) -> list[Figure]:
    return [checks(database, world, sizes), *export(database, sizes),
            bulk(database, world, sizes)]


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


def _bare_expressions(rules: object, batch: list[ProposalFacts]) -> None:
    expressions = rules.expressions  # type: ignore[attr-defined]
    for facts in batch:
        nominee = facts.nominees[0]
        values = nominee.expression_facts()
        for (form, _), expression in expressions.items():
            if form == nominee.award_form:
                evaluate(expression, values)


# --- Excel export --------------------------------------------------------------------------

def export(database: Database, sizes: Sizes) -> list[Figure]:
    seconds, peaks, floor_s = [], [], []
    size = 0
    for r in range(sizes.repeat):
        seconds.append(timed(lambda: nominee_list_xlsx(database, sizes.export_rows)))
        # Memory on a run of its own: tracemalloc slows Python several times over.
        tracemalloc.start()
        size = len(nominee_list_xlsx(database, sizes.export_rows))
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
        floor_s.append(timed(lambda: nominee_list_csv(database, sizes.export_rows)))
        progress(f"export {r + 1}/{sizes.repeat}: {seconds[-1]:.2f} s, peak "
                 f"{peaks[-1]:.1f} MB, csv {floor_s[-1]:.2f} s")
    note = (f"{sizes.export_rows:,} nominee rows, openpyxl write_only, {size / 2**20:.1f} MB "
            f"file; stand-in for the decision's export until numbered decisions land")
    return [
        Figure("bulk.export.seconds", f"Excel export, {sizes.export_rows:,} rows", median(seconds),
               "s", median(floor_s), "the same rows fetched and written as CSV", "value_max",
               2.0, seconds, floor_s, note=note),
        Figure("bulk.export.memory", "Excel export, peak Python memory",
               median(peaks), "MB", None, None, "value_max", 150.0, peaks,
               note=note + "; tracemalloc peak, on a run of its own"),
    ]


def _rows(database: Database, limit: int):  # type: ignore[no-untyped-def]
    """The list's rows, streamed from the database in batches."""
    stmt = (select(Nominee.full_name, Nominee.kind, Nominee.position, Nominee.work_unit,
                   Nominee.award_form_code, Nominee.years_in_service, Proposal.reference,
                   Unit.name, Campaign.code, Nominee.outcome)
            .join(Proposal, Nominee.proposal_id == Proposal.id)
            .join(Unit, Proposal.unit_id == Unit.id)
            .join(Campaign, Proposal.campaign_id == Campaign.id)
            .order_by(Nominee.id).limit(limit))
    with database.session() as session:
        yield from session.execute(stmt.execution_options(yield_per=1_000))


def nominee_list_xlsx(database: Database, limit: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sach")
    ws.append(EXPORT_HEADER)
    for number, row in enumerate(_rows(database, limit), start=1):
        ws.append([number, row[0], row[1].value, row[2], row[3], row[4], row[5], row[6],
                   row[7], row[8], row[9].value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def nominee_list_csv(database: Database, limit: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    for number, row in enumerate(_rows(database, limit), start=1):
        writer.writerow([number, *row])
    return out.getvalue().encode()


# --- one bulk action over many proposals ---------------------------------------------------

def bulk(database: Database, world: World, sizes: Sizes) -> Figure:
    n, reviewer = sizes.bulk_proposals, world.reviewers[0]
    floor = Floor(database)
    per_1000, floor_1000 = [], []
    for r in range(sizes.repeat):
        ids = world.pools["bulk_service"][r * n:(r + 1) * n]
        floor_ids = world.pools["bulk_floor"][r * n:(r + 1) * n]
        start = time.perf_counter()
        results = bulk_act(database.unit_of_work, ids, "claim", reviewer)
        seconds = time.perf_counter() - start
        if not all(x.ok for x in results):
            raise RuntimeError(f"bulk claim refused: {[x for x in results if not x.ok][:3]}")
        per_1000.append(seconds * 1000 / n)
        floor_1000.append(_floor_claims(database, floor, world, floor_ids) * 1000 / n)
        progress(f"bulk {r + 1}/{sizes.repeat}: {per_1000[-1]:.2f} s per 1,000, floor "
                 f"{floor_1000[-1]:.2f} s")
    return Figure(
        "bulk.decision_standin", "Bulk claim of proposals, per 1,000", median(per_1000), "s",
        median(floor_1000), "the floor's transaction per proposal", "value_max", 1.0,
        per_1000, floor_1000,
        note=f"{n:,} proposals per repeat, scaled to 1,000. STAND-IN for issuing one decision "
             f"over 1,000 nominees (numbered decisions are built on another branch): "
             f"workflow.bulk.bulk_act('claim'), one unit of work per proposal")


def _floor_claims(database: Database, floor: Floor, world: World, ids: list[int]) -> float:
    raw = database.engine.raw_connection()
    try:
        start = time.perf_counter()
        for pid in ids:
            floor.transition(raw, pid, "claim", "under_review", world.reviewers[0].id or 0,
                             world.now.astimezone(UTC))
        return time.perf_counter() - start
    finally:
        raw.close()
