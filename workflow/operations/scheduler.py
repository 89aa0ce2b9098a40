"""APScheduler 3 wiring: one interval job that sweeps due steps, then delivers mail.

The scheduler only says *when*; what is due lives in the database (`escalation_steps`),
so each process keeps its own in-memory job store and any number of processes may run
against one PostgreSQL database. `coalesce` folds runs missed while the process was
busy or asleep into one, `misfire_grace_time=None` never drops a late run, and
`max_instances=1` keeps one sweep per process at a time. Catching up after downtime
needs nothing special: the first sweep finds every step due since.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from models.base import utcnow
from models.db import Database
from workflow.escalation.sweep import SweepReport, sweep
from workflow.notifications.outbox import DeliveryReport, SmtpConfig, deliver_outbox

log = logging.getLogger(__name__)
JOB_ID = "tdkt-sweep"
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "misfire_grace_time": None,
                                "max_instances": 1}
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TickReport:
    at: datetime
    swept: SweepReport
    mail: DeliveryReport | None


def tick(database: Database, smtp: SmtpConfig | None = None, clock: Clock = utcnow) -> TickReport:
    """One scheduled run: apply what is due now, then send what is queued."""
    now = clock()
    swept = sweep(database, now)
    mail = deliver_outbox(database, smtp, now) if smtp is not None else None
    log.info("sweep at %s: %d applied, %d failed, %d busy; mail sent %s",
             now.isoformat(), swept.count("applied"), swept.count("failed"),
             swept.count("busy"), mail.sent if mail else "-")
    return TickReport(now, swept, mail)


def start_scheduler(database: Database, *, interval_seconds: int = 60,
                    smtp: SmtpConfig | None = None, clock: Clock = utcnow,
                    run_now: bool = True) -> BackgroundScheduler:
    """Start a background scheduler whose job ticks every `interval_seconds` (the first
    tick at once unless `run_now` is False). Stop it with `.shutdown()`."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    first: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if run_now else {}
    scheduler.add_job(tick, "interval", seconds=interval_seconds, id=JOB_ID,
                      name="tdkt: sweep deadlines and deliver mail",
                      args=(database, smtp, clock), **first)
    scheduler.start()
    return scheduler


def run_scheduler(database: Database, *, interval_seconds: int = 60,
                  smtp: SmtpConfig | None = None, stop: threading.Event | None = None) -> None:
    """Run the scheduler until SIGTERM or SIGINT (or until `stop` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    scheduler = start_scheduler(database, interval_seconds=interval_seconds, smtp=smtp)
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
