"""Rendered pages served again while nothing has been written since.

The Board queue, a proposal page and a unit's dashboard are read far more often than the
data under them changes. A page marked `@cached_page` is kept after rendering, keyed on
the data version (`models.data_version`, raised by every committed write in any process), the
signed-in session, the URL and the day in Vietnam, and served again to the same session
while the version still reads the same, for at most `PAGE_CACHE_SECONDS`.

Why that is never a stale page: the version is read before anything the page shows, and a
write commits its rows and the new version together. A page rendered at version N shows
every write counted in N, and is served only to requests that read N, so none was
committed before them that the page lacks. What the clock alone changes (a deadline
passing within the day) waits at most `PAGE_CACHE_SECONDS`.

Only the same session gets a kept page: the key holds the user's session id (with its
password fingerprint), the session's CSRF secret and chosen language, and Flask-Login's
session-protection identifier, so a hit is what the full path would have rendered for
that cookie. Requests with flashed messages waiting, without a CSRF secret yet, or whose
render changed the session are never kept. One-time form keys a view puts on the page
(`fresh_token`) are replaced by new ones on every hit.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request, session
from flask.sessions import SessionMixin
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from rules.calendar import TZ
from web import db
from web.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "_tdkt_cached_page"


def cached_page(view: F) -> F:
    """Marks a GET view whose page depends only on the database, the signed-in session,
    the URL and the date, and which writes nothing."""
    setattr(view, _MARK, True)
    return view


def fresh_token() -> str:
    """A one-time key for a form on a cached page: a new one on every response."""
    token = uuid.uuid4().hex
    g.setdefault("page_tokens", []).append(token)
    return token


@dataclass(frozen=True)
class _Page:
    body: bytes
    content_type: str
    tokens: tuple[str, ...]
    kept_at: float


class PageCache:
    """Least recently used pages up to `max_bytes`, each for at most `seconds`."""

    def __init__(self, max_bytes: int, seconds: float) -> None:
        self.max_bytes, self.seconds = max_bytes, seconds
        self._pages: OrderedDict[tuple[Any, ...], _Page] = OrderedDict()
        self._size = 0
        self._newest_version = -1
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if time.monotonic() - page.kept_at > self.seconds:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[Any, ...], page: _Page) -> None:
        if len(page.body) > self.max_bytes // 4:
            return
        with self._lock:
            version = key[0]
            if version > self._newest_version:
                # Pages of older versions can never be served again: free them now.
                self._newest_version = version
                for old in [k for k in self._pages if k[0] < version]:
                    self._drop(old)
            elif version < self._newest_version:
                return
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._size += _weight(key, page)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def _drop(self, key: tuple[Any, ...]) -> None:
        self._size -= _weight(key, self._pages.pop(key))


def _weight(key: tuple[Any, ...], page: _Page) -> int:
    """Bytes a kept page holds: its body, and its key's texts (the URL may be long)."""
    return len(page.body) + sum(len(k) for k in key if isinstance(k, str)) + 200


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("PAGE_CACHE_SECONDS", 30))
    if seconds <= 0:
        return
    app.extensions["tdkt_page_cache"] = PageCache(
        int(app.config.get("PAGE_CACHE_MB", 64)) * 1024 * 1024, seconds)
    # First of the request hooks, so a hit skips the rest (the user's lookup included).
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_kept)
    app.after_request(_keep)


def _serve_kept() -> Response | None:
    key = _key()
    if key is None:
        return None
    page = current_app.extensions["tdkt_page_cache"].get(key)
    if page is None:
        g.page_cache_key = key
        return None
    body = page.body
    for token in page.tokens:
        body = body.replace(token.encode(), uuid.uuid4().hex.encode())
    return Response(body, content_type=page.content_type)


def _key() -> tuple[Any, ...] | None:
    """The cache key of this request, or None when its page must be rendered afresh."""
    if request.method != "GET" or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, _MARK, False):
        return None
    # One lookup instead of one per field (`session` is a proxy, typed as what it stands for)
    cookie = cast("LocalProxy[SessionMixin]", session)._get_current_object()
    user, csrf_secret = cookie.get("_user_id"), cookie.get("csrf_token")
    if user is None or csrf_secret is None or "_flashes" in cookie:
        return None
    identifier = login_manager._session_identifier_generator()
    if cookie.get("_id") != identifier:
        return None  # let Flask-Login's session protection see this request
    version = db.database().data_version()
    if version is None:
        return None
    return (version, user, identifier, csrf_secret, cookie.get("lang"),
            datetime.now(TZ).date(), request.full_path)


def _keep(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if (key is None or response.status_code != 200 or response.direct_passthrough
            or session.modified or "Set-Cookie" in response.headers):
        return response
    current_app.extensions["tdkt_page_cache"].put(key, _Page(
        response.get_data(), response.content_type or "text/html; charset=utf-8",
        tuple(g.get("page_tokens", ())), time.monotonic()))
    return response
