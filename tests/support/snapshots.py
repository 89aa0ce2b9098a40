"""Every row of the tables a refused request must leave alone, to compare before/after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

TABLES = ("audit_events", "proposals", "nominees", "documents", "users", "user_roles",
          "units", "campaigns", "ruleset_versions", "notices", "notice_entries", "objections",
          "council_sessions", "council_session_members", "council_agenda_items",
          "council_tallies", "decisions", "decision_entries", "decision_counters", "achievements",
          "idempotency_keys")

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(world: Any) -> Snapshot:
    with world.db.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in TABLES}


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The tables whose rows differ."""
    return [t for t in TABLES if before[t] != after[t]]
