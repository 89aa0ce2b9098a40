"""Decisions in the JSON API: list, read, issue, correct, and the two exports.

The same permissions as the UI (workflow.decision_queries): staff and the Council see
every decision, a unit clerk those listing their unit's nominees; only the Council
secretary issues or corrects (the workflow refuses anyone else with 403).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from flask import request, send_file, url_for
from pydantic import Field
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models import Decision, DecisionEntry
from web import db
from web.api import schemas as s
from web.api.blueprint import bp, id_for_code, json_body, reply, signed_in_actor, writing
from web.api.openapi import Param, route
from workflow.decisions import exports
from workflow.decisions import issuing as decisions
from workflow.decisions import queries as decision_queries
from workflow.ids import Id
from workflow.proposals import queries

LIST_LIMIT = 100
NOMINEES_IN_LIST = 100  # per decision in the list; GET /decisions/{id} has them all
Text = Annotated[str, Field(max_length=255)]


class DecisionEntryOut(s.Out):
    id: int  # the entry_id a correction names
    position: int
    kind: str
    full_name: str
    position_title: str | None
    work_unit: str | None
    unit_name: str
    award_form: str
    achievement_summary: str | None
    nominee_id: int | None
    proposal_id: int | None


class DecisionLinks(s.Out):
    self_: str = Field(alias="self")
    excel: str
    word: str
    html: str


class DecisionSummary(s.Out):
    id: int
    number: str
    signed_on: date
    title: str
    campaign: s.CampaignRef
    award_form: str | None
    signer_name: str
    signer_title: str
    corrects_id: int | None
    correction_reason: str | None
    corrected_by_id: int | None
    nominee_count: int
    nominees: list[DecisionEntryOut]
    links: DecisionLinks


class DecisionDetail(DecisionSummary):
    legal_bases: list[str]
    proposal_ids: list[int]


class DecisionList(s.Out):
    decisions: list[DecisionSummary]
    count: int
    truncated: bool


class IssueDecisionBody(s.Body):
    campaign: Annotated[str, Field(min_length=1, max_length=40, description="Campaign code")]
    proposal_ids: Annotated[list[Id], Field(min_length=1, max_length=500,
                                             description="Approved proposals to include")]
    award_form: Annotated[str | None, Field(max_length=40, description=(
        "Only the passed nominees with this award form (code); all of them if omitted"))] = None
    signed_on: date
    signer_name: Annotated[str, Field(min_length=1, max_length=255)]


class EntryCorrectionBody(s.Body):
    entry_id: Id
    full_name: Text | None = None
    position_title: Text | None = None
    work_unit: Text | None = None
    drop: bool = False


class CorrectDecisionBody(s.Body):
    reason: Annotated[str, Field(min_length=3, max_length=4000)]
    signed_on: date
    signer_name: Annotated[str, Field(min_length=1, max_length=255)]
    entries: Annotated[list[EntryCorrectionBody], Field(description=(
        "The entries to change (name, position, unit) or drop; the rest are kept as they "
        "are"))] = Field(default_factory=list)


def _entry(e: DecisionEntry) -> DecisionEntryOut:
    return DecisionEntryOut(
        id=e.id, position=e.position, kind=e.kind, full_name=e.full_name,
        position_title=e.position_title, work_unit=e.work_unit, unit_name=e.unit_name,
        award_form=e.award_form_code, achievement_summary=e.achievement_summary,
        nominee_id=e.nominee_id, proposal_id=e.proposal_id)


def _summary(session: Session, d: Decision, count: int, limit: int | None
             ) -> dict[str, object]:
    later = decision_queries.corrections(session, d)
    return dict(
        id=d.id, number=d.number, signed_on=d.signed_on, title=d.title,
        campaign=s.CampaignRef(id=d.campaign.id, code=d.campaign.code, title=d.campaign.title),
        award_form=d.award_form_code, signer_name=d.signer_name, signer_title=d.signer_title,
        corrects_id=d.corrects_id, correction_reason=d.correction_reason,
        corrected_by_id=later.id if later else None, nominee_count=count,
        nominees=[_entry(e) for e in decision_queries.entries_page(
            session, d.id, limit if limit is not None else max(count, 1))],
        links=DecisionLinks(**{
            "self": url_for("api.get_decision", did=d.id),
            "excel": url_for("api.decision_list_xlsx", did=d.id),
            "word": url_for("api.decision_word_docx", did=d.id),
            "html": url_for("decisions.detail", did=d.id)}))


def _detail(did: int) -> DecisionDetail:
    session = db.session()
    d = decision_queries.get_visible(session, did, signed_in_actor())
    count = decision_queries.entry_counts(session, [did]).get(did, 0)
    return DecisionDetail(**_summary(session, d, count, None), legal_bases=list(d.legal_bases),
                          proposal_ids=sorted({e.proposal_id for e in d.entries
                                               if e.proposal_id}))


@route(bp, "/decisions", "GET", summary="Decisions you may see, latest first, with their "
       "nominees and links to the Excel list and Word draft", tag="decisions",
       response=DecisionList, errors=(400,),
       params=(Param("campaign", "Only this campaign (code)"),))
def list_decisions() -> tuple[Response, int]:
    session = db.session()
    campaign_id = id_for_code("campaign", request.args.get("campaign"),
                         queries.open_campaigns(session))
    rows = decision_queries.list_visible(session, signed_in_actor(), campaign_id, LIST_LIMIT + 1)
    counts = decision_queries.entry_counts(session, [d.id for d in rows])
    shown = rows[:LIST_LIMIT]
    return reply(DecisionList(
        decisions=[DecisionSummary(**_summary(session, d, counts.get(d.id, 0),
                                              NOMINEES_IN_LIST)) for d in shown],
        count=len(shown), truncated=len(rows) > LIST_LIMIT))


@route(bp, "/decisions/<id:did>", "GET", summary="One decision with its whole attached list",
       tag="decisions", response=DecisionDetail, errors=(404,))
def get_decision(did: int) -> tuple[Response, int]:
    return reply(_detail(did))


@route(bp, "/decisions", "POST", summary="Issue a numbered decision (Council secretary)",
       tag="decisions", response=DecisionDetail, status=201, body=IssueDecisionBody,
       errors=(400, 403, 409), description=(
           "Numbers the decision (per issuing body and year, gap-free), lists the passed "
           "nominees of the given approved proposals, records their achievement history, "
           "and moves each proposal whose passed nominees are now all in decisions to "
           "`decided`."))
def create_decision() -> tuple[Response, int]:
    data = json_body(IssueDecisionBody)
    session = db.session()
    campaign_id = id_for_code("campaign", data.campaign, queries.open_campaigns(session))
    with writing() as writer:
        did = decisions.issue(writer, signed_in_actor(), {
            **data.model_dump(exclude={"campaign"}), "campaign_id": campaign_id}).id
    return reply(_detail(did), 201, Location=url_for("api.get_decision", did=did))


@route(bp, "/decisions/<id:did>/corrections", "POST", summary="Issue a decision correcting "
       "this one (Council secretary)", tag="decisions", response=DecisionDetail, status=201,
       body=CorrectDecisionBody, errors=(400, 403, 404))
def correct_decision(did: int) -> tuple[Response, int]:
    decision_queries.get_visible(db.session(), did, signed_in_actor())
    data = json_body(CorrectDecisionBody)
    with writing() as writer:
        new_id = decisions.correct(writer, signed_in_actor(), did, data.model_dump()).id
    return reply(_detail(new_id), 201, Location=url_for("api.get_decision", did=new_id))


@route(bp, "/decisions/<id:did>/list.xlsx", "GET", summary="The attached list (Excel)",
       tag="decisions", response=None, errors=(404,))
def decision_list_xlsx(did: int) -> Response:
    session = db.session()
    d = decision_queries.get_visible(session, did, signed_in_actor())
    return send_file(exports.list_file(session, d), mimetype=exports.XLSX_TYPE,
                     as_attachment=True, download_name=f"{exports.file_stem(d)}-danh-sach.xlsx")


@route(bp, "/decisions/<id:did>/decision.docx", "GET", summary="The decision as a Word draft",
       tag="decisions", response=None, errors=(404,))
def decision_word_docx(did: int) -> Response:
    session = db.session()
    d = decision_queries.get_visible(session, did, signed_in_actor())
    return send_file(exports.word_file(session, d), mimetype=exports.DOCX_TYPE,
                     as_attachment=True, download_name=f"{exports.file_stem(d)}.docx")


