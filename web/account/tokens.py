"""Personal API tokens: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from models import TokenScope
from models.base import utcnow
from web import db
from web.account.blueprint import bp
from web.forms import parse_int
from web.i18n import error_text
from web.labels import TOKEN_SCOPES
from workflow.accounts import tokens
from workflow.errors import WorkflowError


def _page(secret: str | None = None, new_id: int | None = None) -> Response:
    rows = tokens.list_tokens(db.session(), current_user.id)
    response = make_response(render_template(
        "account/tokens.html", tokens=rows, secret=secret, new_id=new_id,
        max_name=tokens.MAX_NAME_LENGTH, now=utcnow(), scopes=TOKEN_SCOPES,
        days=(tokens.MIN_DAYS, tokens.DEFAULT_DAYS, tokens.MAX_DAYS)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
@login_required
def tokens_page() -> Response:
    return _page()


@bp.post("/tokens")
@login_required
def create_token() -> Response:
    try:
        days = parse_int(request.form.get("days"), _("Thời hạn (ngày)"))
        with db.unit_of_work() as writer:
            # A token made here reads only unless its owner asks for more.
            token, secret = tokens.create_token(
                writer, current_user.id, request.form.get("name", ""),
                days=tokens.DEFAULT_DAYS if days is None else days,
                scope=request.form.get("scope") or TokenScope.READ)
            token_id = token.id
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
        return redirect(url_for("account.tokens_page"))
    # Rendered, not redirected: the secret must not pass through the session cookie.
    return _page(secret=secret, new_id=token_id)


@bp.post("/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    try:
        with db.unit_of_work() as writer:
            token = tokens.revoke_token(writer, current_user.id, token_id)
            name = token.name
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(_("Đã thu hồi khoá “%(name)s”.", name=name), "success")
    return redirect(url_for("account.tokens_page"))

