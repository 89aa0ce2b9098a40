"""`tdkt doctor`: after a crash, is the database whole and does every document row have
its file?

Checks, read-only: every audit chain verifies; every proposal's state is the replay of its
events; every document row's file exists with the SHA-256 the row records. Files in the
storage directory that no row names (orphans: a process killed between writing the file
and committing) are reported; `fix_orphans` deletes them and nothing else — rows are never
touched. The file of a document removed from a dossier is kept for the audit trail, which
names it by SHA-256: it is counted as kept, not as an orphan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, Document, Proposal
from workflow.audit.chain import current_key, replay, verify
from workflow.documents.storage import kept_for_audit

Progress = Callable[[str, int, int], None]
CHUNK = 1 << 20


@dataclass
class DoctorReport:
    streams: int = 0
    events: int = 0
    proposals: int = 0
    documents: int = 0
    files: int = 0
    broken_chain: str | None = None
    state_mismatches: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    damaged_files: list[str] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    kept_for_audit: int = 0   # files of removed documents, named only by the audit trail

    @property
    def ok(self) -> bool:
        return not (self.broken_chain or self.state_mismatches or self.missing_files
                    or self.damaged_files or self.orphans)

    def problems(self) -> list[str]:
        """Readable lines, one per problem (Vietnamese, as the rest of the CLI)."""
        lines = []
        if self.broken_chain:
            lines.append(f"Nhật ký kiểm toán hỏng: {self.broken_chain}")
        lines += [f"Trạng thái khác nhật ký: {m}" for m in self.state_mismatches]
        lines += [f"Thiếu tệp của tài liệu: {m}" for m in self.missing_files]
        lines += [f"Tệp tài liệu sai SHA-256: {m}" for m in self.damaged_files]
        lines += [f"Tệp mồ côi (không tài liệu nào trỏ tới): {p}" for p in self.orphans]
        return lines


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def examine(session: Session, storage_dir: Path, progress: Progress = _quiet) -> DoctorReport:
    report = DoctorReport()
    # With the operator's key set, the MACs are checked too (as `tdkt audit verify`).
    chains = verify(session, key=current_key())
    report.streams, report.events = chains.streams, chains.events
    report.broken_chain = str(chains.broken) if chains.broken else None
    progress("audit", 1, 1)
    _check_states(session, report, progress)
    _check_documents(session, storage_dir, report, progress)
    return report


def _check_states(session: Session, report: DoctorReport, progress: Progress) -> None:
    # verify() stops at the first broken chain; this lists every proposal that disagrees.
    proposals = session.execute(select(Proposal.id, Proposal.state).order_by(Proposal.id)).all()
    report.proposals = len(proposals)
    for done, (pid, state) in enumerate(proposals, start=1):
        events = session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                                 .order_by(AuditEvent.seq)).all()
        try:
            replayed = replay(events)
        except ValueError as exc:
            report.state_mismatches.append(f"hồ sơ #{pid}: {exc}")
        else:
            if replayed != state:
                report.state_mismatches.append(
                    f"hồ sơ #{pid} ở “{state}”, nhật ký dẫn tới “{replayed}”")
        session.expunge_all()  # keep memory flat on a large database
        progress("states", done, len(proposals))


def _check_documents(session: Session, storage_dir: Path, report: DoctorReport,
                     progress: Progress) -> None:
    rows = session.execute(select(Document.id, Document.proposal_id, Document.storage_path,
                                  Document.sha256).order_by(Document.id)).all()
    report.documents = len(rows)
    named: set[str] = set()
    for done, (doc_id, pid, rel, digest) in enumerate(rows, start=1):
        named.add(Path(rel).as_posix())
        path = storage_dir / rel
        where = f"tài liệu #{doc_id} của hồ sơ #{pid} ({rel})"
        if not path.is_file():
            report.missing_files.append(where)
        elif _sha256(path) != digest:
            report.damaged_files.append(where)
        progress("documents", done, len(rows))
    files = sorted(p for p in storage_dir.rglob("*") if p.is_file()) if storage_dir.is_dir() \
        else []
    report.files = len(files)
    removed = kept_for_audit(session.scalars(select(AuditEvent.payload).where(
        AuditEvent.action == "remove_document")))
    unnamed = [p for p in files if p.relative_to(storage_dir).as_posix() not in named]
    report.orphans = [p for p in unnamed if p.relative_to(storage_dir).as_posix() not in removed]
    report.kept_for_audit = len(unnamed) - len(report.orphans)
    progress("files", len(files), len(files))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fix_orphans(report: DoctorReport) -> list[Path]:
    """Delete the orphan files the report found (never a row); returns those deleted."""
    removed = []
    for path in report.orphans:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    report.orphans = [p for p in report.orphans if p not in removed]
    return removed
