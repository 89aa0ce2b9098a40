"""Public notices in the JSON API: the secretary publishes, anyone signed in reads the
running list and objects, the secretary reads the objections and resolves them — with
the permissions and limits of the public page and the secretary's pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import AuditEvent, Proposal
from models.base import utcnow
from tests.support.api_client import conforms, error
from tests.support.notices import at_council, campaign_id, notice_world, objections, publish
from web.api import notices as n

__all__ = ["notice_world"]  # the fixture, used by name

COMPLAINT = "Cá nhân này chưa hoàn thành nhiệm vụ năm nay."


def objection(nominee_id: int, **changes: object) -> dict[str, object]:
    return {"nominee_id": nominee_id, "filer_name": "Trần Văn Dân",
            "filer_contact": "0912 345 678", "text": COMPLAINT, **changes}


def nominee_ids(world, pid: int) -> dict[str, int]:
    with world.db.session() as session:
        return {m.full_name: m.id for m in world.proposal(session, pid).nominees}


def test_the_secretary_publishes_through_the_api_and_lists_it(notice_world, api_as,
                                                               make_proposal):
    world = notice_world
    at_council(make_proposal, "Lê Thị Mới", "Hà Văn Hai")
    with world.db.session() as session:
        body = {"campaign_id": campaign_id(session, "TEST-NOTICE"), "award_form": "BK_CT_UBND"}
    secretary = api_as("secretary")
    for other in ("reviewer", "unit1", "member1"):
        error(api_as(other).post("/notices", json=body), 403, "permission_denied")
    wrong = secretary.post("/notices", json={**body, "stage": "before_decision"})
    assert "trước khi Hội đồng xét" in error(wrong, 400, "invalid_input")["message"]
    error(secretary.post("/notices", json={**body, "award_form": "LDTT"}), 400,
          "invalid_input")

    published = secretary.post("/notices", json={**body, "stage": "before_council"})
    assert published.status_code == 201, published.get_data(as_text=True)
    notice = conforms(n.NoticeDetail, published.get_json())
    assert published.headers["Location"].endswith(f"/api/v1/notices/{notice['id']}")
    assert [e["full_name"] for e in notice["entries"]] == ["Lê Thị Mới", "Hà Văn Hai"]
    assert {e["award_form"] for e in notice["entries"]} == {"BK_CT_UBND"}
    assert notice["running"] is True and notice["stage"] == "before_council"
    assert notice["campaign"]["code"] == "TEST-NOTICE" and notice["entry_count"] == 2
    assert notice["objections"] == [] and notice["open_objections"] == 0
    nobody_left = secretary.post("/notices", json=body)
    assert "Không có cá nhân" in error(nobody_left, 400, "invalid_input")["message"]

    listing = conforms(n.NoticeList, secretary.get("/notices").get_json())
    (row,) = listing["notices"]
    conforms(n.NoticeSummary, row)
    assert row["id"] == notice["id"] and row["open_objections"] == 0


def test_others_read_the_running_notice_and_its_list_but_not_the_objections(
        notice_world, api_as, make_proposal):
    world = notice_world
    now = utcnow()
    at_council(make_proposal, "Nguyễn Văn Cũ", days_ago=60)
    ended, _ = publish(world, "BK_CT_UBND", now - timedelta(days=50))
    running_pid = at_council(make_proposal, "Lê Thị Mới")
    running, _ = publish(world, "BK_CT_UBND", now)
    at_council(make_proposal, "Trần Sắp Tới")
    future, _ = publish(world, "BK_CT_UBND", now + timedelta(days=10))
    api_as("unit2").post(f"/notices/{running}/objections",
                         json=objection(nominee_ids(world, running_pid)["Lê Thị Mới"]))

    secretary = api_as("secretary")
    ids = lambda api: [row["id"] for row in conforms(  # noqa: E731
        n.NoticeList, api.get("/notices").get_json())["notices"]]
    assert ids(secretary) == [future, running, ended]  # the latest first
    assert secretary.get("/notices").get_json()["notices"][1]["open_objections"] == 1
    for name in ("reviewer", "unit1", "member1"):
        other = api_as(name)
        assert ids(other) == [running], name
        assert other.get("/notices").get_json()["notices"][0]["open_objections"] is None
        seen = conforms(n.NoticeDetail, other.get(f"/notices/{running}").get_json())
        (entry,) = seen["entries"]
        assert entry["full_name"] == "Lê Thị Mới" and entry["kind"] == "individual"
        assert entry["position_title"] == "Chuyên viên" and entry["unit_name"]
        assert seen["objections"] is None and seen["open_objections"] is None
        # As on the public page: an ended notice no longer shows its list, one not begun is
        # not shown at nor objected to.
        gone = conforms(n.NoticeDetail, other.get(f"/notices/{ended}").get_json())
        assert gone["running"] is False and gone["entries"] == []
        assert gone["entry_count"] is None  # not even how many it listed
        error(other.get(f"/notices/{future}"), 404, "not_found")
        error(other.post(f"/notices/{future}/objections", json=objection(1)), 404,
              "not_found")
    ahead = conforms(n.NoticeDetail, secretary.get(f"/notices/{future}").get_json())
    assert [e["full_name"] for e in ahead["entries"]] == ["Trần Sắp Tới"]
    past = conforms(n.NoticeDetail, secretary.get(f"/notices/{ended}").get_json())
    assert [e["full_name"] for e in past["entries"]] == ["Nguyễn Văn Cũ"]
    assert past["entry_count"] == 1
    error(secretary.get("/notices/999"), 404, "not_found")
    error(api_as("reviewer").get("/notices/999"), 404, "not_found")


def test_an_objection_through_the_api_and_its_resolution(notice_world, api_as,
                                                         make_proposal):
    world = notice_world
    pid = at_council(make_proposal, "Lê Thị Mới", "Hà Văn Hai")
    notice_id, _ = publish(world, "BK_CT_UBND", utcnow())
    named = nominee_ids(world, pid)
    clerk, secretary, reviewer = api_as("unit2"), api_as("secretary"), api_as("reviewer")

    bad = clerk.post(f"/notices/{notice_id}/objections",
                     json=objection(named["Lê Thị Mới"], filer_contact=""))
    assert "Địa chỉ liên hệ: cần từ 5 đến 255 ký tự" in error(bad, 400, "invalid_input")[
        "errors"]
    unlisted = clerk.post(f"/notices/{notice_id}/objections", json=objection(999_999))
    error(unlisted, 400, "invalid_input")
    error(clerk.post(f"/notices/{notice_id}/objections",
                     json=objection(str(named["Lê Thị Mới"]))), 400, "invalid_input")
    error(clerk.post("/notices/999/objections", json=objection(named["Lê Thị Mới"])), 404,
          "not_found")
    assert objections(world) == []

    filed = {}
    for name in ("Lê Thị Mới", "Hà Văn Hai"):
        response = clerk.post(f"/notices/{notice_id}/objections", json=objection(
            named[name], text=f"<script>x()</script> Ý kiến về {name}."))
        assert response.status_code == 201, response.get_data(as_text=True)
        filed[name] = conforms(n.ObjectionOut, response.get_json())
        assert filed[name]["status"] == "open" and filed[name]["nominee_name"] == name
    first, second = filed["Lê Thị Mới"]["id"], filed["Hà Văn Hai"]["id"]
    with world.db.session() as s:  # the trail names who sent them, not an anonymous citizen
        filers = set(s.scalars(select(AuditEvent.actor_id).where(
            AuditEvent.stream == f"notice:{notice_id}", AuditEvent.action == "file_objection")))
    assert filers == {world.user_ids["unit2"]}

    assert conforms(n.NoticeDetail, reviewer.get(f"/notices/{notice_id}").get_json())[
        "objections"] is None
    seen = conforms(n.NoticeDetail, secretary.get(f"/notices/{notice_id}").get_json())
    assert [o["id"] for o in seen["objections"]] == [first, second]
    assert seen["open_objections"] == 2
    assert seen["objections"][0]["text"] == "<script>x()</script> Ý kiến về Lê Thị Mới."
    assert seen["objections"][0]["filer_contact"] == "0912 345 678"
    conforms(n.ObjectionOut, seen["objections"][0])

    for other in ("reviewer", "unit1", "member1"):
        error(api_as(other).post(f"/objections/{first}/resolve",
                                 json={"resolution": "dismiss", "reason": "Không có căn cứ"}),
              403, "permission_denied")
    no_reason = secretary.post(f"/objections/{second}/resolve", json={"resolution": "dismiss"})
    assert "Cần ghi lý do bác ý kiến" in error(no_reason, 400, "invalid_input")["message"]
    error(secretary.post(f"/objections/{second}/resolve", json={"resolution": "maybe"}), 400,
          "invalid_input")
    error(secretary.post("/objections/999/resolve", json={"resolution": "uphold"}), 404,
          "not_found")
    assert [o.status for o in objections(world)] == ["open", "open"]

    dismissed = secretary.post(f"/objections/{second}/resolve",
                               json={"resolution": "dismiss", "reason": "Không có căn cứ"})
    assert dismissed.status_code == 200, dismissed.get_data(as_text=True)
    after = conforms(n.NoticeDetail, dismissed.get_json())
    assert after["id"] == notice_id and after["open_objections"] == 1
    assert after["objections"][1]["status"] == "dismissed"
    assert after["objections"][1]["resolution"] == "Không có căn cứ"
    assert after["objections"][1]["resolved_at"] is not None
    upheld = conforms(n.NoticeDetail, secretary.post(
        f"/objections/{first}/resolve",
        json={"resolution": "uphold", "reason": "Đã xác minh"}).get_json())
    assert [o["status"] for o in upheld["objections"]] == ["upheld", "dismissed"]
    assert upheld["open_objections"] == 0
    # Upheld: the nominee goes back to the Board, split off while the other goes on.
    with world.db.session() as session:
        split = session.scalar(select(Proposal).where(Proposal.split_from_id == pid))
        assert split is not None and split.state == "submitted"
        assert [m.full_name for m in split.nominees] == ["Lê Thị Mới"]
    again = secretary.post(f"/objections/{first}/resolve",
                           json={"resolution": "dismiss", "reason": "Không có căn cứ"})
    error(again, 409, "invalid_transition")
    once_more = clerk.post(f"/notices/{notice_id}/objections",
                           json=objection(named["Lê Thị Mới"]))
    assert "đã được chấp nhận" in error(once_more, 409, "invalid_transition")["message"]


def test_an_ended_notice_and_one_address_filing_too_many_are_refused(notice_world, api_as,
                                                                     make_proposal):
    world = notice_world
    old = at_council(make_proposal, "Nguyễn Văn Cũ", days_ago=60)
    ended, _ = publish(world, "BK_CT_UBND", utcnow() - timedelta(days=50))
    late = api_as("reviewer").post(f"/notices/{ended}/objections",
                                   json=objection(nominee_ids(world, old)["Nguyễn Văn Cũ"]))
    assert "đã kết thúc ngày" in error(late, 409, "invalid_transition")["message"]

    pid = at_council(make_proposal, "Lê Thị Mới")
    notice_id, _ = publish(world, "BK_CT_UBND", utcnow())
    body = objection(nominee_ids(world, pid)["Lê Thị Mới"])

    def post(address: str):
        caller = api_as("unit1")
        caller.client.environ_base["REMOTE_ADDR"] = address
        return caller.post(f"/notices/{notice_id}/objections", json=body)

    assert [post("203.0.113.7").status_code for _ in range(5)] == [201] * 5
    flood = post("203.0.113.7")
    assert "chỉ gửi được 5 ý kiến trong 24 giờ" in error(flood, 409, "invalid_transition")[
        "message"]
    assert len(objections(world)) == 5
    assert post("198.51.100.20").status_code == 201


def test_the_openapi_document_has_the_notices(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {("/notices", "get"), ("/notices", "post"), ("/notices/{notice_id}", "get"),
            ("/notices/{notice_id}/objections", "post"),
            ("/objections/{objection_id}/resolve", "post")} <= {
        (path, method) for path, ops in doc["paths"].items() for method in ops}
    resolve = doc["paths"]["/objections/{objection_id}/resolve"]["post"]
    assert set(resolve["responses"]) == {"200", "400", "401", "403", "404", "409", "503"}
