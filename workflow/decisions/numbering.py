"""Decision numbers: one running sequence per issuing body and year, gap-free.

The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite write units of
work already hold the database's write lock from BEGIN IMMEDIATE) and incremented in
the caller's transaction, the same one that inserts the decision. Two secretaries
issuing at once queue on the row and get consecutive numbers; an issue that fails
rolls the increment back with everything else, so no number is lost.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import DecisionCounter
from rules.schema import DecisionRules


def format_number(rules: DecisionRules, seq: int, year: int) -> str:
    return (rules.number_format.replace("{seq}", str(seq)).replace("{year}", str(year))
            .replace("{body}", rules.issuing_body))


def next_number(session: Session, rules: DecisionRules, year: int) -> tuple[int, str]:
    """Take the next sequence number of (issuing body, year); returns (seq, number)."""
    _ensure_counter(session, rules.issuing_body, year)
    counter = session.scalar(
        select(DecisionCounter)
        .where(DecisionCounter.issuing_body == rules.issuing_body, DecisionCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True))
    assert counter is not None
    counter.last_seq += 1
    session.flush()
    return counter.last_seq, format_number(rules, counter.last_seq, year)


def _ensure_counter(session: Session, body: str, year: int) -> None:
    """Create the year's counter if missing; a concurrent creator wins without an error."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    session.execute(insert(DecisionCounter).values(issuing_body=body, year=year, last_seq=0)
                    .on_conflict_do_nothing())
