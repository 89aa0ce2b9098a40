"""The secretary's sitting, clicked through: from the proposal page to a closed sitting.
Shared by test_council.py and the whole walk (test_walkthrough.py)."""

from __future__ import annotations

from typing import Any

SITTING_TITLE = "Phiên họp Hội đồng TĐKT (kiểm thử trình duyệt)"
PLACE = "Hội trường UBND tỉnh Lạng Sơn"


def create_sitting_from_proposal(secretary: Any, present: int) -> None:
    """Proposal page → "add to a sitting" → a new sitting with `present` of the 7."""
    page = secretary.page
    assert page.locator("#decide-in-sitting").count() == 1
    assert page.locator("input[name^=outcome-]").count() == 0, "no manual decide form"
    secretary.click("#sitting-link", "sittings")
    secretary.click("#new-sitting", "new-sitting")
    page.fill("#title", SITTING_TITLE)
    page.fill("#place", PLACE)
    boxes = page.locator("#roster input[name=present]")
    assert boxes.count() == 7
    for i in range(present, 7):
        boxes.nth(i).uncheck()
    secretary.click("#sitting-form button[type=submit]", "sitting-created")
    assert "Đã tạo phiên họp" in secretary.flash(), secretary.flash()
    assert page.locator("#sitting-title").inner_text() == SITTING_TITLE


def build_agenda_and_open(secretary: Any, campaign: str, proposal_title: str) -> None:
    page = secretary.page
    page.select_option("#campaign", label=next(
        t for t in page.locator("#campaign option").all_inner_texts() if t.startswith(campaign)))
    secretary.click("#agenda-filter button[type=submit]", "agenda-filtered")
    row = page.locator("#agenda-form tr", has_text=proposal_title)
    row.locator("input[name=proposal_id]").check()
    secretary.click("#agenda-form button[type=submit]", "agenda-built")
    assert "Đã đưa hồ sơ vào chương trình" in secretary.flash(), secretary.flash()
    secretary.click("#open-sitting", "sitting-opened")
    assert "Phiên họp đã khai mạc" in secretary.flash(), secretary.flash()


def enter_tally(secretary: Any, nominee: str, label: str, **counts: int) -> str:
    """Fill one nominee's tally form and submit it; returns the flash message, or the
    refusal shown in the nominee's row (a refused tally stays there as typed)."""
    form = secretary.page.locator(f"tr:has-text('{nominee}') form.tally-form")
    for name in ("yes", "no", "invalid", "written_yes", "written_no"):
        form.locator(f"input[name={name}]").fill(str(counts.get(name, 0)))
    secretary.click(f"tr:has-text('{nominee}') form.tally-form button[type=submit]", label)
    refusal = secretary.page.locator(f"tr:has-text('{nominee}') .tally-error")
    return refusal.inner_text() if refusal.count() else secretary.flash()


def verdict(secretary: Any, nominee: str) -> tuple[str, str]:
    """What the sitting page concludes for a nominee, and why."""
    cell = secretary.page.locator(f"tr:has-text('{nominee}') td.verdict")
    return cell.locator(".badge").inner_text(), cell.locator(".why").inner_text()


def finalize_and_close(secretary: Any) -> None:
    secretary.click("form.finalize-form button[type=submit]", "finalized")
    assert "Đã chốt kết quả của hồ sơ" in secretary.flash(), secretary.flash()
    secretary.click("#close-sitting", "sitting-closed")
    assert "Phiên họp đã kết thúc" in secretary.flash(), secretary.flash()
    assert secretary.page.locator("[data-sitting-status]").first.get_attribute(
        "data-sitting-status") == "closed"
