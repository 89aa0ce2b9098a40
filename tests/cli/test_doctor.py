"""`tdkt doctor`, run as an administrator runs it after a crash: a healthy installation
passes; a missing or altered document file and an orphan file are reported (exit 1);
`--fix` deletes the orphan and nothing else."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from models import Document, Proposal
from tests.support.cli import tdkt_command
from workflow.filing import dossier


def doctor(world: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TDKT_DATABASE_URL=world.db.url,
               TDKT_STORAGE_DIR=str(world.storage))
    return subprocess.run([*tdkt_command(), "doctor", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_a_healthy_installation_passes(world: Any, make_proposal: Callable[..., int]) -> None:
    make_proposal("under_review")
    make_proposal("draft", clerk="unit2")

    result = doctor(world)

    assert result.returncode == 0, result.stderr
    assert "2 hồ sơ, 2 tài liệu" in result.stdout
    assert "Không phát hiện vấn đề" in result.stdout


def test_missing_damaged_and_orphan_files_are_reported_and_fix_removes_only_the_orphan(
        world: Any, make_proposal: Callable[..., int]) -> None:
    kept = make_proposal("submitted")
    lost = make_proposal("draft", documents=["to_trinh", "bien_ban_hop_xet"])
    with world.db.session() as s:
        docs = {d.doc_type: d for d in s.scalars(
            select(Document).where(Document.proposal_id == lost))}
        kept_doc = s.scalars(select(Document).where(Document.proposal_id == kept)).one()
    # Content-addressed storage: both proposals' to_trinh share one file. Give `lost` a file
    # of its own to delete, and damage the meeting minutes' file.
    (world.storage / docs["bien_ban_hop_xet"].storage_path).write_bytes(b"%PDF altered")
    missing_path = world.storage / "ab" / ("ab" + "0" * 62)
    with world.db.unit_of_work() as s:
        s.execute(update(Document).where(Document.id == docs["to_trinh"].id)
                  .values(storage_path=str(missing_path.relative_to(world.storage))))
    orphan = world.storage / "cd" / ("cd" + "1" * 62)  # a crash after the write, before commit
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF never committed")
    half = world.storage / "ef" / ("ef" + "2" * 62 + ".part")  # a crash mid-write
    half.parent.mkdir(parents=True)
    half.write_bytes(b"%PDF half")

    result = doctor(world)

    assert result.returncode == 1
    report = result.stderr
    assert f"Thiếu tệp của tài liệu: tài liệu #{docs['to_trinh'].id} của hồ sơ #{lost}" in report
    damaged = docs["bien_ban_hop_xet"].id
    assert f"Tệp tài liệu sai SHA-256: tài liệu #{damaged} của hồ sơ #{lost}" in report
    assert f"Tệp mồ côi (không tài liệu nào trỏ tới): {orphan}" in report
    assert str(half) in report
    assert "tdkt doctor --fix" in report
    assert orphan.exists()  # without --fix nothing is deleted

    fixed = doctor(world, "--fix")

    assert fixed.returncode == 1  # the missing and damaged files remain problems
    assert f"Đã xoá tệp mồ côi: {orphan}" in fixed.stdout
    assert not orphan.exists() and not half.exists()
    assert (world.storage / kept_doc.storage_path).exists()
    assert (world.storage / docs["bien_ban_hop_xet"].storage_path).exists()
    assert "mồ côi" not in fixed.stderr
    with world.db.session() as s:  # no row was touched
        assert s.scalar(select(func.count()).select_from(Document)) == 3
    again = doctor(world)
    assert again.returncode == 1 and "mồ côi" not in again.stderr


def test_the_file_of_a_removed_document_is_kept_for_the_audit_trail_not_an_orphan(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("draft", documents=["to_trinh", "bien_ban_hop_xet"])
    with world.db.unit_of_work() as s:
        minutes = s.scalars(select(Document).where(
            Document.proposal_id == pid, Document.doc_type == "bien_ban_hop_xet")).one()
        kept = world.storage / minutes.storage_path
        dossier.remove_document(s, pid, minutes.id, world.user(s, "unit1"))
    orphan = world.storage / "cd" / ("cd" + "1" * 62)  # a crash after the write, before commit
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF never committed")

    result = doctor(world, "--fix")

    assert f"Đã xoá tệp mồ côi: {orphan}" in result.stdout and not orphan.exists()
    assert "1 tệp của tài liệu đã xoá khỏi hồ sơ được giữ lại cho nhật ký kiểm toán" in (
        result.stdout)
    assert kept.exists() and str(kept) not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    assert "Không phát hiện vấn đề" in result.stdout


def test_a_state_that_disagrees_with_the_log_is_reported(
        world: Any, make_proposal: Callable[..., int]) -> None:
    pid = make_proposal("under_review")
    with world.db.unit_of_work() as s:  # a half-applied write: state changed, no event
        s.execute(update(Proposal).where(Proposal.id == pid).values(state="at_council"))

    result = doctor(world)

    assert result.returncode == 1
    assert f"hồ sơ #{pid} ở “at_council”, nhật ký dẫn tới “under_review”" in result.stderr
    assert "Nhật ký kiểm toán hỏng" in result.stderr


def test_a_year_without_an_official_calendar_is_a_warning_not_a_problem(
        world: Any, tmp_path: Any) -> None:
    guessed = tmp_path / "lich.yaml"
    guessed.write_text("official_years: []\n", encoding="utf-8")
    env = dict(os.environ, TDKT_DATABASE_URL=world.db.url, TDKT_STORAGE_DIR=str(world.storage),
               TDKT_CALENDAR_FILE=str(guessed))
    result = subprocess.run([*tdkt_command(), "doctor"], env=env, text=True,
                            capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # The subprocess runs on the real clock: whatever year it is, its schedule is missing.
    assert "Cảnh báo: Lịch nghỉ chính thức năm" in result.stdout
    assert "mọi thời hạn trong năm đang là dự kiến" in result.stdout
    assert "Không phát hiện vấn đề" in result.stdout
