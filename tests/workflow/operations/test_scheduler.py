"""The scheduler: APScheduler fires the sweep with coalescing and no misfire loss; the
scheduler command runs as a process of its own; several of them against one PostgreSQL
database apply each of 2,000 due steps exactly once and send each mail once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from sqlalchemy import func, select

from models import AuditEvent, DeadlineStep, MailStatus, OutboxMail
from tests.conftest import PG_URL
from tests.workflow.conftest import CLAIM, close_of, count, vn
from workflow.audit.chain import verify
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.filing.dossier import add_document, add_nominee, create_proposal
from workflow.operations.scheduler import JOB_ID, start_scheduler, tick
from workflow.proposals.service import act

ROOT = Path(__file__).resolve().parents[3]
# The scheduler command, run the way `tdkt scheduler` runs it.
SCHEDULER = [sys.executable, "-c", "from web.cli.deadlines import scheduler_cmd; scheduler_cmd()"]


def executions(scheduler):
    """A list that receives each run (and each missed run) of the sweep job."""
    seen: list[str] = []
    ran = threading.Event()

    def listen(event):
        seen.append("missed" if event.code == EVENT_JOB_MISSED else "ran")
        ran.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    return seen, ran


def test_the_scheduler_sweeps_at_once_with_the_injected_clock(ladder, drive):
    drive(CLAIM, vn(2024, 1, 26, 10))
    scheduler = start_scheduler(ladder.db, interval_seconds=60, run_now=False,
                                clock=lambda: close_of(2024, 2, 16))
    try:
        seen, ran = executions(scheduler)
        job = scheduler.get_job(JOB_ID)
        assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (True, None, 1)
        assert job.trigger.interval == timedelta(seconds=60)
        job.modify(next_run_time=datetime.now(UTC))
        scheduler.wakeup()
        assert ran.wait(timeout=60)
    finally:
        scheduler.shutdown(wait=True)
    assert seen == ["ran"]
    with ladder.db.session() as s:
        assert count(s, DeadlineStep, DeadlineStep.status == "done") == 2  # remind, escalate


def test_runs_missed_for_an_hour_run_once_and_are_not_dropped(ladder):
    scheduler = start_scheduler(ladder.db, interval_seconds=60, run_now=False)
    try:
        seen, ran = executions(scheduler)
        # The process was asleep: sixty runs were due, the oldest an hour ago.
        scheduler.get_job(JOB_ID).modify(next_run_time=datetime.now(UTC) - timedelta(hours=1))
        scheduler.wakeup()
        assert ran.wait(timeout=60)
        assert scheduler.get_job(JOB_ID).next_run_time > datetime.now(UTC)
    finally:
        scheduler.shutdown(wait=True)
    assert seen == ["ran"]


def test_the_scheduler_command_runs_until_told_to_stop(ladder, drive, db_url):
    drive(CLAIM, vn(2024, 1, 26, 10))  # long overdue by the wall clock
    env = dict(os.environ, TDKT_DATABASE_URL=db_url, TDKT_SWEEP_SECONDS="3600")
    env.pop("TDKT_SMTP_URL", None)
    child = subprocess.Popen(SCHEDULER, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in child.stderr:  # wait for the first tick's log line, not for time
            if "sweep at" in line:
                assert "3 applied" in line
                break
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()


# --- several scheduler processes, one PostgreSQL database ------------------------------------

RUNG_LINES = "".join(
    [f"  - {{at: {-n}, action: remind, to: assignee}}\n" for n in range(10, 0, -1)]
    + [f"  - {{at: {n}, action: escalate, to: board_head}}\n" for n in range(10)])
MANY_RULES = f"""
campaign: TEST-MANY
title: Phong trào thử nhiều bước nhắc (chỉ dùng cho kiểm thử)
legal_basis: [Không — dữ liệu kiểm thử]
kind: regular
period: {{starts: 2020-01-01, ends: 2030-12-31}}
award_year: 2024
submission: {{opens: 2020-01-01, closes: 2030-12-31}}
review_sla_working_days: 20
council_sla_working_days: 15
resubmission_working_days: 5
escalation:
{RUNG_LINES}awards:
  - form: BK_CT_UBND
    nominee: [individual, collective]
    required_documents: [to_trinh]
    council: {{threshold: 0.7}}
"""
PROPOSALS, RUNGS = 100, 20


def many_proposals(world) -> None:
    """100 submitted proposals, 20 rungs each: 2,000 steps, all due by 2024-06-01."""
    start = vn(2024, 1, 8)
    with world.db.unit_of_work() as s:
        load_ruleset_text(s, MANY_RULES, "test-many.yaml")
        clerk = world.user(s, "unit1")
        for n in range(PROPOSALS):
            p = create_proposal(s, clerk, "TEST-MANY", f"Hồ sơ số {n}", now=start)
            add_nominee(s, p.id, clerk, {"kind": "collective", "full_name": f"Tập thể {n}",
                                         "award_form": "BK_CT_UBND"}, now=start)
            add_document(s, p.id, clerk, "to_trinh", "to_trinh.pdf", b"%PDF tt", world.storage,
                         now=start)
            act(s, p.id, "submit", clerk, now=start + timedelta(minutes=n))


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_three_scheduler_processes_apply_each_of_2000_steps_once(ladder, db_url, smtp_server):
    many_proposals(ladder)
    with ladder.db.session() as s:
        assert count(s, DeadlineStep) == PROPOSALS * RUNGS
    env = dict(os.environ, TDKT_DATABASE_URL=db_url, TDKT_SMTP_URL=smtp_server.url)
    procs = [subprocess.Popen([*SCHEDULER, "--once", "--now", "2024-06-01T00:00"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    with ladder.db.session() as s:
        assert count(s, DeadlineStep, DeadlineStep.status == "done") == PROPOSALS * RUNGS
        step_ids = s.scalars(select(AuditEvent.payload).where(
            AuditEvent.action.in_(["remind", "escalate"]))).all()
        assert len(step_ids) == len({p["step_id"] for p in step_ids}) == PROPOSALS * RUNGS
        assert s.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.status == MailStatus.SENT)) == PROPOSALS * RUNGS
        assert verify(s).ok
    ids = smtp_server.sink.message_ids()
    assert len(ids) == len(set(ids)) == PROPOSALS * RUNGS
    applied = [int(out.split("đã áp dụng ")[1].split(" ")[0]) for out, _ in outputs]
    assert sum(applied) == PROPOSALS * RUNGS
    assert sum(1 for n in applied if n) >= 2, applied  # they really shared the work


def test_a_tick_sweeps_then_delivers(ladder, drive, smtp_server):
    drive(CLAIM, vn(2024, 1, 26, 10))
    report = tick(ladder.db, smtp_server.config, lambda: close_of(2024, 2, 16))
    assert report.swept.count("applied") == 2
    assert report.mail is not None and report.mail.sent == 2
    assert len(smtp_server.sink.received) == 2
