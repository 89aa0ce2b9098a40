"""Peak memory of exporting a 10,000-entry decision's attached list to Excel.

    python -m benchmarks.export_memory [--rows N] [--bound-mb MB]

Builds a throwaway SQLite database holding one decision of N entries (written directly:
this measures the export, not issuing), then measures with tracemalloc the peak of
`workflow.decisions.exports.write_list` (a yield_per query into a write-only workbook, saved to a
temporary file) against a baseline of the same rows put into an ordinary (not
write-only) openpyxl workbook in the same run. Prints both and their ratio; exits 1
when the streamed export's peak exceeds the bound. Not a test: nothing here is timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import insert, select

from models import Campaign, Decision, DecisionEntry
from models.db import Database
from models.migrate import upgrade
from workflow.campaigns.rulesets import load_ruleset_file, shipped_ruleset_files
from workflow.decisions import exports

SUMMARY = ("Có nhiều đóng góp trong chuyển đổi số của đơn vị: số hoá hồ sơ, vận hành dịch "
           "vụ công trực tuyến toàn trình, hướng dẫn người dân sử dụng nền tảng số. ") * 2


def build(db: Database, rows: int) -> int:
    """One decision with `rows` entries; returns its id."""
    with db.unit_of_work() as s:
        for path in shipped_ruleset_files():
            load_ruleset_file(s, path)
        campaign = s.scalar(select(Campaign).where(Campaign.code == "CDS-2022"))
        assert campaign is not None
        decision = Decision(issuing_body="UBND", year=2022, seq=1, number="1/QĐ-UBND",
                            signed_on=date(2022, 12, 28), title="Về việc tặng Bằng khen",
                            signer_name="Hoàng Văn Thắng", signer_title="CHỦ TỊCH",
                            campaign_id=campaign.id, legal_bases=["Luật Thi đua, Khen thưởng"])
        s.add(decision)
        s.flush()
        for start in range(0, rows, 2000):
            s.execute(insert(DecisionEntry), [{
                "decision_id": decision.id, "position": i + 1, "kind": "individual",
                "full_name": f"Nguyễn Văn Thử {i + 1:05d}", "position_title": "Chuyên viên",
                "work_unit": f"Phòng {i % 40 + 1}", "unit_name": "Sở Thông tin và Truyền thông",
                "award_form_code": "BK_CT_UBND", "achievement_summary": SUMMARY,
            } for i in range(start, min(start + 2000, rows))])
        return decision.id


def peak_of(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def streamed(db: Database, decision_id: int) -> None:
    with db.session() as s, tempfile.TemporaryFile() as out:
        decision = s.get(Decision, decision_id)
        assert decision is not None
        exports.write_list(s, decision, out)


def in_memory(db: Database, decision_id: int) -> None:
    """The baseline: the same rows, an ordinary workbook holding every cell until saved."""
    with db.session() as s, tempfile.TemporaryFile() as out:
        wb = Workbook()
        ws = wb.active
        assert ws is not None  # a new workbook has its one sheet
        ws.append([label for label, _ in exports.LIST_COLUMNS])
        for row in exports.list_rows(s, decision_id):
            ws.append(list(row))
        wb.save(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bound-mb", type=float, default=16.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        upgrade(db.engine)
        decision_id = build(db, args.rows)
        baseline = peak_of(lambda: in_memory(db, decision_id))
        peak = peak_of(lambda: streamed(db, decision_id))
        db.dispose()
    mb = 1024 * 1024
    print(f"rows: {args.rows}")
    print(f"streamed export (write-only, yield_per): peak {peak / mb:.1f} MB")
    print(f"baseline (ordinary workbook):             peak {baseline / mb:.1f} MB")
    print(f"ratio streamed / baseline: {peak / baseline:.3f}")
    if peak > args.bound_mb * mb:
        print(f"FAIL: peak {peak / mb:.1f} MB exceeds the bound of {args.bound_mb:g} MB")
        return 1
    print(f"OK: within the bound of {args.bound_mb:g} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
