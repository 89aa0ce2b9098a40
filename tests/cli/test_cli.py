"""The installed `tdkt` command, run as a user runs it: a process in a working directory,
with TDKT_DATABASE_URL naming a SQLite file. One seeded database serves the read-only
tests; tests that write work on a copy."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import (
    AgendaItem,
    AuditEvent,
    Campaign,
    CouncilSession,
    Proposal,
    Role,
    RuleSetVersion,
    User,
    UserRole,
)
from models.db import Database
from tests.support.cli import copy_sqlite, run_tdkt
from workflow.accounts.credentials import password_matches
from workflow.campaigns.rulesets import shipped_ruleset_files
from workflow.machine import STATES

SHIPPED = shipped_ruleset_files()
CDS = SHIPPED[0]
DEMO_RULES = Path(__file__).parents[1] / "data" / "rules" / "demo-valid.yaml"
ERROR_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<field>[\w.\-]+): (?P<message>.+)$")


@dataclass(frozen=True)
class Counts:
    users: int
    proposals: int
    rule_versions: int
    audit_events: int
    audit_streams: int


def counts(db_file: Path) -> Counts:
    database = Database(f"sqlite:///{db_file}")
    try:
        with database.session() as s:
            def n(stmt) -> int:
                return s.scalar(select(func.count()).select_from(stmt)) or 0
            return Counts(
                n(User), n(Proposal), n(RuleSetVersion), n(AuditEvent),
                n(select(AuditEvent.stream).distinct().subquery()))
    finally:
        database.dispose()


@dataclass(frozen=True)
class Seeded:
    workdir: Path
    db_file: Path
    upgrade: subprocess.CompletedProcess[str]
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    after_first: Counts
    after_second: Counts


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    workdir = tmp_path_factory.mktemp("tdkt-cli")
    db_file = workdir / "tdkt.sqlite"
    upgrade = run_tdkt(workdir, db_file, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    first = run_tdkt(workdir, db_file, "seed-demo")
    assert first.returncode == 0, first.stderr
    after_first = counts(db_file)
    second = run_tdkt(workdir, db_file, "seed-demo")
    assert second.returncode == 0, second.stderr
    return Seeded(workdir, db_file, upgrade, first, second, after_first, counts(db_file))


def test_db_upgrade_creates_the_database_file(seeded: Seeded):
    assert "Đã nâng cấp CSDL" in seeded.upgrade.stdout
    assert str(seeded.db_file) in seeded.upgrade.stdout
    assert seeded.db_file.exists()


def test_seed_demo_twice_adds_nothing_the_second_time(seeded: Seeded):
    assert seeded.after_first.proposals == 11
    assert seeded.after_first.rule_versions == len(SHIPPED)
    assert seeded.after_second == seeded.after_first
    assert "phiên bản quy tắc mới: 5, hồ sơ mới: 11" in seeded.first.stdout
    assert "phiên bản quy tắc mới: 0, hồ sơ mới: 0" in seeded.second.stdout


def test_the_demo_has_a_proposal_in_every_state(seeded: Seeded):
    database = Database(f"sqlite:///{seeded.db_file}")
    with database.session() as session:
        states = set(session.scalars(select(Proposal.state)))
    database.dispose()
    assert states == set(STATES)


def test_the_demo_council_sits(seeded: Seeded):
    """Seven members; each proposal the Council decided went through a closed sitting, and
    the proposal at the Council is on an open one."""
    database = Database(f"sqlite:///{seeded.db_file}")
    with database.session() as session:
        members = session.scalar(select(func.count()).select_from(UserRole).where(
            UserRole.role == Role.COUNCIL_MEMBER))
        rows = session.execute(select(Proposal.state, CouncilSession.status).join(
            AgendaItem, AgendaItem.proposal_id == Proposal.id).join(CouncilSession)).all()
    database.dispose()
    assert members == 7
    # Two approved: one awaiting its decision, one on public notice (GPMB-2022-2025).
    assert sorted((state, status.value) for state, status in rows) == [
        ("approved", "closed"), ("approved", "closed"), ("at_council", "open"),
        ("decided", "closed"), ("rejected", "closed")]


def test_the_demo_accounts_log_in_with_the_demo_password(seeded: Seeded):
    names = ["unit1", "unit2", "reviewer", "boardhead", "secretary", "member1", "admin"]
    database = Database(f"sqlite:///{seeded.db_file}")
    with database.session() as session:
        users = {u.username: u for u in session.scalars(
            select(User).where(User.username.in_(names)))}
        assert sorted(users) == sorted(names)
        assert all(password_matches(u, "tdkt-demo") for u in users.values())
        assert not password_matches(users["admin"], "tdkt-demo ")
        # Two clerks of two different units, so unit scoping can be tried in the demo.
        assert Role.UNIT_CLERK in users["unit1"].roles
        assert Role.UNIT_CLERK in users["unit2"].roles
        assert users["unit1"].unit_id is not None
        assert users["unit1"].unit_id != users["unit2"].unit_id
        assert Role.ADMIN in users["admin"].roles
    database.dispose()


def test_audit_verify_passes_on_the_seeded_database(seeded: Seeded):
    result = run_tdkt(seeded.workdir, seeded.db_file, "audit", "verify")
    assert result.returncode == 0, result.stderr
    c = seeded.after_second
    assert f"{c.audit_streams} chuỗi, {c.audit_events} sự kiện" in result.stdout


def test_rules_validate_accepts_the_shipped_files(seeded: Seeded):
    files = [str(p) for p in [*SHIPPED, DEMO_RULES]]
    result = run_tdkt(seeded.workdir, seeded.db_file, "rules", "validate", *files)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for name in files:
        assert f"{name}: hợp lệ" in result.stdout


def test_rules_validate_lists_every_fault_as_file_line_field(seeded: Seeded, tmp_path: Path):
    lines = DEMO_RULES.read_text(encoding="utf-8").splitlines()
    expression = tmp_path / "bieu-thuc.yaml"
    expression.write_text("\n".join(
        [*lines[:20], '      - rule: "digital_outcom"', *lines[21:]]) + "\n", encoding="utf-8")
    syntax = tmp_path / "cu-phap.yaml"
    syntax.write_text("\n".join([lines[0], "title: Phong trào: thử", *lines[2:]]) + "\n",
                      encoding="utf-8")
    result = run_tdkt(seeded.workdir, seeded.db_file, "rules", "validate",
                      str(CDS), str(expression), str(syntax))
    assert result.returncode == 1
    assert f"{CDS}: hợp lệ" in result.stdout
    errors = [ERROR_LINE.match(line) for line in result.stderr.splitlines()]
    assert all(errors), result.stderr
    assert [(m["file"], int(m["line"]), m["field"]) for m in errors] == [
        (str(expression), 21, "awards.0.eligibility.1.rule"),
        (str(syntax), 2, "yaml"),
    ]
    assert "tên không xác định" in errors[0]["message"]


def _cds_versions(db_file: Path) -> tuple[int, list[int]]:
    database = Database(f"sqlite:///{db_file}")
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "CDS-2022"))
        numbers = list(session.scalars(
            select(RuleSetVersion.version).where(RuleSetVersion.campaign_id == campaign.id)
            .order_by(RuleSetVersion.version)))
        active = campaign.active_ruleset.version
    database.dispose()
    return active, numbers


def test_rules_load_adds_a_version_and_a_bad_file_changes_nothing(seeded: Seeded,
                                                                  tmp_path: Path):
    db_file = copy_sqlite(seeded.db_file, tmp_path / "tdkt.sqlite")
    assert _cds_versions(db_file) == (1, [1])
    text = CDS.read_text(encoding="utf-8")
    changed = tmp_path / "cds-2022.yaml"
    changed.write_text(text.replace("quota_per_unit: 3", "quota_per_unit: 4"), encoding="utf-8")

    loaded = run_tdkt(tmp_path, db_file, "rules", "load", str(changed), "--as", "Quản trị")
    assert loaded.returncode == 0, loaded.stderr
    assert "CDS-2022: Đã nạp phiên bản mới 2" in loaded.stdout
    assert _cds_versions(db_file) == (2, [1, 2])

    bad = tmp_path / "cds-2022-sai.yaml"
    bad.write_text(text.replace("quota_per_unit: 3", "quota_per_unit: ba"), encoding="utf-8")
    refused = run_tdkt(tmp_path, db_file, "rules", "load", str(bad))
    assert refused.returncode == 1
    assert f"{bad}:28: awards.0.quota_per_unit: phải là số nguyên" in refused.stderr
    assert "phong trào giữ nguyên phiên bản quy tắc hiện hành" in refused.stderr
    assert _cds_versions(db_file) == (2, [1, 2])
