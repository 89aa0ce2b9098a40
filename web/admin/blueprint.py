"""The admin blueprint and what its pages share: the gate, form parsing, running a change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web import db
from web.access import roles_required
from web.forms import parse_id
from web.i18n import error_text
from workflow.accounts.administration import InvalidFields
from workflow.errors import InvalidInput

bp = Blueprint("admin", __name__)
admin_only = roles_required("admin")

EVENTS = {
    "create_unit": _l("Tạo đơn vị"), "update_unit": _l("Sửa đơn vị"),
    "create_user": _l("Tạo tài khoản"), "update_user": _l("Sửa thông tin tài khoản"),
    "set_roles": _l("Đổi vai trò"), "deactivate_user": _l("Khoá tài khoản"),
    "reactivate_user": _l("Mở khoá tài khoản"), "reset_password": _l("Đặt lại mật khẩu"),
    "load_ruleset": _l("Nạp bộ quy tắc"), "activate_ruleset": _l("Áp dụng phiên bản"),
    "create_api_token": _l("Tạo khoá API"), "revoke_api_token": _l("Thu hồi khoá API"),
}


def form_id(name: str, label: str) -> int | None:
    """An optional id from the posted form; anything but an id is refused with a message."""
    return parse_id(request.form.get(name), label)


def arg_id(name: str) -> int | None:
    """An optional id from the query string; anything but an id is refused (400)."""
    return parse_id(request.args.get(name), name)


def problems(exc: InvalidInput) -> list[str]:
    """Each refused field on its own line, in the reader's language."""
    if isinstance(exc, InvalidFields):
        return [error_text(p) for p in exc.problems]
    return list(exc.details.get("errors") or [error_text(exc)])


def run(change: Callable[[Session], Any], done: str, target: str) -> Response:
    """One unit of work; refused input is flashed (and nothing is written)."""
    try:
        with db.unit_of_work() as writer:
            change(writer)
    except InvalidInput as exc:
        for message in problems(exc):
            flash(message, "danger")
    else:
        flash(done, "success")
    return redirect(target)


@bp.context_processor
def _names() -> dict[str, Any]:
    return {"admin_events": EVENTS}
