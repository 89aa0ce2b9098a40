"""The user guide's screenshots (docs/huong-dan-su-dung.md), one test per role.

Each test walks one role's main job in headless Chromium at 1280×800 over the demo data
(`tdkt demo`'s proposals, seeded on the suite's pinned clock), checks at every step what
the user sees (a heading, a badge, a message) and saves the viewport as a PNG named by
role and step. The PNGs go to pytest's tmp dir, or to the directory named by
TDKT_GUIDE_IMG: `python -m tests.browser.screenshots` sets it to regenerate docs/img/.
There every PNG is reduced to a 256-colour palette (tests/browser/png.py); in a plain
run only one over the 150 KB limit is.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from models import Notice, Proposal, User
from models.base import utcnow
from models.db import Database
from tests.browser.png import palette_png
from tests.conftest import FAST_HASH, World
from tests.support.browser import pdf_bytes
from workflow.notices.objections import ObjectionForm, file_objection
from workflow.operations.demo_seed import seed_demo
from workflow.proposals.service import act

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

OUTPUT_ENV = "TDKT_GUIDE_IMG"
VIEWPORT = {"width": 1280, "height": 800}
MAX_BYTES = 150 * 1024
PASSWORD = "tdkt-demo"

NEW_TITLE = "Đề nghị tặng Giấy khen cán bộ tham gia hỗ trợ giảm nghèo năm 2025"
NEW_NOMINEE = "Hoàng Văn Minh"
SUBMITTED = "Đề nghị khen thưởng tổng kết phong trào vì người nghèo"     # Triệu Văn Đức
UNDER_REVIEW = "Đề nghị tặng Giấy khen cán bộ một cửa"                   # Lương Thị Dung
RETURNED = "Đề nghị tặng Bằng khen giáo viên vận động hỗ trợ hộ nghèo"   # Vy Thị Hằng
AT_COUNCIL = "Đề nghị tặng Giấy khen cán bộ hỗ trợ giảm nghèo"           # Đinh Văn Cường
NOTICED = "Ban Bồi thường, hỗ trợ và tái định cư huyện Cao Lộc"          # GPMB, on notice
RETURN_REASON = ("Báo cáo thành tích chưa nêu số hộ được hỗ trợ thoát nghèo; "
                 "đề nghị bổ sung số liệu có xác nhận của UBND xã")


# The demo world: `tdkt demo`'s units, users, campaigns, proposals and notices.

@pytest.fixture(scope="module")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory,
                  ) -> tuple[Path, Path, dict[str, int]]:
    """Seeded once for this file: the database file, its documents and the user ids."""
    root = tmp_path_factory.mktemp("guide-world")
    path, storage = root / "tdkt.sqlite", root / "documents"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    with database.unit_of_work() as session:
        seed_demo(session, storage, password_hash=FAST_HASH, now=utcnow())
    with database.session() as session:
        ids = {u.username: u.id for u in session.scalars(select(User))}
    database.dispose()
    return path, storage, ids


@pytest.fixture(scope="module")
def sqlite_world(demo_template: tuple[Path, Path, dict[str, int]]) -> tuple[Path, dict[str, int]]:
    """Overrides the suite's world for this file: the demo's, proposals included."""
    return demo_template[0], demo_template[2]


@pytest.fixture
def demo(world: World, demo_template: tuple[Path, Path, dict[str, int]]) -> World:
    """The world with the demo's stored documents copied to where the app looks."""
    shutil.copytree(demo_template[1], world.storage, dirs_exist_ok=True)
    return world


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(OUTPUT_ENV)
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("guide-img")


def proposal_id(world: World, title: str) -> int:
    with world.db.session() as session:
        found = session.scalar(select(Proposal.id).where(Proposal.title == title))
        assert found is not None, title
        return found


def forward_by_service(world: World, title: str) -> int:
    """The Board forwards a submitted demo proposal (set-up for the Council's chapter)."""
    pid = proposal_id(world, title)
    with world.db.unit_of_work() as session:
        reviewer = world.user(session, "reviewer")
        act(session, pid, "claim", reviewer, now=utcnow())
        act(session, pid, "forward", reviewer, now=utcnow())
    return pid


def object_to_the_notice(world: World) -> int:
    """Someone objects to the one name on the demo's public notice; the objection's id."""
    with world.db.unit_of_work() as session:
        notice = session.scalars(select(Notice)).one()
        objection = file_objection(session, notice.id, notice.entries[0].nominee_id,
                                   ObjectionForm("Trần Văn Dân", "0912 345 678",
                                                 "Tiến độ giải phóng mặt bằng dự án đường "
                                                 "tránh chưa đạt như báo cáo."), utcnow())
        return objection.id


class Guide:
    """One person in a browser context of their own; `shot` saves the viewport."""

    def __init__(self, browser: Any, base_url: str, out: Path, role: str,
                 username: str | None = None) -> None:
        self.out, self.role, self.step = out, role, 0
        self.context = browser.new_context(base_url=base_url, locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh", viewport=VIEWPORT)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        if username:
            self.goto("/login")
            self.page.fill("#username", username)
            self.page.fill("#password", PASSWORD)
            self.click("main form button[type=submit]")
            assert "/login" not in self.page.url, f"{username} could not log in"

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"

    def click(self, selector: str) -> None:
        """Click a link or a form's button and wait for the next page."""
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def shot(self, name: str, at: str | None = None, hide: str | None = None) -> Path:
        """Save the viewport as `<role>-<n>-<name>.png`, scrolled to `at` if given, with
        `hide` covered by a grey box (what changes on every run, such as a new key)."""
        self.step += 1
        if at:
            self.page.locator(at).first.evaluate(
                "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 8)")
        else:
            self.page.evaluate("window.scrollTo(0, 0)")
        path = self.out / f"{self.role}-{self.step}-{name}.png"
        # No focus ring, no hover: the same page gives the same picture on every run.
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        self.page.mouse.move(0, VIEWPORT["height"] - 1)
        png = self.page.screenshot(animations="disabled", mask_color="#adb5bd",
                                   mask=[self.page.locator(hide)] if hide else [])
        if os.environ.get(OUTPUT_ENV) or len(png) > MAX_BYTES:
            png = palette_png(self.context, png)
        path.write_bytes(png)
        assert 0 < len(png) <= MAX_BYTES, f"{path.name}: {len(png)} bytes"
        return path

    def heading(self) -> str:
        return self.page.locator("main h1").first.inner_text()

    def flash(self) -> str:
        return " ".join(self.page.locator("main > .alert").all_inner_texts())

    def state(self) -> str:
        return self.page.locator("#proposal-title ~ [data-state]").inner_text()

    def open_proposal(self, title: str) -> None:
        self.click(f"a:has-text('{title}')")
        assert self.page.locator("#proposal-title").inner_text() == title

    def close(self) -> None:
        self.context.close()


def test_clerk_files_and_submits(browser, demo, live_server, shots_dir):
    clerk = Guide(browser, live_server, shots_dir, "clerk", "unit1")
    page = clerk.page
    assert page.url.endswith("/unit/")
    assert clerk.heading() == "Hồ sơ của đơn vị · Sở Thông tin và Truyền thông"
    counts = page.locator("#state-counts").inner_text()
    assert "Dự thảo" in counts and "Đã có quyết định" in counts
    clerk.shot("dashboard")

    page.locator("details:has(#new-proposal) summary").click()
    page.select_option("#campaign", "GN-2021-2025")
    page.fill("#title", NEW_TITLE)
    clerk.shot("new-proposal")
    clerk.click("#new-proposal button[type=submit]")
    assert "Đã tạo hồ sơ dự thảo" in clerk.flash()
    assert clerk.state() == "Dự thảo"
    assert "lỗi chặn" in page.locator("#precheck h2").inner_text()
    clerk.shot("draft")

    page.locator("#nominee-form-box > summary").click()
    page.select_option("#kind", "individual")
    page.fill("#full_name", NEW_NOMINEE)
    page.fill("#position", "Chuyên viên Phòng Kế hoạch – Tài chính")
    page.fill("#work_unit", "Sở Thông tin và Truyền thông")
    page.select_option("#award_form", "GIAY_KHEN")
    page.fill("#years_in_service", "7")
    page.fill("#achievement_summary",
              "Trực tiếp hỗ trợ 12 hộ nghèo ứng dụng dịch vụ công trực tuyến")
    clerk.shot("nominee-form", at="#nominee-form-box")
    clerk.click("#nominee-form button[type=submit]")
    assert "Đã thêm người được đề nghị" in clerk.flash()
    assert page.locator("#nominees tr", has_text=NEW_NOMINEE).count() == 1
    findings = page.locator("#precheck").inner_text()
    assert "Thiếu tài liệu bắt buộc" in findings, findings
    clerk.shot("precheck", at="#precheck")

    for doc_type, name in (("to_trinh", "to-trinh.pdf"),
                           ("bao_cao_tom_tat", "bao-cao-tom-tat.pdf")):
        page.select_option("#doc_type", doc_type)
        page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf",
                                              "buffer": pdf_bytes(f"tdkt {doc_type}")}])
        clerk.click("#upload-form button[type=submit]")
        assert "Đã tải lên tài liệu" in clerk.flash(), clerk.flash()
    assert page.locator("#documents tbody tr").count() == 2
    assert page.locator("#precheck h2 .badge").inner_text() == "Đạt"
    clerk.shot("documents", at="#precheck")

    clerk.click("form[data-action=submit] button[type=submit]")
    assert "Đã thực hiện: Nộp hồ sơ" in clerk.flash()
    assert clerk.state() == "Đã nộp"
    assert re.match(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}$",
                    page.locator("dt:has-text('Ngày nộp') + dd").inner_text())
    clerk.shot("submitted")
    clerk.close()

    # unit2's proposal that the Board returned: the reason is at the top of the page.
    other = Guide(browser, live_server, shots_dir, "clerk", "unit2")
    other.step = clerk.step
    other.goto("/unit/?state=returned")
    other.open_proposal(RETURNED)
    assert other.state() == "Trả lại bổ sung"
    assert "Báo cáo thành tích chưa có xác nhận" in other.page.locator("#last-reason").inner_text()
    assert other.page.locator("form[data-action=resubmit]").count() == 1
    other.shot("returned")
    other.close()


def test_board_reviews_returns_and_forwards(browser, demo, live_server, shots_dir):
    # unit2 has resubmitted the returned proposal: the Board has two to appraise.
    with demo.db.unit_of_work() as session:
        act(session, proposal_id(demo, RETURNED), "resubmit", demo.user(session, "unit2"),
            now=utcnow(), reason="Đã bổ sung xác nhận của thủ trưởng đơn vị")

    reviewer = Guide(browser, live_server, shots_dir, "reviewer", "reviewer")
    page = reviewer.page
    reviewer.goto("/review/")
    assert reviewer.heading() == "Hàng đợi thẩm định"
    queue = page.locator("#queue tbody")
    assert "Đã nộp" in queue.locator("tr", has_text=SUBMITTED).inner_text()
    assert "Đang thẩm định" in queue.locator("tr", has_text=UNDER_REVIEW).inner_text()
    reviewer.shot("queue")

    page.fill("input[name=unit_q]", "cao loc")
    reviewer.click("#queue-filters button[type=submit]")
    rows = page.locator("#queue tbody tr")
    assert rows.count() >= 2
    assert all("Cao Lộc" in rows.nth(i).inner_text() for i in range(rows.count()))
    reviewer.shot("queue-filtered")

    reviewer.goto("/review/")
    reviewer.open_proposal(SUBMITTED)
    assert reviewer.state() == "Đã nộp"
    reviewer.click("form[data-action=claim] button[type=submit]")
    assert "Đã thực hiện: Nhận thẩm định" in reviewer.flash()
    assert reviewer.state() == "Đang thẩm định"
    assert page.locator("dt:has-text('Người thụ lý') + dd").inner_text() == (
        "Nông Thị Mai (chuyên viên Ban TĐKT)")
    reviewer.shot("claimed")
    assert page.locator("#precheck h2 .badge").inner_text() == "Đạt"
    reviewer.shot("dossier", at="#precheck")

    page.fill("#reason-return", RETURN_REASON)
    reviewer.shot("return-reason", at="#actions")
    reviewer.click("form[data-action=return] button[type=submit]")
    assert "Đã thực hiện: Trả lại, yêu cầu bổ sung" in reviewer.flash()
    assert reviewer.state() == "Trả lại bổ sung"
    assert page.locator("#last-reason").inner_text() == RETURN_REASON
    reviewer.shot("returned")

    reviewer.goto("/review/")
    reviewer.open_proposal(RETURNED)
    assert reviewer.state() == "Đã nộp"
    reviewer.click("form[data-action=claim] button[type=submit]")
    reviewer.click("form[data-action=forward] button[type=submit]")
    assert "Đã thực hiện: Trình Hội đồng" in reviewer.flash()
    assert reviewer.state() == "Trình Hội đồng"
    reviewer.shot("forwarded")
    reviewer.close()

    head = Guide(browser, live_server, shots_dir, "boardhead", "boardhead")
    page = head.page
    head.goto("/review/")
    head.open_proposal(UNDER_REVIEW)
    assert head.state() == "Đang thẩm định"
    page.locator("form[data-action=reassign] select[name=assignee_id]").select_option(
        label="Vi Văn Tùng (chuyên viên Ban TĐKT)")
    head.shot("reassign", at="#actions")
    head.click("form[data-action=reassign] button[type=submit]")
    assert "Đã thực hiện: Phân công lại" in head.flash(), head.flash()
    assert page.locator("dt:has-text('Người thụ lý') + dd").inner_text() == (
        "Vi Văn Tùng (chuyên viên Ban TĐKT)")
    head.shot("reassigned")
    head.close()


def test_secretary_holds_a_sitting_and_issues_the_decision(browser, demo, live_server,
                                                            shots_dir):
    pid = forward_by_service(demo, SUBMITTED)
    secretary = Guide(browser, live_server, shots_dir, "secretary", "secretary")
    page = secretary.page
    secretary.goto("/council/")
    assert secretary.heading() == "Hội đồng Thi đua – Khen thưởng"
    assert page.locator("main a", has_text=SUBMITTED).count() >= 1
    secretary.shot("council")

    secretary.click("main a:has-text('Phiên họp Hội đồng')")
    secretary.click("#new-sitting")
    assert secretary.heading() == "Tạo phiên họp Hội đồng"
    page.fill("#title", "Phiên họp Hội đồng Thi đua – Khen thưởng tháng 12/2026")
    page.fill("#place", "Hội trường UBND tỉnh Lạng Sơn")
    assert page.locator("#roster input[name=present]:checked").count() == 7
    secretary.shot("new-sitting")
    secretary.click("#sitting-form button[type=submit]")
    assert "Đã tạo phiên họp" in secretary.flash()

    page.select_option("#builder #campaign", label=next(
        t for t in page.locator("#builder #campaign option").all_inner_texts()
        if t.startswith("GN-2021-2025")))
    secretary.click("#agenda-filter button[type=submit]")
    page.locator("#agenda-form tr", has_text=SUBMITTED).locator(
        "input[name=proposal_id]").check()
    secretary.shot("agenda-builder", at="#builder")
    secretary.click("#agenda-form button[type=submit]")
    assert "Đã đưa hồ sơ vào chương trình" in secretary.flash()
    secretary.click("#open-sitting")
    assert "Phiên họp đã khai mạc" in secretary.flash()
    assert page.locator("[data-sitting-status]").first.get_attribute(
        "data-sitting-status") == "open"
    secretary.shot("opened")

    form = page.locator("tr:has-text('Triệu Văn Đức') form.tally-form")
    form.locator("input[name=yes]").fill("6")
    form.locator("input[name=no]").fill("1")
    secretary.click("tr:has-text('Triệu Văn Đức') form.tally-form button[type=submit]")
    verdict = page.locator("tr:has-text('Triệu Văn Đức') td.verdict")
    assert verdict.locator(".badge").inner_text() == "Đạt"
    assert "6/7 = 85,7% ≥ 70%" in verdict.locator(".why").inner_text()
    secretary.shot("tally", at="#agenda")

    secretary.click("form.finalize-form button[type=submit]")
    assert "Đã chốt kết quả của hồ sơ" in secretary.flash()
    secretary.click("#close-sitting")
    assert "Phiên họp đã kết thúc" in secretary.flash()
    secretary.shot("closed")

    objection_id = object_to_the_notice(demo)
    secretary.goto("/council/")
    secretary.click("#notices-link")
    assert secretary.heading() == "Công khai danh sách đề nghị khen thưởng"
    listed = page.locator("#notices tbody tr").first
    assert "đang công khai" in listed.inner_text()
    assert listed.locator("td").last.inner_text() == "1"   # one objection to resolve
    secretary.shot("notices")

    secretary.click("#notices tbody tr a")
    card = page.locator(f"#objection-{objection_id}")
    assert card.locator("[data-status]").inner_text() == "Chưa giải quyết"
    page.fill(f"#reason-{objection_id}", "Đã xác minh: tiến độ đúng như báo cáo của huyện")
    secretary.shot("objection", at="h2:has-text('Ý kiến nhận được')")
    secretary.click(f"#objection-{objection_id} button[value=dismiss]")
    assert "Đã bác ý kiến." in secretary.flash()
    assert card.locator("[data-status]").get_attribute("data-status") == "dismissed"
    secretary.shot("objection-dismissed", at="h2:has-text('Ý kiến nhận được')")

    secretary.goto(f"/proposals/{pid}")
    assert secretary.state() == "Được chấp thuận"
    secretary.click("#issue-decision-link")
    assert secretary.heading() == "Ban hành quyết định khen thưởng"
    assert page.locator("#candidates input[name=proposal_ids]:checked").count() == 1
    page.fill("#signed_on", "07/12/2026")
    page.fill("#signer_name", "Hoàng Văn Thắng")
    secretary.shot("new-decision")
    secretary.click("#decision-form button[type=submit]")
    assert "Đã ban hành quyết định số" in secretary.flash()
    number = page.locator("#decision-number").inner_text()
    assert re.fullmatch(r"Quyết định số \d+/QĐ-UBND", number), number
    assert "Triệu Văn Đức" in page.locator("#entries tbody").inner_text()
    secretary.shot("decision")

    with page.expect_download() as excel:
        page.click("#exports a:has-text('Excel')")
    assert excel.value.suggested_filename.endswith(".xlsx")
    with open(excel.value.path(), "rb") as saved:
        rows = list(load_workbook(io.BytesIO(saved.read())).active.iter_rows(values_only=True))
    assert any("Triệu Văn Đức" in row for row in rows), rows
    with page.expect_download() as word:
        page.click("#exports a:has-text('Word')")
    assert word.value.suggested_filename.endswith(".docx")
    with open(word.value.path(), "rb") as saved:
        text = "\n".join(p.text for p in Document(io.BytesIO(saved.read())).paragraphs)
    assert "QUYẾT ĐỊNH:" in text
    assert "Điều 1. Tặng Bằng khen của Chủ tịch UBND tỉnh cho 1 tập thể, cá nhân" in text
    secretary.close()


def test_council_member_reads_the_agenda(browser, demo, live_server, shots_dir):
    member = Guide(browser, live_server, shots_dir, "member", "member1")
    page = member.page
    member.goto("/council/")
    assert member.heading() == "Hội đồng Thi đua – Khen thưởng"
    member.shot("council")

    member.click("#sittings a")
    assert "Phiên họp Hội đồng Thi đua – Khen thưởng ngày" in page.locator(
        "#sitting-title").inner_text()
    agenda = page.locator("#agenda").inner_text()
    assert "Đinh Văn Cường" in agenda
    assert page.locator("form.tally-form").count() == 0, "members do not enter ballots"
    member.shot("sitting")

    member.click(f"#agenda a:has-text('{AT_COUNCIL}')")
    assert member.state() == "Trình Hội đồng"
    assert page.locator("#nominees", has_text="Đinh Văn Cường").count() == 1
    assert page.locator("#actions").count() == 0
    member.shot("dossier")
    member.close()


def test_admin_units_users_and_rule_sets(browser, demo, live_server, shots_dir):
    admin = Guide(browser, live_server, shots_dir, "admin", "admin")
    page = admin.page
    admin.goto("/admin/")
    assert admin.heading() == "Quản trị"
    assert int(page.locator("#count-units").inner_text()) == 5
    admin.shot("home")

    admin.goto("/admin/units")
    assert admin.heading() == "Đơn vị"
    assert page.locator("#units", has_text="UBND huyện Cao Lộc").count() == 1
    admin.shot("units")

    admin.goto("/admin/users")
    assert admin.heading() == "Tài khoản"
    assert page.locator("#users tr", has_text="unit1").count() >= 1
    admin.shot("users")
    admin.click("#users tr[data-username=unit1] a")
    assert "unit1" in admin.heading()
    assert page.locator("#role-unit_clerk").is_checked()
    admin.shot("user")

    admin.goto("/admin/campaigns")
    assert admin.heading() == "Phong trào và bộ quy tắc"
    assert page.locator("#campaigns", has_text="GN-2021-2025").count() == 1
    admin.shot("campaigns")
    admin.click("#campaigns a:has-text('GN-2021-2025')")
    assert page.locator("#active-version").inner_text() == "Đang áp dụng"
    admin.shot("campaign")

    text = page.locator("#yaml").input_value()
    broken = text.replace("review_sla_working_days: 10", "review_sla_working_days: mười")
    assert broken != text
    page.fill("#yaml", broken)
    admin.click("#ruleset-editor button[type=submit]")
    errors = page.locator("#ruleset-errors").inner_text()
    assert "review_sla_working_days" in errors, errors
    assert "mười" in page.locator("#yaml").input_value()
    admin.shot("ruleset-refused", at="#ruleset-errors")
    admin.close()


def test_public_reads_a_notice_and_objects(browser, demo, live_server, shots_dir):
    login = Guide(browser, live_server, shots_dir, "login")
    login.goto("/login")
    assert login.page.locator("main a[href='/cong-khai']").count() == 1
    login.page.fill("#username", "unit1")
    login.shot("form")
    login.close()

    public = Guide(browser, live_server, shots_dir, "public")
    page = public.page
    public.goto("/cong-khai")
    assert public.heading() == "Công khai danh sách đề nghị khen thưởng"
    assert NOTICED in page.locator("main").inner_text()
    public.shot("list")

    public.click("main section a.btn")
    assert NOTICED in page.locator("#notice-entries").inner_text()
    public.shot("notice")

    page.select_option("#nominee_id", index=1)
    page.fill("#filer_name", "Trần Văn Dân")
    page.fill("#text", "Đề nghị xem xét lại: tiến độ giải phóng mặt bằng dự án đường "
                       "tránh chưa đạt như báo cáo.")
    public.click("#objection-form button[type=submit]")
    assert "Địa chỉ liên hệ" in page.locator("#objection-errors").inner_text()
    assert page.input_value("#filer_name") == "Trần Văn Dân"
    public.shot("refused", at="#objection-errors")

    page.fill("#filer_contact", "0912 345 678")
    public.click("#objection-form button[type=submit]")
    received = page.locator("main .alert").inner_text()
    assert re.search(r"Đã nhận ý kiến số \d+ của bạn về", received), received
    public.shot("received")
    public.close()


def test_api_token_page(browser, demo, live_server, shots_dir):
    clerk = Guide(browser, live_server, shots_dir, "api", "unit1")
    page = clerk.page
    clerk.click("nav a:has-text('Khoá API')")
    assert clerk.heading() == "Khoá API"
    page.fill("#token-name", "Phần mềm quản lý văn bản của Sở")
    clerk.shot("tokens")
    clerk.click("#create-token button[type=submit]")
    assert page.locator("#new-token").count() == 1
    assert page.locator("#token-secret").input_value()
    assert page.locator("#tokens tr", has_text="Phần mềm quản lý văn bản của Sở").count() == 1
    clerk.shot("token-created", hide="#token-secret, #tokens code")
    clerk.close()
