"""Decisions: the list, issuing a new one, a decision's page and exports, corrections,
and a nominee's page with their achievement history."""

from __future__ import annotations

from typing import IO, Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from models import DecisionEntry
from models.base import utcnow
from web import db
from web.access import roles_required
from web.errors import status_of
from web.forms import parse_date, parse_id, parse_ids
from web.i18n import error_text
from workflow.campaigns.rulesets import compiled
from workflow.decisions import exports
from workflow.decisions import issuing as decisions
from workflow.decisions import queries as decision_queries
from workflow.errors import NotFound, WorkflowError
from workflow.history import achievements as history
from workflow.ids import as_id
from workflow.proposals import queries

bp = Blueprint("decisions", __name__)
SHOWN_ENTRIES = 500


@bp.get("/council/decisions/")
@login_required
def index() -> str:
    session = db.session()
    rows = decision_queries.list_visible(session, current_user.actor)
    ids = [d.id for d in rows]
    return render_template("council/decisions.html", decisions=rows,
                           counts=decision_queries.entry_counts(session, ids),
                           corrected_by=decision_queries.corrected_by(session, ids))


@bp.get("/council/decisions/new")
@roles_required("council_secretary")
def new() -> str:
    campaign_id = parse_id(request.args.get("campaign"), _("Phong trào"))
    chosen = parse_id(request.args.get("proposal"), _("Hồ sơ"))
    if campaign_id is None and chosen is not None:
        campaign_id = queries.get_visible(db.session(), chosen, current_user.actor).campaign_id
    return _issue_page(campaign_id, request.args.get("award_form") or None,
                       None if chosen is None else {chosen})


@bp.post("/council/decisions/new")
@roles_required("council_secretary")
def create() -> Response | tuple[str, int]:
    form = request.form
    try:
        data = issue_payload(form)
        with db.unit_of_work() as writer:
            decision = decisions.issue(writer, current_user.actor, data)
            did, number = decision.id, decision.number
    except WorkflowError as exc:  # the same form again, as typed, with why it was refused
        # The form again as typed: what it holds that is an id (the refusal says why).
        campaign_id = as_id(form.get("campaign_id"))
        ticked = {n for v in form.getlist("proposal_ids") if (n := as_id(v)) is not None}
        return _issue_page(campaign_id, form.get("award_form") or None, ticked, form,
                           error_text(exc)), status_of(exc)
    flash(_("Đã ban hành quyết định số %(n)s.", n=number), "success")
    return redirect(url_for("decisions.detail", did=did))


def _issue_page(campaign_id: int | None, award_form: str | None, chosen: set[int] | None,
                form: MultiDict[str, str] | None = None, error: str | None = None) -> str:
    """The issue form; `chosen` are the proposals ticked (None: every one not blocked)."""
    session = db.session()
    campaigns = queries.open_campaigns(session)
    campaign = next((c for c in campaigns if c.id == campaign_id), None)
    forms = ([a.form for a in compiled(campaign.active_ruleset).rules.awards]
             if campaign and campaign.active_ruleset else [])
    candidates = (decision_queries.candidates(session, campaign.id, award_form, utcnow())
                  if campaign else [])
    return render_template("council/decision_new.html", campaigns=campaigns,
                           campaign=campaign, forms=forms, award_form=award_form,
                           candidates=candidates, chosen=chosen, form=form or {},
                           error=error)


def issue_payload(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"campaign_id": parse_id(form.get("campaign_id"), _("Phong trào")),
            "award_form": form.get("award_form") or None,
            "proposal_ids": parse_ids(form.getlist("proposal_ids"), _("Hồ sơ")),
            "signed_on": parse_date(form.get("signed_on"), _("Ngày ký")),
            "signer_name": form.get("signer_name") or ""}


@bp.get("/council/decisions/<id:did>")
@login_required
def detail(did: int) -> str:
    session = db.session()
    decision = decision_queries.get_visible(session, did, current_user.actor)
    count = decision_queries.entry_counts(session, [did]).get(did, 0)
    return render_template(
        "council/decision.html", d=decision, count=count,
        entries=decision_queries.entries_page(session, did, SHOWN_ENTRIES),
        corrected_by=decision_queries.corrections(session, decision),
        proposals=decision_queries.proposals_of(session, did, current_user.actor))


@bp.get("/council/decisions/<id:did>/danh-sach.xlsx")
@login_required
def list_xlsx(did: int) -> Response:
    session = db.session()
    decision = decision_queries.get_visible(session, did, current_user.actor)
    return _download(exports.list_file(session, decision), exports.XLSX_TYPE,
                     f"{exports.file_stem(decision)}-danh-sach.xlsx")


@bp.get("/council/decisions/<id:did>/quyet-dinh.docx")
@login_required
def word_docx(did: int) -> Response:
    session = db.session()
    decision = decision_queries.get_visible(session, did, current_user.actor)
    return _download(exports.word_file(session, decision), exports.DOCX_TYPE,
                     f"{exports.file_stem(decision)}.docx")


def _download(file: IO[bytes], mimetype: str, name: str) -> Response:
    return send_file(file, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.get("/council/decisions/<id:did>/correct")
@roles_required("council_secretary")
def correct_form(did: int) -> str:
    return _correct_page(did)


@bp.post("/council/decisions/<id:did>/correct")
@roles_required("council_secretary")
def correct(did: int) -> Response | tuple[str, int]:
    decision = decision_queries.get_visible(db.session(), did, current_user.actor)
    try:
        data = correction_payload(request.form, decision.entries)
        with db.unit_of_work() as writer:
            new_decision = decisions.correct(writer, current_user.actor, did, data)
            new_id, number = new_decision.id, new_decision.number
    except WorkflowError as exc:  # every edit as typed, with why it was refused
        return _correct_page(did, request.form, error_text(exc)), status_of(exc)
    flash(_("Đã ban hành quyết định đính chính số %(n)s.", n=number), "success")
    return redirect(url_for("decisions.detail", did=new_id))


def _correct_page(did: int, form: MultiDict[str, str] | None = None,
                  error: str | None = None) -> str:
    session = db.session()
    decision = decision_queries.get_visible(session, did, current_user.actor)
    return render_template("council/decision_correct.html", d=decision,
                           entries=decision_queries.entries_page(session, did, SHOWN_ENTRIES),
                           corrected_by=decision_queries.corrections(session, decision),
                           form=form, error=error)


def correction_payload(form: MultiDict[str, str], entries: list[DecisionEntry]
                       ) -> dict[str, Any]:
    """Only the entries the secretary changed or dropped."""
    edits = []
    for e in entries:
        before = {"full_name": e.full_name, "position_title": e.position_title or "",
                  "work_unit": e.work_unit or ""}
        after = {key: (form[f"{key}-{e.id}"].strip() if f"{key}-{e.id}" in form else value)
                 for key, value in before.items()}
        dropped = form.get(f"drop-{e.id}") == "on"
        if dropped or after != before:
            edits.append({"entry_id": e.id, "drop": dropped,
                          **{key: value or None for key, value in after.items()}})
    return {"reason": form.get("reason") or "", "entries": edits,
            "signed_on": parse_date(form.get("signed_on"), _("Ngày ký")),
            "signer_name": form.get("signer_name") or ""}


@bp.get("/proposals/<id:pid>/nominees/<id:nid>")
@login_required
def nominee(pid: int, nid: int) -> str:
    session = db.session()
    proposal = queries.get_visible(session, pid, current_user.actor)
    found = next((n for n in proposal.nominees if n.id == nid), None)
    if found is None:
        raise NotFound(_("Hồ sơ không có người được đề nghị số %(n)d", n=nid))
    lines = history.history_of(session, history.nominee_key(found), found.id)
    return render_template("proposals/nominee.html", p=proposal, n=found, lines=lines)
