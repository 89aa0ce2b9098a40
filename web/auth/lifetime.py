"""How long a signed-in browser session lasts: idle sessions end, and an ended one sends
its user back to the page they were on, after signing in again, with the reason."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web.extensions import login_manager
from workflow.accounts.signins import SignInId

# The last request's time is written into the cookie at most this often, so that a
# page reloaded within the minute keeps the same cookie (and the page cache serves it).
SEEN_EVERY = 60
_SIGNED_IN = ("_user_id", "_fresh", "_id", "_seen")


def init_app(app: Flask) -> None:
    # First of the request hooks (the page cache's included): an idle session gets nothing.
    app.before_request_funcs.setdefault(None, []).insert(0, end_idle_session)
    login_manager.unauthorized_handler(sign_in_again)


def end_idle_session() -> None:
    """End a session left alone longer than TDKT_SESSION_IDLE_MINUTES. "Remember me" is
    asked for on a computer of one's own: such a sign-in is not ended for idling."""
    user_id = session.get("_user_id")
    if user_id is None:
        return
    signin = SignInId.parse(str(user_id))
    if signin is None or signin.remembered:
        return
    now, seen = int(time.time()), session.get("_seen")
    if isinstance(seen, int) and now - seen > current_app.config["SESSION_IDLE_SECONDS"]:
        for key in _SIGNED_IN:
            session.pop(key, None)
        g.session_expired = True
    elif not isinstance(seen, int) or now - seen >= SEEN_EVERY:
        session["_seen"] = now


def fresh_session() -> None:
    """Nothing of the session so far carries over (its CSRF secret included), except the
    language chosen and a sign-out's order to delete the remember-me cookie: at sign-in
    and at sign-out."""
    kept = {k: session[k] for k in ("lang", "_remember") if k in session}
    session.clear()
    session.update(kept)


def session_expired() -> bool:
    return bool(g.get("session_expired"))


def sign_in_again() -> Response:
    """Flask-Login's answer to a page that needs a signed-in user."""
    if session_expired():
        flash(_("Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại để tiếp tục."), "warning")
    else:
        flash(_("Vui lòng đăng nhập để tiếp tục."), "warning")
    return redirect(url_for("auth.login", next=_back_to()))


def _back_to() -> str:
    """The page to return to: this one, or for a form sent (which cannot be sent again by
    following a link) the page the form was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("main.home")
