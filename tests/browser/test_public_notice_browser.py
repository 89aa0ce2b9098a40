"""The public notice clicked through in headless Chromium: the secretary previews and
publishes a list, a visitor with no account objects from the public page (a bad form keeps
what was typed), and the secretary upholds the objection, which sends that nominee back to
the Board. Screenshots under artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Objection, Proposal
from models.base import utcnow
from tests.support.browser import Camera, Visitor
from tests.support.notices import notice_world, person

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
__all__ = ["notice_world"]  # the fixture, used by name

OBJECTION = "Ông Hà Văn Hai chưa hoàn thành nhiệm vụ được giao trong năm."


def test_publish_object_and_uphold(notice_world, make_proposal, live_server, browser,
                                   screenshots):
    world = notice_world
    pid = make_proposal("at_council", campaign="TEST-NOTICE",
                        nominees=[person("Lê Thị Mới"), person("Hà Văn Hai")],
                        now=utcnow() - timedelta(days=5))
    camera = Camera(screenshots)
    secretary = Visitor(browser, live_server, camera, "secretary")
    secretary.click("#notices-link", "notices")
    secretary.click("#notice-rules tr:has-text('TEST-NOTICE') a", "preview")
    assert secretary.page.locator("#candidates tbody tr").count() == 2
    secretary.click("main form button[type=submit]", "published")
    assert "Đã công khai danh sách" in secretary.flash()

    visitor = browser.new_context(base_url=live_server, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = visitor.new_page()
    page.goto("/login")
    with page.expect_navigation():
        page.locator("main a[href='/cong-khai']").click()
    camera.shoot(page, "public-list")
    assert "Hà Văn Hai" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.locator("main section a.btn").first.click()
    page.select_option("#nominee_id", label="Hà Văn Hai — " + page.locator(
        "#notice-entries tbody tr").nth(1).locator("td").nth(3).inner_text())
    page.fill("#filer_name", "Trần Văn Dân")
    page.fill("#text", OBJECTION)
    with page.expect_navigation():
        page.locator("#objection-form button[type=submit]").click()
    camera.shoot(page, "public-refused")
    assert "Địa chỉ liên hệ: cần từ 5 đến 255 ký tự" in page.locator(
        "#objection-errors").inner_text()
    assert page.input_value("#text") == OBJECTION and page.input_value(
        "#filer_name") == "Trần Văn Dân"
    page.fill("#filer_contact", "0912 345 678")
    with page.expect_navigation():
        page.locator("#objection-form button[type=submit]").click()
    camera.shoot(page, "public-received")
    assert "Đã nhận ý kiến số 1 của bạn về Hà Văn Hai" in page.locator("main .alert").inner_text()
    visitor.close()

    secretary.page.reload()
    secretary.snap("objection")
    secretary.page.fill("#reason-1", "Đã xác minh với đơn vị")
    secretary.click("#objection-1 button[value=uphold]", "upheld")
    assert "Đã chấp nhận ý kiến" in secretary.flash()
    secretary.close()
    with world.db.session() as session:
        assert session.scalars(select(Objection.status)).all() == ["upheld"]
        split = session.scalar(select(Proposal).where(Proposal.split_from_id == pid))
        assert split.state == "submitted"
        assert [n.full_name for n in split.nominees] == ["Hà Văn Hai"]
        assert [n.full_name for n in world.proposal(session, pid).nominees] == ["Lê Thị Mới"]
