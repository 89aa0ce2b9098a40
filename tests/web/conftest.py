"""Web fixtures: the real app on the test database, clients logged in through the
real login form (CSRF on, as in production), API callers by bearer token, and the route
matrix's proposals and callers (tests/support/routes.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api_client import Caller
from tests.support.routes import ANON, ROLES, SITTING_STATES, Target, _filed, _on_notice, _sitting
from tests.support.routes import Caller as RoleCaller
from web.app import create_app
from workflow.accounts import tokens

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@contextmanager
def app_with(world: Any, db_url: str, **config: Any) -> Iterator[Flask]:
    """The app on the test database, with `config` on top of the tests' settings."""
    app = create_app({"DATABASE_URL": db_url, "STORAGE_DIR": str(world.storage),
                      "SECRET_KEY": "test-secret", "TESTING": True, **config})
    try:
        yield app
    finally:
        app.extensions["tdkt_db"].dispose()


@pytest.fixture
def app(world: Any, db_url: str) -> Iterator[Flask]:
    with app_with(world, db_url) as app:
        yield app


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    found = TOKEN.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = "tdkt-demo") -> FlaskClient:
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, f"login of {username} failed"
    return client


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """A fresh browser-like client logged in as the named demo user."""

    def make(username: str) -> FlaskClient:
        return login(app.test_client(), username)

    return make


def post_form(client: FlaskClient, path: str, data: dict[str, Any], page: str | None = None,
              **kw: Any) -> Any:
    """POST with the CSRF token taken from `page` (default: the path's own page)."""
    form = {"csrf_token": csrf_token(client, page or "/"), **data}
    return client.post(path, data=form, **kw)


@pytest.fixture
def token_for(world: Any) -> Callable[[str], str]:
    def make(username: str) -> str:
        with world.db.unit_of_work() as session:
            _token, secret = tokens.create_token(session, world.user_ids[username], "test")
        return secret

    return make


@pytest.fixture
def api_as(app: Flask, token_for: Callable[[str], str]) -> Callable[[str], Caller]:
    """A cookie-less client calling the API as the named user, by bearer token."""

    def make(username: str) -> Caller:
        return Caller(app.test_client(), {"Authorization": f"Bearer {token_for(username)}"})

    return make


@pytest.fixture
def make_target(world: Any) -> Callable[[str], Target]:
    """A complete proposal of unit1 (TEST-OPEN) with a recognisable title, walked to `state`
    through the service (and, at the Council, put on a sitting: SITTING_STATES)."""

    def make(state: str) -> Target:
        if state == "on_notice":
            return _on_notice(world)
        with world.db.unit_of_work() as s:
            users = {name: world.user(s, name) for name in world.user_ids}
            clerk = users["unit1"]
            p, nominee, doc = _filed(s, world, users, "TEST-OPEN",
                                     "at_council" if state in SITTING_STATES else state)
            sid = _sitting(s, p, users, state)
            ids = {"reviewer2": users["reviewer2"].id, "user_id": clerk.id,
                   "unit_id": clerk.unit_id, "campaign_id": p.campaign_id,
                   "member1": users["member1"].id}
            return Target(p.id, nominee.id, doc.id, ids, sid)

    return make


@pytest.fixture
def callers(app: Any) -> Callable[..., dict[str, RoleCaller]]:
    """Every role logged in through the login form, with the CSRF token of the session
    that signing in started (the login page's is not carried over)."""

    def make(roles: tuple[str, ...] = ROLES) -> dict[str, RoleCaller]:
        out = {}
        for number, role in enumerate(roles, start=1):
            client = app.test_client()
            # Each caller from an address of their own, as people are: the limits per
            # address (sign-in failures, public objections) are not what this table tests.
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
            token = csrf_token(client)
            if role != ANON:
                response = client.post("/login", data={"username": role, "csrf_token": token,
                                                       "password": "tdkt-demo"})
                assert response.status_code == 302, f"{role} could not log in"
                token = csrf_token(client, "/")
            out[role] = RoleCaller(role, client, token)
        return out

    return make
