"""Helpers for tests that post the web UI's forms: a logged-in user posting as the browser
would (with the page's CSRF token), a page's text with its entities unescaped, and a small
PDF the upload check accepts."""

from __future__ import annotations

import html
from typing import Any

from tests.web.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


class Clerk:
    """A logged-in user posting forms as the browser would (with the page's CSRF token)."""

    def __init__(self, client: Any, home: str) -> None:
        self.client = client
        self.token = csrf_token(client, home)

    def post(self, path: str, data: dict[str, Any], **kw: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.token, **data},
                                follow_redirects=True, **kw)
