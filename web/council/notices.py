"""The Council secretary's public notices: publish a list (after a preview of who it
lists), follow the notices, and resolve the objections filed against them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.access import roles_required
from web.council.blueprint import bp
from web.forms import parse_id
from web.i18n import error_text, vn_date
from workflow.errors import WorkflowError
from workflow.ids import as_id
from workflow.notices import objections
from workflow.notices import publication as notices

secretary_only = roles_required("council_secretary")


@bp.get("/notices")
@secretary_only
def notices_page() -> str:
    session = db.session()
    return render_template("council/notices.html", notices=notices.all_notices(session),
                           open_counts=notices.open_objection_counts(session),
                           rules=notices.notice_rules(session), now=utcnow())


@bp.get("/notices/new")
@secretary_only
def new_notice() -> Response | str:
    session = db.session()
    campaign_id = parse_id(request.args.get("campaign"), "campaign")
    form = request.args.get("award_form", "")
    rule = notices.rule_for(session, campaign_id, form) if campaign_id else None
    if rule is None:
        flash(_("Hãy chọn một phong trào và hình thức khen thưởng có yêu cầu công khai."),
              "warning")
        return redirect(url_for("council.notices_page"))
    listed = notices.candidates(session, rule.campaign_id, rule.award_form_code, rule.stage)
    ends = notices.period_end(rule, utcnow())
    return render_template("council/notice_new.html", rule=rule, listed=listed, ends=ends)


@bp.post("/notices")
@secretary_only
def publish_notice() -> Response:
    try:
        campaign_id = parse_id(request.form.get("campaign_id"), _("Phong trào"))
        with db.unit_of_work() as writer:
            notice = notices.publish(writer, current_user.actor, campaign_id or 0,
                                     request.form.get("award_form", ""), utcnow(),
                                     stage=request.form.get("stage") or None)
            notice_id, ends = notice.id, notice.ends_at
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
        return redirect(url_for("council.notices_page"))
    flash(_("Đã công khai danh sách; thời gian nhận ý kiến đến 17 giờ ngày %(end)s.",
            end=vn_date(ends)), "success")
    return redirect(url_for("council.notice_page", notice_id=notice_id))


@bp.get("/notices/<id:notice_id>")
@secretary_only
def notice_page(notice_id: int) -> str:
    session = db.session()
    notice = notices.get_notice(session, notice_id)
    return render_template("council/notice.html", notice=notice, now=utcnow(),
                           running=notices.is_running(notice, utcnow()),
                           objections=notices.objections_of(session, notice_id))


@bp.post("/objections/<id:objection_id>")
@secretary_only
def resolve_objection(objection_id: int) -> Response:
    resolution = request.form.get("resolution", "")
    try:
        with db.unit_of_work() as writer:
            objection = objections.resolve(writer, objection_id, current_user.actor,
                                           resolution, request.form.get("reason"), utcnow())
            notice_id = objection.notice_id
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
        back = as_id(request.form.get("notice_id"))  # only where to go back to
        return redirect(url_for("council.notice_page", notice_id=back) if back
                        else url_for("council.notices_page"))
    flash(_("Đã chấp nhận ý kiến: người được đề nghị đã được chuyển lại Ban thẩm định.")
          if resolution == "uphold" else _("Đã bác ý kiến."), "success")
    return redirect(url_for("council.notice_page", notice_id=notice_id))

