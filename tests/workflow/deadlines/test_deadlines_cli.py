"""`tdkt deadlines …` run as a user runs it: a process, TDKT_DATABASE_URL naming the
database, Vietnamese output with dates as dd/mm/yyyy in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.cli import tdkt_command
from tests.workflow.conftest import CLAIM, LADDER_RULES, close_of, vn
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.escalation.sweep import sweep

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def tdkt(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "TDKT_SMTP_URL"}
    environ.update(TDKT_DATABASE_URL=db_url, **env)
    return subprocess.run([*tdkt_command(), *args], env=environ, text=True,
                          capture_output=True, timeout=120, check=False)


def test_list_then_sweep_print_what_they_see_and_do(ladder, drive, db_url):
    pid = drive(CLAIM, vn(2024, 1, 26, 10))
    shown = tdkt(db_url, "deadlines", "list", "--now", "2024-02-14T09:00")
    assert f"TEST-LADDER/{pid:05d}" in shown.stdout
    assert "Hạn thẩm định 16/02/2024 — còn 2 ngày làm việc" in shown.stdout
    done = tdkt(db_url, "deadlines", "sweep", "--now", "2024-02-16T17:00")
    assert done.returncode == 0, done.stderr
    ref = f"TEST-LADDER/{pid:05d}"
    assert f"07/02/2024 17:00  {ref}" in done.stdout
    assert "Nhắc hạn → Nông Thị Mai (chuyên viên Ban TĐKT)" in done.stdout
    assert "Báo cáo quá hạn → Lăng Văn Quân (Trưởng ban TĐKT)" in done.stdout
    assert "Lúc 16/02/2024 17:00: đã áp dụng 2 bước" in done.stdout


def test_recompute_previews_then_applies(ladder, drive, db_url):
    pid = drive(CLAIM, vn(2024, 1, 26, 10))
    with ladder.db.unit_of_work() as s:
        load_ruleset_text(s, LADDER_RULES.replace("review_sla_working_days: 10",
                                                  "review_sla_working_days: 12"), "v2.yaml")
    preview = tdkt(db_url, "deadlines", "recompute", "--campaign", "TEST-LADDER")
    line = f"TEST-LADDER/{pid:05d}  review        16/02/2024 17:00 → 20/02/2024 17:00"
    assert line in preview.stdout, preview.stdout
    assert "Xem trước: sẽ tính lại 1 thời hạn" in preview.stdout
    assert "--apply" in preview.stdout
    applied = tdkt(db_url, "deadlines", "recompute", "--campaign", "TEST-LADDER", "--apply")
    assert "Đã tính lại 1 thời hạn" in applied.stdout
    unknown = tdkt(db_url, "deadlines", "recompute", "--campaign", "NO-SUCH")
    assert unknown.returncode == 1 and "NO-SUCH" in unknown.stderr


def test_deliver_needs_smtp_and_then_sends(ladder, drive, db_url, smtp_server):
    drive(CLAIM, vn(2024, 1, 26, 10))
    sweep(ladder.db, close_of(2024, 2, 7))
    refused = tdkt(db_url, "deadlines", "deliver")
    assert refused.returncode == 1 and "TDKT_SMTP_URL" in refused.stderr
    sent = tdkt(db_url, "deadlines", "deliver", "--now", "2024-02-07T17:01",
                TDKT_SMTP_URL=smtp_server.url)
    assert "Thư: đã gửi 1" in sent.stdout, sent.stderr
    assert [r.rcpt_tos for r in smtp_server.sink.received] == [["reviewer@tdkt.example"]]
