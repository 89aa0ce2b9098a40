"""Council sittings in the JSON API: who reads which sitting, recording tallies, and
finalizing through the `decide` action — with the UI's permissions."""

from __future__ import annotations

from typing import Any

from tests.support.api_client import conforms, error
from tests.support.council import open_sitting
from web.api import council as c

BK = "tổng số thành viên Hội đồng"


def nominee_of(world: Any, pid: int) -> int:
    with world.db.session() as session:
        return world.proposal(session, pid).nominees[0].id


def test_the_secretary_tallies_and_finalizes_through_the_api(api_as, make_proposal, world):
    pid = make_proposal("at_council")
    sid, nid = open_sitting(world, [pid], present=6), nominee_of(world, pid)
    secretary, member = api_as("secretary"), api_as("member1")

    refused = secretary.post(f"/sittings/{sid}/tallies/{nid}", json={"yes": 6, "no": 1})
    assert "nhiều hơn số thành viên dự họp (6)" in error(refused, 400, "invalid_input")[
        "message"]
    denied = member.post(f"/sittings/{sid}/tallies/{nid}", json={"yes": 6})
    error(denied, 403, "permission_denied")
    bad = secretary.post(f"/sittings/{sid}/tallies/{nid}", json={"yes": "six"})
    error(bad, 400, "invalid_input")

    done = secretary.post(f"/sittings/{sid}/tallies/{nid}", json={"yes": 5, "no": 1})
    assert done.status_code == 200, done.get_data(as_text=True)
    sitting = conforms(c.SittingOut, done.get_json())
    (item,) = sitting["agenda"]
    (row,) = item["nominees"]
    assert row["tally"]["passed"] is True
    assert row["tally"]["explanation"] == f"5/7 = 71,4% ≥ 70% {BK}"
    assert row["tally"]["explanation_en"] == "5/7 = 71.4% ≥ 70% of all Council members"
    assert row["rule"]["denominator"] == "all_members" and row["rule"]["threshold"] == 0.7
    assert item["ready_to_finalize"] is True and item["decided"] is False

    finalized = secretary.post(f"/proposals/{pid}/actions/decide",
                               json={"session_id": sid, "expected_version": item["version"]})
    assert finalized.status_code == 200, finalized.get_data(as_text=True)
    assert finalized.get_json()["proposal"]["state"] == "approved"
    after = conforms(c.SittingOut, member.get(f"/sittings/{sid}").get_json())
    assert after["agenda"][0]["decided"] is True
    assert after["agenda"][0]["nominees"][0]["outcome"] == "passed"


def test_decide_through_the_api_needs_a_sitting_not_outcomes(api_as, make_proposal, world):
    pid = make_proposal("at_council")
    secretary = api_as("secretary")
    version = secretary.get(f"/proposals/{pid}").get_json()["version"]
    manual = secretary.post(f"/proposals/{pid}/actions/decide", json={
        "expected_version": version,
        "outcomes": [{"nominee_id": nominee_of(world, pid), "outcome": "passed"}]})
    error(manual, 400, "invalid_input")
    sid = open_sitting(world, [pid])
    untallied = secretary.post(f"/proposals/{pid}/actions/decide",
                               json={"session_id": sid, "expected_version": version})
    assert "Chưa ghi kết quả bỏ phiếu" in error(untallied, 400, "invalid_input")["message"]


def test_who_sees_which_sitting(api_as, make_proposal, world):
    pid = make_proposal("at_council")
    draft = open_sitting(world, [], opened=False)
    sitting = open_sitting(world, [pid])
    ids = lambda api: [s["id"] for s in conforms(  # noqa: E731
        c.SittingList, api.get("/sittings").get_json())["sittings"]]
    assert sorted(ids(api_as("secretary"))) == [draft, sitting]
    assert ids(api_as("member7")) == [sitting]
    assert ids(api_as("unit1")) == [] and ids(api_as("reviewer")) == []
    error(api_as("member1").get(f"/sittings/{draft}"), 404, "not_found")
    error(api_as("unit1").get(f"/sittings/{sitting}"), 404, "not_found")
    error(api_as("unit1").post(f"/sittings/{sitting}/tallies/{nominee_of(world, pid)}",
                               json={"yes": 7}), 404, "not_found")
    detail = conforms(c.SittingOut, api_as("member1").get(f"/sittings/{sitting}").get_json())
    assert detail["status"] == "open" and detail["roster_size"] == 7
    assert [m["present"] for m in detail["members"]] == [True] * 7
    assert detail["agenda"][0]["nominees"][0]["tally"] is None


def test_the_openapi_document_has_the_sittings(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {"/sittings", "/sittings/{sid}", "/sittings/{sid}/tallies/{nid}"} <= set(
        doc["paths"])
    body = doc["paths"]["/proposals/{pid}/actions/{trigger}"]["post"]["requestBody"]
    assert body["x-trigger-bodies"]["decide"]["$ref"].endswith("/DecideBody")
