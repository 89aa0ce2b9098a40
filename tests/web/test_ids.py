"""Ids that name no row — zero, a sign, letters, a number past PostgreSQL's `integer` —
wherever they come in: a URL path, a query string, a form field, a JSON body. Each is a 404
(a path) or a 400 (anything else: the form again or a flashed message, JSON under /api),
never a 500, and nothing is written. PostgreSQL fails a whole statement on a number past
its `integer` ("integer out of range"): that was the 500 of `/stats/CDS-2022?unit=2147483648`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.routing.converters import NumberConverter

from tests.support.routes import CALLS, Call, access_for
from tests.support.snapshots import changed, snapshot
from web.app import create_app
from workflow.accounts import tokens

BAD_IDS = ["0", "-1", "2147483648", "99999999999999999999", "abc"]
REFUSED = "mã số không hợp lệ"
ID_ARG = re.compile(r"<id:([a-z_]+)>")


def path_calls() -> list[Call]:
    """Each route with an id in its path (one trigger of the action routes)."""
    return [c for c in CALLS if ID_ARG.search(c.rule.rule) and c.trigger in (None, "claim")]


def test_every_numeric_path_argument_is_an_id():
    """No route takes a number through Werkzeug's own `int` (unbounded: a 500 on
    PostgreSQL past its `integer`) instead of `id`."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "ids"})
    app.extensions["tdkt_db"].dispose()
    numeric = [(r.rule, name) for r in app.url_map.iter_rules()
               for name, conv in r._converters.items() if isinstance(conv, NumberConverter)]
    assert not numeric, numeric
    assert len(path_calls()) > 40  # the routes with an id in the path are all here


def _with(rule: str, arg: str, value: str) -> str:
    """The rule's path with `value` for `arg` and 1 for every other argument."""
    path = rule.replace(f"<id:{arg}>", value)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "claim" if m[1] == "trigger" else "1",
                  path)


@pytest.mark.parametrize("call", path_calls(), ids=lambda c: c.id)
def test_a_bad_id_in_the_path_is_not_found(call: Call, world, callers):
    # The path names no page whoever asks: refused before any view or login check.
    door = callers(("admin",))["admin"]
    before = snapshot(world)
    problems = []
    for arg in ID_ARG.findall(call.rule.rule):
        for bad in BAD_IDS:
            url = _with(call.rule.rule, arg, bad)
            response = door.call(call.method, url, {})
            if response.status_code != 404:
                problems.append(f"{url}: {response.status_code}")
            elif call.is_api and not (response.is_json
                                      and response.json["error"]["code"] == "not_found"):
                problems.append(f"{url}: not a JSON 404 ({response.content_type})")
    assert not problems, problems
    assert not changed(before, snapshot(world))


# -- ids in query strings and form fields

@dataclass(frozen=True)
class IdField:
    """One id-carrying field of a route: the query argument or form field `name`, sent
    with the rest of a valid request (the route matrix's form for the route, plus `extra`)
    by `role`, on a proposal in `state`."""

    endpoint: str
    name: str
    role: str
    state: str = "at_council"
    trigger: str | None = None
    method: str = "GET"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}{f'[{self.trigger}]' if self.trigger else ''}" \
               f" {self.name}"


SUBSTITUTE = {"starts_on": "01/12/2022", "ends_on": "05/12/2022", "substitute_id": "{member1}"}
FIELDS = [
    # query strings
    IdField("stats.campaign", "unit", "admin"),
    IdField("stats.download", "unit", "admin"),
    IdField("review.queue", "campaign", "reviewer"),
    IdField("review.queue", "unit", "reviewer"),
    IdField("admin.users", "unit", "admin"),
    IdField("council.session_page", "campaign", "secretary"),
    IdField("council.new_notice", "campaign", "secretary"),
    IdField("decisions.new", "campaign", "secretary", state="approved"),
    IdField("decisions.new", "proposal", "secretary", state="approved"),
    # form fields
    IdField("review.bulk", "ids", "reviewer", state="submitted", method="POST"),
    IdField("inbox.read", "ids", "reviewer", method="POST"),
    IdField("council.create_session", "present", "secretary", method="POST"),
    IdField("council.attendance", "present", "secretary", state="sitting_draft", method="POST"),
    IdField("council.add_agenda", "proposal_id", "secretary", state="unscheduled", method="POST"),
    IdField("decisions.create", "campaign_id", "secretary", state="approved", method="POST"),
    IdField("decisions.create", "proposal_ids", "secretary", state="approved", method="POST"),
    IdField("council.publish_notice", "campaign_id", "secretary", method="POST",
          extra={"award_form": "BK_CT_UBND"}),
    IdField("public.object_to", "nominee_id", "unit2", state="on_notice", method="POST"),
    IdField("account.name_substitute", "substitute_id", "reviewer", method="POST",
          extra=SUBSTITUTE),
    IdField("account.name_substitute", "user_id", "admin", method="POST", extra=SUBSTITUTE),
    IdField("admin.create_user", "unit_id", "admin", method="POST", extra={
        "username": "nguoi-moi", "full_name": "Người Mới", "password": "Mat-khau-du-dai-1",
        "roles": "unit_clerk"}),
    IdField("admin.update_user", "unit_id", "admin", method="POST", extra={
        "full_name": "Tên mới"}),
    IdField("admin.create_unit", "parent_id", "admin", method="POST", extra={
        "code": "DV-MOI", "name": "Đơn vị mới"}),
    IdField("admin.update_unit", "parent_id", "admin", method="POST", extra={
        "name": "Tên đơn vị mới"}),
    IdField("proposals.action", "assignee_id", "boardhead", state="submitted", trigger="claim",
          method="POST"),
    IdField("proposals.action", "assignee_id", "boardhead", state="under_review",
          trigger="reassign", method="POST"),
    IdField("proposals.action", "session_id", "secretary", trigger="decide", method="POST"),
    IdField("proposals.action", "decision_id", "secretary", state="approved",
          trigger="issue_decision", method="POST"),
]


def _call(f: IdField) -> Call:
    return next(c for c in CALLS if c.endpoint == f.endpoint and c.method == f.method
                and c.trigger == f.trigger)


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _shown(response: Any) -> str:
    """The page's words, for a failure message."""
    page = _text(response)
    alert = re.search(r'(?s)<div class="alert[^>]*>(.*?)</div>', page)
    body = alert[1] if alert else re.sub(r"(?s)<head>.*?</head>|<nav.*?</nav>", "", page)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())[:300]


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.id)
def test_a_bad_id_in_a_query_or_a_form_is_refused(f: IdField, world, make_target,
                                                  callers):
    target = make_target(f.state)
    door = callers((f.role,))[f.role]
    call = _call(f)
    access = access_for(call.endpoint, call.trigger)
    url = target.url(call)
    names = {"pid": target.pid, "nid": target.nid, **target.ids}
    form = {**(target.form(access) if f.method == "POST" else {}),
            **{k: v.format(**names) for k, v in f.extra.items()}}
    before = snapshot(world)
    problems = []
    for bad in BAD_IDS:
        if f.method == "GET":
            response = door.client.get(url, query_string={f.name: bad})
        else:
            response = door.call("POST", url, {**form, f.name: bad})
        status = response.status_code
        if status in (301, 302, 303):  # the UI's way: the message flashed on the next page
            response = door.client.get(response.headers["Location"])
        if status not in (302, 303, 400) or REFUSED not in _text(response):
            problems.append(f"{bad}: {status} {_shown(response)!r}")
    assert not problems, problems
    assert not changed(before, snapshot(world))


# -- ids in JSON bodies and in the API's query strings

@dataclass(frozen=True)
class Json:
    role: str
    state: str
    method: str
    path: str
    body: dict[str, Any] | None
    name: str  # the field that gets the bad id

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.name}"


DECISION = {"campaign": "TEST-OPEN", "signed_on": "2022-11-20",
            "signer_name": "Hoàng Văn Thắng"}
JSON_FIELDS = [
    Json("boardhead", "submitted", "POST", "/proposals/{pid}/actions/claim",
         {"expected_version": 1}, "assignee_id"),
    Json("boardhead", "under_review", "POST", "/proposals/{pid}/actions/reassign",
         {"expected_version": 1}, "assignee_id"),
    Json("secretary", "at_council", "POST", "/proposals/{pid}/actions/decide",
         {"expected_version": 1}, "session_id"),
    Json("secretary", "approved", "POST", "/proposals/{pid}/actions/issue_decision",
         {"expected_version": 1}, "decision_id"),
    Json("unit1", "returned", "POST", "/proposals/{pid}/actions/resubmit", {},
         "expected_version"),
    Json("secretary", "approved", "POST", "/decisions", DECISION, "proposal_ids"),
    Json("secretary", "at_council", "POST", "/notices", {"award_form": "BK_CT_UBND"},
         "campaign_id"),
    Json("unit1", "returned", "DELETE", "/proposals/{pid}/nominees/{nid}", None,
         "expected_version"),
]


def _json_value(bad: str) -> Any:
    return bad if bad == "abc" else int(bad)


@pytest.mark.parametrize("j", JSON_FIELDS, ids=lambda j: j.id)
def test_a_bad_id_in_a_json_body_is_refused(j: Json, world, make_target, app):
    target = make_target(j.state)
    with world.db.unit_of_work() as s:
        secret = tokens.create_token(s, world.user_ids[j.role], "ids")[1]
    client = app.test_client()
    path = "/api/v1" + j.path.format(pid=target.pid, nid=target.nid)
    before = snapshot(world)
    problems = []
    for bad in BAD_IDS:
        headers = {"Authorization": f"Bearer {secret}"}
        if j.body is None:   # the id in the query string
            response = client.open(path, method=j.method, headers=headers,
                                   query_string={j.name: bad})
        else:
            value = _json_value(bad)
            body = {**j.body, j.name: [value] if j.name == "proposal_ids" else value}
            response = client.open(path, method=j.method, headers=headers, json=body)
        if response.status_code != 400 or not response.is_json or \
                response.json["error"]["code"] != "invalid_input":
            problems.append(f"{bad}: {response.status_code} {response.get_data()[:200]!r}")
    assert not problems, problems
    assert not changed(before, snapshot(world))
