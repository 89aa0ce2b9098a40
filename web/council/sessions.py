"""Council sittings: the list, a new sitting, and the sitting page where the secretary
seats the members, builds the agenda, enters the tallies, finalizes and closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from models import SessionStatus
from models.base import utcnow
from rules.catalogue import load_catalogue
from rules.council import describe
from web import db
from web.access import roles_required
from web.council.blueprint import bp
from web.errors import status_of
from web.forms import expected_version, parse_count, parse_date, parse_id, parse_ids
from web.i18n import error_text
from workflow.council import proceedings as council
from workflow.council import sittings
from workflow.errors import WorkflowError
from workflow.proposals import queries

secretary_only = roles_required("council_secretary")
COUNT_FIELDS = ("yes", "no", "invalid", "written_yes", "written_no")
REQUIRED_COUNTS = ("yes", "no")


@bp.get("/sessions")
@roles_required("council_secretary", "council_member")
def sessions() -> str:
    rows = sittings.list_sittings(db.session(), current_user.actor)
    return render_template("council/sessions.html", sittings=rows)


@bp.get("/sessions/new")
@secretary_only
def new_session() -> str:
    return _new_session_page()


@bp.post("/sessions")
@secretary_only
def create_session() -> Response | tuple[str, int]:
    form = request.form
    try:
        data = council.SittingInput(
            form.get("title", ""), parse_date(form.get("sitting_date"), _("Ngày họp")),
            form.get("place", ""), _ids("present", _("Thành viên dự họp")))
        with db.unit_of_work() as writer:
            sid = council.create(writer, data, current_user.actor, utcnow()).id
    except WorkflowError as exc:  # the same form again, as typed, with why it was refused
        return _new_session_page(form, error_text(exc)), status_of(exc)
    flash(_("Đã tạo phiên họp. Hãy lập chương trình rồi khai mạc."), "success")
    return redirect(url_for("council.session_page", sid=sid))


def _new_session_page(form: MultiDict[str, str] | None = None, error: str | None = None
                      ) -> str:
    return render_template("council/session_new.html", roster=council.roster(db.session()),
                           today=utcnow(), form=form, error=error)


@bp.get("/sessions/<id:sid>")
@roles_required("council_secretary", "council_member")
def session_page(sid: int) -> str:
    return _sitting_page(sid)


def _sitting_page(sid: int, refused: RefusedTally | None = None) -> str:
    """The sitting's page; `refused` puts a refused tally back in its nominee's row."""
    session = db.session()
    sitting = sittings.get(session, sid, current_user.actor)
    manage = current_user.has("council_secretary")
    campaign_id = parse_id(request.args.get("campaign"), "campaign") if manage else None
    award_form = (request.args.get("award_form") or None) if manage else None
    building = manage and sitting.status != SessionStatus.CLOSED
    return render_template(
        "council/session.html", s=sitting, lines=sittings.agenda(sitting), manage=manage,
        present={m.user_id for m in sitting.members if m.present},
        roster=council.roster(session) if manage else [],
        candidates=council.candidates(session, campaign_id, award_form) if building else [],
        campaigns=queries.open_campaigns(session), campaign_id=campaign_id,
        award_form=award_form, award_forms=list(load_catalogue().award_forms),
        describe=describe, english=current_user.language == "en", refused=refused)


@dataclass(frozen=True)
class RefusedTally:
    """A tally the secretary typed that was not saved, and why."""

    nominee_id: int
    values: dict[str, str]
    error: str


def _ids(name: str, label: str) -> frozenset[int]:
    return frozenset(parse_ids(request.form.getlist(name), label))


def _change(sid: int, done: str, change: Callable[[Session], Any], anchor: str = "") -> Response:
    """Run one change of the sitting for the secretary; show the result on its page."""
    try:
        with db.unit_of_work() as writer:
            change(writer)
    except WorkflowError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(done, "success")
    return redirect(url_for("council.session_page", sid=sid) + anchor)


@bp.post("/sessions/<id:sid>/attendance")
@secretary_only
def attendance(sid: int) -> Response:
    return _change(sid, _("Đã cập nhật thành viên dự họp."), lambda w: council.set_attendance(
        w, sid, _ids("present", _("Thành viên dự họp")), current_user.actor, utcnow()),
        "#members")


@bp.post("/sessions/<id:sid>/agenda")
@secretary_only
def add_agenda(sid: int) -> Response:
    return _change(sid, _("Đã đưa hồ sơ vào chương trình."), lambda w: council.add_to_agenda(
        w, sid, _ids("proposal_id", _("Hồ sơ")), current_user.actor, utcnow()), "#agenda")


@bp.post("/sessions/<id:sid>/agenda/<id:pid>/remove")
@secretary_only
def remove_agenda(sid: int, pid: int) -> Response:
    return _change(sid, _("Đã rút hồ sơ khỏi chương trình."),
                   lambda w: council.remove_from_agenda(w, sid, pid, current_user.actor,
                                                        utcnow()), "#agenda")


@bp.post("/sessions/<id:sid>/open")
@secretary_only
def open_session(sid: int) -> Response:
    return _change(sid, _("Phiên họp đã khai mạc; thành viên đã xem được chương trình và hồ sơ."),
                   lambda w: council.open_sitting(w, sid, current_user.actor, utcnow()))


@bp.post("/sessions/<id:sid>/tallies/<id:nid>")
@secretary_only
def record_tally(sid: int, nid: int) -> Response | tuple[str, int]:
    try:
        # Yes and no must be typed; a blank invalid or written count means none.
        counts = {name: parse_count(request.form.get(name), _label(name),
                                    required=name in REQUIRED_COUNTS)
                  for name in COUNT_FIELDS}
        with db.unit_of_work() as writer:
            council.record(writer, sid, nid, council.Count(**counts), current_user.actor,
                           utcnow())
    except WorkflowError as exc:  # the numbers as typed, in their row, not the saved ones
        typed = {name: request.form.get(name, "") for name in COUNT_FIELDS}
        return _sitting_page(sid, RefusedTally(nid, typed, error_text(exc))), status_of(exc)
    flash(_("Đã ghi kết quả bỏ phiếu."), "success")
    return redirect(url_for("council.session_page", sid=sid) + f"#nominee-{nid}")


def _label(name: str) -> str:
    return {"yes": _("Đồng ý"), "no": _("Không đồng ý"), "invalid": _("Phiếu không hợp lệ"),
            "written_yes": _("Ý kiến bằng văn bản đồng ý"),
            "written_no": _("Ý kiến bằng văn bản không đồng ý")}[name]


@bp.post("/sessions/<id:sid>/agenda/<id:pid>/finalize")
@secretary_only
def finalize(sid: int, pid: int) -> Response:
    return _change(sid, _("Đã chốt kết quả của hồ sơ."), lambda w: council.finalize(
        w, sid, pid, current_user.actor, utcnow(),
        expected_version=expected_version(request.form)), "#agenda")


@bp.post("/sessions/<id:sid>/close")
@secretary_only
def close_session(sid: int) -> Response:
    return _change(sid, _("Phiên họp đã kết thúc."),
                   lambda w: council.close(w, sid, current_user.actor, utcnow()))
