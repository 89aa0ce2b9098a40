"""Tampering with the audit log behind the application's back (raw SQL: the ORM refuses to
update or delete events) is caught by `tdkt audit verify`, which names the broken event.

The same table of tamperings runs three ways: through the `tdkt` command on a seeded
SQLite database (in-process with click's runner, plus the installed script for a few),
and through workflow.audit.chain.verify on both database backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from models import AuditEvent
from models.base import UTCDateTime
from models.db import Database
from models.migrate import upgrade
from tests.conftest import FAST_HASH
from tests.support.audit_streams import seq_ids
from tests.support.cli import copy_sqlite, run_tdkt
from web.cli import main as tdkt_main
from workflow.audit.chain import event_hash, verify
from workflow.operations.demo_seed import seed_demo


@dataclass(frozen=True)
class Expect:
    """The event verify must name (None: a proposal left with no event) and its problem."""

    event_id: int | None
    seq: int | None
    problem: str


def _set(conn: Connection, event_id: int, column: str, value: object,
         type_: object = None) -> None:
    stmt = text(f"UPDATE audit_events SET {column} = :v WHERE id = :id")
    if type_ is not None:
        stmt = stmt.bindparams(bindparam("v", type_=type_))
    conn.execute(stmt, {"v": value, "id": event_id})


def _delete(conn: Connection, event_id: int) -> None:
    conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event_id})


def _edit(column: str, value: object, type_: object = None, seq: int = 3):
    def tamper(conn: Connection, stream: str) -> Expect:
        target = seq_ids(conn, stream)[seq]
        _set(conn, target, column, value, type_)
        return Expect(target, seq, "content does not match its hash")
    return tamper


def edit_and_rehash(conn: Connection, stream: str) -> Expect:
    """A forger who also recomputes the edited event's hash breaks the next link."""
    ids = seq_ids(conn, stream)
    with Session(bind=conn) as session:
        event = session.get(AuditEvent, ids[3])
        session.expunge(event)
    event.reason = "Lý do được sửa lại"
    _set(conn, ids[3], "reason", event.reason)
    _set(conn, ids[3], "hash", event_hash(event))
    return Expect(ids[4], 4, "previous-hash link does not match")


def delete_seq(which: str) -> Callable[[Connection, str], Expect]:
    def tamper(conn: Connection, stream: str) -> Expect:
        ids = seq_ids(conn, stream)
        last = max(ids)
        if which == "first":
            _delete(conn, ids[1])
            return Expect(ids[2], 2, "sequence gap: expected 1")
        if which == "middle":
            _delete(conn, ids[3])
            return Expect(ids[4], 4, "sequence gap: expected 3")
        _delete(conn, ids[last])
        return Expect(ids[last - 1], last - 1, "the chain does not end at the proposal's head")
    return tamper


def delete_whole_chain(conn: Connection, stream: str) -> Expect:
    conn.execute(text("DELETE FROM audit_events WHERE stream = :s"), {"s": stream})
    return Expect(None, None, "the proposal has no audit events")


def swap_seq(conn: Connection, stream: str) -> Expect:
    """Events 2 and 3 exchange their positions in the chain."""
    ids = seq_ids(conn, stream)
    _set(conn, ids[2], "seq", -2)
    _set(conn, ids[3], "seq", 2)
    _set(conn, ids[2], "seq", 3)
    return Expect(ids[3], 2, "previous-hash link does not match")


def swap_rows(conn: Connection, stream: str) -> Expect:
    """Rows 2 and 3 exchange their whole contents (the same as exchanging their ids)."""
    ids = seq_ids(conn, stream)
    _set(conn, ids[2], "id", -ids[2])
    _set(conn, ids[3], "id", ids[2])
    _set(conn, -ids[2], "id", ids[3])
    return Expect(ids[2], 3, "events out of order")


TAMPERINGS = [
    pytest.param(_edit("reason", "Hồ sơ đủ điều kiện"), id="reason"),
    pytest.param(_edit("actor_name", "Người khác"), id="actor_name"),
    pytest.param(_edit("to_state", "withdrawn", seq=4), id="to_state"),
    pytest.param(_edit("action", "withdraw", seq=4), id="action"),
    pytest.param(_edit("payload", {"forged": True}, JSON(), seq=2), id="payload"),
    pytest.param(_edit("occurred_at", datetime(2020, 1, 1, tzinfo=UTC), UTCDateTime()),
                 id="backdated"),
    pytest.param(edit_and_rehash, id="edited-and-rehashed"),
    pytest.param(delete_seq("first"), id="deleted-first"),
    pytest.param(delete_seq("middle"), id="deleted-middle"),
    pytest.param(delete_seq("last"), id="deleted-last"),
    pytest.param(delete_whole_chain, id="deleted-whole-chain"),
    pytest.param(swap_seq, id="swapped-seq"),
    pytest.param(swap_rows, id="swapped-rows"),
]


def named(stream: str, expect: Expect) -> str:
    """How the report names the broken event (see workflow.audit.Broken)."""
    where = f"event {expect.event_id} (seq {expect.seq})" if expect.event_id else "no event"
    return f"{stream}: {where}: "


# --- through the `tdkt` command, on a seeded SQLite database ---------------------------

# Proposal 1 of the demo is `decided`: the longest chain (11 events).
DEMO_STREAM = "proposal:1"


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("tamper")
    path = workdir / "seeded.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    with database.unit_of_work() as session:
        report = seed_demo(session, workdir / "documents", password_hash=FAST_HASH)
    assert report.proposals_created == 11
    database.dispose()
    return path


@pytest.fixture
def seeded_copy(seeded_template: Path, tmp_path: Path) -> Path:
    return copy_sqlite(seeded_template, tmp_path / "tdkt.sqlite")


def tamper_file(db_file: Path, tamper: Callable[[Connection, str], Expect],
                stream: str = DEMO_STREAM) -> Expect:
    database = Database(f"sqlite:///{db_file}")
    with database.engine.begin() as conn:
        expect = tamper(conn, stream)
    database.dispose()
    return expect


def verify_in_process(db_file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(tdkt_main, ["audit", "verify"],
                                env={"TDKT_DATABASE_URL": f"sqlite:///{db_file}"})
    return result.exit_code, result.output


def test_an_untouched_demo_database_verifies(seeded_copy: Path):
    code, output = verify_in_process(seeded_copy)
    assert code == 0, output
    assert "Nhật ký toàn vẹn" in output


@pytest.mark.parametrize("tamper", TAMPERINGS)
def test_tdkt_audit_verify_names_the_tampered_event(seeded_copy: Path, tamper):
    expect = tamper_file(seeded_copy, tamper)
    code, output = verify_in_process(seeded_copy)
    assert code == 1
    assert "Nhật ký bị thay đổi" in output
    assert named(DEMO_STREAM, expect) + expect.problem in output


def test_an_edited_rule_set_load_event_is_caught(seeded_copy: Path):
    expect = tamper_file(seeded_copy, _edit("actor_name", "Người khác", seq=1),
                         "campaign:CDS-2022")
    code, output = verify_in_process(seeded_copy)
    assert code == 1
    assert named("campaign:CDS-2022", expect) + expect.problem in output


def test_a_deleted_last_rule_set_load_event_is_caught(seeded_copy: Path):
    tamper_file(seeded_copy, lambda conn, stream: _delete(conn, seq_ids(conn, stream)[1]),
                "campaign:CDS-2022")
    code, _ = verify_in_process(seeded_copy)
    assert code == 1


def test_the_installed_command_exits_0_then_1_naming_the_event(seeded_copy: Path,
                                                               tmp_path: Path):
    clean = run_tdkt(tmp_path, seeded_copy, "audit", "verify")
    assert clean.returncode == 0, clean.stderr
    expect = tamper_file(seeded_copy, delete_seq("middle"))
    tampered = run_tdkt(tmp_path, seeded_copy, "audit", "verify")
    assert tampered.returncode == 1
    assert named(DEMO_STREAM, expect) + "sequence gap" in tampered.stderr


# --- through workflow.audit.chain.verify, on SQLite and PostgreSQL ----------------------------


@pytest.fixture
def two_chains(make_proposal, world) -> str:
    """Two decided proposals; the second one's chain (8 events) is the one tampered."""
    make_proposal("decided")
    return f"proposal:{make_proposal('decided')}"


def test_untouched_chains_verify_on_both_backends(two_chains: str, world):
    with world.db.session() as session:
        report = verify(session)
    assert report.ok, report.broken
    assert report.events >= 16


@pytest.mark.parametrize("tamper", TAMPERINGS)
def test_verify_names_the_tampered_event_on_both_backends(two_chains: str, world, tamper):
    with world.db.engine.begin() as conn:
        expect = tamper(conn, two_chains)
    with world.db.session() as session:
        report = verify(session)
    assert not report.ok
    assert (report.broken.stream, report.broken.event_id, report.broken.seq) == (
        two_chains, expect.event_id, expect.seq)
    assert expect.problem in report.broken.problem
