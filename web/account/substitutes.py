"""Leave and substitutes: name who acts for you (or, for a board head or admin, for
someone else) over a range of dates, see the current ones, cancel one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.access import roles_required
from web.account.blueprint import bp
from web.forms import parse_date, parse_id
from web.i18n import error_text
from workflow.accounts import substitutes
from workflow.errors import InvalidInput, WorkflowError
from workflow.proposals.queries import substitutable_users

MAY_USE = ("board_reviewer", "board_head", "council_secretary", "admin")


@bp.get("/substitutes")
@roles_required(*MAY_USE)
def substitutes_page() -> str:
    session = db.session()
    mine_only = not current_user.has("board_head", "admin")
    rows = substitutes.list_substitutions(session, current_user.id if mine_only else None)
    users = substitutable_users(session)
    if mine_only:  # only someone who shares one of my roles may stand in for me
        users = [u for u in users
                 if u.id != current_user.id and {r.value for r in u.roles} & current_user.roles]
    return render_template("account/substitutes.html", rows=rows, users=users,
                           mine_only=mine_only,
                           standing_in=substitutes.stands_in_for(session, current_user.id,
                                                                 utcnow()))


@bp.post("/substitutes")
@roles_required(*MAY_USE)
def name_substitute() -> Response:
    try:
        starts = parse_date(request.form.get("starts_on"), _("Từ ngày"))
        ends = parse_date(request.form.get("ends_on"), _("Đến ngày"))
        substitute = parse_id(request.form.get("substitute_id"), _("Người thay"))
        user_id = parse_id(request.form.get("user_id"), _("Người vắng mặt")) or current_user.id
        if starts is None or ends is None or substitute is None:
            raise InvalidInput(_("Cần chọn người thay, ngày bắt đầu và ngày kết thúc."))
        with db.unit_of_work() as writer:
            substitutes.name_substitute(writer, user_id, substitute, starts, ends,
                                        current_user.actor, utcnow(),
                                        reason=(request.form.get("reason") or "").strip()[:500]
                                        or None)
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(_("Đã ghi nhận người làm thay."), "success")
    return redirect(url_for("account.substitutes_page"))


@bp.post("/substitutes/<id:substitution_id>/cancel")
@roles_required(*MAY_USE)
def cancel_substitute(substitution_id: int) -> Response:
    try:
        with db.unit_of_work() as writer:
            substitutes.cancel_substitution(writer, substitution_id, current_user.actor,
                                            utcnow())
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(_("Đã huỷ ủy quyền."), "success")
    return redirect(url_for("account.substitutes_page"))
