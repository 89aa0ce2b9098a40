"""Council secretary (and members): the sittings, proposals at the Council and those
awaiting a decision."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from web import db
from web.access import roles_required
from workflow import queries, sittings

bp = Blueprint("council", __name__)


@bp.get("/")
@roles_required("council_secretary", "council_member")
def index() -> str:
    session = db.session()
    groups = {state: queries.list_proposals(session, current_user.actor,
                                            queries.ProposalFilter(state=state))
              for state in ("at_council", "approved", "decided", "rejected")}
    return render_template("council/index.html", groups=groups,
                           sittings=sittings.list_sittings(session, current_user.actor))


from web.council import sessions  # noqa: E402,F401  (registers the sitting pages on bp)
