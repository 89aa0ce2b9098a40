"""Unit clerk: the unit's proposals by state, and filing a dossier."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models.base import utcnow
from rules.catalogue import load_catalogue
from web import db
from web.access import roles_required
from web.forms import expected_version, nominee_payload, page_number
from web.i18n import error_text
from web.labels import STATES
from web.page_cache import cached_page, fresh_token
from workflow.campaigns.rulesets import compiled
from workflow.documents.uploads import content_type
from workflow.errors import WorkflowError
from workflow.filing import dossier, idempotency
from workflow.filing import nominee_import as imports
from workflow.proposals import queries

bp = Blueprint("clerk", __name__)
clerk_only = roles_required("unit_clerk")


@bp.get("/")
@clerk_only
@cached_page
def dashboard() -> str:
    session = db.session()
    state = request.args.get("state") or None
    page = queries.proposals_page(session, current_user.actor,
                                  queries.ProposalFilter(state=state),
                                  page_number(request.args.get("page")))
    return render_template("clerk/dashboard.html", page=page, state=state,
                           dues=queries.due_map(session, page.rows, utcnow()),
                           counts=queries.state_counts(session, current_user.actor),
                           states=STATES,
                           campaigns=queries.accepting_campaigns(session, utcnow()),
                           form_key=fresh_token())


@bp.post("/proposals")
@clerk_only
def create() -> Response:
    """The form carries a one-time key: posting it twice (double click, browser retry)
    opens the draft the first post created instead of making a second one."""
    try:
        pid, first, _status = idempotency.create_proposal_retrying(
            db.unit_of_work, current_user.actor, request.form.get("campaign", ""),
            request.form.get("title", ""), request.form.get("form_key") or None)
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
        return redirect(url_for("clerk.dashboard"))
    if first:
        flash(_("Đã tạo hồ sơ dự thảo. Hãy thêm người được đề nghị và tài liệu."), "success")
    else:
        flash(_("Hồ sơ này đã được tạo ở lần gửi trước; không tạo thêm bản trùng."), "info")
    return redirect(url_for("proposals.detail", pid=pid))


def _edit(pid: int, done: str, change: Callable[[Session], Any]) -> Response:
    """Run one dossier edit for the current clerk; show the result on the proposal page."""
    queries.get_visible(db.session(), pid, current_user.actor)
    try:
        with db.unit_of_work() as writer:
            change(writer)
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(done, "success")
    return redirect(url_for("proposals.detail", pid=pid) + "#dossier")


@bp.post("/proposals/<id:pid>/title")
@clerk_only
def rename(pid: int) -> Response:
    return _edit(pid, _("Đã đổi tên hồ sơ."), lambda s: dossier.rename(
        s, pid, current_user.actor, request.form.get("title", ""),
        expected_version=expected_version(request.form)))


def _attributes(pid: int) -> dict[str, str]:
    proposal = queries.get_visible(db.session(), pid, current_user.actor)
    rules = compiled(proposal.campaign.active_ruleset or proposal.ruleset_version).rules
    return {name: kind.value for name, kind in rules.nominee_attributes.items()}


@bp.post("/proposals/<id:pid>/nominees")
@clerk_only
def add_nominee(pid: int) -> Response:
    return _edit(pid, _("Đã thêm người được đề nghị."), lambda s: dossier.add_nominee(
        s, pid, current_user.actor, nominee_payload(request.form, _attributes(pid)),
        expected_version=expected_version(request.form)))


@bp.get("/proposals/<id:pid>/nominees/<id:nid>/edit")
@clerk_only
def edit_nominee(pid: int, nid: int) -> str:
    proposal = queries.get_visible(db.session(), pid, current_user.actor)
    nominee = next((n for n in proposal.nominees if n.id == nid), None)
    if nominee is None:
        abort(404)
    rules = compiled(proposal.campaign.active_ruleset or proposal.ruleset_version).rules
    return render_template("clerk/edit_nominee.html", p=proposal, n=nominee, rules=rules,
                           catalogue=load_catalogue())


@bp.post("/proposals/<id:pid>/nominees/<id:nid>")
@clerk_only
def update_nominee(pid: int, nid: int) -> Response:
    return _edit(pid, _("Đã cập nhật người được đề nghị."), lambda s: dossier.update_nominee(
        s, pid, nid, current_user.actor, nominee_payload(request.form, _attributes(pid)),
        expected_version=expected_version(request.form)))


@bp.post("/proposals/<id:pid>/nominees/<id:nid>/delete")
@clerk_only
def remove_nominee(pid: int, nid: int) -> Response:
    return _edit(pid, _("Đã xoá người được đề nghị."), lambda s: dossier.remove_nominee(
        s, pid, nid, current_user.actor, expected_version=expected_version(request.form)))


@bp.post("/proposals/<id:pid>/documents")
@clerk_only
def upload(pid: int) -> Response:
    name, content = _uploaded_file()

    def change(s: Session) -> None:
        dossier.add_document(s, pid, current_user.actor, request.form.get("doc_type", ""),
                             name, content, _storage(), content_type(name, content),
                             max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
                             expected_version=expected_version(request.form))

    return _edit(pid, _("Đã tải lên tài liệu."), change)


@bp.post("/proposals/<id:pid>/documents/<id:doc_id>/delete")
@clerk_only
def remove_document(pid: int, doc_id: int) -> Response:
    return _edit(pid, _("Đã xoá tài liệu."), lambda s: dossier.remove_document(
        s, pid, doc_id, current_user.actor, expected_version=expected_version(request.form)))


@bp.post("/proposals/<id:pid>/import")
@clerk_only
def import_excel(pid: int) -> Response | tuple[str, int]:
    proposal = queries.get_visible(db.session(), pid, current_user.actor)
    content = _uploaded_file()[1]
    rules = compiled(proposal.campaign.active_ruleset or proposal.ruleset_version).rules
    try:
        with db.unit_of_work() as writer:
            count = imports.import_nominees(writer, pid, current_user.actor, content, rules,
                                            expected_version(request.form))
    except imports.ImportRefused as exc:
        return render_template("clerk/import_errors.html", p=proposal, errors=exc.errors), 400
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(_("Đã nhập %(count)d người được đề nghị từ bảng tính.", count=count), "success")
    return redirect(url_for("proposals.detail", pid=pid) + "#dossier")


@bp.get("/campaigns/<code>/template.xlsx")
@clerk_only
def template(code: str) -> Response:
    campaign = next((c for c in queries.open_campaigns(db.session()) if c.code == code), None)
    if campaign is None or campaign.active_ruleset is None:
        abort(404)
    data = imports.template(compiled(campaign.active_ruleset).rules)
    return send_file(io.BytesIO(data), as_attachment=True,
                     download_name=f"mau-danh-sach-{code}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _uploaded_file() -> tuple[str, bytes]:
    """The posted file's safe name and content, read up to one byte past the limit so that
    an oversized file is recognised without reading all of it."""
    file = request.files.get("file")
    if file is None:
        return dossier.safe_file_name(""), b""
    return (dossier.safe_file_name(file.filename or ""),
            file.read(current_app.config["MAX_UPLOAD_BYTES"] + 1))


def _storage() -> Path:
    return Path(current_app.config["STORAGE_DIR"])
