"""What `tdkt audit verify` catches beyond a proposal's chain: every stream has a head
(users, council sittings, notices, decisions…), an issued decision's list is sealed in its
issue event, and with TDKT_AUDIT_KEY every event and head carries a MAC that a forger with
write access to the database alone cannot recompute.

The tamperings run on a seeded SQLite database through `tdkt audit verify` (click's
runner, in process), as tests/cli/test_audit_tamper.py does; the head checks run through
workflow.audit.chain.verify on PostgreSQL too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from models import AuditEvent, Decision, User
from models.db import Database
from models.migrate import upgrade
from tests.conftest import FAST_HASH
from tests.support.audit_streams import ADMIN, USER_STREAM, add_user_stream, seq_ids
from tests.support.cli import copy_sqlite
from web.cli import main as tdkt_main
from workflow.accounts import administration
from workflow.actors import Actor
from workflow.audit.chain import event_hash, use_key, verify
from workflow.decisions import issuing as decisions
from workflow.operations.demo_seed import seed_demo

KEY = "khoá-kiểm-toán-của-người-vận-hành-2026"
OTHER_KEY = "một-khoá-khác-không-phải-của-người-vận-hành"
SECRETARY = Actor(None, "Chu Thị Lan", frozenset({"council_secretary"}))
SITTING = "council_session:1"   # the demo's first sitting: 7 events
NOTICE = "notice:1"             # the demo's notice: its publish event only
DEMO_STREAM = "proposal:1"      # 11 events


def seeded(workdir: Path, key: str | None) -> Path:
    path = workdir / "seeded.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    use_key(key)  # as `tdkt seed-demo` does with TDKT_AUDIT_KEY set
    try:
        with database.unit_of_work() as session:
            seed_demo(session, workdir / "documents", password_hash=FAST_HASH)
        add_user_stream(database)
    finally:
        use_key(None)
    database.dispose()
    return path


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded(tmp_path_factory.mktemp("plain"), None)


@pytest.fixture(scope="module")
def keyed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded(tmp_path_factory.mktemp("keyed"), KEY)


@pytest.fixture
def plain(plain_template: Path, tmp_path: Path) -> Path:
    return copy_sqlite(plain_template, tmp_path / "tdkt.sqlite")


@pytest.fixture
def keyed(keyed_template: Path, tmp_path: Path) -> Path:
    return copy_sqlite(keyed_template, tmp_path / "tdkt.sqlite")


def tdkt_verify(db_file: Path, *args: str, key: str | None = None) -> tuple[int, str]:
    env = {"TDKT_DATABASE_URL": f"sqlite:///{db_file}", "TDKT_AUDIT_KEY": key}
    result = CliRunner().invoke(tdkt_main, ["audit", "verify", *args], env=env)
    return result.exit_code, result.output


def raw(db_file: Path, *statements: tuple[str, dict]) -> None:
    database = Database(f"sqlite:///{db_file}")
    with database.engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)
    database.dispose()


def delete_last(db_file: Path, stream: str) -> int:
    """Delete the stream's newest event (raw SQL, as a forger would); its seq."""
    database = Database(f"sqlite:///{db_file}")
    with database.engine.begin() as conn:
        ids = seq_ids(conn, stream)
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[max(ids)]})
    database.dispose()
    return max(ids)


# --- every stream has a head -----------------------------------------------------------


def test_the_seeded_database_verifies_and_says_what_it_checked(plain: Path):
    code, output = tdkt_verify(plain)
    assert code == 0, output
    assert "Nhật ký toàn vẹn" in output
    assert "chỉ kiểm tra chuỗi băm" in output  # no key: the hash chain only, and it says so


@pytest.mark.parametrize("stream", [USER_STREAM, SITTING], ids=["user", "sitting"])
def test_deleting_the_last_event_of_a_stream_is_caught(plain: Path, stream: str):
    last = delete_last(plain, stream)
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert f"{stream}: " in output
    assert f"the chain does not end at its head (seq {last})" in output


def test_deleting_the_last_event_of_a_notice_is_caught(plain: Path):
    delete_last(plain, NOTICE)  # its only event: the head is left with none
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert f"{NOTICE}: no event: the head (seq 1) has no events" in output


def test_deleting_a_notice_stream_with_its_head_is_caught(plain: Path):
    raw(plain, ("DELETE FROM audit_events WHERE stream = :s", {"s": NOTICE}),
        ("DELETE FROM audit_heads WHERE stream = :s", {"s": NOTICE}))
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert f"{NOTICE}: no event: the notice has no audit events" in output


def test_deleting_a_whole_user_stream_is_caught(plain: Path):
    raw(plain, ("DELETE FROM audit_events WHERE stream = :s", {"s": USER_STREAM}))
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert f"{USER_STREAM}: no event: the head (seq 2) has no events" in output


def test_deleting_a_head_is_caught(plain: Path):
    raw(plain, ("DELETE FROM audit_heads WHERE stream = :s", {"s": SITTING}))
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert f"{SITTING}: " in output and "the stream has events but no head" in output


# --- an issued decision's list is sealed -----------------------------------------------


@pytest.mark.parametrize("column, value", [
    ("full_name", "Người được thêm vào sau"), ("award_form_code", "CSTD_CS"),
    ("nominee_id", None)], ids=["name", "award-form", "nominee"])
def test_editing_an_issued_decision_entry_is_caught(plain: Path, column: str, value: object):
    raw(plain, (f"UPDATE decision_entries SET {column} = :v WHERE id = (SELECT MIN(id) FROM "
                "decision_entries WHERE decision_id = 1)", {"v": value}))
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert "decision:1: " in output and "differs from what was issued" in output


def test_editing_an_issued_decision_itself_is_caught(plain: Path):
    raw(plain, ("UPDATE decisions SET title = :v WHERE id = 1", {"v": "Về việc khác"}))
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert "decision:1: " in output and "differs from what was issued" in output


def test_a_correction_seals_its_own_list(plain: Path):
    database = Database(f"sqlite:///{plain}")
    with database.unit_of_work() as session:
        original = session.get_one(Decision, 1)
        entry = original.entries[0]
        fixed = decisions.correct(session, SECRETARY, 1, {
            "reason": "Sai họ tên người được khen", "signed_on": date(2026, 12, 7),
            "signer_name": "Hoàng Văn Thắng",
            "entries": [{"entry_id": entry.id, "full_name": "Tên đã đính chính"}]})
        correction = fixed.id
    database.dispose()
    code, output = tdkt_verify(plain)
    assert code == 0, output
    raw(plain, ("UPDATE decision_entries SET full_name = :v WHERE decision_id = :d",
                {"v": "Tên sửa lén", "d": correction}))
    code, output = tdkt_verify(plain)
    assert code == 1, output
    assert f"decision:{correction}: " in output and "differs from what was issued" in output


def test_decisions_issued_before_the_digest_are_counted_not_failed(plain: Path):
    """A decision whose issue event has no digest (issued before this release) has nothing
    to be checked against: verify says how many, and passes."""
    database = Database(f"sqlite:///{plain}")
    with database.engine.begin() as conn:
        rewrite_without_digest(conn, "decision:1")
    database.dispose()
    code, output = tdkt_verify(plain)
    assert code == 0, output
    assert "undigested decisions: 1" in output


def rewrite_without_digest(conn: Connection, stream: str) -> None:
    with Session(bind=conn) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.stream == stream)
                                      .order_by(AuditEvent.seq)))
        for event in events:
            session.expunge(event)
    first = events[0]
    first.payload = {k: v for k, v in first.payload.items() if k != "digest"}
    rehash_from(conn, stream, events, 0, payload=first.payload)


# --- the operator's key ----------------------------------------------------------------


def rehash_from(conn: Connection, stream: str, events: list[AuditEvent], start: int,
                **changes: object) -> None:
    """Rewrite events[start] with `changes` and recompute its hash and every later one's,
    and the head: a consistent chain, as someone with write access but no key can make.
    The MACs are left as they were (they cannot be recomputed without the key)."""
    prev = events[start - 1].hash if start else None
    for i, event in enumerate(events[start:], start=start):
        if i == start:
            for column, value in changes.items():
                setattr(event, column, value)
        event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
        conn.execute(text("UPDATE audit_events SET reason = :r, payload = :p, prev_hash = :ph, "
                          "hash = :h WHERE id = :id"),
                     {"r": event.reason, "p": json.dumps(event.payload, ensure_ascii=False),
                      "ph": event.prev_hash, "h": event.hash, "id": event.id})
    if stream.startswith("proposal:"):
        conn.execute(text("UPDATE proposals SET audit_head = :h WHERE id = :id"),
                     {"h": prev, "id": int(stream.split(":")[1])})
    else:
        conn.execute(text("UPDATE audit_heads SET hash = :h WHERE stream = :s"),
                     {"h": prev, "s": stream})


def forge(db_file: Path, stream: str = DEMO_STREAM, *, strip_macs: bool = False) -> None:
    """Edit event 3's reason and recompute the chain from there, without the key."""
    database = Database(f"sqlite:///{db_file}")
    with database.engine.begin() as conn:
        with Session(bind=conn) as session:
            events = list(session.scalars(select(AuditEvent).where(AuditEvent.stream == stream)
                                          .order_by(AuditEvent.seq)))
            for event in events:
                session.expunge(event)
        rehash_from(conn, stream, events, 2, reason="Lý do được viết lại")
        if strip_macs:
            conn.execute(text("UPDATE audit_events SET mac = NULL WHERE stream = :s"),
                         {"s": stream})
            conn.execute(text("UPDATE proposals SET audit_mac = NULL WHERE id = :id"),
                         {"id": int(stream.split(":")[1])})
    database.dispose()


def test_a_keyed_database_verifies_with_its_key(keyed: Path):
    code, output = tdkt_verify(keyed, "--require-key", key=KEY)
    assert code == 0, output
    assert "Đã kiểm tra MAC" in output
    assert "unkeyed events: 0, unkeyed heads: 0" in output


def test_a_chain_recomputed_without_the_key_is_caught_only_with_the_key(keyed: Path):
    forge(keyed)
    code, output = tdkt_verify(keyed)  # no key: a consistent chain is all it can check
    assert code == 0, output
    assert "chỉ kiểm tra chuỗi băm" in output
    code, output = tdkt_verify(keyed, key=KEY)
    assert code == 1, output
    assert f"{DEMO_STREAM}: " in output and "(seq 3): MAC does not match" in output


def test_a_recomputed_chain_with_its_macs_stripped_is_caught_with_require_key(keyed: Path):
    """Stripped MACs look like events written before the key: counted, and a failure only
    with --require-key (which a database sealed throughout should always be verified
    with)."""
    forge(keyed, strip_macs=True)
    code, output = tdkt_verify(keyed, key=KEY)
    assert code == 0, output
    assert "unkeyed events: 11, unkeyed heads: 1" in output
    code, output = tdkt_verify(keyed, "--require-key", key=KEY)
    assert code == 1, output
    assert f"{DEMO_STREAM}: " in output and "event has no MAC (--require-key)" in output


def test_a_truncated_stream_with_its_head_moved_back_is_caught_with_the_key(keyed: Path):
    database = Database(f"sqlite:///{keyed}")
    with database.engine.begin() as conn:
        ids = seq_ids(conn, USER_STREAM)
        prev = conn.execute(text("SELECT seq, hash FROM audit_events WHERE id = :id"),
                            {"id": ids[1]}).one()
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})
        conn.execute(text("UPDATE audit_heads SET seq = :q, hash = :h WHERE stream = :s"),
                     {"q": prev.seq, "h": prev.hash, "s": USER_STREAM})
    database.dispose()
    code, output = tdkt_verify(keyed)
    assert code == 0, output  # without the key the shorter chain is consistent
    code, output = tdkt_verify(keyed, key=KEY)
    assert code == 1, output
    assert f"{USER_STREAM}: " in output and "the head's MAC does not match" in output


def test_a_wrong_key_is_caught(keyed: Path):
    code, output = tdkt_verify(keyed, key=OTHER_KEY)
    assert code == 1, output
    assert "MAC does not match (a wrong key" in output


def test_events_written_before_the_key_are_counted_unless_the_key_is_required(plain: Path):
    code, output = tdkt_verify(plain, key=KEY)
    assert code == 0, output
    assert "unkeyed events: " in output and "unkeyed events: 0" not in output
    code, output = tdkt_verify(plain, "--require-key", key=KEY)
    assert code == 1, output
    assert "event has no MAC (--require-key)" in output


def test_an_event_written_without_the_key_after_sealed_ones_is_caught(keyed: Path):
    """A process left without TDKT_AUDIT_KEY (or a forger) appending to a sealed chain."""
    add = Database(f"sqlite:///{keyed}")
    with add.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == "kiemtoan"))
        administration.update_profile(session, ADMIN, user.id, "Tên mới", None, user.unit_id)
    add.dispose()
    code, output = tdkt_verify(keyed, key=KEY)
    assert code == 1, output
    assert f"{USER_STREAM}: " in output and "no MAC after a sealed one" in output


def test_require_key_without_a_key_is_refused(plain: Path):
    code, output = tdkt_verify(plain, "--require-key")
    assert code == 2
    assert "TDKT_AUDIT_KEY" in output


def test_a_short_key_is_refused(plain: Path):
    code, output = tdkt_verify(plain, key="ngắn")
    assert code != 0
    assert "TDKT_AUDIT_KEY must be at least 16 bytes" in output


# --- heads on both backends ------------------------------------------------------------


@pytest.fixture
def user_stream(world) -> Iterator[str]:
    add_user_stream(world.db)
    yield USER_STREAM


def test_a_user_stream_verifies_and_its_deletions_are_caught(world, user_stream: str):
    with world.db.session() as session:
        assert verify(session).ok
    with world.db.engine.begin() as conn:
        ids = seq_ids(conn, user_stream)
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})
    with world.db.session() as session:
        report = verify(session)
    assert (report.broken.stream, report.broken.seq) == (user_stream, 1)
    assert "the chain does not end at its head (seq 2)" in report.broken.problem
    with world.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE stream = :s"), {"s": user_stream})
    with world.db.session() as session:
        report = verify(session)
    assert (report.broken.stream, report.broken.event_id) == (user_stream, None)
    assert "has no events" in report.broken.problem


# --- sealing a database written before the key -----------------------------------------


def tdkt_seal(db_file: Path, key: str | None = KEY) -> tuple[int, str]:
    env = {"TDKT_DATABASE_URL": f"sqlite:///{db_file}", "TDKT_AUDIT_KEY": key}
    result = CliRunner().invoke(tdkt_main, ["audit", "seal"], env=env)
    return result.exit_code, result.output


def test_sealing_an_old_database_lets_it_be_verified_with_require_key(plain: Path):
    code, output = tdkt_seal(plain)
    assert code == 0, output
    assert "sealed events: 111" in output
    code, output = tdkt_verify(plain, "--require-key", key=KEY)
    assert code == 0, output
    forge(plain, strip_macs=True)  # the forger of the test above, now caught
    code, output = tdkt_verify(plain, "--require-key", key=KEY)
    assert code == 1, output
    assert f"{DEMO_STREAM}: " in output


def test_a_tampered_database_is_not_sealed(plain: Path):
    delete_last(plain, SITTING)
    code, output = tdkt_seal(plain)
    assert code == 1, output
    assert "Không niêm phong" in output and SITTING in output
    code, output = tdkt_verify(plain, key=KEY)
    assert "unkeyed events: 0" not in output  # nothing was sealed


def test_sealing_needs_the_key(plain: Path):
    code, output = tdkt_seal(plain, key=None)
    assert code == 2 and "TDKT_AUDIT_KEY" in output
