"""hypothesis over every HTML form (every POST route outside the API, as a user allowed to
use it): random and hostile field values, unknown fields, random files and ids. No answer
is a 500, and a refused post (4xx, or an error message on the page) writes nothing."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.snapshots import changed, snapshot
from tests.web.conftest import csrf_token
from workflow import machine

EXAMPLES = int(os.environ.get("TDKT_FUZZ_EXAMPLES", "10"))
NASTY = ["", " ", "0", "-1", "1.5", "2147483648", "99999999999999999999999", "1e309", "NaN",
         "31/02/2026", "2026-13-01", "\x00", "a\x00b", "<script>alert(1)</script>",
         "../../etc/passwd", "=1+1", "@SUM(A1)", "true", "None", "null", "[]", "{}",
         "Nguyễn Văn Ả", "x" * 600, "\u202eRTL", "😀", "admin", "unit_clerk", "BK_CT_UBND",
         "individual", "collective", "draft", "TEST-OPEN", "CDS-2022", "claim", "forward"]
VALUE = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))

# Every POST route outside /api (GET pages are covered by the route matrix), with the user
# who may use it and the fields its form posts. `logout` would end the fuzzing session.
FORMS: dict[str, tuple[str, list[str]]] = {
    "/account/password": ("unit1", ["current_password", "new_password", "confirm_password"]),
    "/cong-khai/{id}": ("unit1", ["nominee_id", "filer_name", "filer_contact", "text"]),
    "/council/decisions/new": ("secretary", [
        "campaign_id", "award_form", "proposal_ids", "signed_on", "signer_name"]),
    "/council/decisions/{id}/correct": ("secretary", [
        "reason", "signed_on", "signer_name", "full_name-1", "position_title-1", "work_unit-1",
        "drop-1"]),
    "/council/notices": ("secretary", ["campaign_id", "award_form", "stage"]),
    "/council/objections/{id}": ("secretary", ["resolution", "reason"]),
    "/council/sessions": ("secretary", ["title", "sitting_date", "place", "present"]),
    "/council/sessions/{id}/agenda": ("secretary", ["proposal_ids", "proposal_id"]),
    "/council/sessions/{id}/agenda/{pid}/finalize": ("secretary", ["expected_version"]),
    "/council/sessions/{id}/agenda/{pid}/remove": ("secretary", []),
    "/council/sessions/{id}/attendance": ("secretary", ["present"]),
    "/council/sessions/{id}/close": ("secretary", []),
    "/council/sessions/{id}/open": ("secretary", []),
    "/council/sessions/{id}/tallies/{id}": ("secretary", [
        "yes", "no", "invalid", "written_yes", "written_no"]),
    "/account/substitutes": ("reviewer", ["substitute", "starts", "ends", "reason"]),
    "/account/substitutes/{id}/cancel": ("reviewer", []),
    "/account/sign-out-everywhere": ("unit1", ["confirm"]),
    "/account/tokens": ("unit1", ["name"]),
    "/account/tokens/{id}/revoke": ("unit1", []),
    "/admin/campaigns/{code}/rules": ("admin", ["yaml"]),
    "/admin/campaigns/{code}/versions/{id}/activate": ("admin", []),
    "/admin/new-campaign": ("admin", ["yaml"]),
    "/admin/units": ("admin", ["code", "name", "parent_id", "kind"]),
    "/admin/units/{uid}": ("admin", ["code", "name", "parent_id", "kind"]),
    "/admin/users/{uid}/deactivate": ("admin", []),
    "/admin/users/{uid}/password": ("admin", ["password"]),
    "/admin/users/{uid}/profile": ("admin", ["full_name", "email", "unit_id", "language"]),
    "/admin/users/{uid}/reactivate": ("admin", []),
    "/admin/users/{uid}/roles": ("admin", ["roles"]),
    "/admin/users/{uid}/tokens/revoke": ("admin", ["token", "confirm"]),
    "/admin/users/new": ("admin", ["username", "full_name", "email", "password", "unit_id",
                                   "roles"]),
    "/language/{lang}": ("unit1", ["next"]),
    "/login": ("unit1", ["username", "password", "next"]),
    "/notifications/read": ("unit1", ["ids", "all"]),
    "/proposals/{pid}/actions/{trigger}": ("reviewer", [
        "expected_version", "reason", "session_id", "decision_id", "assignee_id", "note"]),
    "/review/bulk": ("reviewer", ["trigger", "ids"]),
    "/unit/proposals": ("unit1", ["campaign", "title", "form_key"]),
    "/unit/proposals/{pid}/documents": ("unit1", ["doc_type", "expected_version", "file"]),
    "/unit/proposals/{pid}/documents/{id}/delete": ("unit1", ["expected_version"]),
    "/unit/proposals/{pid}/import": ("unit1", ["expected_version", "file"]),
    "/unit/proposals/{pid}/nominees": ("unit1", [
        "kind", "full_name", "position", "work_unit", "award_form", "years_in_service",
        "disciplined", "prior_titles", "achievement_summary", "expected_version"]),
    "/unit/proposals/{pid}/nominees/{id}": ("unit1", [
        "kind", "full_name", "award_form", "years_in_service", "expected_version"]),
    "/unit/proposals/{pid}/nominees/{id}/delete": ("unit1", ["expected_version"]),
    "/unit/proposals/{pid}/title": ("unit1", ["title", "expected_version"]),
}
SKIPPED = {"/logout"}


def test_every_post_route_is_fuzzed(app):
    rules = {re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "{\\1}", r.rule) for r in app.url_map.iter_rules()
             if "POST" in r.methods and not r.rule.startswith("/api/")}
    normalised = {re.sub(r"\{(?!pid|trigger|code|lang|uid)[a-z_]+\}", "{id}", r) for r in rules}
    assert normalised - SKIPPED == set(FORMS)


def path_values(pids: list[int]) -> st.SearchStrategy[dict[str, str]]:
    number = st.one_of(st.sampled_from([str(p) for p in pids] + ["1", "2", "0"]),
                       st.integers(-5, 2**40).map(str))
    return st.fixed_dictionaries({
        "pid": number, "id": number, "uid": st.sampled_from(["2", "7", "999", "0"]),
        "code": st.sampled_from(["TEST-OPEN", "CDS-2022", "NOPE", "x" * 50]),
        "lang": st.sampled_from(["vi", "en", "fr", "x"]),
        "trigger": st.sampled_from([t.name for t in machine.TRIGGERS] + ["nope", "_delete"]),
    })


def form_values(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    known = st.fixed_dictionaries({}, optional={f: VALUE for f in fields if f != "file"})
    extra = st.dictionaries(st.text(min_size=1, max_size=12), VALUE, max_size=3)
    files = st.fixed_dictionaries({}, optional={"file": st.tuples(
        st.binary(max_size=600), st.sampled_from(["a.pdf", "b.xlsx", "../c.docx", "d", ".."]))}
    ) if "file" in fields else st.just({})
    return st.tuples(known, extra, files).map(lambda t: {**t[1], **t[0], **t[2]})


REFUSED = re.compile(r'class="alert alert-(danger|warning)')


@pytest.mark.parametrize("route", sorted(FORMS), ids=str)
def test_a_form_never_fails_and_a_refusal_writes_nothing(client_for, world, make_proposal,
                                                         route):
    user, fields = FORMS[route]
    pids = [make_proposal("draft"), make_proposal("submitted")]
    client = client_for(user)
    token = csrf_token(client, "/")

    @given(path=path_values(pids), data=form_values(fields))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def post(path: dict[str, str], data: dict[str, Any]) -> None:
        if "file" in data:
            content, name = data["file"]
            data = {**data, "file": (io.BytesIO(content), name)}
        before = snapshot(world)
        response = client.post(route.format(**path), data={"csrf_token": token, **data},
                               follow_redirects=True)
        page = response.get_data(as_text=True)
        assert response.status_code < 500, page[:500]
        if response.status_code >= 400 or REFUSED.search(page):
            assert not changed(before, snapshot(world)), (route, path, data)

    post()
