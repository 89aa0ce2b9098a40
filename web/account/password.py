"""Change one's own password: the current one is required, the new one meets the policy."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from models import User
from models.base import utcnow
from web import db
from web.account.blueprint import bp
from web.i18n import error_text
from workflow.accounts import credentials


def _page(error: str | None = None, status: int = 200) -> Response:
    response = make_response(render_template(
        "account/password.html", error=error, min_length=credentials.MIN_PASSWORD,
        idle_minutes=current_app.config["SESSION_IDLE_SECONDS"] // 60,
        session_hours=current_app.config["SESSION_MAX_SECONDS"] // 3600,
        remember_days=current_app.config["REMEMBER_COOKIE_DURATION"].days), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/password")
@login_required
def password_page() -> Response:
    return _page()


@bp.post("/password")
@login_required
def change_password() -> Response:
    form = request.form
    with db.unit_of_work() as writer:
        refusal = credentials.change_own_password(
            writer, current_user.id, form.get("current_password", ""),
            form.get("new_password", ""), form.get("confirm_password", ""), utcnow())
        user = None if refusal else current_user.renewed(writer.get_one(User, current_user.id))
    if refusal is not None or user is None:
        return _page(error_text(refusal) if refusal else None, 400)
    # Other sessions end with the old password's fingerprint; this one carries the new one.
    login_user(user, remember=user.signin is not None and user.signin.remembered)
    flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "success")
    return redirect(url_for("main.home"))
