"""Log out everywhere: end every sign-in of one's own account, after a confirmation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.account.blueprint import bp
from web.auth.lifetime import fresh_session
from workflow.accounts import signins


@bp.get("/sign-out-everywhere")
@login_required
def confirm_sign_out_everywhere() -> str:
    return render_template("account/sign_out_everywhere.html")


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    if request.form.get("confirm") != "yes":
        flash(_("Chưa đăng xuất: hãy xác nhận trên trang này."), "warning")
        return redirect(url_for("account.confirm_sign_out_everywhere"))
    with db.unit_of_work() as writer:
        signins.end_everywhere(writer, current_user.id, current_user.actor, utcnow())
    logout_user()
    fresh_session()
    flash(_("Bạn đã đăng xuất khỏi mọi máy tính và trình duyệt."), "info")
    return redirect(url_for("auth.login"))
