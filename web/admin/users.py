"""Admin pages for accounts: the filtered list, creating one, roles, locking, passwords."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.admin.blueprint import admin_only, arg_id, bp, form_id, problems, run
from web.labels import ROLES, TOKEN_SCOPES
from workflow.accounts import administration, tokens
from workflow.errors import InvalidInput, NotFound


@bp.get("/users")
@admin_only
def users() -> str:
    session = db.session()
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    unit = arg_id("unit")
    filters = {"unit": unit, "role": role, "active": request.args.get("active", "")}
    rows = administration.list_users(session, unit_id=unit, role=role, active=active)
    return render_template("admin/users.html", users=rows, filters=filters,
                           tree=administration.unit_tree(session), roles=ROLES)


@bp.get("/users/new")
@admin_only
def new_user() -> str:
    return _new_user_page({"roles": []}, [])


def _new_user_page(form: dict[str, Any], errors: list[str]) -> str:
    return render_template("admin/user_new.html", form=form, errors=errors, roles=ROLES,
                           tree=administration.unit_tree(db.session()))


@bp.post("/users/new")
@admin_only
def create_user() -> Response | tuple[str, int]:
    form = request.form
    try:
        with db.unit_of_work() as writer:
            user = administration.create_user(
                writer, current_user.actor, username=form.get("username"),
                full_name=form.get("full_name"), email=form.get("email"),
                unit_id=form_id("unit_id", _("Đơn vị")), roles=form.getlist("roles"),
                password=form.get("password"))
            uid, username = user.id, user.username
    except InvalidInput as exc:
        kept = {k: v for k, v in form.items() if k not in ("password", "csrf_token")}
        return _new_user_page({**kept, "roles": form.getlist("roles")}, problems(exc)), 400
    flash(_("Đã tạo tài khoản %(name)s.", name=username), "success")
    return redirect(url_for("admin.user", uid=uid))


@bp.get("/users/<id:uid>")
@admin_only
def user(uid: int) -> str:
    session = db.session()
    account = administration.get_user(session, uid)
    return render_template("admin/user.html", user=account, roles=ROLES,
                           tree=administration.unit_tree(session),
                           events=administration.history(session, f"user:{account.username}"),
                           tokens=tokens.list_tokens(session, uid), scopes=TOKEN_SCOPES,
                           now=utcnow())


@bp.get("/users/<id:uid>/tokens/revoke")
@admin_only
def confirm_revoke_tokens(uid: int) -> str:
    """The confirmation step before revoking one token (?token=id) or all of them."""
    session = db.session()
    account = administration.get_user(session, uid)
    live = [t for t in tokens.list_tokens(session, uid) if t.revoked_at is None]
    token_id = arg_id("token")
    if token_id is not None:
        live = [t for t in live if t.id == token_id]
        if not live:
            raise NotFound(_("Không tìm thấy khoá API số %(id)s", id=token_id))
    return render_template("admin/tokens_revoke.html", user=account, tokens=live,
                           token_id=token_id, scopes=TOKEN_SCOPES, now=utcnow())


@bp.post("/users/<id:uid>/tokens/revoke")
@admin_only
def revoke_tokens(uid: int) -> Response:
    """Revoke one token or all, only once confirmed on the confirmation page."""
    token_id = form_id("token", _("Khoá API"))
    if request.form.get("confirm") != "yes":
        flash(_("Chưa thu hồi: hãy xác nhận trên trang này."), "warning")
        return redirect(url_for("admin.confirm_revoke_tokens", uid=uid, token=token_id))
    if token_id is not None:
        return run(lambda s: tokens.revoke_token(s, uid, token_id, utcnow(), current_user.actor),
                   _("Đã thu hồi khoá API."), _back(uid))
    return run(lambda s: tokens.revoke_all(s, uid, current_user.actor, utcnow()),
               _("Đã thu hồi mọi khoá API của tài khoản."), _back(uid))


@bp.post("/users/<id:uid>/profile")
@admin_only
def update_user(uid: int) -> Response:
    return run(lambda s: administration.update_profile(
        s, current_user.actor, uid, request.form.get("full_name"), request.form.get("email"),
        form_id("unit_id", _("Đơn vị"))), _("Đã lưu thông tin tài khoản."), _back(uid))


@bp.post("/users/<id:uid>/roles")
@admin_only
def set_roles(uid: int) -> Response:
    return run(lambda s: administration.set_roles(s, current_user.actor, uid,
                                         request.form.getlist("roles")),
               _("Đã cập nhật vai trò."), _back(uid))


@bp.post("/users/<id:uid>/deactivate")
@admin_only
def deactivate(uid: int) -> Response:
    return run(lambda s: administration.set_active(s, current_user.actor, uid, False),
               _("Đã khoá tài khoản; các phiên đăng nhập của tài khoản này đã kết thúc."),
               _back(uid))


@bp.post("/users/<id:uid>/reactivate")
@admin_only
def reactivate(uid: int) -> Response:
    return run(lambda s: administration.set_active(s, current_user.actor, uid, True),
               _("Đã mở khoá tài khoản."), _back(uid))


@bp.post("/users/<id:uid>/password")
@admin_only
def reset_password(uid: int) -> Response:
    response = run(lambda s: administration.reset_password(s, current_user.actor, uid,
                                                  request.form.get("password")),
                   _("Đã đặt mật khẩu mới; các phiên đăng nhập cũ của tài khoản đã kết thúc."),
                   _back(uid))
    if uid == current_user.id:  # keep the admin's own session going under the new password
        # A fresh session: on SQLite the request's read session still sees its old snapshot.
        with db.database().session() as fresh:
            renewed = current_user.renewed(administration.get_user(fresh, uid))
            login_user(renewed, remember=renewed.signin is not None and renewed.signin.remembered)
    return response


def _back(uid: int) -> str:
    return url_for("admin.user", uid=uid)
