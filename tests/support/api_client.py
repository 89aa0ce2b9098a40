"""Helpers for tests of the JSON API: a caller of /api/v1 with fixed headers (a bearer token,
or a session's CSRF token), the check of an error answer, and the check that a JSON body is
exactly its documented model. The fixtures that make callers live in tests/web/conftest.py."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from pydantic import BaseModel


class Caller:
    """Calls /api/v1 with fixed headers (a bearer token, or a CSRF token for a session)."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self("DELETE", path, **kw)


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()["error"]
    assert body["code"] == code and body["message"]
    return body


def conforms(model: type[BaseModel], data: Any) -> Any:
    """The JSON is exactly what the documented model describes: no key missing or extra."""
    model.model_validate(data)
    keys = {f.alias or name for name, f in model.model_fields.items()}
    assert set(data) == keys, set(data) ^ keys
    return data
