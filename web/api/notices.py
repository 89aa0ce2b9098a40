"""Public notices (công khai) and their objections in the JSON API. Same permissions as
the UI (workflow.notices, workflow.objections): anyone signed in reads the notices running
now and files an objection, as anyone may on the public page; the Council secretary reads
every notice with its objections, publishes and resolves (the workflow refuses anyone
else with 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask import request, url_for
from pydantic import Field
from werkzeug.wrappers import Response

from models import Notice, Objection, ObjectionStatus
from models.base import utcnow
from web import db
from web.api.blueprint import bp, json_body, reply, signed_in_actor, writing
from web.api.openapi import route
from web.api.schemas import Body, CampaignRef, Out
from workflow.ids import MAX_ID
from workflow.notices import objections
from workflow.notices import publication as notices

Stage = Literal["before_council", "before_decision"]


def _limits(name: str) -> str:
    low, high = objections.LIMITS[name]
    return f"{low}–{high} characters of plain text (control characters are dropped)"


class PublishNoticeBody(Body):
    campaign_id: Annotated[int, Field(ge=1, le=MAX_ID, description="The campaign (its id)")]
    award_form: Annotated[str, Field(min_length=1, max_length=40, description=(
        "The award form (code) whose rule asks for a public notice"))]
    stage: Annotated[Stage | None, Field(description=(
        "When the rule asks for the notice; refused if it is not the rule's stage. "
        "The rule's own if omitted"))] = None


class ObjectionBody(Body):
    # Upper bounds here, so an oversized body stops at parsing; the lower ones are left to
    # objections.clean(), whose refusal names each field in the reader's language.
    nominee_id: Annotated[int, Field(ge=1, le=MAX_ID,
                                     description="A nominee listed on the notice")]
    filer_name: Annotated[str, Field(max_length=objections.LIMITS["filer_name"][1],
                                     description=_limits("filer_name"))]
    filer_contact: Annotated[str, Field(max_length=objections.LIMITS["filer_contact"][1],
                                        description="Phone, e-mail or address: "
                                        + _limits("filer_contact"))]
    text: Annotated[str, Field(max_length=objections.LIMITS["text"][1],
                               description=_limits("text"))]


class ResolveObjectionBody(Body):
    resolution: Literal["uphold", "dismiss"] = Field(description=(
        "`uphold` sends the nominee back to the Board; `dismiss` needs a reason"))
    reason: Annotated[str | None, Field(description="Required to dismiss (at least 3 "
                                               "characters); at most 4000")] = None


class NoticeEntryOut(Out):
    nominee_id: int
    full_name: str
    kind: Literal["individual", "collective", "household"]
    position_title: str | None
    unit_name: str
    award_form: str


class ObjectionOut(Out):
    id: int
    notice_id: int
    nominee_id: int
    nominee_name: str
    filed_at: datetime
    filer_name: str
    filer_contact: str
    text: str
    status: Literal["open", "upheld", "dismissed", "settled"]
    resolution: str | None
    resolved_at: datetime | None


class NoticeSummary(Out):
    id: int
    title: str
    campaign: CampaignRef
    award_form: str
    stage: Stage
    starts_at: datetime
    ends_at: datetime = Field(description="Objections are taken until then (17:00 Vietnam "
                                          "time on the last working day)")
    working_days: int
    running: bool
    entry_count: int | None  # None once the list is no longer shown to the caller
    open_objections: int | None = Field(description="The Council secretary only; else null")


class NoticeDetail(NoticeSummary):
    entries: list[NoticeEntryOut] = Field(description=(
        "Who is listed: shown while the notice runs (to the secretary always)"))
    objections: list[ObjectionOut] | None = Field(description=(
        "Every objection filed: the Council secretary only; else null"))


class NoticeList(Out):
    notices: list[NoticeSummary]


def _summary(n: Notice, now: datetime, open_counts: dict[int, int] | None, shown: bool
             ) -> dict[str, object]:
    return {"id": n.id, "title": n.title,
            "campaign": CampaignRef(id=n.campaign.id, code=n.campaign.code,
                                    title=n.campaign.title),
            "award_form": n.award_form_code, "stage": n.stage.value, "starts_at": n.starts_at,
            "ends_at": n.ends_at, "working_days": n.working_days,
            "running": notices.is_running(n, now),
            "entry_count": len(n.entries) if shown else None,
            "open_objections": None if open_counts is None else open_counts.get(n.id, 0)}


def _objection(o: Objection) -> ObjectionOut:
    return ObjectionOut(id=o.id, notice_id=o.notice_id, nominee_id=o.nominee_id,
                        nominee_name=o.nominee.full_name, filed_at=o.filed_at,
                        filer_name=o.filer_name, filer_contact=o.filer_contact, text=o.text,
                        status=o.status.value, resolution=o.resolution,
                        resolved_at=o.resolved_at)


def _detail(notice_id: int) -> NoticeDetail:
    session, actor, now = db.session(), signed_in_actor(), utcnow()
    n = notices.get_visible(session, notice_id, actor, now)
    secretary = notices.is_secretary(actor)
    shown = notices.shows_entries(n, actor, now)
    entries = [NoticeEntryOut(nominee_id=e.nominee_id, full_name=e.full_name,
                              kind=e.nominee.kind.value, position_title=e.position_title,
                              unit_name=e.unit_name, award_form=n.award_form_code)
               for e in (n.entries if shown else [])]
    if not secretary:
        return NoticeDetail(**_summary(n, now, None, shown), entries=entries, objections=None)
    found = notices.objections_of(session, n.id)
    still_open = sum(o.status is ObjectionStatus.OPEN for o in found)
    return NoticeDetail(**_summary(n, now, {n.id: still_open}, shown), entries=entries,
                        objections=[_objection(o) for o in found])


@route(bp, "/notices", "GET", summary="Public notices you may see, latest first: those "
       "running now (the Council secretary: every one)", tag="notices", response=NoticeList)
def list_notices() -> tuple[Response, int]:
    session, actor, now = db.session(), signed_in_actor(), utcnow()
    rows = notices.visible_notices(session, actor, now)
    counts = notices.open_objection_counts(session) if notices.is_secretary(actor) else None
    return reply(NoticeList(notices=[
        NoticeSummary(**_summary(n, now, counts, notices.shows_entries(n, actor, now)))
        for n in rows]))


@route(bp, "/notices/<id:notice_id>", "GET", summary="One notice with who it lists (and, "
       "for the Council secretary, its objections)", tag="notices", response=NoticeDetail,
       errors=(404,), description=(
           "A notice that has not begun is 404 but to the Council secretary; once it has "
           "ended its list is no longer shown (`entries` is empty), as on the public page."))
def get_notice(notice_id: int) -> tuple[Response, int]:
    return reply(_detail(notice_id))


@route(bp, "/notices", "POST", summary="Publish a notice (Council secretary)", tag="notices",
       response=NoticeDetail, status=201, body=PublishNoticeBody, errors=(400, 403),
       description=(
           "Lists the award form's nominees not yet on a notice of the rule's stage (those "
           "of proposals at the Council, or the passed ones of approved proposals) for the "
           "rule's working days from now. Refused with 400 when the campaign's rule asks "
           "for no notice of this form or nobody is left to list."))
def publish_notice() -> tuple[Response, int]:
    data = json_body(PublishNoticeBody)
    with writing() as writer:
        notice_id = notices.publish(writer, signed_in_actor(), data.campaign_id, data.award_form,
                                    utcnow(), stage=data.stage).id
    return reply(_detail(notice_id), 201,
                  Location=url_for("api.get_notice", notice_id=notice_id))


@route(bp, "/notices/<id:notice_id>/objections", "POST", summary="Object to a nominee on a "
       "running notice", tag="notices", response=ObjectionOut, status=201, body=ObjectionBody,
       errors=(400, 404, 409), description=(
           "As anyone may on the public page, and with its limits: 409 once the notice has "
           "ended, when an earlier objection about the nominee was upheld, or past "
           f"{objections.OBJECTIONS_PER_DAY} objections a day from one client address."))
def file_objection(notice_id: int) -> tuple[Response, int]:
    notices.get_visible(db.session(), notice_id, signed_in_actor(), utcnow())  # 404 as on the page
    data = json_body(ObjectionBody)
    form = objections.ObjectionForm(data.filer_name, data.filer_contact, data.text)
    with writing() as writer:
        filed = _objection(objections.file_objection(
            writer, notice_id, data.nominee_id, form, utcnow(),
            address=request.remote_addr or "", filed_by=signed_in_actor()))
    return reply(filed, 201)


@route(bp, "/objections/<id:objection_id>/resolve", "POST", summary="Uphold or dismiss an "
       "objection (Council secretary)", tag="notices", response=NoticeDetail,
       body=ResolveObjectionBody, errors=(400, 403, 404, 409), description=(
           "`dismiss` needs a reason. `uphold` sends the nominee back to the Board: alone, "
           "in a proposal split off its own, when others remain in it; else with the whole "
           "proposal. 409 when the objection is no longer open. Returns the notice."))
def resolve_objection(objection_id: int) -> tuple[Response, int]:
    data = json_body(ResolveObjectionBody)
    with writing() as writer:
        notice_id = objections.resolve(writer, objection_id, signed_in_actor(), data.resolution,
                                       data.reason, utcnow()).notice_id
    return reply(_detail(notice_id))
