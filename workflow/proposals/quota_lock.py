"""One lock per (campaign, unit) over everything that counts toward the unit's quota.

A submit counts the unit's live nominees with a plain SELECT and then adds its own. Under
PostgreSQL's READ COMMITTED two submits of one unit read the same count and both pass, so
30 simultaneous submits against a quota of 10 were accepted 11 and 16 times. Whoever is
about to count takes this lock first and keeps it to the end of its transaction; the next
one counts only after the first has committed, and sees its nominees. SQLite needs none:
its write transactions begin with BEGIN IMMEDIATE and so already run one at a time.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# A transaction-scoped advisory lock: released by the commit or rollback, never leaked by a
# worker that dies. The key is a 64-bit hash of a name that says what it guards.
_HOLD = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def quota_key(campaign_id: int, unit_id: int) -> str:
    return f"quota:{campaign_id}:{unit_id}"


def hold_unit_quota(session: Session, campaign_id: int, unit_id: int) -> None:
    """Wait for, then hold until the end of the transaction, the unit's quota lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_HOLD, {"key": quota_key(campaign_id, unit_id)})
