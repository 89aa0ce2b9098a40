"""Flask's signed-cookie sessions, with each verified cookie remembered.

A browser sends the same session cookie with every request until the session changes.
Checking it (HMAC, base64, zlib, JSON) was a third of what a page served from the page
cache cost, so the content of a cookie that passed the check is kept, by its exact text,
and the next request with that text skips the work. Only cookies that passed are kept; the
age limit is checked again on every request, as Flask would.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

_FLAT = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._known: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None  # as Flask: no key, no session
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        with self._lock:
            known = self._known.get(cookie)
            if known is not None:
                self._known.move_to_end(cookie)
        if known is not None:
            signed_at, data = known
            if 0 <= int(time.time()) - signed_at <= max_age:
                return self.session_class(_copy(data))
        # Flask builds its serializer anew for each request: only a cookie not seen yet
        # pays for that.
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            data, signed = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        with self._lock:
            self._known[cookie] = (int(signed.timestamp()), _copy(data))
            if len(self._known) > self.size:
                self._known.popitem(last=False)
        return self.session_class(data)


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A copy a request may change without changing what is kept (flashed messages are a
    list inside the session)."""
    if all(isinstance(v, _FLAT) for v in data.values()):
        return dict(data)
    return copy.deepcopy(data)
