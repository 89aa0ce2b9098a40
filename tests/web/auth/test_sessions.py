"""Session cookies are checked once and remembered: a remembered cookie still ages out,
a forged one is never let in, and what one request changes stays out of the next."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, session

from tests.web.conftest import app_with, login
from web.sessions import RememberingSessionInterface


def test_a_forged_cookie_is_refused_after_the_real_one_was_remembered(client_for):
    clerk = client_for("unit1")
    assert clerk.get("/unit/").status_code == 200
    real = clerk.get_cookie("session").value
    payload, _, signature = real.rpartition(".")
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    clerk.set_cookie("session", forged)
    refused = clerk.get("/unit/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    clerk.set_cookie("session", real)
    assert clerk.get("/unit/").status_code == 200


def test_a_remembered_cookie_still_ages_out(world, db_url):
    with app_with(world, db_url, PERMANENT_SESSION_LIFETIME=timedelta(seconds=2)) as app:
        clerk = login(app.test_client(), "unit1")
        assert clerk.get("/unit/").status_code == 200  # the cookie is remembered now
        time.sleep(3.1)
        expired = clerk.get("/unit/")
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]


def test_what_a_request_changes_in_its_session_stays_out_of_the_next():
    app = Flask(__name__)
    app.secret_key = "test-secret"
    app.session_interface = RememberingSessionInterface()

    @app.get("/set")
    def set_messages() -> str:
        session["_flashes"] = [("info", "một")]
        return "ok"

    @app.get("/add")
    def add_message() -> str:
        session["_flashes"].append(("info", "hai"))  # as flask.flash changes the list
        return str(len(session["_flashes"]))

    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value
    for _ in range(3):  # the same cookie each time, as from a second tab
        client.set_cookie("session", cookie)
        assert client.get("/add").get_data(as_text=True) == "2"
