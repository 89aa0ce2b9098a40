"""Who is calling the API: a bearer token or the web session; 401 as JSON, never a redirect.

A request that sends `Authorization` is judged by it alone: the token must be live and,
if a session cookie came along too, name the same user. Such a request needs no CSRF
token (a cross-site page cannot set that header). A request authenticated only by the
session cookie must carry X-CSRFToken on every write.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Request, Response

from web import db
from web.auth.users import WebUser
from web.errors import error_response
from web.extensions import csrf, login_manager
from workflow import tokens

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_secret(header: str) -> str | None:
    scheme, _sep, secret = header.strip().partition(" ")
    return (secret.strip() or None) if scheme.lower() == "bearer" else None


def token_user() -> WebUser | None:
    """The owner of the request's bearer token; looked up (and marked used) once."""
    if "api_token_user" not in g:
        secret = bearer_secret(request.headers.get("Authorization", ""))
        user = None
        if secret:
            with db.unit_of_work(of_the_request=False) as writer:  # bookkeeping
                found = tokens.authenticate(writer, secret)
                user = WebUser.of(found) if found is not None else None
        g.api_token_user = user
    return g.api_token_user


@login_manager.request_loader
def load_user_from_token(req: Request) -> WebUser | None:
    """Flask-Login's fallback when there is no session: the API's bearer token."""
    if not req.path.startswith("/api/") or "Authorization" not in req.headers:
        return None
    return token_user()


def by_token() -> bool:
    return g.get("api_token_user") is not None and "Authorization" in request.headers


def guard() -> tuple[Response | str, int] | None:
    """Refuse the request unless it is authenticated (and, for session writes, CSRF-safe)."""
    if "Authorization" in request.headers:
        owner = token_user()
        if owner is None or not current_user.is_authenticated or current_user.id != owner.id:
            return _unauthorized("invalid_token",
                                 _("Khoá API không hợp lệ, đã bị thu hồi hoặc tài khoản đã "
                                   "bị khoá."))
        return None
    if not current_user.is_authenticated or not current_user.is_active:
        return _unauthorized("unauthorized", _("Bạn cần đăng nhập hoặc gửi khoá API "
                                               "(Authorization: Bearer …)."))
    if request.method not in SAFE_METHODS:
        csrf.protect()
    return None


def _unauthorized(code: str, message: str) -> tuple[Response | str, int]:
    response, status = error_response(401, code, message)
    assert isinstance(response, Response)
    error = ', error="invalid_token"' if code == "invalid_token" else ""
    response.headers["WWW-Authenticate"] = f'Bearer realm="tdkt"{error}'
    return response, status
