"""Admin pages for campaigns and their rule sets: history, editor and upload, activation."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from rules.loader import RuleSetError
from web import db
from web.admin.blueprint import admin_only, bp, run
from web.i18n import error_text
from workflow.accounts import administration
from workflow.campaigns.rulesets import LoadResult
from workflow.errors import InvalidInput

Errors = list[dict[str, Any]]


@bp.get("/campaigns")
@admin_only
def campaigns() -> str:
    return render_template("admin/campaigns.html", campaigns=administration.campaigns(db.session()))


@bp.get("/new-campaign")
@admin_only
def new_campaign() -> str:
    return render_template("admin/campaign_new.html", text="", errors=[])


@bp.post("/new-campaign")
@admin_only
def create_campaign() -> Response | tuple[str, int]:
    text, result, errors = _save(None)
    if result is None:
        return render_template("admin/campaign_new.html", text=text, errors=errors), 400
    flash(_("Đã tạo phong trào %(code)s với phiên bản quy tắc %(n)d.",
            code=result.campaign.code, n=result.version.version), "success")
    return redirect(url_for("admin.campaign", code=result.campaign.code))


@bp.get("/campaigns/<code>")
@admin_only
def campaign(code: str) -> str:
    active = administration.get_campaign(db.session(), code).active_ruleset
    return _campaign_page(code, active.source_yaml if active else "", [])


def _campaign_page(code: str, text: str, errors: Errors) -> str:
    session = db.session()
    found = administration.get_campaign(session, code)
    return render_template("admin/campaign.html", campaign=found, text=text, errors=errors,
                           versions=administration.versions(session, found),
                           events=administration.history(session, f"campaign:{code}"))


@bp.post("/campaigns/<code>/rules")
@admin_only
def save_rules(code: str) -> Response | tuple[str, int]:
    administration.get_campaign(db.session(), code)  # 404 before reading anything
    text, result, errors = _save(code)
    if result is None:
        return _campaign_page(code, text, errors), 400
    if result.created:
        flash(_("Đã lưu phiên bản %(n)d và áp dụng cho phong trào.", n=result.version.version),
              "success")
    else:
        flash(_("Nội dung trùng với phiên bản đang áp dụng (%(n)d); không tạo phiên bản mới.",
                n=result.version.version), "info")
    return redirect(url_for("admin.campaign", code=code))


def _save(code: str | None) -> tuple[str, LoadResult | None, Errors]:
    """Store the submitted rule set; on refusal, the text to show again and every error."""
    text = request.form.get("yaml", "")
    try:
        text, filename = _submitted(text)
        with db.unit_of_work() as writer:
            return text, administration.load_ruleset(writer, current_user.actor, text, filename,
                                            campaign_code=code), []
    except RuleSetError as exc:
        lines = text.replace("\r\n", "\n").split("\n")
        return text, None, [
            {"line": e.line, "field": e.field, "message": e.message,
             "source": lines[e.line - 1] if 0 < e.line <= len(lines) else None}
            for e in exc.errors]
    except InvalidInput as exc:
        return text, None, [{"line": None, "field": None, "message": error_text(exc)}]


def _submitted(typed: str) -> tuple[str, str]:
    """The uploaded file when one was chosen, else the editor's text; with a file name."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return typed, "editor.yaml"
    data = file.read(administration.MAX_RULESET_CHARS * 4 + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("Tệp tải lên không phải văn bản UTF-8.")) from None
    return text, PurePath(file.filename.replace("\\", "/")).name[:100] or "upload.yaml"


@bp.get("/campaigns/<code>/versions/<id:number>")
@admin_only
def version(code: str, number: int) -> str:
    found = administration.get_version(db.session(), code, number)
    return render_template("admin/version.html", campaign=found.campaign, version=found)


@bp.post("/campaigns/<code>/versions/<id:number>/activate")
@admin_only
def activate(code: str, number: int) -> Response:
    administration.get_version(db.session(), code, number)  # 404 for a guessed URL
    return run(lambda s: administration.activate_ruleset(s, current_user.actor, code, number),
               _("Đã áp dụng phiên bản %(n)d.", n=number),
               url_for("admin.campaign", code=code))
