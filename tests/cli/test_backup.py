"""`tdkt backup` and `tdkt restore`, run as a user runs them (the installed command in a
process of its own): a round trip keeps every row and every document and the audit log
verifies; a damaged, hostile or misplaced restore is refused before anything is touched."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from models import Base, Document, Proposal, User
from models.db import Database
from models.migrate import upgrade
from tests.conftest import FAST_HASH, PG_URL
from tests.support.cli import tdkt_command
from workflow.errors import InvalidInput
from workflow.filing import dossier
from workflow.operations.backup import backup, restore
from workflow.operations.demo_seed import seed_demo


def run(home: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """The tdkt command on the installation under `home` (its database and documents)."""
    env = dict(os.environ, TDKT_DATABASE_URL=url or f"sqlite:///{home / 'tdkt.sqlite'}",
               TDKT_STORAGE_DIR=str(home / "documents"))
    return subprocess.run([*tdkt_command(), *args], cwd=home, env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def rows(db_file: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to compare two databases; the data version aside, which
    a restore moves on (`version`)."""
    database = Database(f"sqlite:///{db_file}")
    try:
        with database.engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(text(
                f'SELECT * FROM "{t.name}" ORDER BY 1'))] for t in Base.metadata.sorted_tables
                if t.name != "data_version"}
    finally:
        database.dispose()


def version(db_file: Path) -> int | None:
    database = Database(f"sqlite:///{db_file}")
    try:
        return database.data_version()
    finally:
        database.dispose()


def documents(home: Path) -> dict[str, bytes]:
    store = home / "documents"
    return {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded installation (every proposal state, documents) to back up."""
    home = tmp_path_factory.mktemp("demo")
    database = Database(f"sqlite:///{home / 'tdkt.sqlite'}")
    upgrade(database.engine)
    with database.unit_of_work() as session:
        seed_demo(session, home / "documents", password_hash=FAST_HASH)
    database.dispose()
    return home


@pytest.fixture(scope="module")
def archive(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "tdkt-2024-05-01.tar.gz"
    result = run(demo, "backup", str(path))
    assert result.returncode == 0, result.stderr
    assert "Đã sao lưu" in result.stdout and "tài liệu" in result.stdout
    assert "CSDL: 1/1" in result.stderr and "Tài liệu:" in result.stderr  # progress
    return path


def test_a_round_trip_keeps_every_row_and_document_and_the_audit_log_verifies(
        demo, archive, tmp_path):
    assert documents(demo), "the demo should hold documents"
    result = run(tmp_path, "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert "Đã khôi phục" in result.stdout and "Kiểm tra SHA-256" in result.stderr
    assert rows(tmp_path / "tdkt.sqlite") == rows(demo / "tdkt.sqlite")
    # The data version moves on, so no page kept from before the restore is served again.
    assert version(tmp_path / "tdkt.sqlite") > version(demo / "tdkt.sqlite")
    assert documents(tmp_path) == documents(demo)
    verified = run(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "Nhật ký toàn vẹn" in verified.stdout


def test_the_archive_lists_the_sha256_of_every_file(archive):
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
    assert manifest["format"] == "tdkt-backup/1" and manifest["missing"] == []
    assert names == {"manifest.json", *manifest["files"]}
    assert manifest["documents"] == sum(n.startswith("documents/") for n in names) > 0
    assert all(len(d) == 64 for d in manifest["files"].values())


def test_a_database_with_data_is_not_overwritten_without_force(demo, archive, tmp_path):
    assert run(tmp_path, "restore", str(archive)).returncode == 0
    restored = Database(f"sqlite:///{tmp_path / 'tdkt.sqlite'}")
    with restored.unit_of_work() as s:
        s.scalar(select(User).where(User.username == "unit1")).full_name = "Đã sửa"
    restored.dispose()
    before = rows(tmp_path / "tdkt.sqlite")
    refused = run(tmp_path, "restore", str(archive))
    assert refused.returncode == 1 and "đã có dữ liệu" in refused.stderr
    assert rows(tmp_path / "tdkt.sqlite") == before
    replaced = version(tmp_path / "tdkt.sqlite")
    forced = run(tmp_path, "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert rows(tmp_path / "tdkt.sqlite") == rows(demo / "tdkt.sqlite")
    # Above the version it replaced, not just above the backup's own.
    assert version(tmp_path / "tdkt.sqlite") > replaced


def test_an_empty_schema_is_restored_into(demo, archive, tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    assert run(tmp_path, "restore", str(archive)).returncode == 0
    assert rows(tmp_path / "tdkt.sqlite") == rows(demo / "tdkt.sqlite")


def rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of the archive with `change(name, data)` applied to each member (None drops
    it); change may also return extra (name, data) members via the key '+'."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    members = {n: d for n, d in ((n, change(n, d)) for n, d in members.items()) if d is not None}
    members.update(getattr(change, "extra", {}))
    with tarfile.open(target, "w") as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def flip_a_document(name: str, data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("documents/") else data


def drop_a_document(name: str, data: bytes) -> bytes | None:
    return None if name.startswith("documents/") else data


def escaping() -> object:
    def change(name: str, data: bytes) -> bytes:
        return data
    change.extra = {"../../etc/evil": b"x"}  # type: ignore[attr-defined]
    return change


@pytest.mark.parametrize(("change", "message"), [
    (flip_a_document, "sai SHA-256"),
    (drop_a_document, "thiếu documents/"),
    (escaping(), "không an toàn"),
], ids=["damaged document", "missing document", "path traversal"])
def test_a_bad_archive_is_refused_and_nothing_is_touched(archive, tmp_path, change, message):
    bad = rewrite(archive, tmp_path / "bad.tar", change)
    home = tmp_path / "home"
    home.mkdir()
    result = run(home, "restore", str(bad))
    assert result.returncode == 1 and message in result.stderr
    assert not (home / "tdkt.sqlite").exists() and not (home / "documents").exists()
    assert not (home / "evil").exists() and not (tmp_path / "etc").exists()


def test_an_existing_file_is_not_overwritten_by_a_backup(demo, archive):
    result = run(demo, "backup", str(archive))
    assert result.returncode == 1 and "đã tồn tại" in result.stderr


def test_a_missing_document_is_reported_and_fails_the_backup(demo, tmp_path):
    home = tmp_path / "home"
    (home / "documents").mkdir(parents=True)
    database = Database(f"sqlite:///{home / 'tdkt.sqlite'}")
    backup(Database(f"sqlite:///{demo / 'tdkt.sqlite'}"), demo / "documents",
           tmp_path / "full.tar", datetime.now(UTC))
    restore(database, home / "documents", tmp_path / "full.tar")
    database.dispose()
    lost = next(p for p in (home / "documents").rglob("*") if p.is_file())
    lost.unlink()
    result = run(home, "backup", str(tmp_path / "again.tar"))
    assert result.returncode == 1 and "CẢNH BÁO: 1 tài liệu" in result.stderr
    assert lost.name in result.stderr


def test_the_file_of_a_removed_document_is_carried_for_the_audit_trail(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    database = Database(f"sqlite:///{home / 'tdkt.sqlite'}")
    upgrade(database.engine)
    with database.unit_of_work() as session:
        seed_demo(session, home / "documents", password_hash=FAST_HASH)
    with database.unit_of_work() as session:
        doc = session.scalars(select(Document).join(Proposal).where(
            Proposal.state == "draft").order_by(Document.id)).first()
        clerk = session.scalars(select(User).where(
            User.unit_id == doc.proposal.unit_id, User.username.like("unit%"))).first()
        removed = home / "documents" / doc.storage_path
        dossier.remove_document(session, doc.proposal_id, doc.id, clerk)
    database.dispose()
    assert removed.is_file()

    assert run(home, "backup", str(tmp_path / "b.tar")).returncode == 0
    elsewhere.mkdir()
    restored = run(elsewhere, "restore", str(tmp_path / "b.tar"))

    assert restored.returncode == 0, restored.stderr
    assert (elsewhere / "documents" / removed.relative_to(home / "documents")).read_bytes() \
        == removed.read_bytes()
    checked = run(elsewhere, "doctor")
    assert checked.returncode == 0, checked.stderr
    assert "giữ lại cho nhật ký kiểm toán" in checked.stdout


class Unfinished(Exception):
    """Ends a transaction by rolling it back."""


def test_the_backup_is_consistent_while_a_writer_is_mid_transaction(demo, tmp_path):
    """An online copy: a transaction still open elsewhere is not in it, and does not block."""
    live = Database(f"sqlite:///{demo / 'tdkt.sqlite'}")
    with pytest.raises(Unfinished), live.unit_of_work() as s:  # holds the write lock
        s.execute(text("UPDATE users SET full_name = 'Chưa cam kết'"))
        report = backup(live, demo / "documents", tmp_path / "online.tar", datetime.now(UTC))
        raise Unfinished
    live.dispose()
    assert report.missing == [] and report.documents > 0
    home = tmp_path / "home"
    home.mkdir()
    restored = Database(f"sqlite:///{home / 'tdkt.sqlite'}")
    restore(restored, home / "documents", tmp_path / "online.tar")
    with restored.session() as s:
        assert "Chưa cam kết" not in set(s.scalars(select(User.full_name)))
        assert s.scalar(select(Document.id).limit(1)) is not None
    restored.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
def test_postgresql_is_pointed_to_pg_dump(tmp_path):
    for args in (["backup", str(tmp_path / "x.tar")], ["restore", str(tmp_path / "x.tar")]):
        result = run(tmp_path, *args, url=PG_URL)
        assert result.returncode == 1 and "pg_dump" in result.stderr, result.stderr
    assert not (tmp_path / "x.tar").exists()


def test_restoring_a_non_backup_is_refused(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive at all")
    database = Database(f"sqlite:///{tmp_path / 'tdkt.sqlite'}")
    with pytest.raises(InvalidInput, match="hỏng"):
        restore(database, tmp_path / "documents", junk)
    assert "users" not in inspect(database.engine).get_table_names()
    database.dispose()
