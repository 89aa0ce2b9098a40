"""Board reviewers and the board head: the review queue, filters, bulk claim/forward."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.access import roles_required
from web.forms import page_number, parse_id, parse_ids
from web.labels import STATES
from web.page_cache import cached_page
from workflow.proposals import queries
from workflow.proposals.bulk import BULK_TRIGGERS, bulk_act

bp = Blueprint("review", __name__)
board_only = roles_required("board_reviewer", "board_head")
QUEUE_STATES = ("submitted", "under_review", "returned", "at_council")


@bp.get("/")
@board_only
@cached_page
def queue() -> str:
    session = db.session()
    state = request.args.get("state") or None
    filters = queries.ProposalFilter(
        campaign_id=_arg_id("campaign"), unit_id=_arg_id("unit"),  # links from before the box
        state=state if state in STATES else None,
        assignee_id=current_user.id if request.args.get("mine") else None,
        search=_arg_text("q"), unit_search=_arg_text("unit_q"))
    overdue = bool(request.args.get("overdue"))
    page = queries.review_queue(session, current_user.actor, filters, utcnow(), QUEUE_STATES,
                                overdue_only=overdue, page=page_number(request.args.get("page")))
    return render_template("review/queue.html", page=page, filters=filters, overdue=overdue,
                           campaigns=queries.open_campaigns(session), states=STATES,
                           queue_states=QUEUE_STATES)


def _arg_text(name: str) -> str | None:
    return (request.args.get(name) or "").strip() or None


def _arg_id(name: str) -> int | None:
    return parse_id(request.args.get(name), name)


@bp.post("/bulk")
@board_only
def bulk() -> Response | str:
    trigger = request.form.get("trigger", "")
    ids = parse_ids(request.form.getlist("ids"), _("Hồ sơ"))
    if trigger not in BULK_TRIGGERS or not ids:
        flash(_("Hãy chọn ít nhất một hồ sơ và một thao tác."), "warning")
        return redirect(url_for("review.queue"))
    results = bulk_act(db.unit_of_work, ids, trigger, current_user.actor)
    return render_template("review/bulk_result.html", results=results, trigger=trigger)
