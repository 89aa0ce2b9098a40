"""The JSON API: token and session auth, CSRF, the whole workflow, permissions, bad input,
uploads, conflicts, and an OpenAPI document that matches the routes."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import ApiToken, AuditEvent, Proposal, User
from tests.support.api_client import Caller, conforms, error
from tests.support.council import open_sitting
from tests.web.conftest import csrf_token
from web.api import schemas as s
from web.api.openapi import openapi_path
from workflow.accounts import tokens
from workflow.errors import InvalidInput

PDF = b"%PDF-1.4\n% tdkt test\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
SECRET = re.compile(r"tdkt_[A-Za-z0-9_-]{40,}")
LOCAL = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$")


def state_of(world: Any, pid: int) -> tuple[str, int, int]:
    with world.db.session() as session:
        p = session.get(Proposal, pid)
        return p.state, p.version, p.audit_seq


def new_draft(api: Caller, title: str = "Hồ sơ gửi qua API") -> dict[str, Any]:
    response = api.post("/proposals", json={"campaign": "TEST-OPEN", "title": title})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def upload(api: Caller, pid: int, version: int, content: bytes = PDF,
           name: str = "to-trinh.pdf", doc_type: str = "to_trinh") -> Any:
    data = {"doc_type": doc_type, "expected_version": str(version),
            "file": (io.BytesIO(content), name)}
    return api.post(f"/proposals/{pid}/documents", data=data,
                    content_type="multipart/form-data")


NOMINEE = {"kind": "individual", "full_name": "Hoàng Thị Lan", "award_form": "BK_CT_UBND",
           "position": "Chuyên viên", "years_in_service": 1,
           "prior_titles": {"2021": ["CSTD_CS"]}, "attributes": {"digital_outcome": True}}


# --- auth -------------------------------------------------------------------------------


def test_a_token_made_in_the_ui_works_until_it_is_revoked(app, client_for, world):
    browser = client_for("unit1")
    assert "Khoá API" in browser.get("/account/tokens").get_data(as_text=True)
    page = browser.post("/account/tokens", data={
        "name": "Phần mềm văn bản", "csrf_token": csrf_token(browser, "/account/tokens")})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(page.get_data(as_text=True)).group(0)

    caller = app.test_client()
    me = caller.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and "Set-Cookie" not in me.headers
    assert conforms(s.MeOut, me.get_json())["username"] == "unit1"
    assert me.get_json()["auth"] == "token" and me.get_json()["csrf_token"] is None

    listing = browser.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and secret[:12] in listing  # shown once, then only a prefix
    with world.db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert row.last_used_at is not None and row.revoked_at is None

    revoked = browser.post(f"/account/tokens/{row.id}/revoke",
                           data={"csrf_token": csrf_token(browser, "/account/tokens")})
    assert revoked.status_code == 302
    after = caller.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    error(after, 401, "invalid_token")
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    with world.db.session() as session:
        trail = session.scalars(select(AuditEvent.action).where(
            AuditEvent.stream == "user:unit1").order_by(AuditEvent.seq))
        assert list(trail) == ["create_api_token", "revoke_api_token"]


def test_a_user_cannot_revoke_someone_elses_token(client_for, world, token_for):
    token_for("unit2")
    with world.db.session() as session:
        other = session.scalar(select(ApiToken.id))
    browser = client_for("unit1")
    browser.post(f"/account/tokens/{other}/revoke",
                 data={"csrf_token": csrf_token(browser, "/account/tokens")})
    with world.db.session() as session:
        assert session.get(ApiToken, other).revoked_at is None


def test_token_names_are_checked_and_active_tokens_are_limited(client_for, world):
    browser = client_for("unit1")
    assert 'href="/account/tokens"' in browser.get("/proposals/").get_data(as_text=True)
    refused = browser.post("/account/tokens", data={
        "name": "   ", "csrf_token": csrf_token(browser, "/account/tokens")},
        follow_redirects=True)
    assert "Tên khoá" in refused.get_data(as_text=True)
    with world.db.unit_of_work() as session:
        for n in range(tokens.MAX_ACTIVE_TOKENS):
            tokens.create_token(session, world.user_ids["unit1"], f"khoá {n}")
    with pytest.raises(InvalidInput), world.db.unit_of_work() as session:
        tokens.create_token(session, world.user_ids["unit1"], "một khoá nữa")
    with world.db.session() as session:
        assert len(tokens.list_tokens(session, world.user_ids["unit1"])) == 20


def test_without_credentials_the_api_answers_401_json_never_a_redirect(app):
    client = app.test_client()
    for method, path in [("GET", "/proposals"), ("GET", "/me"), ("POST", "/proposals")]:
        response = client.open(f"/api/v1{path}", method=method, json={})
        error(response, 401, "unauthorized")
        assert "Location" not in response.headers
    for header in ["Bearer tdkt_not-a-real-token", "Bearer ", "Basic dW5pdDE6eA=="]:
        response = client.get("/api/v1/me", headers={"Authorization": header})
        error(response, 401, "invalid_token")
    assert client.get("/api/v1/openapi.json").status_code == 200  # the document is public


def test_a_deactivated_users_token_stops_working(api_as, world):
    api = api_as("unit1")
    assert api.get("/me").status_code == 200
    with world.db.unit_of_work() as session:
        session.get(User, world.user_ids["unit1"]).active = False
    error(api.get("/me"), 401, "invalid_token")


def test_session_writes_need_the_csrf_header(client_for, world):
    browser = client_for("unit1")
    me = browser.get("/api/v1/me").get_json()
    assert me["auth"] == "session" and me["csrf_token"]
    body = {"campaign": "TEST-OPEN", "title": "Hồ sơ từ phiên đăng nhập"}
    error(browser.post("/api/v1/proposals", json=body), 400, "csrf")
    error(browser.post("/api/v1/proposals", json=body, headers={"X-CSRFToken": "forged"}),
          400, "csrf")
    with world.db.session() as session:
        assert session.scalar(select(Proposal.id)) is None  # nothing was created
    made = browser.post("/api/v1/proposals", json=body, headers={"X-CSRFToken": me["csrf_token"]})
    assert made.status_code == 201
    assert made.headers["Location"].endswith(f"/api/v1/proposals/{made.get_json()['id']}")


def test_a_token_of_another_user_next_to_a_session_is_refused(client_for, token_for):
    browser = client_for("unit1")
    other = browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token_for('unit2')}"})
    error(other, 401, "invalid_token")
    same = browser.post("/api/v1/proposals", json={"campaign": "TEST-OPEN", "title": "Cùng người"},
                        headers={"Authorization": f"Bearer {token_for('unit1')}"})
    assert same.status_code == 201  # the token vouches for the request: no CSRF needed


# --- the whole workflow -------------------------------------------------------------------


def test_the_whole_path_through_the_api(api_as, world):
    clerk, reviewer, secretary = api_as("unit1"), api_as("reviewer"), api_as("secretary")
    draft = conforms(s.ProposalDetail, new_draft(clerk))
    pid, v = draft["id"], draft["version"]
    assert draft["state"] == "draft" and "submit" in draft["allowed_actions"]

    added = clerk.post(f"/proposals/{pid}/nominees", json={**NOMINEE, "expected_version": v})
    assert added.status_code == 201, added.get_data(as_text=True)
    conforms(s.NomineeResult, added.get_json())
    person, v = added.get_json()["nominee"], added.get_json()["proposal"]["version"]
    assert person["prior_titles"] == {"2021": ["CSTD_CS"]}
    team = clerk.post(f"/proposals/{pid}/nominees", json={
        "kind": "collective", "full_name": "Phòng Công nghệ thông tin",
        "award_form": "BK_CT_UBND", "expected_version": v}).get_json()
    v = team["proposal"]["version"]

    stored = upload(clerk, pid, v)
    assert stored.status_code == 201, stored.get_data(as_text=True)
    doc = conforms(s.DocumentResult, stored.get_json())["document"]
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest() and doc["size"] == len(PDF)
    assert doc["content_type"] == "application/pdf"
    v = stored.get_json()["proposal"]["version"]

    refused = clerk.post(f"/proposals/{pid}/actions/submit", json={"expected_version": v})
    findings = error(refused, 422, "rule_violation")["findings"]
    assert any(f["nominee_id"] == person["id"] and f["severity"] == "blocking"
               for f in findings)
    assert state_of(world, pid)[:2] == ("draft", v)

    fixed = clerk.put(f"/proposals/{pid}/nominees/{person['id']}",
                      json={**NOMINEE, "years_in_service": 6, "expected_version": v})
    assert fixed.status_code == 200 and fixed.get_json()["nominee"]["years_in_service"] == 6
    v = fire(clerk, pid, "submit", fixed.get_json()["proposal"]["version"], "submitted")

    v = fire(reviewer, pid, "claim", v, "under_review")
    no_reason = reviewer.post(f"/proposals/{pid}/actions/return", json={"expected_version": v})
    assert "reason" in " ".join(error(no_reason, 400, "invalid_input")["errors"])
    v = fire(reviewer, pid, "return", v, "returned", reason="Thiếu biên bản họp xét")
    v = fire(clerk, pid, "resubmit", v, "submitted", reason="Đã bổ sung biên bản")
    v = fire(reviewer, pid, "claim", v, "under_review")
    v = fire(reviewer, pid, "forward", v, "at_council")
    # The Council sits on it (tests/web/council/test_council_api.py: the sitting through the API).
    sid = open_sitting(world, [pid])
    for nid, yes in ((person["id"], 6), (team["nominee"]["id"], 4)):
        tallied = secretary.post(f"/sittings/{sid}/tallies/{nid}", json={"yes": yes,
                                                                         "no": 7 - yes})
        assert tallied.status_code == 200, tallied.get_data(as_text=True)
    v = fire(secretary, pid, "decide", v, "approved", session_id=sid)
    # The Council decided today (the API acts at the real time): the decision is dated today.
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    issued = secretary.post("/decisions", json={
        "campaign": "TEST-OPEN", "proposal_ids": [pid], "signed_on": today,
        "signer_name": "Hoàng Văn Thắng"})
    assert issued.status_code == 201, issued.get_data(as_text=True)
    assert issued.get_json()["number"] == "1/QĐ-UBND"

    final = conforms(s.ProposalDetail, clerk.get(f"/proposals/{pid}").get_json())
    assert final["decision_number"] == "1/QĐ-UBND" and final["decision_date"] == today
    assert [n["outcome"] for n in final["nominees"]] == ["passed", "rejected"]
    assert final["nominees"][1]["outcome_reason"] == (
        "4/7 = 57,1% < 70% tổng số thành viên Hội đồng")
    assert final["allowed_actions"] == [] and final["editable"] is False

    trail = conforms(s.EventList, reviewer.get(f"/proposals/{pid}/events").get_json())["events"]
    assert [e["action"] for e in trail] == [
        "create", "add_nominee", "add_nominee", "add_document", "update_nominee", "submit",
        "claim", "return", "resubmit", "claim", "forward", "decide", "issue_decision"]
    back = trail[7]
    assert (back["from"], back["to"], back["reason"]) == ("under_review", "returned",
                                                          "Thiếu biên bản họp xét")
    assert back["actor"]["name"] and back["on_behalf_of"] is None
    for event in trail:
        conforms(s.EventOut, event)
        assert datetime.fromisoformat(event["occurred_at"]).utcoffset().total_seconds() == 0
        assert LOCAL.match(event["occurred_at_local"])
    assert [e["seq"] for e in trail] == list(range(1, len(trail) + 1))


def fire(api: Caller, pid: int, trigger: str, version: int, expect: str, **data: Any) -> int:
    response = api.post(f"/proposals/{pid}/actions/{trigger}",
                        json={"expected_version": version, **data})
    assert response.status_code == 200, response.get_data(as_text=True)
    result = conforms(s.ActionResult, response.get_json())
    assert result["event"]["action"] == trigger and result["event"]["to"] == expect
    assert result["proposal"]["state"] == expect
    return result["proposal"]["version"]


def test_a_stale_version_is_409_and_writes_nothing(api_as, make_proposal, world):
    pid = make_proposal("draft")
    clerk = api_as("unit1")
    current = clerk.get(f"/proposals/{pid}").get_json()["version"]
    before = state_of(world, pid)
    stale = current - 1
    attempts = [
        clerk.patch(f"/proposals/{pid}", json={"title": "Tên mới", "expected_version": stale}),
        clerk.post(f"/proposals/{pid}/nominees", json={**NOMINEE, "expected_version": stale}),
        clerk.delete(f"/proposals/{pid}/documents/1?expected_version={stale}"),
        upload(clerk, pid, stale),
        clerk.post(f"/proposals/{pid}/actions/submit", json={"expected_version": stale}),
    ]
    for response in attempts:
        body = error(response, 409, "conflict")
        assert (body["expected"], body["actual"]) == (stale, current)
    assert state_of(world, pid) == before


def test_another_units_token_gets_404_everywhere_and_changes_nothing(api_as, make_proposal,
                                                                      world):
    pid = make_proposal("draft")
    with world.db.session() as session:
        p = session.get(Proposal, pid)
        nid, did, v = p.nominees[0].id, p.documents[0].id, p.version
    before = state_of(world, pid)
    outsider = api_as("unit2")
    attempts = [
        outsider.get(f"/proposals/{pid}"),
        outsider.get(f"/proposals/{pid}/events"),
        outsider.patch(f"/proposals/{pid}", json={"title": "Chiếm hồ sơ", "expected_version": v}),
        outsider.post(f"/proposals/{pid}/nominees", json={**NOMINEE, "expected_version": v}),
        outsider.put(f"/proposals/{pid}/nominees/{nid}", json={**NOMINEE, "expected_version": v}),
        outsider.delete(f"/proposals/{pid}/nominees/{nid}?expected_version={v}"),
        upload(outsider, pid, v),
        outsider.delete(f"/proposals/{pid}/documents/{did}?expected_version={v}"),
        *[outsider.post(f"/proposals/{pid}/actions/{t}", json={"expected_version": v})
          for t in ("submit", "withdraw", "claim", "no_such_action")],
    ]
    for response in attempts:
        error(response, 404, "not_found")
    assert pid not in [p["id"] for p in outsider.get("/proposals").get_json()["proposals"]]
    error(api_as("reviewer").get(f"/proposals/{pid}"), 404, "not_found")  # drafts stay home
    assert state_of(world, pid) == before


def test_visible_but_not_allowed_is_403_and_wrong_state_is_409(api_as, make_proposal, world):
    pid = make_proposal("submitted")
    v = state_of(world, pid)[1]
    reviewer, clerk = api_as("reviewer"), api_as("unit1")
    error(reviewer.patch(f"/proposals/{pid}", json={"title": "Sửa hộ", "expected_version": v}),
          403, "permission_denied")
    error(clerk.post(f"/proposals/{pid}/actions/claim", json={"expected_version": v}),
          403, "permission_denied")
    error(clerk.post(f"/proposals/{pid}/actions/submit", json={"expected_version": v}),
          409, "invalid_transition")
    error(clerk.patch(f"/proposals/{pid}", json={"title": "Sửa sau khi nộp",
                                                  "expected_version": v}),
          409, "invalid_transition")
    error(reviewer.post(f"/proposals/{pid}/actions/explode", json={"expected_version": v}),
          404, "not_found")
    assert state_of(world, pid)[1] == v


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"campaign": "TEST-OPEN", "title": 123}, "title"),
    ({"campaign": "TEST-OPEN", "title": "x" * 501}, "title"),
    ({"campaign": "TEST-OPEN", "title": "ab"}, "title"),
    ({"title": "Không có phong trào"}, "campaign"),
    ({"campaign": "NO-SUCH", "title": "Phong trào lạ"}, "campaign"),
    ({"campaign": "TEST-OPEN", "title": "Thêm trường", "state": "decided"}, "state"),
    ([], "body"),
])
def test_bad_bodies_are_400_naming_the_field(api_as, world, body, field):
    error_body = error(api_as("unit1").post("/proposals", json=body), 400, "invalid_input")
    assert any(e.startswith(field) for e in error_body["errors"]), error_body


def test_malformed_requests_are_400_with_a_clear_message(api_as, make_proposal, world):
    clerk = api_as("unit1")
    not_json = clerk.post("/proposals", data="campaign=TEST-OPEN&title=abc",
                          content_type="application/x-www-form-urlencoded")
    assert "JSON" in error(not_json, 400, "invalid_input")["message"]
    broken = clerk.post("/proposals", data="{not json", content_type="application/json")
    assert "Invalid JSON" in error(broken, 400, "invalid_input")["message"]

    pid = make_proposal("draft")
    v = state_of(world, pid)[1]
    for wrong, field in [({"years_in_service": "five"}, "years_in_service"),
                         ({"disciplined": "yes"}, "disciplined"),
                         ({"kind": "robot"}, "kind"),
                         ({"full_name": "x" * 300}, "full_name"),
                         ({"expected_version": "3"}, "expected_version")]:
        response = clerk.post(f"/proposals/{pid}/nominees",
                              json={**NOMINEE, "expected_version": v, **wrong})
        assert any(e.startswith(field) for e in error(response, 400, "invalid_input")["errors"])
    missing = clerk.patch(f"/proposals/{pid}", json={"title": "Không ghi phiên bản"})
    assert "expected_version" in " ".join(error(missing, 400, "invalid_input")["errors"])
    nominee_id = clerk.get(f"/proposals/{pid}").get_json()["nominees"][0]["id"]
    error(clerk.delete(f"/proposals/{pid}/nominees/{nominee_id}"), 400, "invalid_input")
    error(clerk.get("/proposals?state=lost"), 400, "invalid_input")
    error(clerk.get("/proposals?campaign=NO-SUCH"), 400, "invalid_input")
    error(clerk.post(f"/proposals/{pid}/actions/submit",
                     json={"expected_version": v, "now": "2022-01-01T00:00:00"}),
          400, "invalid_input")  # the service's own arguments cannot be smuggled in
    assert state_of(world, pid)[1] == v


def test_a_bad_decision_date_is_400(api_as, make_proposal, world):
    pid = make_proposal("approved")
    secretary = api_as("secretary")
    body = {"campaign": "TEST-OPEN", "proposal_ids": [pid], "signer_name": "Hoàng Văn Thắng"}
    for date in ["20/12/2022", "2022-13-01", 20221220]:
        response = secretary.post("/decisions", json={**body, "signed_on": date})
        assert "signed_on" in " ".join(error(response, 400, "invalid_input")["errors"])
    future = secretary.post("/decisions", json={**body, "signed_on": "2099-01-01"})
    assert "không được sau ngày hôm nay" in error(future, 400, "invalid_input")["message"]
    bare = secretary.post(f"/proposals/{pid}/actions/issue_decision", json={
        "expected_version": state_of(world, pid)[1], "decision_number": "1/QĐ-UBND",
        "decision_date": "2022-12-20"})
    assert "decision_id" in " ".join(error(bare, 400, "invalid_input")["errors"])
    assert state_of(world, pid)[0] == "approved"


# --- uploads ------------------------------------------------------------------------------


def test_uploads_are_checked_by_content_and_size(app, api_as, make_proposal, world):
    pid = make_proposal("draft", documents=[])
    clerk = api_as("unit1")
    v = state_of(world, pid)[1]
    disguised = upload(clerk, pid, v, content=PNG, name="bang-khen.pdf")
    assert ".pdf" in error(disguised, 400, "invalid_input")["message"]
    error(upload(clerk, pid, v, content=b"MZ\x90\x00", name="setup.exe"), 400, "invalid_input")
    error(upload(clerk, pid, v, doc_type="bogus"), 400, "invalid_input")
    error(upload(clerk, pid, v, content=b""), 400, "invalid_input")
    error(clerk.post(f"/proposals/{pid}/documents", data={"expected_version": str(v)},
                     content_type="multipart/form-data"), 400, "invalid_input")

    app.config["MAX_UPLOAD_BYTES"] = 1024
    too_big = upload(clerk, pid, v, content=PDF + b"0" * 2000)
    assert "1024" not in error(too_big, 413, "too_large")["message"]  # said in MB, not bytes
    app.config["MAX_CONTENT_LENGTH"] = 4096
    error(upload(clerk, pid, v, content=PDF + b"0" * 8000), 413, "too_large")
    app.config.update(MAX_UPLOAD_BYTES=20 * 1024 * 1024, MAX_CONTENT_LENGTH=21 * 1024 * 1024)

    assert state_of(world, pid)[1] == v
    ok = upload(clerk, pid, v, content=PNG, name="anh.png", doc_type="bao_cao_thanh_tich")
    assert ok.status_code == 201 and ok.get_json()["document"]["content_type"] == "image/png"
    doc = ok.get_json()["document"]
    v = ok.get_json()["proposal"]["version"]
    gone = clerk.delete(f"/proposals/{pid}/documents/{doc['id']}?expected_version={v}")
    assert gone.status_code == 200 and gone.get_json()["documents"] == []


# --- reads --------------------------------------------------------------------------------


def test_lists_show_only_what_the_user_may_see_and_filter(api_as, make_proposal):
    mine = make_proposal("draft")
    filed = make_proposal("submitted")
    theirs = make_proposal("submitted", clerk="unit2")
    ids = lambda api, query="": [p["id"] for p in  # noqa: E731
                                 conforms(s.ProposalList, api.get(f"/proposals{query}")
                                          .get_json())["proposals"]]
    unit1, reviewer, member = api_as("unit1"), api_as("reviewer"), api_as("member1")
    assert set(ids(unit1)) == {mine, filed}
    assert set(ids(reviewer)) == {filed, theirs}
    assert ids(member) == []
    assert ids(unit1, "?state=draft") == [mine]
    assert set(ids(reviewer, "?campaign=TEST-OPEN&state=submitted")) == {filed, theirs}
    assert ids(reviewer, "?campaign=CDS-2022") == []
    unit_code = unit1.get(f"/proposals/{filed}").get_json()["unit"]["code"]
    assert ids(reviewer, f"?unit={unit_code}") == [filed]


def test_me_and_campaigns(api_as):
    clerk = api_as("unit1")
    me = conforms(s.MeOut, clerk.get("/me").get_json())
    assert me["roles"] == ["unit_clerk"] and me["unit_name"]
    listing = conforms(s.CampaignList, clerk.get("/campaigns").get_json())
    codes = {c["code"] for c in listing["campaigns"]}
    assert {"CDS-2022", "TEST-OPEN"} <= codes and "to_trinh" in listing["document_types"]
    test_open = next(c for c in listing["campaigns"] if c["code"] == "TEST-OPEN")
    assert test_open["submission_opens"] == "2020-01-01"
    assert test_open["nominee_attributes"] == {"digital_outcome": "boolean"}


# --- the OpenAPI document -------------------------------------------------------------------


def test_the_openapi_document_describes_exactly_the_api_routes(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = openapi_path(rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    assert len(routes) >= 14


def test_every_reference_and_path_parameter_in_the_document_resolves(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}
    for ref in _refs(doc):
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, f"unresolved {ref}"
            node = node[part]
    seen_ids = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
            assert any(code.startswith("2") for code in op["responses"])
            assert op["operationId"] not in seen_ids
            seen_ids.add(op["operationId"])
            if method in ("post", "put", "patch") and "/actions/" not in path:
                assert "requestBody" in op, (path, method)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []
