"""Administration pages: units, users, campaigns and rule sets (admins only).

The routes live in units.py, users.py and campaigns.py on the one `admin` blueprint; the
operations they call (workflow.admin) check the admin role again.
"""

from __future__ import annotations

from flask import render_template

from web import db
from web.admin import campaigns, units, users  # noqa: F401  (register their routes)
from web.admin.blueprint import admin_only, bp
from workflow.accounts import administration

__all__ = ["bp"]


@bp.get("/")
@admin_only
def index() -> str:
    return render_template("admin/index.html", counts=administration.counts(db.session()))
