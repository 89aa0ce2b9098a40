"""The whole path of a proposal, clicked through the real app in headless Chromium.

unit1 files a proposal under TEST-OPEN (its submission window runs to 2030, so it is open
on the real current date), meets a blocking finding, fixes it and submits; the reviewer
claims and returns it; unit1 reads the reason and resubmits; the reviewer forwards it; the
secretary holds a Council sitting (members present, agenda, the ballots of each nominee),
finalizes it and issues the decision. Every page visited is saved
as a full-page screenshot under artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuditEvent, Proposal
from tests.support.browser import Camera, Visitor, pdf_bytes
from tests.support.council_browser import (
    build_agenda_and_open,
    create_sitting_from_proposal,
    enter_tally,
    finalize_and_close,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "Đề nghị khen thưởng thành tích chuyển đổi số (kiểm thử trình duyệt)"
RETURN_REASON = "Báo cáo thành tích chưa có xác nhận của thủ trưởng đơn vị"
REJECT_REASON = "4/7 = 57,1% < 70% tổng số thành viên Hội đồng"
DECISION_NUMBER = "1/QĐ-UBND"  # tdkt numbers it: the first decision of the year
CONFLICT = "Hồ sơ vừa được người khác thay đổi trong lúc bạn thao tác"
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
DATETIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")

# The timeline a full walk leaves: (data-event, the Vietnamese label shown in the row).
WALK_EVENTS = [
    ("create", "Tạo hồ sơ"),
    ("add_nominee", "Thêm người được đề nghị"),       # the ineligible individual
    ("add_nominee", "Thêm người được đề nghị"),       # the collective
    ("add_document", "Thêm tài liệu"),                # an achievement report, not the letter
    ("update_nominee", "Sửa người được đề nghị"),     # the individual's real years
    ("add_document", "Thêm tài liệu"),                # the required cover letter
    ("submit", "Nộp hồ sơ"),
    ("claim", "Nhận thẩm định"),
    ("return", "Trả lại, yêu cầu bổ sung"),
    ("resubmit", "Nộp lại"),
    ("claim", "Nhận thẩm định"),
    ("forward", "Trình Hội đồng"),
    ("decide", "Ghi nhận kết quả xét"),
    ("issue_decision", "Ban hành quyết định"),
]


# unit1's part of the walk: filing the dossier.

def file_dossier(clerk: Visitor) -> int:
    page = clerk.page
    assert page.url.endswith("/unit/")
    box = page.locator("details:has(#new-proposal)")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    page.select_option("#campaign", "TEST-OPEN")
    page.fill("#title", TITLE)
    clerk.click("#new-proposal button[type=submit]", "new-draft")
    assert "Đã tạo hồ sơ dự thảo" in clerk.flash()
    assert clerk.state() == "Dự thảo"
    found = re.search(r"/proposals/(\d+)", page.url)
    assert found
    add_nominee(clerk, "Nguyễn Thị Lan", kind="individual", years="1",
                position="Chuyên viên", label="nominee-ineligible")
    add_nominee(clerk, "Phòng Chuyển đổi số", kind="collective", years="",
                position="", label="nominee-collective")
    where = page.locator("#nominees tr:has-text('Phòng Chuyển đổi số') td").nth(2)
    assert where.inner_text() == "Sở Thông tin và Truyền thông"   # no position: no comma
    upload(clerk, "bao_cao_thanh_tich", "bao-cao-thanh-tich.pdf", "achievement-report")
    return int(found.group(1))


def add_nominee(clerk: Visitor, name: str, *, kind: str, years: str, position: str,
                label: str) -> None:
    page = clerk.page
    page.locator("#nominee-form-box > summary").click()
    page.select_option("#kind", kind)
    page.fill("#full_name", name)
    page.fill("#position", position)
    page.fill("#work_unit", "Sở Thông tin và Truyền thông")
    page.select_option("#award_form", "BK_CT_UBND")
    page.fill("#years_in_service", years)
    page.check("#attr-digital_outcome")
    page.fill("#achievement_summary", "Hoàn thành xuất sắc nhiệm vụ chuyển đổi số năm 2022")
    clerk.click("#nominee-form button[type=submit]", label)
    assert "Đã thêm người được đề nghị" in clerk.flash(), clerk.flash()
    assert page.locator("#nominees tr", has_text=name).count() == 1


def upload(clerk: Visitor, doc_type: str, file_name: str, label: str) -> None:
    page = clerk.page
    page.select_option("#doc_type", doc_type)
    page.set_input_files("#file", files=[{"name": file_name, "mimeType": "application/pdf",
                                          "buffer": pdf_bytes(f"tdkt {doc_type}")}])
    clerk.click("#upload-form button[type=submit]", label)
    assert "Đã tải lên tài liệu" in clerk.flash(), clerk.flash()
    assert page.locator("#documents tr", has_text=file_name).count() == 1


def blocking_findings(page: Any) -> dict[str, str]:
    items = page.locator("#precheck li[data-finding]")
    return {items.nth(i).get_attribute("data-finding"): items.nth(i).inner_text()
            for i in range(items.count()) if "finding-blocking" in
            (items.nth(i).get_attribute("class") or "")}


def fix_and_submit(clerk: Visitor) -> None:
    page = clerk.page
    found = blocking_findings(page)
    assert set(found) == {"missing_document", "not_eligible"}, found
    assert "Thiếu tài liệu bắt buộc: Tờ trình đề nghị khen thưởng" in found["missing_document"]
    assert "Nguyễn Thị Lan" in found["not_eligible"]
    assert "Cá nhân cần có ít nhất 2 năm công tác" in found["not_eligible"]
    assert "2 lỗi chặn" in page.locator("#precheck h2").inner_text()

    # Submitting now is refused with the findings, and nothing moves.
    clerk.act("submit", "submit-refused")
    assert "Hồ sơ chưa đáp ứng quy định của phong trào" in clerk.flash()
    assert "Cần ít nhất" in clerk.flash() or "2 năm công tác" in clerk.flash()
    assert clerk.state() == "Dự thảo"

    # Fix: the individual's real years of service, and the missing cover letter.
    clerk.click("#nominees tr:has-text('Nguyễn Thị Lan') a:has-text('Sửa')", "edit-nominee")
    assert page.locator("#full_name").input_value() == "Nguyễn Thị Lan"
    assert page.locator("#years_in_service").input_value() == "1"
    page.fill("#years_in_service", "6")
    clerk.click("#nominee-form button[type=submit]", "nominee-fixed")
    assert "Đã cập nhật người được đề nghị" in clerk.flash(), clerk.flash()
    assert "not_eligible" not in blocking_findings(page)
    upload(clerk, "to_trinh", "to-trinh.pdf", "cover-letter")
    assert blocking_findings(page) == {}
    assert page.locator("#precheck h2 .badge").inner_text() == "Đạt"

    clerk.act("submit", "submitted")
    assert "Đã thực hiện: Nộp hồ sơ" in clerk.flash()
    assert clerk.state() == "Đã nộp"
    submitted_at = page.locator("dt:has-text('Ngày nộp') + dd").inner_text()
    assert DATETIME.match(submitted_at), submitted_at


def open_from_list(visitor: Visitor, list_path: str, label: str) -> None:
    visitor.goto(list_path, f"{label}-list")
    visitor.click(f"a:has-text('{TITLE}')", label)
    assert visitor.page.locator("#proposal-title").inner_text() == TITLE


def secretary_decides(secretary: Visitor, decision_date: str) -> None:
    page = secretary.page
    create_sitting_from_proposal(secretary, present=7)
    build_agenda_and_open(secretary, "TEST-OPEN", TITLE)
    enter_tally(secretary, "Nguyễn Thị Lan", "tally-individual", yes=6, no=1)
    enter_tally(secretary, "Phòng Chuyển đổi số", "tally-collective", yes=4, no=3)
    finalize_and_close(secretary)
    secretary.click(f"a:has-text('{TITLE}')", "decided")
    assert secretary.state() == "Được chấp thuận"

    # The decision is issued on the decisions page, the proposal already chosen.
    secretary.click("#issue-decision-link", "new-decision")
    assert page.locator("#candidates input[name=proposal_ids]:checked").count() == 1
    page.fill("#signed_on", decision_date)
    page.fill("#signer_name", "Hoàng Văn Thắng")
    secretary.click("#decision-form button[type=submit]", "decision-issued")
    assert f"Đã ban hành quyết định số {DECISION_NUMBER}." in secretary.flash()
    assert page.locator("#decision-number").inner_text() == f"Quyết định số {DECISION_NUMBER}"
    entries = page.locator("#entries tbody").inner_text()
    assert "Nguyễn Thị Lan" in entries and "Phòng Chuyển đổi số" not in entries
    with page.expect_download() as download:
        page.click("#exports a:has-text('Excel')")
    assert download.value.suggested_filename.endswith("-danh-sach.xlsx")
    with open(download.value.path(), "rb") as saved:  # saved without an extension
        rows = list(load_workbook(io.BytesIO(saved.read())).active.iter_rows(values_only=True))
    assert rows[-1][:2] == (1, "Nguyễn Thị Lan")
    secretary.click("#decision-title ~ dl a", "back-to-proposal")


def assert_final_page(page: Any, decision_date: str, days: set[str]) -> None:
    badge = page.locator("#proposal-title ~ [data-state]")
    assert badge.inner_text() == "Đã có quyết định"
    assert badge.get_attribute("data-state") == "decided"
    decision = page.locator("dt:has-text('Quyết định') + dd").inner_text()
    assert decision == f"{DECISION_NUMBER} ngày {decision_date}"
    nominees = page.locator("#nominees tbody")
    assert "Đạt" in nominees.locator("tr:has-text('Nguyễn Thị Lan')").inner_text()
    assert (f"Không đạt — {REJECT_REASON}"
            in nominees.locator("tr:has-text('Phòng Chuyển đổi số')").inner_text())
    assert not page.locator("#actions").count(), "a decided proposal offers no action"

    rows = page.locator("#timeline tbody tr")
    shown = [(rows.nth(i).get_attribute("data-event"),
              rows.nth(i).locator("td").nth(2).inner_text()) for i in range(rows.count())]
    assert shown == WALK_EVENTS
    for i in range(rows.count()):
        when = rows.nth(i).locator("td").first.inner_text()
        assert DATETIME.match(when) and when[:10] in days, when
    returned = page.locator("#timeline tr[data-event=return]")
    assert RETURN_REASON in returned.inner_text()
    assert "Đang thẩm định → Trả lại bổ sung" in returned.inner_text()
    issued = page.locator("#timeline tr[data-event=issue_decision]").inner_text()
    assert "Được chấp thuận → Đã có quyết định" in issued


def test_the_whole_path_through_the_browser(browser, live_server, world, screenshots):
    camera = Camera(screenshots)
    today = datetime.now(VN)
    days = {(today + timedelta(days=d)).strftime("%d/%m/%Y") for d in (0, 1)}
    decision_date = today.strftime("%d/%m/%Y")

    clerk = Visitor(browser, live_server, camera, "unit1")
    pid = file_dossier(clerk)
    fix_and_submit(clerk)

    reviewer = Visitor(browser, live_server, camera, "reviewer")
    reviewer.goto("/review/", "queue-list")
    row = reviewer.page.locator("#queue tr", has_text=TITLE)
    assert "Đã nộp" in row.inner_text()
    # The submission date, then the due date with the working days left.
    assert DATE.match(row.locator("td").nth(-2).inner_text()), row.inner_text()
    assert "còn 10 ngày" in row.locator("td").last.inner_text(), row.inner_text()
    reviewer.click(f"a:has-text('{TITLE}')", "queue")
    reviewer.act("claim", "claimed")
    assert reviewer.state() == "Đang thẩm định"
    reviewer.page.fill("#reason-return", RETURN_REASON)
    reviewer.act("return", "returned")
    assert "Đã thực hiện: Trả lại, yêu cầu bổ sung" in reviewer.flash()
    assert reviewer.state() == "Trả lại bổ sung"

    clerk.goto(f"/proposals/{pid}", "sees-return")
    assert clerk.state() == "Trả lại bổ sung"
    assert clerk.page.locator("#last-reason").inner_text() == RETURN_REASON
    clerk.page.locator("form[data-action=resubmit] input[name=reason]").fill(
        "Đã bổ sung xác nhận của thủ trưởng đơn vị")
    clerk.act("resubmit", "resubmitted")
    assert clerk.state() == "Đã nộp"

    open_from_list(reviewer, "/review/", "queue-again")
    reviewer.act("claim", "claimed-again")
    reviewer.act("forward", "forwarded")
    assert reviewer.state() == "Trình Hội đồng"

    secretary = Visitor(browser, live_server, camera, "secretary")
    open_from_list(secretary, "/council/", "council")
    secretary_decides(secretary, decision_date)
    assert_final_page(secretary.page, decision_date, days)

    clerk.goto(f"/proposals/{pid}", "sees-decision")
    assert_final_page(clerk.page, decision_date, days)
    clerk.click("#nominees a:has-text('Nguyễn Thị Lan')", "nominee-history")
    history = clerk.page.locator("#history tbody tr").first
    assert "Bằng khen của Chủ tịch UBND tỉnh" in history.inner_text()
    assert DECISION_NUMBER in history.inner_text()
    clerk.goto("/unit/?state=decided", "dashboard-decided")
    assert clerk.page.locator("#proposals tr", has_text=TITLE).count() == 1

    with world.db.session() as session:
        assert session.get(Proposal, pid).state == "decided"
    for visitor in (clerk, reviewer, secretary):
        visitor.close()
    assert len(camera.taken) >= 25 and all(p.stat().st_size > 0 for p in camera.taken)


def claim_events(world: Any, pid: int) -> int:
    with world.db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.proposal_id == pid, AuditEvent.action == "claim"))


def test_a_repeated_claim_is_applied_once(browser, live_server, world, make_proposal,
                                          screenshots):
    camera = Camera(screenshots)
    pid = make_proposal("submitted")
    reviewer = Visitor(browser, live_server, camera, "reviewer")
    reviewer.goto(f"/proposals/{pid}", "submitted")
    stale = reviewer.context.new_page()
    stale.goto(f"/proposals/{pid}")
    reviewer.snap("stale-tab", stale)

    reviewer.act("claim", "claimed")
    assert "Đã thực hiện: Nhận thẩm định" in reviewer.flash()
    assert reviewer.state() == "Đang thẩm định"

    # The same claim form again, from the tab that still shows the submitted proposal.
    reviewer.act("claim", "claimed-again-from-stale-tab", stale)
    assert CONFLICT in reviewer.flash(stale)
    assert reviewer.state(stale) == "Đang thẩm định"
    assert claim_events(world, pid) == 1

    # And once more from the browser's history: back to the page before the claim.
    reviewer.page.go_back()
    reviewer.snap("back")
    if reviewer.page.locator("form[data-action=claim]").count():
        reviewer.act("claim", "claimed-again-from-history")
        assert CONFLICT in reviewer.flash() or "Không thể" in reviewer.flash()
    assert claim_events(world, pid) == 1

    # A double click on a button sends the form twice at most; it is applied once.
    reviewer.goto(f"/proposals/{pid}", "before-double-click")
    reviewer.page.locator("form[data-action=forward] button").dblclick()
    reviewer.page.locator("main > .alert").first.wait_for()
    reviewer.page.wait_for_load_state()
    reviewer.snap("after-double-click")
    flash = reviewer.flash()
    assert "Đã thực hiện: Trình Hội đồng" in flash or CONFLICT in flash, flash
    assert reviewer.state() == "Trình Hội đồng"
    rows = reviewer.page.locator("#timeline tr[data-event=claim]")
    assert rows.count() == 1
    assert reviewer.page.locator("#timeline tr[data-event=forward]").count() == 1
    with world.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.proposal_id == pid, AuditEvent.action == "forward")) == 1
    reviewer.close()
