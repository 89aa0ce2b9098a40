"""The write path's fast lane: rows written past the ORM's unit of work, for batches.

The unit of work costs more Python per row than the statement it sends. Where one call
writes many rows of a kind (a decision over hundreds of proposals, the sweep's batch), the
write path sends them as one statement each and hands the objects to the session as if a
flush had written them. A single action writes its few rows through the plain flush: there
the lane saves too little to pay for itself (`tdkt bench --only fastpath` measures both
ways in one run; docs/performance.md). Only the write path imports this module
(import-linter): the proposal service, the deadline clock and the sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Table, Update, bindparam, event, insert, inspect, text
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from models.base import Base

# A write of this many rows of a kind or more takes the lane; fewer go through the flush.
BATCH_FROM = 2
_forced: bool | None = None


def pays(rows: int) -> bool:
    """Whether a write of this many rows of one kind takes the fast lane."""
    return _forced if _forced is not None else rows >= BATCH_FROM


@contextmanager
def forced(on: bool) -> Iterator[None]:
    """Every write takes the lane (`on`) or the flush, whatever its size: for the benchmark
    that compares the two, and the tests that prove both write the same rows."""
    global _forced
    before, _forced = _forced, on
    try:
        yield
    finally:
        _forced = before


ModelT = TypeVar("ModelT", bound=Base)


def inserted_ids(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows; their new ids, in the rows' order (ascending)."""
    if conn.dialect.name == "postgresql" and len(rows) >= _SEQUENCE_FROM:
        # Many rows in one INSERT … RETURNING make one statement as long as the rows
        # (200 KB for 500 audit events), which SQLAlchemy renders and psycopg parses anew
        # each time. The ids taken from the table's sequence first, the rows go as one
        # short prepared statement in a pipeline, several times quicker for hundreds.
        ids = sorted(conn.execute(_NEXT_IDS, {"table": model.__tablename__,
                                              "n": len(rows)}).scalars())
        conn.execute(_insert(model), [dict(row, id=new_id)
                                      for row, new_id in zip(rows, ids, strict=True)])
        return ids
    return list(conn.execute(_insert_returning_id(model), rows).scalars())


# Below this many rows one INSERT … RETURNING is the quicker (one round trip, not two).
_SEQUENCE_FROM = 4
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :n)")


# Built once per table: building a statement and its cache key costs more than running it.
@cache
def _insert_returning_id(model: type[Base]) -> Insert:
    table: Table = model.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


@cache
def _insert(model: type[Base]) -> Insert:
    return insert(model.__table__)


def insert_known(session: Session, model: type[ModelT], rows: list[dict[str, Any]]
                 ) -> list[ModelT]:
    """Insert the rows (every column but the id given) in one statement, on the session's
    connection and without flushing it; returns them as the session's persistent
    objects, in the rows' order. A rollback of the transaction that wrote them takes
    them out of the session again, as it does objects a flush wrote."""
    if not rows:
        return []
    ids = inserted_ids(session.connection(), model, rows)
    written = session.info.setdefault(_WRITTEN, [])
    transaction = session.get_nested_transaction() or session.get_transaction()
    objects = []
    for new_id, values in zip(ids, rows, strict=True):
        obj = model(id=new_id, **values)
        make_transient_to_detached(obj)
        session.add(obj)
        objects.append(obj)
        written.append((transaction, obj))
    return objects


def add_rows(session: Session, model: type[ModelT], rows: list[dict[str, Any]]
             ) -> list[ModelT]:
    """The rows as the session's objects, in the rows' order: written at once past the unit
    of work where the lane pays (`insert_known`), else added for the next flush to write
    (until which they have no id)."""
    if pays(len(rows)):
        return insert_known(session, model, rows)
    objects = [model(**row) for row in rows]
    session.add_all(objects)
    return objects


# session.info: (transaction, object) of each row insert_known wrote, and the transaction
# committing at the moment.
_WRITTEN, _COMMITTING = "tdkt_written", "tdkt_committing"


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    if session.info.get(_WRITTEN):
        session.info[_COMMITTING] = (session.get_nested_transaction()
                                     or session.get_transaction())


@event.listens_for(Session, "after_transaction_end")
def _settle(session: Session, transaction: SessionTransaction) -> None:
    # A flush records the objects it inserts in its transaction, and a rollback expunges
    # them; objects attached as already persistent are not recorded there, so without
    # this they would stay in the identity map under ids the database may hand out again
    # (SQLite does). A released savepoint's rows become its parent's.
    written = session.info.get(_WRITTEN)
    if not written:
        return
    if session.info.pop(_COMMITTING, None) is transaction:
        if transaction.parent is None:
            del session.info[_WRITTEN]
        return
    kept = []
    for written_in, obj in written:
        if _within(written_in, transaction):
            if obj in session:
                session.expunge(obj)
        else:
            kept.append((written_in, obj))
    session.info[_WRITTEN] = kept


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def update_versioned(session: Session, objects: list[ModelT]) -> bool:
    """Write the objects' changed columns in one executemany, each row checked against its
    version as the flush checks it, and tell the session the changes are written. False
    (and nothing told) if any row's version had moved on: a lost race, which the caller
    turns into its conflict. The flush would send one UPDATE per row: with a version
    counter the ORM checks each row's count."""
    if not objects:
        return True
    model = type(objects[0])
    mapper = inspect(model)
    version = mapper.version_id_col
    assert version is not None and version.key, f"{model.__name__} has no version counter"
    name, columns = version.key, _columns(model)
    rows, keys = [], set[str]()
    for obj in objects:
        changed = set(inspect(obj).committed_state) & columns
        keys |= changed
        if changed:
            rows.append(obj)
    if not rows:
        return True
    params = [{"_id": _id(obj), "_version": getattr(obj, name),
               "_next": getattr(obj, name) + 1, **{k: getattr(obj, k) for k in keys}}
              for obj in rows]
    if session.connection().execute(versioned_update(model, frozenset(keys)),
                                    params).rowcount != len(rows):
        return False
    for obj, values in zip(rows, params, strict=True):
        for k in keys:
            set_committed_value(obj, k, values[k])
        set_committed_value(obj, name, values["_next"])
        _clear_modified(session, obj)
    return True


@cache
def _columns(model: type[Base]) -> frozenset[str]:
    version = inspect(model).version_id_col
    return frozenset(c.key for c in model.__table__.columns) - {"id", getattr(version, "key", "")}


@cache
def versioned_update(model: type[Base], keys: frozenset[str]) -> Update:
    """The version-checked UPDATE of these columns, for an executemany of rows holding
    `_id`, `_version`, `_next` (the new version) and the columns' values. Built once per
    set of columns: building a statement and its cache key costs more than running it."""
    table: Table = model.__table__
    version = inspect(model).version_id_col
    assert version is not None
    return (sql_update(table)
            .where(table.c.id == bindparam("_id"), version == bindparam("_version"))
            .values({**{k: bindparam(k) for k in sorted(keys)},
                     version.key: bindparam("_next")}))


def written(obj: Base, **values: Any) -> None:
    """Tell the session that these column values of the object are in the database,
    written by the caller's own statement."""
    for key, value in values.items():
        set_committed_value(obj, key, value)


def _clear_modified(session: Session, obj: Base) -> None:
    # A changed object stays flagged as modified until a flush, and every later flush (the
    # commit's included) would then run the whole unit of work to find that nothing is left
    # to write. No public call clears the flag; `_commit_all` is what a flush itself calls
    # on each object it wrote. An object with a change not yet written (a relationship,
    # say) is left flagged.
    state = inspect(obj)
    if not state.committed_state:
        state._commit_all(state.dict, session.identity_map)


def _id(obj: Base) -> Any:
    identity = inspect(obj).identity
    assert identity is not None, "only a persistent object has a row to update"
    return identity[0]
