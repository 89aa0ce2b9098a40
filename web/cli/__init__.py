"""The `tdkt` command line, one module per command group. It sits above the Flask app, which
never imports it; `tdkt bench` reaches `benchmarks/` only through a lazy import."""

from __future__ import annotations

import click

from web.cli.bench import bench
from web.cli.calendar import calendar
from web.cli.database import db, seed_demo_cmd
from web.cli.deadlines import deadlines, scheduler_cmd
from web.cli.integrity import audit, doctor_cmd
from web.cli.rulesets import rules
from web.cli.safety import backup_cmd, restore_cmd, user
from web.cli.serving import demo, serve
from web.config import TRANSLATIONS, Settings
from workflow.audit import chain
from workflow.labels import use_catalogue

# Rule sets and seeding import rule-engine, whose parser takes a while to build: those
# modules are imported by the commands that need them, keeping `audit verify` quick.


@click.group(help="tdkt — quy trình xét khen thưởng (commendation workflow engine).")
def main() -> None:
    # Every command that writes seals its audit events with the operator's key, if set.
    chain.use_key(Settings.from_env().audit_key)
    # The mail a command writes (the sweep's reminders, the scheduler's) in each
    # recipient's language.
    use_catalogue(TRANSLATIONS)


for command in (db, seed_demo_cmd, rules, audit, doctor_cmd, serve, demo, bench, deadlines,
                scheduler_cmd, backup_cmd, restore_cmd, user, calendar):
    main.add_command(command)


if __name__ == "__main__":
    main()
