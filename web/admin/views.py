"""Administration pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from web.access import roles_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@roles_required("admin")
def index() -> str:
    return render_template("admin/index.html")
