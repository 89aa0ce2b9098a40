"""A proposal's page (dossier, findings, timeline, diagram, actions) and its action posts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models import CouncilSession, Proposal, SessionStatus
from models.base import utcnow
from rules.catalogue import load_catalogue
from web import db
from web.diagram import workflow_svg
from web.forms import action_payload, expected_version, page_number
from web.i18n import error_text, violation_text
from web.labels import ACTIONS
from web.page_cache import cached_page
from workflow.accounts.substitutes import acting_for
from workflow.actors import Actor
from workflow.campaigns.rulesets import compiled
from workflow.council import sittings
from workflow.deadlines.tracking import due_info, upcoming_steps
from workflow.decisions import queries as decision_queries
from workflow.errors import ConflictError, RuleViolation, WorkflowError
from workflow.machine import EDITABLE_STATES
from workflow.proposals import queries
from workflow.proposals.service import act, allowed_actions

bp = Blueprint("proposals", __name__, url_prefix="/proposals")


@bp.get("/")
@login_required
def index() -> str:
    filters = queries.ProposalFilter(state=request.args.get("state") or None,
                                     search=request.args.get("q") or None)
    page = queries.proposals_page(db.session(), current_user.actor, filters,
                                  page_number(request.args.get("page")))
    return render_template("proposals/index.html", page=page, filters=filters)


@bp.get("/<id:pid>")
@login_required
@cached_page
def detail(pid: int) -> str:
    session = db.session()
    proposal = queries.get_visible(session, pid, current_user.actor)
    whole = request.args.get("timeline") == "all"
    events = queries.timeline_lines(session, pid, None if whole else queries.TIMELINE_SHOWN)
    now = utcnow()
    names = queries.user_names(session, {e.on_behalf_of_id for e in events if e.on_behalf_of_id})
    return render_template(
        "proposals/detail.html", p=proposal, events=events, on_behalf=names,
        events_total=events[0].total if events else 0,
        findings=queries.findings_for(session, proposal, now),
        actions=allowed_actions(proposal, acting_actor(session, proposal, now)[0]),
        rules=compiled(proposal.ruleset_version).rules, catalogue=load_catalogue(),
        reviewers=queries.reviewers(session), diagram=Markup(workflow_svg(proposal.state)),
        can_edit=_can_edit(proposal), due=due_info(session, proposal, now),
        upcoming=upcoming_steps(session, pid), sitting=_live_sitting(session, proposal),
        decisions=decision_queries.of_proposal(session, pid, current_user.actor))


def _live_sitting(session: Session, proposal: Proposal) -> CouncilSession | None:
    """The sitting not yet closed whose agenda holds the proposal, still to be voted."""
    if proposal.state != "at_council":
        return None
    sitting = sittings.sitting_of(session, proposal.id)
    if sitting is None or sitting.status == SessionStatus.CLOSED:
        return None
    return sitting


def acting_actor(session: Session, proposal: Proposal, now: datetime
                 ) -> tuple[Actor, int | None]:
    """The current user, or the current user standing in for the proposal's assignee while
    the assignee is away (then the audit trail records both names)."""
    return acting_for(session, current_user.actor, proposal.assignee_id, now)


def _can_edit(proposal: Proposal) -> bool:
    return (current_user.has("unit_clerk") and current_user.unit_id == proposal.unit_id
            and proposal.state in EDITABLE_STATES)


@bp.post("/<id:pid>/actions/<trigger>")
@login_required
def action(pid: int, trigger: str) -> Response:
    proposal = queries.get_visible(db.session(), pid, current_user.actor)
    try:
        payload = action_payload(trigger, request.form, proposal)
        principal = acting_actor(db.session(), proposal, utcnow())[1]
        with db.unit_of_work() as writer:
            act(writer, pid, trigger, current_user.actor, on_behalf_of_id=principal,
                expected_version=expected_version(request.form), **payload)
    except ConflictError:
        flash(_("Hồ sơ vừa được người khác thay đổi trong lúc bạn thao tác. Trang đã được tải "
                "lại với trạng thái mới nhất; vui lòng xem lại rồi thực hiện lại nếu cần."),
              "warning")
    except RuleViolation as exc:
        flash(violation_text(exc), "danger")
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(_("Đã thực hiện: %(action)s.", action=ACTIONS.get(trigger, trigger)), "success")
    return redirect(url_for("proposals.detail", pid=pid))


@bp.get("/<id:pid>/documents/<id:doc_id>")
@login_required
def document(pid: int, doc_id: int) -> Response:
    proposal = queries.get_visible(db.session(), pid, current_user.actor)
    doc = next((d for d in proposal.documents if d.id == doc_id), None)
    if doc is None:
        abort(404)


    path = Path(current_app.config["STORAGE_DIR"]) / doc.storage_path
    if not path.is_file():
        abort(404)
    return send_file(path.resolve(), mimetype=doc.content_type or "application/octet-stream",
                     as_attachment=True, download_name=doc.file_name)
