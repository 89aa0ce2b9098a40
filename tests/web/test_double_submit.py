"""Double submit (double click, browser retry, client retry): no action or creation is
applied twice. Writes to a proposal carry its expected version, so the second post is
refused as "changed" and writes nothing; creating a draft carries a one-time key (the
form's hidden field, the API's Idempotency-Key header) and the second post returns the
first draft."""

from __future__ import annotations

import io
import re
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from models import AuditEvent, IdempotencyKey, Proposal
from tests.support.api_client import Caller
from tests.support.forms import Clerk, text_of
from tests.support.sheets import sheet
from tests.support.snapshots import changed, snapshot
from workflow.accounts import tokens

CHANGED = "Hồ sơ vừa được người khác thay đổi"
FORM_KEY = re.compile(r'name="form_key" value="([0-9a-f]{32})"')


def drafts(world: Any) -> int:
    with world.db.session() as s:
        return s.scalar(select(func.count()).select_from(Proposal))


@pytest.fixture
def unit1(client_for) -> Clerk:
    return Clerk(client_for("unit1"), "/unit/")


def new_draft_form(who: Clerk, title: str = "Hồ sơ bấm hai lần") -> dict[str, str]:
    page = who.client.get("/unit/").get_data(as_text=True)
    return {"campaign": "TEST-OPEN", "title": title, "form_key": FORM_KEY.search(page)[1]}


def test_each_page_load_gives_the_create_form_a_new_key(unit1):
    assert new_draft_form(unit1)["form_key"] != new_draft_form(unit1)["form_key"]


def test_posting_the_create_form_twice_makes_one_draft(unit1, world):
    form, count = new_draft_form(unit1), drafts(world)
    first = unit1.post("/unit/proposals", form)
    assert "Đã tạo hồ sơ dự thảo" in text_of(first)
    before = snapshot(world)
    second = unit1.post("/unit/proposals", form)
    assert "đã được tạo ở lần gửi trước; không tạo thêm bản trùng" in text_of(second)
    assert second.request.path == first.request.path   # the same draft's page
    assert drafts(world) == count + 1
    assert not changed(before, snapshot(world))


def test_the_same_key_with_another_title_is_refused(unit1, world):
    form = new_draft_form(unit1)
    unit1.post("/unit/proposals", form)
    before = snapshot(world)
    page = text_of(unit1.post("/unit/proposals", {**form, "title": "Một tiêu đề khác"}))
    assert "đã dùng cho một yêu cầu khác" in page
    assert not changed(before, snapshot(world))


def test_two_simultaneous_posts_with_one_key_make_one_draft(client_for, world):
    """Two clicks in flight together: the unique key lets one commit, the other finds it."""
    clerks = [Clerk(client_for("unit1"), "/unit/") for _ in range(2)]
    form, count = new_draft_form(clerks[0]), drafts(world)
    pages: list[str] = []
    barrier = threading.Barrier(2)

    def click(who: Clerk) -> None:
        barrier.wait()
        pages.append(text_of(who.post("/unit/proposals", form)))

    threads = [threading.Thread(target=click, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert drafts(world) == count + 1
    assert len(pages) == 2 and not any("lỗi hệ thống" in p for p in pages)
    with world.db.session() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_an_action_posted_twice_is_applied_once(client_for, world, make_proposal):
    pid = make_proposal("draft")
    clerk = Clerk(client_for("unit1"), f"/proposals/{pid}")
    page = clerk.client.get(f"/proposals/{pid}").get_data(as_text=True)
    form = re.search(r'data-action="submit">.*?name="expected_version" value="(\d+)"', page,
                     re.S)
    assert form, "the submit form carries the proposal's version"
    first = clerk.post(f"/proposals/{pid}/actions/submit", {"expected_version": form[1]})
    assert 'data-state="submitted"' in text_of(first)
    before = snapshot(world)
    second = clerk.post(f"/proposals/{pid}/actions/submit", {"expected_version": form[1]})
    assert CHANGED in text_of(second)
    assert not changed(before, snapshot(world))


def test_an_import_posted_twice_adds_its_rows_once(client_for, world, make_proposal):
    pid = make_proposal("draft")
    clerk = Clerk(client_for("unit1"), f"/proposals/{pid}")
    page = clerk.client.get(f"/proposals/{pid}").get_data(as_text=True)
    version = re.search(r'id="import-form">.*?name="expected_version" value="(\d+)"', page,
                        re.S)
    assert version, "the import form carries the proposal's version"
    rows = sheet([["Cá nhân", "Lò Văn Một", "", "", "BK_CT_UBND", 5, "Không"]])

    def post() -> str:
        return text_of(clerk.post(f"/unit/proposals/{pid}/import", {
            "expected_version": version[1], "file": (io.BytesIO(rows), "a.xlsx")}))

    assert "Đã nhập 1 người" in post()
    before = snapshot(world)
    assert CHANGED in post()
    assert not changed(before, snapshot(world))


def test_a_bulk_claim_posted_twice_claims_once(client_for, world, make_proposal):
    pids = [make_proposal("submitted") for _ in range(2)]
    reviewer = Clerk(client_for("reviewer"), "/review/")
    data = {"trigger": "claim", "ids": [str(p) for p in pids]}
    assert ": 2/2 thành công" in text_of(reviewer.post("/review/bulk", data))
    before = snapshot(world)
    second = text_of(reviewer.post("/review/bulk", data))
    assert ": 0/2 thành công" in second   # each row says why: already claimed
    assert not changed(before, snapshot(world))
    with world.db.session() as s:
        claims = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "claim"))
    assert claims == 2


# -- the JSON API

@pytest.fixture
def api(app: Any, world: Any) -> Caller:
    """unit1 calling the API with a bearer token."""
    with world.db.unit_of_work() as session:
        _token, secret = tokens.create_token(session, world.user_ids["unit1"], "test")
    return Caller(app.test_client(), {"Authorization": f"Bearer {secret}"})


def test_an_api_create_retried_with_its_key_returns_the_first_draft(api, world):
    body = {"campaign": "TEST-OPEN", "title": "Hồ sơ qua API"}
    headers = {"Idempotency-Key": "3f1c2a9e-retry"}
    first = api.post("/proposals", json=body, headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    before = snapshot(world)
    again = api.post("/proposals", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert not changed(before, snapshot(world))
    other = api.post("/proposals", json={**body, "title": "Khác"}, headers=headers)
    assert other.status_code == 400 and other.json["error"]["code"] == "invalid_input"
    assert not changed(before, snapshot(world))
    # without a key every request creates (the documented behaviour)
    assert api.post("/proposals", json=body).json["id"] != first.json["id"]


def test_an_api_action_retried_with_its_version_is_refused(api, world, make_proposal):
    pid = make_proposal("draft")
    version = api.get(f"/proposals/{pid}").json["version"]
    first = api.post(f"/proposals/{pid}/actions/submit", json={"expected_version": version})
    assert first.status_code == 200
    before = snapshot(world)
    again = api.post(f"/proposals/{pid}/actions/submit", json={"expected_version": version})
    assert again.status_code == 409
    assert not changed(before, snapshot(world))
