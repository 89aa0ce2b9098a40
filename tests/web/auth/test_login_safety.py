"""Signing in safely: one answer for every failure, a brake on guessing shared by every
worker, a self-service password change, and old sessions refused once a password changes."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEvent, LoginThrottle, User
from tests.web.conftest import TOKEN, csrf_token, login, post_form
from web.app import create_app
from workflow.accounts import administration, credentials
from workflow.accounts.login_brake import USER_LIMIT
from workflow.actors import Actor

NEW_PASSWORD = "Cay-da-dau-lang-2024"


def attempt(client: FlaskClient, username: str, password: str) -> Any:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def page_text(response: Any) -> str:
    """The page as a reader sees it, without the per-session CSRF token."""
    return TOKEN.sub("", html.unescape(response.get_data(as_text=True)))


def deactivate(world: Any, username: str) -> None:
    with world.db.unit_of_work() as s:
        administration.set_active(s, Actor.of(world.user(s, "admin")), world.user_ids[username],
                                  False)


def let_locks_run_out(world: Any) -> None:
    """What waiting out the lock does to the rows (no test sleeps)."""
    with world.db.unit_of_work() as s:
        for row in s.scalars(select(LoginThrottle).where(LoginThrottle.locked_until.is_not(None))):
            row.locked_until -= timedelta(hours=1)


def throttle_rows(world: Any) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(LoginThrottle))


# --- no user enumeration -------------------------------------------------------------------

def test_unknown_user_wrong_password_and_locked_account_get_the_same_answer(
        app, world, monkeypatch):
    deactivate(world, "unit2")
    checked: list[str] = []
    real_check = credentials.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(password)
        return real_check(pwhash, password)

    monkeypatch.setattr(credentials, "check_password_hash", counting_check)
    answers = {}
    for name, username, password in [("unknown", "khong-co-ai", "tdkt-demo"),
                                     ("wrong password", "unit1", "sai-mat-khau"),
                                     ("deactivated", "unit2", "tdkt-demo")]:
        checked.clear()
        response = attempt(app.test_client(), username, password)
        assert checked == [password], f"{name}: the password hash must be checked once"
        answers[name] = (response.status_code, page_text(response).replace(username, "NAME"))
    assert answers["unknown"][0] == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in answers["unknown"][1]
    assert answers["unknown"] == answers["wrong password"] == answers["deactivated"]


# --- the login brake ------------------------------------------------------------------------

def test_repeated_failures_lock_a_name_whether_or_not_it_exists(app, world):
    answers = {}
    for username in ("unit1", "khong-co-ai"):
        client = app.test_client()
        for _ in range(USER_LIMIT):
            assert attempt(client, username, "doan-mo-mat-khau").status_code == 200
        locked = attempt(client, username, "tdkt-demo")  # the right password, too late
        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= 60
        answers[username] = page_text(locked).replace(username, "NAME")
        assert "Vui lòng thử lại sau 1 phút" in answers[username]
    assert answers["unit1"] == answers["khong-co-ai"]
    assert login(app.test_client(), "unit2").get("/unit/").status_code == 200  # others go on

    let_locks_run_out(world)
    assert attempt(app.test_client(), "unit1", "tdkt-demo").status_code == 302
    with world.db.session() as s:  # the success cleared unit1's count, not the unknown name's
        assert s.scalar(select(func.count()).select_from(LoginThrottle)
                        .where(LoginThrottle.kind == "user")) == 1


def test_the_lock_grows_with_each_failure_after_it_runs_out(app, world):
    client = app.test_client()
    for _ in range(USER_LIMIT):
        attempt(client, "unit1", "doan-mo-mat-khau")
    waits = []
    for _ in range(3):
        let_locks_run_out(world)
        attempt(client, "unit1", "lai-doan-sai-nua")
        waits.append(int(attempt(client, "unit1", "tdkt-demo").headers["Retry-After"]))
    assert 60 < waits[0] <= 120 and 180 < waits[1] <= 240 and 420 < waits[2] <= 480


def test_many_failures_from_one_address_lock_that_address_only(app, world):
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for i in range(20):
        attempt(guesser, f"ten-doan-{i}", "doan-mo-mat-khau")
    assert attempt(guesser, "unit1", "tdkt-demo").status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert attempt(elsewhere, "unit1", "tdkt-demo").status_code == 302


def test_every_worker_sees_the_same_count(app, world, db_url):
    """Two app instances (as two worker processes) on one database share the brake."""
    other = create_app({"DATABASE_URL": db_url, "STORAGE_DIR": str(world.storage),
                        "SECRET_KEY": "test-secret", "TESTING": True})
    try:
        workers = [app, other]
        for i in range(USER_LIMIT):
            attempt(workers[i % 2].test_client(), "reviewer", "doan-mo-mat-khau")
        assert attempt(app.test_client(), "reviewer", "tdkt-demo").status_code == 429
        assert attempt(other.test_client(), "reviewer", "tdkt-demo").status_code == 429
    finally:
        other.extensions["tdkt_db"].dispose()


def test_the_username_is_not_stored_in_clear(app, world):
    attempt(app.test_client(), "mat-khau-go-nham-o-day", "x" * 12)
    with world.db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM login_throttles").all()
    assert rows and not any("mat-khau-go-nham" in str(value) for row in rows for value in row)


def test_an_admin_password_reset_releases_the_lock(app, world, client_for):
    for _ in range(USER_LIMIT):
        attempt(app.test_client(), "unit1", "doan-mo-mat-khau")
    post_form(client_for("admin"), f"/admin/users/{world.user_ids['unit1']}/password",
              {"password": NEW_PASSWORD}, page="/admin/")
    assert attempt(app.test_client(), "unit1", NEW_PASSWORD).status_code == 302


# --- changing one's own password -----------------------------------------------------------

def change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> Any:
    return post_form(client, "/account/password", {
        "current_password": current, "new_password": new,
        "confirm_password": new if confirm is None else confirm}, page="/account/password")


def test_a_user_changes_their_password_and_other_sessions_end(app, world, client_for):
    this, other = client_for("unit1"), client_for("unit1")
    remembered = app.test_client()
    remembered.post("/login", data={"username": "unit1", "password": "tdkt-demo",
                                    "remember": "y", "csrf_token": csrf_token(remembered)})
    page = this.get("/account/password")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.get_data(as_text=True)

    response = change(this, "tdkt-demo", NEW_PASSWORD)
    assert response.status_code == 302
    assert "Đã đổi mật khẩu" in html.unescape(this.get("/unit/").get_data(as_text=True))
    assert other.get("/unit/").status_code == 302          # the old session is refused
    remembered.delete_cookie("session")                    # only the remember-me cookie left
    assert remembered.get("/unit/").status_code == 302
    assert attempt(app.test_client(), "unit1", "tdkt-demo").status_code == 200
    assert attempt(app.test_client(), "unit1", NEW_PASSWORD).status_code == 302
    with world.db.session() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.stream == "user:unit1")).all()
    assert event.action == "change_password" and event.payload == {}
    assert event.actor_id == world.user_ids["unit1"]


def test_a_refused_password_change_says_why_and_changes_nothing(world, client_for):
    clerk = client_for("unit1")
    before = _password_hash(world, "unit1")
    for current, new, confirm, message in [
            ("sai-mat-khau-roi", NEW_PASSWORD, None, "Mật khẩu hiện tại không đúng."),
            ("tdkt-demo", NEW_PASSWORD, "go-khac-di-nhe", "không khớp"),
            ("tdkt-demo", "ngan", None, "ít nhất 10 ký tự"),
            ("tdkt-demo", "2024202420", None, "không được chỉ gồm chữ số"),
            ("tdkt-demo", "unit1-cua-toi", None, "chứa tên đăng nhập"),
            ("tdkt-demo", "Password123", None, "quá phổ biến")]:
        response = change(clerk, current, new, confirm)
        assert response.status_code == 400
        assert message in html.unescape(response.get_data(as_text=True)), message
    assert _password_hash(world, "unit1") == before
    assert clerk.get("/unit/").status_code == 200


def test_guessing_the_current_password_in_a_stolen_session_is_braked(world, client_for):
    clerk = client_for("unit1")
    before = _password_hash(world, "unit1")
    for _ in range(USER_LIMIT):
        change(clerk, "doan-mo-mat-khau", NEW_PASSWORD)
    response = change(clerk, "tdkt-demo", NEW_PASSWORD)  # even the right one, for now
    assert response.status_code == 400 and "quá nhiều lần" in response.get_data(as_text=True)
    assert _password_hash(world, "unit1") == before
    assert throttle_rows(world) == 1
    assert attempt(clerk.application.test_client(), "unit1", "tdkt-demo").status_code == 429


def _password_hash(world: Any, username: str) -> str:
    with world.db.session() as s:
        return s.scalar(select(User.password_hash).where(User.username == username))


def test_the_account_link_leads_to_the_password_page(client_for):
    page = client_for("reviewer").get("/review/").get_data(as_text=True)
    assert 'href="/account/password" id="account-link"' in page
