"""Backup and restore of an embedded (SQLite) installation: the database and the documents.

A backup is one tar archive (gzip-compressed when its name ends in .gz or .tgz):
`manifest.json`, `database.sqlite` — a consistent copy taken with SQLite's online backup
API while the application keeps running — and `documents/…`, the stored files the copied
database refers to, checked against their SHA-256 on the way in. The manifest lists the
SHA-256 of every file; a restore checks all of them before touching anything, refuses to
overwrite a database that holds data unless forced, and migrates the restored database up
to the running code's schema. PostgreSQL has its own tools (pg_dump / pg_restore): both
functions refuse it with a message that says so.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import inspect, text

from models.db import Database
from models.migrate import upgrade
from workflow.documents.storage import kept_for_audit
from workflow.errors import ConflictError, InvalidInput

FORMAT = "tdkt-backup/1"
MANIFEST, DATABASE, DOCUMENTS = "manifest.json", "database.sqlite", "documents"
CHUNK = 1024 * 1024
POSTGRES_HELP = (
    "Sao lưu/khôi phục tích hợp chỉ dành cho CSDL SQLite. Với PostgreSQL hãy dùng "
    "`pg_dump -Fc -f tdkt.dump <CSDL>` và `pg_restore --clean -d <CSDL> tdkt.dump`, "
    "kèm bản sao thư mục tài liệu (TDKT_STORAGE_DIR), rồi chạy `tdkt db upgrade` "
    "(built-in backup is for SQLite; on PostgreSQL use pg_dump/pg_restore and copy "
    "the document directory).")

# (stage, done, total): reported as work goes, for a progress line on stderr.
Progress = Callable[[str, int, int], None]


@dataclass
class BackupReport:
    path: Path
    revision: str | None
    documents: int
    size: int
    missing: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    revision_in_backup: str | None
    documents: int
    created_at: str


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def backup(database: Database, storage_dir: Path, target: Path, now: datetime,
           progress: Progress = _quiet) -> BackupReport:
    """Write a backup archive to `target` (which must not exist yet)."""
    _require_sqlite(database)
    if target.exists():
        raise ConflictError(f"Tệp đích đã tồn tại, không ghi đè: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".tdkt-backup-") as tmp:
        work = Path(tmp)
        progress("database", 0, 1)
        _snapshot(database, work / DATABASE)
        progress("database", 1, 1)
        revision, wanted, kept = _contents(work / DATABASE)
        copied, missing = _copy_documents(storage_dir, wanted, work / DOCUMENTS, progress)
        # Files the audit trail keeps go along when still intact; gone, they are no row's.
        carried, _ = _copy_documents(storage_dir, kept, work / DOCUMENTS, progress)
        files = {DATABASE: sha256_of(work / DATABASE)}
        files.update({f"{DOCUMENTS}/{rel}": digest
                      for rel, digest in {**copied, **carried}.items()})
        manifest = {"format": FORMAT, "created_at": now.isoformat(), "revision": revision,
                    "documents": len(copied), "kept_for_audit": len(carried),
                    "missing": missing, "files": files}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True),
                                     encoding="utf-8")
        _write_archive(work, [MANIFEST, *files], target)
    return BackupReport(target, revision, len(copied), target.stat().st_size, missing)


def restore(database: Database, storage_dir: Path, source: Path, force: bool = False,
            progress: Progress = _quiet) -> RestoreReport:
    """Check the archive in full, then put its database and documents in place."""
    db_path = _require_sqlite(database)
    with tempfile.TemporaryDirectory(dir=db_path.parent, prefix=".tdkt-restore-") as tmp:
        work = Path(tmp)
        manifest = _unpack(source, work, progress)
        if not force and _holds_data(database):
            raise ConflictError("CSDL đích đã có dữ liệu; không ghi đè. Dùng --force nếu "
                                "thật sự muốn thay toàn bộ dữ liệu hiện có bằng bản sao lưu.")
        replaced_version = database.data_version()
        database.dispose()
        progress("database", 0, 1)
        _copy_database(work / DATABASE, db_path)
        progress("database", 1, 1)
        documents = [name for name in manifest["files"] if name.startswith(f"{DOCUMENTS}/")]
        for done, name in enumerate(documents, 1):
            _put(work / name, storage_dir / name.removeprefix(f"{DOCUMENTS}/"),
                 manifest["files"][name])
            progress("documents", done, len(documents))
    upgrade(database.engine)
    _move_version_past(database, replaced_version)
    return RestoreReport(manifest.get("revision"), len(documents), manifest["created_at"])


def _move_version_past(database: Database, replaced: int | None) -> None:
    """The restored data version starts above the one it replaced: a page kept by a
    process that saw the replaced data can never match it."""
    if replaced is not None:
        with database.engine.begin() as conn:
            conn.execute(text("UPDATE data_version SET n = :n WHERE id = 1 AND n < :n"),
                         {"n": replaced + 1})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- taking the backup -------------------------------------------------------------------

def _require_sqlite(database: Database) -> Path:
    """The database's file; refuses PostgreSQL (and in-memory SQLite) with what to use."""
    path = _sqlite_path(database)
    if path is None:
        raise InvalidInput(POSTGRES_HELP if database.engine.dialect.name == "postgresql"
                           else "Chỉ sao lưu được CSDL SQLite lưu trong tệp.")
    return path


def _sqlite_path(database: Database) -> Path | None:
    name = database.engine.url.database
    return Path(name) if database.is_sqlite and name and name != ":memory:" else None


def _snapshot(database: Database, copy: Path) -> None:
    """SQLite's online backup in one step: a read transaction sees one consistent state,
    however many writers the application has meanwhile."""
    dst = sqlite3.connect(copy)
    try:
        with database.engine.connect() as conn:
            conn.connection.driver_connection.backup(dst)  # type: ignore[union-attr]
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        if dst.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise ConflictError("Bản sao CSDL không toàn vẹn (integrity_check); dừng sao lưu.")
    finally:
        dst.close()


def _contents(copy: Path) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """The copy's schema revision, its documents' files and the files its audit trail
    keeps for removed documents: each {storage path: SHA-256}."""
    conn = sqlite3.connect(copy)
    try:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        rows = conn.execute("SELECT storage_path, sha256 FROM documents").fetchall()
        payloads = [json.loads(p) for (p,) in conn.execute(
            "SELECT payload FROM audit_events WHERE action = 'remove_document'") if p]
    finally:
        conn.close()
    documents = {_safe_relative(p): d for p, d in rows}
    kept = {rel: d for rel, d in kept_for_audit(payloads).items() if rel not in documents}
    return (revision[0] if revision else None), documents, kept


def _copy_documents(storage: Path, wanted: dict[str, str], into: Path,
                    progress: Progress) -> tuple[dict[str, str], list[str]]:
    copied, missing = {}, []
    for done, (rel, digest) in enumerate(sorted(wanted.items()), 1):
        source = storage / rel
        if not source.is_file() or sha256_of(source) != digest:
            missing.append(rel)  # absent or not what the database says it holds
        else:
            (into / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, into / rel)
            copied[rel] = digest
        progress("documents", done, len(wanted))
    return copied, missing


def _write_archive(work: Path, names: list[str], target: Path) -> None:
    """Written beside the target and renamed into place: no half-written backup."""
    partial = target.with_name(f".{target.name}.part")
    mode = "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"
    with tarfile.open(partial, mode) as tar:  # type: ignore[call-overload]
        for name in names:
            tar.add(work / name, arcname=name, recursive=False)
    partial.replace(target)


# --- restoring ---------------------------------------------------------------------------

def _unpack(source: Path, work: Path, progress: Progress) -> dict[str, Any]:
    """Extract only plain files with expected names, then check every SHA-256."""
    if not source.is_file():
        raise InvalidInput(f"Không tìm thấy tệp sao lưu: {source}")
    try:
        with tarfile.open(source, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                name = _member_name(member)
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as f, (work / name).open("wb") as out:  # type: ignore[union-attr]
                    shutil.copyfileobj(f, out, CHUNK)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InvalidInput(f"Tệp sao lưu hỏng hoặc không đọc được: {exc}") from exc
    manifest = _manifest(work)
    _verify(work, manifest, {_member_name(m) for m in members}, progress)
    return manifest


def _member_name(member: tarfile.TarInfo) -> str:
    if not member.isfile():
        raise InvalidInput(f"Tệp sao lưu chứa mục không phải tệp thường: {member.name!r}")
    name = _safe_relative(member.name)
    if name not in (MANIFEST, DATABASE) and not name.startswith(f"{DOCUMENTS}/"):
        raise InvalidInput(f"Tệp sao lưu chứa tệp lạ: {name!r}")
    return name


def _safe_relative(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise InvalidInput(f"Đường dẫn không an toàn trong bản sao lưu: {name!r}")
    return str(path)


def _manifest(work: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput("Tệp sao lưu không có bản kê (manifest.json) hợp lệ.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("files"), dict) or DATABASE not in manifest["files"]:
        raise InvalidInput(f"Bản kê không đúng định dạng {FORMAT}.")
    return manifest


def _verify(work: Path, manifest: dict[str, Any], present: set[str],
            progress: Progress) -> None:
    listed = set(manifest["files"])
    problems = [f"thiếu {n}" for n in sorted(listed - present)]
    problems += [f"thừa {n}" for n in sorted(present - listed - {MANIFEST})]
    for done, name in enumerate(sorted(listed & present), 1):
        if sha256_of(work / name) != manifest["files"][name]:
            problems.append(f"sai SHA-256: {name}")
        progress("verify", done, len(listed & present))
    if problems:
        raise InvalidInput("Tệp sao lưu không khớp bản kê — " + "; ".join(problems[:10]))


def _holds_data(database: Database) -> bool:
    with database.engine.connect() as conn:
        # Bookkeeping rows every migrated schema has are not data.
        tables = [t for t in inspect(conn).get_table_names()
                  if t not in ("alembic_version", "data_version")]
        return any(conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() for t in tables)


def _copy_database(copy: Path, db_path: Path) -> None:
    """SQLite's backup API again, into the live file: other connections see either the
    old database or the restored one, never a mix."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(copy), sqlite3.connect(db_path, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _put(source: Path, target: Path, digest: str) -> None:
    """Copy a document into storage unless an intact copy is already there."""
    if target.is_file() and sha256_of(target) == digest:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, partial)
    partial.replace(target)

