"""`tdkt deadlines …` and `tdkt scheduler`: the time-driven side of the workflow."""

from __future__ import annotations

import click


@click.group(help="Thời hạn xử lý và nhắc việc (deadlines and escalations).")
def deadlines() -> None:
    pass
