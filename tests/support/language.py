"""Helpers for tests of the two languages: a page's HTML, and the language switch as a
person uses it (from a page, back to it)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.conftest import csrf_token


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def switch(client: FlaskClient, lang: str, from_page: str = "/login") -> None:
    response = client.post(f"/language/{lang}",
                           data={"csrf_token": csrf_token(client, from_page), "next": "/"})
    assert response.status_code == 302
