"""Sessions that really end: a copy of a cookie is refused once its sign-in has ended.

Before, a session cookie saved before `POST /logout` still got 200 from /api/v1/me and
/unit/, the remember-me cookie lasted 365 days and survived logout, sessions lasted 31
days with no idle timeout, and the CSRF secret from before login was carried into the
logged-in session. Each test here plays the browser (the real login form, CSRF on) and
an attacker holding a copy of its cookies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import app_with, csrf_token, login, post_form
from workflow.accounts import administration
from workflow.actors import Actor

COOKIE = "session"
REMEMBER = "remember_token"


def copy_of(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding a copy of `client`'s cookies."""
    thief = app.test_client()
    for name in names or (COOKIE,):
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's cookies open the unit's dashboard and the API's /me."""
    page = client.get("/unit/")
    me = client.get("/api/v1/me")
    assert (page.status_code == 200) == (me.status_code == 200), (page, me)
    if page.status_code != 200:
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        assert me.status_code == 401 and me.json["error"]["code"] == "unauthorized"
    return page.status_code == 200


def log_out(client: FlaskClient) -> None:
    response = post_form(client, "/logout", {}, page="/unit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def login_remembered(client: FlaskClient, username: str = "unit1") -> Any:
    response = client.post("/login", data={"username": username, "password": "tdkt-demo",
                                           "remember": "y", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return response


def test_a_copied_session_cookie_is_refused_after_logout(app):
    clerk = login(app.test_client(), "unit1")
    thief = copy_of(app, clerk)
    assert signed_in(thief)
    log_out(clerk)
    assert not signed_in(thief)
    assert not signed_in(clerk)
    # logging in again makes a new sign-in; the old copy stays refused
    login(clerk, "unit1")
    assert signed_in(clerk) and not signed_in(thief)


def test_a_copied_remember_me_cookie_is_refused_after_logout_and_lasts_30_days(app):
    clerk = app.test_client()
    response = login_remembered(clerk)
    remember = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    assert "Max-Age=2592000" in remember or "Expires=" in remember
    thief = copy_of(app, clerk, REMEMBER)       # only the remember-me cookie
    assert signed_in(thief)
    log_out(clerk)
    assert clerk.get_cookie(REMEMBER) is None   # the browser is told to drop it
    assert not signed_in(thief)


def test_remember_me_is_refused_by_the_server_after_30_days(app):
    clerk = app.test_client()
    login_remembered(clerk)
    start = datetime.now(UTC)  # the clock ticks on from the suite's
    thief = copy_of(app, clerk, REMEMBER)
    with time_machine.travel(start + timedelta(days=29), tick=False):
        assert signed_in(copy_of(app, clerk, REMEMBER))
    with time_machine.travel(start + timedelta(days=31), tick=False):
        assert not signed_in(thief)


def test_log_out_everywhere_asks_first_then_ends_every_sign_in(app):
    at_work = login(app.test_client(), "unit1")
    at_home = app.test_client()
    login_remembered(at_home)
    page = at_work.get("/account/sign-out-everywhere").get_data(as_text=True)
    assert "Đăng xuất khỏi mọi máy" in page
    unconfirmed = post_form(at_work, "/account/sign-out-everywhere", {},
                            page="/account/sign-out-everywhere")
    assert unconfirmed.status_code == 302
    assert signed_in(at_work) and signed_in(at_home)     # nothing ended without the yes
    done = post_form(at_work, "/account/sign-out-everywhere", {"confirm": "yes"},
                     page="/account/sign-out-everywhere")
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert not signed_in(at_work)
    assert not signed_in(at_home)
    assert not signed_in(copy_of(app, at_home, REMEMBER))
    other = login(app.test_client(), "unit2")             # other users are left alone
    assert signed_in(other)
    assert signed_in(login(app.test_client(), "unit1"))   # and signing in again works


def test_deactivation_ends_sessions_for_good_even_after_reactivation(app, world):
    clerk = login(app.test_client(), "unit1")
    thief = copy_of(app, clerk)
    with world.db.unit_of_work() as s:
        boss = Actor.of(world.user(s, "admin"))
        administration.set_active(s, boss, world.user_ids["unit1"], False)
    assert not signed_in(thief)
    with world.db.unit_of_work() as s:
        administration.set_active(s, boss, world.user_ids["unit1"], True)
    assert not signed_in(thief) and not signed_in(clerk)


def test_login_starts_a_new_session_with_a_new_csrf_secret(app):
    browser = app.test_client()
    before_token = csrf_token(browser)
    before = browser.get_cookie(COOKIE).value
    browser.post("/language/en", data={"csrf_token": before_token, "next": "/login"})
    browser.post("/login", data={"username": "unit1", "password": "tdkt-demo",
                                 "csrf_token": csrf_token(browser)})
    after_token = csrf_token(browser, "/unit/")
    assert after_token != before_token
    assert browser.get_cookie(COOKIE).value != before
    # the pre-login token no longer passes for a form of the signed-in session
    stale = browser.post("/account/tokens", data={"name": "x", "csrf_token": before_token})
    assert stale.status_code == 400
    assert '<html lang="en">' in browser.get("/unit/").get_data(as_text=True)  # kept


def _next_of(response: Any) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def test_half_an_hour_idle_ends_the_session_and_login_returns_to_the_page(app):
    clerk = login(app.test_client(), "unit1")
    start = datetime.now(UTC)  # the clock ticks on from the suite's
    page = "/stats/CDS-2022"
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        assert clerk.get(page).status_code == 200          # activity keeps it going
    with time_machine.travel(start + timedelta(minutes=54), tick=False):
        assert clerk.get(page).status_code == 200
    with time_machine.travel(start + timedelta(minutes=54 + 31), tick=False):
        expired = clerk.get(page)
        assert _next_of(expired) == page
        text = clerk.get(expired.headers["Location"]).get_data(as_text=True)
        assert "Phiên làm việc đã hết hạn" in text
        again = clerk.post(expired.headers["Location"], data={
            "username": "unit1", "password": "tdkt-demo", "csrf_token": csrf_token(clerk)})
        assert again.status_code == 302 and again.headers["Location"] == page
        assert clerk.get(page).status_code == 200


def test_the_expiry_message_is_in_the_users_language(app):
    clerk = login(app.test_client(), "unit1")
    start = datetime.now(UTC)  # the clock ticks on from the suite's
    clerk.post("/language/en", data={"csrf_token": csrf_token(clerk, "/unit/"), "next": "/"})
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        expired = clerk.get("/unit/")
        text = clerk.get(expired.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired" in text


def test_a_form_sent_after_expiry_returns_to_the_page_it_was_on(app):
    clerk = login(app.test_client(), "unit1")
    start = datetime.now(UTC)  # the clock ticks on from the suite's
    token = csrf_token(clerk, "/account/tokens")
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        sent = clerk.post("/account/tokens", data={"name": "x", "csrf_token": token},
                          headers={"Referer": "http://localhost/account/tokens"})
    assert _next_of(sent) == "/account/tokens"


def test_no_session_outlives_a_working_day_however_busy(app):
    clerk = login(app.test_client(), "unit1")
    start = datetime.now(UTC)  # the clock ticks on from the suite's
    for minutes in range(20, 10 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert clerk.get("/unit/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=10, minutes=5), tick=False):
        assert not signed_in(clerk)


def test_the_limits_are_settings(world, db_url):
    with app_with(world, db_url, SESSION_IDLE_SECONDS=5 * 60) as app:
        clerk = login(app.test_client(), "unit1")
        start = datetime.now(UTC)  # the clock ticks on from the suite's
        with time_machine.travel(start + timedelta(minutes=6), tick=False):
            assert clerk.get("/unit/").status_code == 302
