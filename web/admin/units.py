"""Admin pages for units: the tree, creating a unit, renaming or moving one."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web import db
from web.admin.blueprint import admin_only, bp, form_id, problems
from workflow.accounts import administration
from workflow.errors import InvalidInput


@bp.get("/units")
@admin_only
def units() -> str:
    return _units_page({}, [])


def _units_page(form: dict[str, Any], errors: list[str]) -> str:
    return render_template("admin/units.html", tree=administration.unit_tree(db.session()),
                           form=form, errors=errors)


@bp.post("/units")
@admin_only
def create_unit() -> Response | tuple[str, int]:
    try:
        with db.unit_of_work() as writer:
            unit = administration.create_unit(writer, current_user.actor, request.form.get("code"),
                                     request.form.get("name"),
                                     form_id("parent_id", _("Đơn vị cấp trên")))
            code = unit.code
    except InvalidInput as exc:
        return _units_page(request.form.to_dict(), problems(exc)), 400
    flash(_("Đã tạo đơn vị %(code)s.", code=code), "success")
    return redirect(url_for("admin.units"))


@bp.get("/units/<id:uid>")
@admin_only
def unit(uid: int) -> str:
    return _unit_page(uid, {}, [])


def _unit_page(uid: int, form: dict[str, Any], errors: list[str]) -> str:
    session = db.session()
    unit = administration.get_unit(session, uid)
    below = _descendants(session, unit)
    parents = [(u, depth) for u, depth in administration.unit_tree(session) if u.id not in below]
    return render_template("admin/unit.html", unit=unit, parents=parents, form=form,
                           errors=errors,
                           events=administration.history(session, f"unit:{unit.code}"),
                           users=administration.list_users(session, unit_id=unit.id))


def _descendants(session: Any, unit: Any) -> set[int]:
    """The unit itself and every unit below it (not offered as its new parent)."""
    found, seen = {unit.id}, True
    tree = administration.unit_tree(session)
    while seen:
        seen = False
        for u, _depth in tree:
            if u.parent_id in found and u.id not in found:
                found.add(u.id)
                seen = True
    return found


@bp.post("/units/<id:uid>")
@admin_only
def update_unit(uid: int) -> Response | tuple[str, int]:
    try:
        with db.unit_of_work() as writer:
            administration.update_unit(writer, current_user.actor, uid, request.form.get("name"),
                              form_id("parent_id", _("Đơn vị cấp trên")))
    except InvalidInput as exc:
        return _unit_page(uid, request.form.to_dict(), problems(exc)), 400
    flash(_("Đã lưu đơn vị."), "success")
    return redirect(url_for("admin.unit", uid=uid))
