"""`tdkt user password NAME`: the way back in for a locked-out administrator, under the
same password policy as the web pages, asked twice and never echoed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from models import AuditEvent, User
from web.cli import main as tdkt_main
from workflow.accounts.credentials import password_matches

NEW = "Hoa-dao-no-som-2024"


@pytest.fixture
def run(world, db_url, monkeypatch):
    monkeypatch.setenv("TDKT_DATABASE_URL", db_url)

    def invoke(*args: str, typed: str = "") -> object:
        return CliRunner().invoke(tdkt_main, ["user", "password", *args], input=typed)

    return invoke


def test_an_operator_sets_a_new_password(run, world):
    result = run("admin", typed=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert NEW not in result.output and "Đã đặt mật khẩu mới cho admin" in result.output
    with world.db.session() as s:
        user = s.scalar(select(User).where(User.username == "admin"))
        assert password_matches(user, NEW)
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.stream == "user:admin"))
        assert event.action == "reset_password" and event.payload == {}


@pytest.mark.parametrize(("args", "typed", "message"), [
    (["admin"], "1234567890\n1234567890\n", "không được chỉ gồm chữ số"),
    (["admin"], "admin-2024-ls\nadmin-2024-ls\n", "chứa tên đăng nhập"),
    (["admin"], "qwertyuiop\nqwertyuiop\n", "quá phổ biến"),
    (["khong-co-ai"], f"{NEW}\n{NEW}\n", "Không có tài khoản"),
])
def test_a_refused_password_changes_nothing(run, world, args, typed, message):
    with world.db.session() as s:
        before = s.scalar(select(User.password_hash).where(User.username == "admin"))
    result = run(*args, typed=typed)
    assert result.exit_code == 1 and message in result.output
    with world.db.session() as s:
        assert s.scalar(select(User.password_hash).where(User.username == "admin")) == before
