"""Helpers for the browser tests: a demo user in a Chromium context of their own, logged in
through the login form, who clicks through pages and says what a page shows; numbered
full-page screenshots of where they went; and a small well-formed PDF to upload."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSWORD = "tdkt-demo"


def pdf_bytes(text: str) -> bytes:
    """A small but well-formed one-page PDF (correct xref offsets)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


@dataclass
class Camera:
    """Full-page screenshots, numbered in the order the pages were visited."""

    prefix: Path
    taken: list[Path] = field(default_factory=list)

    def shoot(self, page: Any, label: str) -> None:
        path = self.prefix.with_name(f"{self.prefix.name}-{len(self.taken) + 1:02d}-{label}.png")
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


class Visitor:
    """One demo user in a browser context of their own, logged in through the login form."""

    def __init__(self, browser: Any, base_url: str, camera: Camera, username: str) -> None:
        self.username = username
        self.camera = camera
        self.context = browser.new_context(base_url=base_url, locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh",
                                           viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.goto("/login", "login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.click("main form button[type=submit]", "home")
        assert "/login" not in self.page.url, f"{username} could not log in"

    def snap(self, label: str, page: Any = None) -> None:
        self.camera.shoot(page or self.page, f"{self.username}-{label}")

    def goto(self, path: str, label: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        self.snap(label)

    def click(self, selector: str, label: str, page: Any = None) -> None:
        """Click a button that submits a form or follows a link; wait for the next page."""
        page = page or self.page
        with page.expect_navigation():
            page.locator(selector).first.click()
        self.snap(label, page)

    def act(self, trigger: str, label: str, page: Any = None) -> None:
        self.click(f"form[data-action={trigger}] button[type=submit]", label, page)

    # What the page says.
    def flash(self, page: Any = None) -> str:
        return " ".join((page or self.page).locator("main > .alert").all_inner_texts())

    def state(self, page: Any = None) -> str:
        return (page or self.page).locator("#proposal-title ~ [data-state]").inner_text()

    def close(self) -> None:
        self.context.close()
