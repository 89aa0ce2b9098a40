"""The public notice as the people of the province and the Council secretary see it: the
lists running now (no login), the objection form, and the secretary's pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import func, select

from models import Proposal
from rules.calendar import TZ
from tests.support.notices import at_council, entries, notice_world, now_local, objections, publish
from tests.web.conftest import csrf_token, post_form

__all__ = ["notice_world"]  # the fixture, used by name


def nominee_of(world, pid):
    with world.db.session() as session:
        return world.proposal(session, pid).nominees[0].id


def test_the_public_page_shows_the_running_notices_without_login(notice_world, make_proposal,
                                                                  app):
    world = notice_world
    at_council(make_proposal, "Nguyễn Văn Cũ", days_ago=60)
    publish(world, "BK_CT_UBND", now_local() - timedelta(days=50))  # long ended
    at_council(make_proposal, "Lê Thị Mới", "Hà Văn Hai")
    running, ends = publish(world, "BK_CT_UBND", now_local())
    visitor = app.test_client()
    assert 'href="/cong-khai"' in visitor.get("/login").get_data(as_text=True)
    page = visitor.get("/cong-khai")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lê Thị Mới" in html and "Hà Văn Hai" in html
    assert "Nguyễn Văn Cũ" not in html
    assert f"đến 17 giờ ngày {ends.astimezone(TZ):%d/%m/%Y}" in html
    assert f'href="/cong-khai/{running}"' in html


def test_anyone_files_an_objection_and_a_bad_one_keeps_what_was_typed(notice_world,
                                                                      make_proposal, app):
    world = notice_world
    pid = at_council(make_proposal, "Lê Thị Mới")
    notice_id, _ = publish(world, "BK_CT_UBND", now_local())
    visitor = app.test_client()
    token = csrf_token(visitor, f"/cong-khai/{notice_id}")
    typed = {"csrf_token": token, "nominee_id": str(nominee_of(world, pid)),
             "filer_name": "Trần Văn Dân", "filer_contact": "", "text": "Ngắn <b>quá</b>"}
    refused = visitor.post(f"/cong-khai/{notice_id}", data=typed)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Địa chỉ liên hệ: cần từ 5 đến 255 ký tự" in html
    assert 'value="Trần Văn Dân"' in html
    assert "Ngắn &lt;b&gt;quá&lt;/b&gt;</textarea>" in html  # kept, and escaped
    assert re.search(rf'<option value="{typed["nominee_id"]}" selected>', html)
    assert objections(world) == []
    # Without the CSRF token nothing is filed either.
    assert visitor.post(f"/cong-khai/{notice_id}", data={**typed, "csrf_token": ""}
                        ).status_code == 400
    typed.update(filer_contact="0912 345 678",
                 text="Cá nhân này chưa hoàn thành nhiệm vụ năm nay.")
    filed = visitor.post(f"/cong-khai/{notice_id}", data=typed, follow_redirects=True)
    assert filed.status_code == 200
    assert "Đã nhận ý kiến số 1 của bạn về Lê Thị Mới" in unescape(filed.get_data(as_text=True))
    [objection] = objections(world)
    assert (objection.filer_name, objection.status) == ("Trần Văn Dân", "open")


def test_an_ended_notice_takes_no_more_objections(notice_world, make_proposal, app):
    world = notice_world
    pid = at_council(make_proposal, "Nguyễn Văn Cũ", days_ago=60)
    notice_id, ends = publish(world, "BK_CT_UBND", now_local() - timedelta(days=50))
    visitor = app.test_client()
    html = visitor.get(f"/cong-khai/{notice_id}").get_data(as_text=True)
    assert "đã kết thúc ngày" in html and 'id="objection-form"' not in html
    assert "Nguyễn Văn Cũ" not in html
    response = visitor.post(f"/cong-khai/{notice_id}", data={
        "csrf_token": csrf_token(visitor, "/cong-khai"), "nominee_id": nominee_of(world, pid),
        "filer_name": "Trần Văn Dân", "filer_contact": "0912 345 678",
        "text": "Cá nhân này chưa hoàn thành nhiệm vụ năm nay."})
    assert response.status_code == 409
    assert f"đã kết thúc ngày {ends.astimezone(TZ):%d/%m/%Y}" in response.get_data(as_text=True)
    assert objections(world) == []
    assert visitor.get("/cong-khai/999").status_code == 404


def test_the_secretary_publishes_after_a_preview_and_resolves_objections(
        notice_world, make_proposal, client_for, app):
    world = notice_world
    pid = at_council(make_proposal, "Lê Thị Mới", "Hà Văn Hai")
    secretary = client_for("secretary")
    # The Council's vote is held until a notice has run.
    with world.db.session() as session:
        outcomes = {f"outcome-{n.id}": "passed" for n in world.proposal(session, pid).nominees}
    post_form(secretary, f"/proposals/{pid}/actions/decide", outcomes, page=f"/proposals/{pid}")
    held = unescape(secretary.get(f"/proposals/{pid}").get_data(as_text=True))
    assert "Chưa thể “Ghi nhận kết quả xét”: chưa công khai danh sách" in held
    listing = secretary.get("/council/notices").get_data(as_text=True)
    with world.db.session() as session:
        campaign_id = world.proposal(session, pid).campaign_id
    preview_url = f"/council/notices/new?campaign={campaign_id}&award_form=BK_CT_UBND"
    assert unescape(preview_url) in unescape(listing)
    preview = secretary.get(preview_url).get_data(as_text=True)
    assert "Lê Thị Mới" in preview and "Hà Văn Hai" in preview
    published = post_form(secretary, "/council/notices", {
        "campaign_id": campaign_id, "award_form": "BK_CT_UBND", "stage": "before_council"},
        page=preview_url)
    assert published.status_code == 302
    notice_id = int(published.headers["Location"].rsplit("/", 1)[1])
    assert entries(world, notice_id) == ["Lê Thị Mới", "Hà Văn Hai"]

    visitor = app.test_client()
    for name in ("Lê Thị Mới", "Hà Văn Hai"):
        with world.db.session() as session:
            nid = next(n.id for n in world.proposal(session, pid).nominees
                       if n.full_name == name)
        visitor.post(f"/cong-khai/{notice_id}", data={
            "csrf_token": csrf_token(visitor, f"/cong-khai/{notice_id}"), "nominee_id": nid,
            "filer_name": "Người dân", "filer_contact": "dan@example.vn",
            "text": f"<script>x()</script> Ý kiến về {name}."})
    first, second = (o.id for o in objections(world))
    page = secretary.get(f"/council/notices/{notice_id}").get_data(as_text=True)
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
    # Dismissing needs a reason.
    post_form(secretary, f"/council/objections/{second}",
              {"resolution": "dismiss", "reason": "", "notice_id": notice_id},
              page=f"/council/notices/{notice_id}")
    assert "Cần ghi lý do bác ý kiến" in secretary.get(
        f"/council/notices/{notice_id}").get_data(as_text=True)
    post_form(secretary, f"/council/objections/{second}",
              {"resolution": "dismiss", "reason": "Không có căn cứ", "notice_id": notice_id},
              page=f"/council/notices/{notice_id}")
    post_form(secretary, f"/council/objections/{first}",
              {"resolution": "uphold", "reason": "Đã xác minh", "notice_id": notice_id},
              page=f"/council/notices/{notice_id}")
    assert [o.status for o in objections(world)] == ["upheld", "dismissed"]
    with world.db.session() as session:
        new_id = session.scalar(select(Proposal.id).where(Proposal.split_from_id == pid))
        assert session.scalar(select(func.count()).select_from(Proposal)) == 2
    queue = client_for("reviewer").get("/review/").get_data(as_text=True)
    assert f'href="/proposals/{new_id}"' in queue
    assert "(tách do khiếu nại)" in queue
    split = client_for("reviewer").get(f"/proposals/{new_id}").get_data(as_text=True)
    assert f'href="/proposals/{pid}"' in split and "Đã xác minh" in split


def test_only_the_secretary_sees_the_notice_pages(notice_world, make_proposal, client_for,
                                                  app):
    world = notice_world
    at_council(make_proposal, "Lê Thị Mới")
    notice_id, _ = publish(world, "BK_CT_UBND", now_local())
    for path in ("/council/notices", f"/council/notices/{notice_id}"):
        assert client_for("secretary").get(path).status_code == 200
        for other in ("reviewer", "member1", "unit1", "admin"):
            assert client_for(other).get(path).status_code == 403, (other, path)
        response = app.test_client().get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_one_address_cannot_flood_the_secretary_with_objections(notice_world, make_proposal,
                                                                app):
    """Every open objection holds the decision, so one client address files at most five a
    day; the sixth is refused and writes nothing, while another address is still heard."""
    world = notice_world
    pid = at_council(make_proposal, "Lê Thị Mới")
    notice_id, _ = publish(world, "BK_CT_UBND", now_local())
    form = {"nominee_id": str(nominee_of(world, pid)), "filer_name": "Trần Văn Dân",
            "filer_contact": "0912 345 678",
            "text": "Cá nhân này chưa hoàn thành nhiệm vụ năm nay."}

    def post(address):
        visitor = app.test_client()
        visitor.environ_base["REMOTE_ADDR"] = address
        token = csrf_token(visitor, f"/cong-khai/{notice_id}")
        return visitor.post(f"/cong-khai/{notice_id}", data={**form, "csrf_token": token})

    assert [post("203.0.113.7").status_code for _ in range(5)] == [302] * 5
    refused = post("203.0.113.7")
    assert refused.status_code == 409
    assert "chỉ gửi được 5 ý kiến trong 24 giờ" in refused.get_data(as_text=True)
    assert len(objections(world)) == 5
    assert post("198.51.100.20").status_code == 302
    assert len(objections(world)) == 6


def test_a_notice_not_yet_begun_is_not_shown(notice_world, make_proposal, app):
    world = notice_world
    at_council(make_proposal, "Trần Sắp Tới")
    notice_id, _ = publish(world, "BK_CT_UBND", now_local() + timedelta(days=3))
    visitor = app.test_client()
    page = visitor.get(f"/cong-khai/{notice_id}")
    assert page.status_code == 404
    assert "Trần Sắp Tới" not in page.get_data(as_text=True)
