"""Who is calling the API: a bearer token or the web session; 401 as JSON, never a redirect.

A request that sends `Authorization` is judged by it alone: the token must be live and,
if a session cookie came along too, name the same user. Such a request needs no CSRF
token (a cross-site page cannot set that header). A read-only token may only read (GET,
HEAD, OPTIONS): anything else is 403 `insufficient_scope`. An expired token is 401
`token_expired`, saying when it expired. A request authenticated only by the session
cookie must carry X-CSRFToken on every write.

The token is looked up in the request's read session; only when its last use is a minute
old or more is there a write (one conditional UPDATE), so API reads take no write lock.
"""

from __future__ import annotations

from flask import g, request
from flask_login import current_user
from werkzeug.wrappers import Request, Response

from models.base import utcnow
from web import db
from web.auth.users import WebUser
from web.errors import error_response, refusal
from web.extensions import csrf, login_manager
from web.i18n import vn_datetime
from workflow.accounts import tokens

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_secret(header: str) -> str | None:
    scheme, _sep, secret = header.strip().partition(" ")
    return (secret.strip() or None) if scheme.lower() == "bearer" else None


def token_verdict() -> tokens.Verdict:
    """What the request's bearer token is worth; looked up (and marked used) once."""
    if "api_token" not in g:
        secret = bearer_secret(request.headers.get("Authorization", ""))
        verdict, user = tokens.REFUSED, None
        if secret:
            now = utcnow()
            verdict = tokens.authenticate(db.session(), secret, now)
            if verdict.user is not None:
                user = WebUser.of(verdict.user)
            if verdict.touch_due and verdict.token_id is not None:
                with db.unit_of_work(of_the_request=False) as writer:  # bookkeeping
                    tokens.touch(writer, verdict.token_id, now)
        g.api_token, g.api_token_user = verdict, user
    return g.api_token


def token_user() -> WebUser | None:
    """The owner of the request's live bearer token."""
    token_verdict()
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
    """Refuse the request unless it is authenticated (and, for session writes, CSRF-safe;
    for token writes, by a token that may act)."""
    if "Authorization" in request.headers:
        verdict = token_verdict()
        owner = token_user()
        if verdict.expired_at is not None:
            return _unauthorized("token_expired", refusal(
                "token_expired", at=vn_datetime(verdict.expired_at)), "The token expired")
        if owner is None or not current_user.is_authenticated or current_user.id != owner.id:
            return _unauthorized("invalid_token", refusal("invalid_token"))
        if request.method not in SAFE_METHODS and not verdict.may_act:
            return _forbidden_scope()
        return None
    if not current_user.is_authenticated or not current_user.is_active:
        if g.get("session_expired"):
            return _unauthorized("unauthorized", refusal("api_session_expired"))
        return _unauthorized("unauthorized", refusal("api_unauthorized"))
    if request.method not in SAFE_METHODS:
        csrf.protect()
    return None


def _unauthorized(code: str, message: str, description: str | None = None
                  ) -> tuple[Response | str, int]:
    response, status = error_response(401, code, message)
    assert isinstance(response, Response)
    error = ', error="invalid_token"' if code in ("invalid_token", "token_expired") else ""
    if description:
        error += f', error_description="{description}"'
    response.headers["WWW-Authenticate"] = f'Bearer realm="tdkt"{error}'
    return response, status


def _forbidden_scope() -> tuple[Response | str, int]:
    response, status = error_response(403, "insufficient_scope", refusal("insufficient_scope"),
                                      scope="read")
    assert isinstance(response, Response)
    response.headers["WWW-Authenticate"] = ('Bearer realm="tdkt", error="insufficient_scope", '
                                            'scope="act"')
    return response, status
