"""Fuzz fixtures: the web fixtures (the real app, logged-in clients) for this folder."""

from tests.web.conftest import app, client_for  # noqa: F401 (fixtures)
