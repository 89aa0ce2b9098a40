"""Web fixtures: the real app on the test database, clients logged in through the
real login form (CSRF on, as in production), and API callers by bearer token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api_client import Caller
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
