"""The JSON API under /api/v1: the web UI's actions, with the same permissions.

Each view parses its input, calls the one service function and returns JSON; the rules
live in `workflow/`. A proposal the caller may not see is 404 on every endpoint, before
anything else is looked at. Errors are JSON (see `web.errors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models import Proposal
from models.base import utcnow
from web import db
from web.api import auth, serialize
from web.api import schemas as s
from web.api.blueprint import (
    bp,
    id_for_code,
    json_body,
    parse_version,
    reply,
    signed_in_actor,
    writing,
)
from web.api.openapi import Param, document, route
from web.errors import error_response
from workflow import machine
from workflow.accounts import substitutes
from workflow.actors import Actor
from workflow.documents.uploads import content_type
from workflow.errors import InvalidInput, NotFound
from workflow.filing import dossier, idempotency
from workflow.proposals import queries
from workflow.proposals.service import act

LIST_LIMIT = 200
PROPOSAL_ERRORS = (400, 403, 404, 409)
VERSION_PARAM = Param("expected_version", "The proposal's version as last read",
                      {"type": "integer", "minimum": 1}, required=True)


def _visible(pid: int) -> Proposal:
    return queries.get_visible(db.session(), pid, signed_in_actor())


def _acting(proposal: Proposal) -> tuple[Actor, int | None]:
    """The caller, or the caller standing in for the proposal's absent assignee (as on the
    proposal page)."""
    return substitutes.acting_for(db.session(), signed_in_actor(), proposal.assignee_id, utcnow())


def _detail(pid: int) -> s.ProposalDetail:
    proposal = _visible(pid)
    return serialize.detail(db.session(), proposal, _acting(proposal)[0])


# --- reads ------------------------------------------------------------------------------


@route(bp, "/openapi.json", "GET", summary="This OpenAPI document", tag="meta",
       response=None, public=True)
def openapi_document() -> Response:
    return jsonify(document(current_app.config.get("SESSION_COOKIE_NAME", "session")))


@route(bp, "/me", "GET", summary="The calling user", tag="meta", response=s.MeOut)
def me() -> tuple[Response, int]:
    token = auth.by_token()
    return reply(s.MeOut(
        id=current_user.id, username=current_user.username, full_name=current_user.full_name,
        roles=sorted(current_user.roles), unit_id=current_user.unit_id,
        unit_name=current_user.unit_name, language=current_user.language,
        auth="token" if token else "session", csrf_token=None if token else generate_csrf()))


@route(bp, "/campaigns", "GET", summary="Campaigns open for proposals, with their rules",
       tag="campaigns", response=s.CampaignList)
def list_campaigns() -> tuple[Response, int]:
    return reply(serialize.campaigns(queries.open_campaigns(db.session())))


@route(bp, "/proposals", "GET", summary="Proposals you may see, newest first", tag="proposals",
       response=s.ProposalList, errors=(400,), params=(
           Param("state", "Only this state", {"type": "string", "enum": list(machine.STATES)}),
           Param("campaign", "Only this campaign (code)"),
           Param("unit", "Only this unit (code)"),
           Param("q", "Title or reference contains", {"type": "string", "maxLength": 100})))
def list_proposals() -> tuple[Response, int]:
    session = db.session()
    rows = queries.list_proposals(session, signed_in_actor(), _filters(session),
                                  limit=LIST_LIMIT + 1)
    return reply(s.ProposalList(proposals=[serialize.summary(p) for p in rows[:LIST_LIMIT]],
                                 count=min(len(rows), LIST_LIMIT),
                                 truncated=len(rows) > LIST_LIMIT))


def _filters(session: Session) -> queries.ProposalFilter:
    args = request.args
    state, search = args.get("state") or None, args.get("q") or None
    if state is not None and state not in machine.STATES:
        raise InvalidInput(_("state: trạng thái không tồn tại “%(v)s”", v=state[:40]),
                           errors=[f"state: one of {', '.join(machine.STATES)}"])
    if search is not None and len(search) > 100:
        raise InvalidInput(_("q: tối đa 100 ký tự"), errors=["q: at most 100 characters"])
    campaign_id = id_for_code("campaign", args.get("campaign"), queries.open_campaigns(session))
    unit_id = id_for_code("unit", args.get("unit"), queries.units(session))
    return queries.ProposalFilter(campaign_id=campaign_id, state=state, unit_id=unit_id,
                                  search=search)



@route(bp, "/proposals/<id:pid>", "GET", summary="One proposal: dossier, findings, "
       "allowed actions", tag="proposals", response=s.ProposalDetail, errors=(404,))
def get_proposal(pid: int) -> tuple[Response, int]:
    return reply(_detail(pid))


@route(bp, "/proposals/<id:pid>/events", "GET", summary="The proposal's audit trail",
       tag="proposals", response=s.EventList, errors=(404,))
def list_events(pid: int) -> tuple[Response, int]:
    _visible(pid)
    session = db.session()
    return reply(serialize.events(session, queries.timeline(session, pid)))


# --- dossier writes -----------------------------------------------------------------------


@route(bp, "/proposals", "POST", summary="Create a draft (unit clerks)", tag="dossier",
       response=s.ProposalDetail, status=201, body=s.CreateProposalBody, errors=(400, 403),
       params=(Param("Idempotency-Key", "Any unique string (e.g. a UUID). A retry with the "
                     "same key and body returns the draft the first request created, with "
                     "`Idempotent-Replayed: true`, instead of creating another: so a request "
                     "that got no answer, or a 503 with `outcome` `unknown`, is sent again "
                     "as it was to learn its outcome",
                     {"type": "string", "minLength": 1, "maxLength": 100}, where="header"),))
def create_proposal() -> tuple[Response, int]:
    data = json_body(s.CreateProposalBody)
    try:
        pid, first, status = idempotency.create_proposal_retrying(
            db.unit_of_work, signed_in_actor(), data.campaign, data.title,
            request.headers.get("Idempotency-Key"))
    except NotFound as exc:  # an unknown campaign is bad input here, not a missing page
        raise InvalidInput(exc.template, params=exc.params,
                           errors=["campaign: unknown code"]) from None
    headers = {"Location": url_for("api.get_proposal", pid=pid)}
    if not first:
        headers["Idempotent-Replayed"] = "true"
    return reply(_detail(pid), status, **headers)


@route(bp, "/proposals/<id:pid>", "PATCH", summary="Rename a draft", tag="dossier",
       response=s.ProposalDetail, body=s.UpdateProposalBody, errors=PROPOSAL_ERRORS)
def update_proposal(pid: int) -> tuple[Response, int]:
    _visible(pid)
    data = json_body(s.UpdateProposalBody)
    with writing() as writer:
        dossier.rename(writer, pid, signed_in_actor(), data.title,
                       expected_version=data.expected_version)
    return reply(_detail(pid))


@route(bp, "/proposals/<id:pid>/nominees", "POST", summary="Add a nominee", tag="dossier",
       response=s.NomineeResult, status=201, body=s.NomineeBody, errors=PROPOSAL_ERRORS)
def add_nominee(pid: int) -> tuple[Response, int]:
    _visible(pid)
    data = json_body(s.NomineeBody)
    with writing() as writer:
        nid = dossier.add_nominee(writer, pid, signed_in_actor(), _nominee(data),
                                  expected_version=data.expected_version).id
    return reply(_nominee_result(pid, nid), 201)


@route(bp, "/proposals/<id:pid>/nominees/<id:nid>", "PUT", summary="Replace a nominee",
       tag="dossier", response=s.NomineeResult, body=s.NomineeBody, errors=PROPOSAL_ERRORS)
def update_nominee(pid: int, nid: int) -> tuple[Response, int]:
    _visible(pid)
    data = json_body(s.NomineeBody)
    with writing() as writer:
        dossier.update_nominee(writer, pid, nid, signed_in_actor(), _nominee(data),
                               expected_version=data.expected_version)
    return reply(_nominee_result(pid, nid))


def _nominee(data: s.NomineeBody) -> dict[str, Any]:
    return data.model_dump(exclude={"expected_version"})


def _nominee_result(pid: int, nid: int) -> s.NomineeResult:
    proposal = _detail(pid)
    found = next(n for n in proposal.nominees if n.id == nid)
    return s.NomineeResult(nominee=found, proposal=proposal)


@route(bp, "/proposals/<id:pid>/nominees/<id:nid>", "DELETE", summary="Remove a nominee",
       tag="dossier", response=s.ProposalDetail, params=(VERSION_PARAM,),
       errors=PROPOSAL_ERRORS)
def remove_nominee(pid: int, nid: int) -> tuple[Response, int]:
    _visible(pid)
    version = parse_version(request.args.get("expected_version"))
    with writing() as writer:
        dossier.remove_nominee(writer, pid, nid, signed_in_actor(), expected_version=version)
    return reply(_detail(pid))


UPLOAD_FORM = {
    "type": "object", "required": ["doc_type", "file", "expected_version"],
    "properties": {
        "doc_type": {"type": "string", "description": "Document type code (GET /campaigns)"},
        "file": {"type": "string", "format": "binary", "description": "PDF, PNG, JPG, DOC(X), "
                 "XLS(X) or ODT; its content must match its extension"},
        "expected_version": {"type": "integer", "minimum": 1}}}


@route(bp, "/proposals/<id:pid>/documents", "POST", summary="Upload a document",
       tag="dossier", response=s.DocumentResult, status=201, multipart=UPLOAD_FORM,
       errors=(*PROPOSAL_ERRORS, 413))
def upload_document(pid: int) -> tuple[Response | str, int]:
    _visible(pid)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput(_("file: thiếu tệp tải lên (multipart/form-data)"),
                           errors=["file: required"])
    content = file.read(limit + 1)
    if len(content) > limit:
        return error_response(413, "too_large", _("Tệp vượt quá giới hạn %(mb)s MB",
                                                  mb=f"{limit / (1024 * 1024):g}"))
    version = parse_version(request.form.get("expected_version"))
    name = dossier.safe_file_name(file.filename)
    if not content:
        raise InvalidInput(_("file: tệp rỗng"), errors=["file: empty"])
    kind = content_type(name, content)
    with writing() as writer:
        doc_id = dossier.add_document(
            writer, pid, signed_in_actor(), request.form.get("doc_type", ""), name, content,
            Path(current_app.config["STORAGE_DIR"]), kind, max_bytes=limit,
            expected_version=version).id
    proposal = _detail(pid)
    found = next(d for d in proposal.documents if d.id == doc_id)
    return reply(s.DocumentResult(document=found, proposal=proposal), 201)


@route(bp, "/proposals/<id:pid>/documents/<id:doc_id>", "DELETE", summary="Remove a document",
       tag="dossier", response=s.ProposalDetail, params=(VERSION_PARAM,),
       errors=PROPOSAL_ERRORS)
def remove_document(pid: int, doc_id: int) -> tuple[Response, int]:
    _visible(pid)
    version = parse_version(request.args.get("expected_version"))
    with writing() as writer:
        dossier.remove_document(writer, pid, doc_id, signed_in_actor(), expected_version=version)
    return reply(_detail(pid))


# --- workflow actions ---------------------------------------------------------------------


@route(bp, "/proposals/<id:pid>/actions/<trigger>", "POST", summary="Fire a workflow action",
       tag="workflow", response=s.ActionResult, body_any_of=s.ACTION_BODIES,
       errors=(*PROPOSAL_ERRORS, 422), description=(
           "Any trigger of the state machine (GET /proposals/{pid} lists `allowed_actions`). "
           "`return` and `send_back` need a `reason`; `decide` needs the `session_id` of the "
           "open sitting whose tallies decide (GET /sittings/{sid}); `issue_decision` needs "
           "the `decision_id` of an issued decision listing the proposal (POST /decisions "
           "issues one and fires this itself)."))
def fire_action(pid: int, trigger: str) -> tuple[Response, int]:
    principal = _acting(_visible(pid))[1]
    if trigger not in s.ACTION_BODIES:
        raise NotFound(_("Không có thao tác “%(t)s”", t=trigger[:40]),
                       triggers=list(s.ACTION_BODIES))
    data = json_body(s.ACTION_BODIES[trigger])
    payload = data.model_dump(exclude_unset=True)
    version = payload.pop("expected_version")
    with writing() as writer:
        event = act(writer, pid, trigger, signed_in_actor(), expected_version=version,
                    on_behalf_of_id=principal, **payload)
    return reply(s.ActionResult(event=serialize.event(event, {}), proposal=_detail(pid)))

