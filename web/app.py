"""The Flask application factory."""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from models.db import Database
from rules.calendar import load_calendar
from web import db, errors, labels, page_cache
from web.auth import lifetime
from web.config import TRANSLATIONS, Settings
from web.extensions import babel, bootstrap, csrf, login_manager
from web.i18n import (
    catalogue_name,
    error_text,
    finding_text,
    select_locale,
    text_of,
    vn_date,
    vn_datetime,
)
from web.paging import page_url
from web.sessions import RememberingSessionInterface
from workflow.audit.chain import use_key as use_audit_key
from workflow.deadlines.tracking import use_calendar
from workflow.ids import as_id
from workflow.labels import use_catalogue


class IdConverter(BaseConverter):
    """`<id:...>` in a URL names a row (`workflow.ids`): a path whose segment is no id —
    zero, a sign, letters, a number past PostgreSQL's `integer` — names no page (404),
    instead of failing in the database (500). Raised as NotFound rather than as the
    converter's ValidationError, which Werkzeug turns into 405 when another method's rule
    shares the path."""

    regex = r"[0-9]+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = as_id(value)
        if number is None:
            raise NotFound()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))



def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = RememberingSessionInterface()
    app.config.update(_defaults(settings))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret()
    app.extensions["tdkt_db"] = Database(app.config["DATABASE_URL"])
    use_audit_key(settings.audit_key)  # every event this process writes is sealed with it
    use_catalogue(TRANSLATIONS)  # for the mail it writes: in the recipient's language
    if settings.calendar_file:
        use_calendar(load_calendar(settings.calendar_file))
    _init_extensions(app)
    app.url_map.converters["id"] = IdConverter   # before any rule is added
    _register_blueprints(app)
    errors.register(app)
    app.before_request(errors.refuse_nul_characters)
    app.teardown_appcontext(db.close_session)
    app.after_request(_security_headers)
    page_cache.init_app(app)
    lifetime.init_app(app)  # before the page cache's hook: an idle session gets no page
    # Innermost: whatever escapes Flask still gets an answer of ours, not the server's.
    app.wsgi_app = errors.LastResort(app.wsgi_app, app)  # type: ignore[method-assign]
    if settings.proxy_hops:
        # The client's own address (X-Forwarded-For), which the login brake counts by.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.jinja_env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime)
    app.jinja_env.globals.update(labels=labels, catalogue_name=catalogue_name, page_url=page_url,
                                 finding_text=finding_text, error_text=error_text,
                                 text_of=text_of)
    return app


def _defaults(settings: Settings) -> dict[str, Any]:
    return {
        "DATABASE_URL": settings.database_url,
        "STORAGE_DIR": str(settings.storage_dir),
        "SECRET_KEY": settings.secret_key,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": settings.secure_cookies,
        "MAX_CONTENT_LENGTH": settings.max_upload_bytes + 1024 * 1024,
        "MAX_UPLOAD_BYTES": settings.max_upload_bytes,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "PAGE_CACHE_SECONDS": settings.page_cache_seconds,
        "SESSION_IDLE_SECONDS": settings.session_idle_minutes * 60,
        "SESSION_MAX_SECONDS": settings.session_hours * 3600,
        # The session cookie's own signature ages out with the longest sign-in; each
        # sign-in's own limit is checked when its user is loaded (web.auth.users).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=settings.session_hours),
        "REMEMBER_COOKIE_DURATION": timedelta(days=settings.remember_days),
    }


def _instance_secret(path: Path = Path("instance") / "secret_key") -> str:
    """A key made once and kept under instance/, so that every worker process and every
    restart signs sessions alike when TDKT_SECRET_KEY is not set."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        tmp.write_text(secrets.token_hex(32), encoding="ascii")
        os.chmod(tmp, 0o600)
        # link() publishes the complete file atomically, or fails if a sibling won.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text(encoding="ascii").strip()


def _init_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    import web.auth.users  # noqa: F401  (registers the user loader)


def _register_blueprints(app: Flask) -> None:
    from web.account import password, signins, substitutes, tokens  # noqa: F401  (their routes)
    from web.account.blueprint import bp as account_bp
    from web.admin.views import bp as admin_bp
    from web.api import council as api_council  # noqa: F401  (their routes)
    from web.api import decisions as api_decisions  # noqa: F401
    from web.api import notices as api_notices  # noqa: F401
    from web.api import views as api_views  # noqa: F401
    from web.api.blueprint import bp as api_bp
    from web.auth.views import bp as auth_bp
    from web.clerk.views import bp as clerk_bp
    from web.council import notices as council_notices  # noqa: F401  (their routes)
    from web.council import sessions as council_sessions  # noqa: F401
    from web.council import views as council_views  # noqa: F401
    from web.council.blueprint import bp as council_bp
    from web.council.decisions import bp as decisions_bp
    from web.inbox.views import bp as inbox_bp
    from web.inbox.views import unread_badge
    from web.proposals.views import bp as proposals_bp
    from web.public.views import bp as public_bp
    from web.review.views import bp as review_bp
    from web.stats.views import bp as stats_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(clerk_bp, url_prefix="/unit")
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(council_bp, url_prefix="/council")
    app.register_blueprint(decisions_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(inbox_bp, url_prefix="/notifications")
    app.register_blueprint(stats_bp, url_prefix="/stats")
    app.context_processor(unread_badge)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(account_bp)
    app.register_blueprint(public_bp)

    app.add_url_rule("/", endpoint="main.home", view_func=login_required(_home))


def _home() -> Response:
    return redirect(url_for(_home_endpoint()))


def _home_endpoint() -> str:
    roles = current_user.roles
    if "unit_clerk" in roles:
        return "clerk.dashboard"
    if roles & {"board_reviewer", "board_head"}:
        return "review.queue"
    if roles & {"council_secretary", "council_member"}:
        return "council.index"
    if "admin" in roles:
        return "admin.index"
    return "proposals.index"


SECURITY_HEADERS = (
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def _security_headers(response: Response) -> Response:
    """Each header unless the view set its own; one pass over the headers instead of one
    lookup per header (a page served from the cache costs little else)."""
    present = {name.lower() for name, _ in response.headers}
    response.headers.extend([(name, value) for name, value in SECURITY_HEADERS
                             if name.lower() not in present])
    return response
