"""A user's notifications: list (newest first), mark read, and the unread count in the bar."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.forms import parse_ids
from workflow.notifications.inbox import list_notifications, mark_read, unread_count

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index() -> str:
    unread_only = bool(request.args.get("unread"))
    rows = list_notifications(db.session(), current_user.id, unread_only=unread_only,
                              limit=200)
    return render_template("inbox/index.html", notifications=rows, unread_only=unread_only)


@bp.post("/read")
@login_required
def read() -> Response:
    ids = parse_ids(request.form.getlist("ids"), _("Thông báo"))
    with db.unit_of_work() as writer:
        mark_read(writer, current_user.id, ids or None, utcnow())
    return redirect(url_for("inbox.index"))


def unread_badge() -> dict[str, Any]:
    """Template context: the logged-in user's unread count, for the top bar."""
    if g.get("database_unavailable") or not current_user.is_authenticated:
        return {}   # (an error page about the database renders without it)
    return {"unread_notifications": unread_count(db.session(), current_user.id)}
