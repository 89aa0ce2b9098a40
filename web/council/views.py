"""Council secretary (and members): the sittings, proposals at the Council and those
awaiting a decision."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from web import db
from web.access import roles_required
from web.council.blueprint import bp
from workflow.council import sittings
from workflow.proposals import queries


@bp.get("/")
@roles_required("council_secretary", "council_member")
def index() -> str:
    session = db.session()
    groups = {state: queries.list_proposals(session, current_user.actor,
                                            queries.ProposalFilter(state=state))
              for state in ("at_council", "approved", "decided", "rejected")}
    return render_template("council/index.html", groups=groups,
                           sittings=sittings.list_sittings(session, current_user.actor))

