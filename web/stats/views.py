"""Statistics pages: choose a campaign, see its tables and charts, download each table
as Excel. What the reader may see (all units, or their own) is the workflow's to say."""

from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.access import roles_required
from web.forms import parse_id
from web.stats import excel, figures, present
from workflow.proposals import queries
from workflow.reports.statistics import STAFF, VIEWERS, campaign_counts, campaign_statistics

bp = Blueprint("stats", __name__)
READERS = tuple(sorted(VIEWERS))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@roles_required(*READERS)
def index() -> str:
    rows = campaign_counts(db.session(), current_user.actor)
    return render_template("stats/index.html", campaigns=rows)


@bp.get("/<code>")
@roles_required(*READERS)
def campaign(code: str) -> str:
    session = db.session()
    unit = parse_id(request.args.get("unit"), "unit")
    stats = campaign_statistics(session, current_user.actor, code, utcnow(), unit_id=unit)
    staff = bool(current_user.roles & STAFF)
    return render_template(
        "stats/campaign.html", stats=stats, present=present, chart=figures.chart,
        units=queries.units(session) if staff else [], staff=staff)


@bp.get("/<code>/<table>.xlsx")
@roles_required(*READERS)
def download(code: str, table: str) -> Response:
    unit = parse_id(request.args.get("unit"), "unit")
    stats = campaign_statistics(db.session(), current_user.actor, code, utcnow(),
                                unit_id=unit)
    data = excel.workbook(stats.table(table))
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"thong-ke-{stats.campaign_code}-{table}.xlsx")
