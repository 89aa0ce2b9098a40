"""`models.membership.among`: a membership test that finds the same rows as IN on both
databases, for no value, a few, or thousands; on PostgreSQL its statement is the same
text however many values it holds, so the driver parses it once."""

from __future__ import annotations

from sqlalchemy import event, insert, select

from models import Unit
from models.db import Database
from models.membership import among


def test_among_finds_exactly_the_rows_asked_for(db: Database):
    with db.unit_of_work() as session:
        session.execute(insert(Unit), [{"code": f"U{i:04}", "name": f"Đơn vị {i}"}
                                       for i in range(1, 1201)])
    with db.session() as session:
        ids = {code: uid for uid, code in session.execute(select(Unit.id, Unit.code))}

        def found(wanted: list[int]) -> set[int]:
            return set(session.scalars(select(Unit.id).where(among(session, Unit.id, wanted))))

        assert found([]) == set()
        assert found([ids["U0007"], ids["U0900"], -5]) == {ids["U0007"], ids["U0900"]}
        many = [ids[f"U{i:04}"] for i in range(1, 1201, 2)] + [10**9]
        assert found(many) == set(many) - {10**9}


def test_the_statement_does_not_grow_with_the_values_on_postgresql(db: Database):
    seen: list[int] = []

    def note(conn, cursor, sql: str, *args: object) -> None:
        if "FROM units" in sql:
            seen.append(len(sql))

    event.listen(db.engine, "before_cursor_execute", note)
    with db.session() as session:
        for n in (3, 3000):
            session.scalars(select(Unit.id).where(among(session, Unit.id, range(n)))).all()
    assert len(seen) == 2
    if db.engine.dialect.name == "postgresql":
        assert seen[0] == seen[1]
    else:  # SQLite's IN list: one placeholder a value
        assert seen[1] > seen[0] + 3000
