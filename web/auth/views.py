"""Login, logout and language: the only pages open without an account."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models.base import utcnow
from web import db
from web.auth.lifetime import fresh_session
from web.auth.users import WebUser, longest_seconds
from web.i18n import LANGUAGES
from workflow.accounts import signins
from workflow.accounts.credentials import set_language, sign_in, take_sign_in_turn

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Mật khẩu", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Ghi nhớ đăng nhập", default=False)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        name, address = form.username.data or "", request.remote_addr or ""
        # The attempt is counted and committed before its password is tested, so that
        # attempts sent at once cannot all pass the brake (workflow.login_throttle).
        with db.unit_of_work() as writer:
            refused = take_sign_in_turn(writer, name, address, now)
        remember = bool(form.remember.data) and current_app.config[
            "REMEMBER_COOKIE_DURATION"].total_seconds() > 0
        with db.unit_of_work() as writer:
            attempt = refused or sign_in(writer, name, form.password.data or "", address)
            user = (WebUser.of(attempt.user, signins.begin(attempt.user, now, remember))
                    if attempt.user is not None else None)
        if user is not None:
            fresh_session()
            login_user(user, remember=remember)
            session["_seen"] = int(now.timestamp())
            # The new session's own CSRF secret, from its first response: Flask-WTF keeps
            # the old one on `g` for this request, so that copy goes first.
            g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
            generate_csrf()
            return redirect(_safe_next(request.args.get("next")))
        if attempt.locked_until is not None:
            return _locked(form, math.ceil((attempt.locked_until - now).total_seconds()))
        # One message for unknown user, wrong password and inactive account alike.
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
    return render_template("auth/login.html", form=form)


def _locked(form: LoginForm, seconds: int) -> Response:
    """429 for a name or address locked after repeated failures — the same for a name
    that exists and one that does not."""
    flash(_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.",
            minutes=max(1, math.ceil(seconds / 60))), "danger")
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    signin = current_user.signin
    if signin is not None:  # every copy of this sign-in's cookies is refused from now on
        with db.unit_of_work() as writer:
            signins.end(writer, signin, utcnow(), timedelta(
                seconds=longest_seconds(signin.remembered)))
    logout_user()
    fresh_session()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<lang>", methods=["POST"])
def language(lang: str) -> Response:
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            with db.unit_of_work() as writer:
                set_language(writer, current_user.id, lang)
    return redirect(_safe_next(request.form.get("next")))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")
