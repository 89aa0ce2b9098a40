"""The public notices (công khai): the lists running now, and an objection form on each.
No login: the page is for the people of the province."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from models.base import utcnow
from web import db
from web.forms import parse_id
from web.i18n import error_text
from workflow.errors import InvalidInput, NotFound, WorkflowError
from workflow.notices import objections
from workflow.notices import publication as notices

bp = Blueprint("public", __name__)
FIELDS = ("nominee_id", "filer_name", "filer_contact", "text")


@bp.get("/cong-khai")
def index() -> str:
    return render_template("public/index.html",
                           notices=notices.current_notices(db.session(), utcnow()))


@bp.get("/cong-khai/<id:notice_id>")
def notice(notice_id: int) -> str:
    return _page(notice_id, {}, [])


@bp.post("/cong-khai/<id:notice_id>")
def object_to(notice_id: int) -> Response | tuple[str, int]:
    typed = {name: request.form.get(name, "") for name in FIELDS}
    try:
        nominee_id = parse_id(typed["nominee_id"], _("Người được đề nghị"))
        if nominee_id is None:
            raise InvalidInput(_("Hãy chọn cá nhân, tập thể mà bạn có ý kiến"))
        form = objections.ObjectionForm(typed["filer_name"], typed["filer_contact"],
                                        typed["text"])
        with db.unit_of_work() as writer:
            filed = objections.file_objection(writer, notice_id, nominee_id, form, utcnow(),
                                                address=request.remote_addr or "")
            number, name = filed.id, filed.nominee.full_name
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        return _page(notice_id, typed, list(exc.details.get("errors") or [error_text(exc)])), 400
    except WorkflowError as exc:
        return _page(notice_id, typed, [error_text(exc)]), 409
    flash(_("Đã nhận ý kiến số %(number)d của bạn về %(name)s. Thư ký Hội đồng Thi đua – "
            "Khen thưởng sẽ xem xét và giải quyết trước khi Hội đồng xét hoặc ban hành "
            "quyết định.", number=number, name=name), "success")
    return redirect(url_for("public.notice", notice_id=notice_id))


def _page(notice_id: int, typed: dict[str, str], errors: list[str]) -> str:
    """A notice running now; an ended or unknown one is not shown."""
    session, now = db.session(), utcnow()
    found = notices.get_visible(session, notice_id, objections.PUBLIC, now)
    return render_template("public/notice.html", notice=found, typed=typed, errors=errors,
                           running=notices.is_running(found, now), limits=objections.LIMITS)
