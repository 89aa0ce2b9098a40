"""Vietnamese by default, English on request: the switch, its persistence on the account,
dates that stay dd/mm/yyyy, and an English catalogue that is complete and compiled."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from flask_babel import force_locale

from tests.support.council import open_sitting
from tests.support.language import page, switch
from tests.web.conftest import csrf_token, login

CATALOGUE = Path(__file__).parents[2] / "web" / "translations" / "en" / "LC_MESSAGES"
DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
# What the proposal made by make_proposal shows for its creation (CDS_NOW, Vietnam time).
CREATED = "15/11/2022 09:00"


def assert_vietnamese(html: str, *absent_english: str) -> None:
    assert '<html lang="vi">' in html
    for text in absent_english:
        assert text not in html


def test_a_clerk_sees_vietnamese_by_default(client_for, make_proposal):
    pid = make_proposal("draft")
    clerk = client_for("unit1")
    dashboard = page(clerk, "/unit/")
    assert "Hồ sơ của đơn vị" in dashboard and "Lập hồ sơ mới" in dashboard
    assert "Đăng xuất" in dashboard and "Dự thảo" in dashboard
    assert_vietnamese(dashboard, "Unit proposals", "New proposal", "Log out")
    detail = page(clerk, f"/proposals/{pid}")
    assert "Người được đề nghị" in detail and "Diễn biến xử lý" in detail
    assert_vietnamese(detail, "Nominees", "History", "Submit proposal")


def test_after_switching_to_english_the_pages_are_in_english(client_for, make_proposal):
    pid = make_proposal("draft")
    clerk = client_for("unit1")
    switch(clerk, "en", from_page="/unit/")

    dashboard = page(clerk, "/unit/")
    assert '<html lang="en">' in dashboard
    for english in ("Unit proposals", "New proposal", "Create draft", "Find proposals",
                    "Log out", "Proposal title", "Draft"):
        assert english in dashboard, english
    for vietnamese in ("Hồ sơ của đơn vị", "Lập hồ sơ mới", "Tạo dự thảo", "Tra cứu hồ sơ",
                       "Đăng xuất", "Tiêu đề hồ sơ", "Dự thảo"):
        assert vietnamese not in dashboard, vietnamese

    detail = page(clerk, f"/proposals/{pid}")
    for english in ("Nominees", "Documents", "History", "Workflow diagram",
                    "Submit proposal", "Add nominee", "Reference", "Campaign"):
        assert english in detail, english
    for vietnamese in ("Người được đề nghị (", "Tài liệu (", "Diễn biến xử lý",
                       "Sơ đồ quy trình", "Nộp hồ sơ", "Thêm người được đề nghị",
                       "Số hồ sơ", ">Phong trào<"):
        assert vietnamese not in detail, vietnamese

    clerk.post("/logout", data={"csrf_token": csrf_token(clerk, "/unit/")})
    login_page = page(clerk, "/login")
    for english in ("Log in", "Username", "Password", "Remember me", "You have logged out."):
        assert english in login_page, english
    for vietnamese in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Ghi nhớ đăng nhập",
                       "Bạn đã đăng xuất."):
        assert vietnamese not in login_page, vietnamese


def test_an_anonymous_visitor_can_switch_the_login_page(app):
    visitor = app.test_client()
    assert "Tên đăng nhập" in page(visitor, "/login")
    switch(visitor, "en")
    login_page = page(visitor, "/login")
    assert "Username" in login_page and "Tên đăng nhập" not in login_page
    switch(visitor, "vi")
    assert "Tên đăng nhập" in page(visitor, "/login")


def test_the_choice_is_stored_on_the_user_and_survives_a_new_login(app, client_for):
    first = client_for("unit1")
    switch(first, "en", from_page="/unit/")
    # A new browser: no session cookie, so the language can only come from the account.
    second = client_for("unit1")
    dashboard = page(second, "/unit/")
    assert "Unit proposals" in dashboard and "Hồ sơ của đơn vị" not in dashboard
    # The account's choice wins over a session that still says Vietnamese.
    third = app.test_client()
    switch(third, "vi")
    login(third, "unit1")
    assert "Unit proposals" in page(third, "/unit/")
    # Other accounts are unaffected.
    assert "Hồ sơ của đơn vị" in page(client_for("unit2"), "/unit/")
    # And switching back is stored too.
    switch(second, "vi", from_page="/unit/")
    assert "Hồ sơ của đơn vị" in page(client_for("unit1"), "/unit/")


def test_dates_stay_dd_mm_yyyy_in_both_languages(client_for, make_proposal):
    pid = make_proposal("submitted")
    clerk = client_for("unit1")
    for lang in ("vi", "en"):
        switch(clerk, lang, from_page="/unit/")
        detail = page(clerk, f"/proposals/{pid}")
        assert CREATED in detail, lang
        assert "11/15/2022" not in detail and "Nov 15, 2022" not in detail, lang
        dashboard = page(clerk, "/unit/")
        assert DATE.search(dashboard), lang
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b(?!\d)", dashboard), lang


def test_the_english_catalogue_is_complete():
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    messages = [m for m in catalog if m.id]
    assert len(messages) > 200
    untranslated = [m.id for m in messages if not (m.string if isinstance(m.string, str)
                                                    else all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    for m in messages:
        if "python-format" in m.flags:
            found = set(re.findall(r"%\(\w+\)\w", m.string))
            assert found == set(re.findall(r"%\(\w+\)\w", m.id)), m.id


def test_the_compiled_catalogue_matches_the_po():
    """The .mo shipped with the app is what `pybabel compile` makes of the .po now."""
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    fresh = BytesIO()
    write_mo(fresh, catalog)
    fresh.seek(0)
    with (CATALOGUE / "messages.mo").open("rb") as f:
        shipped = read_mo(f)
    expected = read_mo(fresh)
    assert {m.id: m.string for m in shipped if m.id} == \
        {m.id: m.string for m in expected if m.id}, "run: pybabel compile -d web/translations"


def test_a_refused_action_is_explained_in_the_readers_language(client_for, make_proposal):
    pid = make_proposal("under_review")  # already claimed: it cannot be claimed again
    detail = f"/proposals/{pid}"

    def claim(client: FlaskClient) -> str:
        client.post(f"{detail}/actions/claim", data={"csrf_token": csrf_token(client, detail)})
        return page(client, detail)

    head = client_for("boardhead")
    vietnamese = claim(head)
    assert "Không thể “Nhận thẩm định” khi hồ sơ ở trạng thái “Đang thẩm định”" in vietnamese

    switch(head, "en", from_page=detail)
    english = claim(head)
    assert "Cannot “Take for appraisal” while the proposal is “Under appraisal”" in english
    assert "Không thể" not in english and "Nhận thẩm định" not in english


def test_a_refused_upload_is_explained_in_the_readers_language(client_for, make_proposal):
    pid = make_proposal("draft")
    clerk = client_for("unit1")
    switch(clerk, "en", from_page="/unit/")
    clerk.post(f"/unit/proposals/{pid}/documents", data={
        "csrf_token": csrf_token(clerk, f"/proposals/{pid}"), "doc_type": "thu_tay",
        "file": (BytesIO(b"%PDF-1.4 letter"), "thu.pdf")})
    shown = page(clerk, f"/proposals/{pid}")
    assert "Unknown document type: thu_tay" in shown
    assert "Loại tài liệu không hợp lệ" not in shown


def test_a_refused_agenda_change_is_explained_in_the_secretarys_language(client_for,
                                                                         make_proposal):
    pid = make_proposal("draft")  # not before the Council: it cannot go on an agenda
    secretary = client_for("secretary")
    created = secretary.post("/council/sessions", data={
        "csrf_token": csrf_token(secretary, "/council/sessions/new"),
        "title": "Phiên họp tháng 11", "sitting_date": "20/11/2022", "place": "Hội trường"})
    assert created.status_code == 302
    sitting = created.headers["Location"].split("#")[0]

    def add_to_agenda() -> str:
        secretary.post(f"{sitting}/agenda", data={"csrf_token": csrf_token(secretary, sitting),
                                                  "proposal_id": str(pid)})
        return page(secretary, sitting)

    vietnamese = add_to_agenda()
    assert f"Hồ sơ số {pid} không ở trạng thái trình Hội đồng" in vietnamese

    switch(secretary, "en", from_page=sitting)
    english = add_to_agenda()
    assert f"Proposal {pid} is not before the Council" in english
    assert "không ở trạng thái trình Hội đồng" not in english


def test_a_refused_tally_is_explained_in_the_secretarys_language(client_for, make_proposal,
                                                                  world):
    """The numbers a secretary typed, refused by rules.council: the reason in the reader's
    language, with its figures (decimal comma or point) and the nominee's name."""
    pid, lacking = make_proposal("at_council"), make_proposal("at_council")
    sitting = f"/council/sessions/{open_sitting(world, [pid], present=5)}"
    no_quorum = f"/council/sessions/{open_sitting(world, [lacking], present=3)}"
    with world.db.session() as session:
        nominee = world.proposal(session, pid).nominees[0]
        nid, name = nominee.id, nominee.full_name
        other = world.proposal(session, lacking).nominees[0].id
    secretary = client_for("secretary")

    def refused(path: str, nominee_id: int, counts: dict[str, str]) -> str:
        response = secretary.post(f"{path}/tallies/{nominee_id}", data={
            "csrf_token": csrf_token(secretary, path), **counts})
        assert response.status_code == 400
        return response.get_data(as_text=True)

    vietnamese = refused(sitting, nid, {"yes": "5", "no": "1"})
    assert (f"{name}: Tổng số phiếu (5 đồng ý + 1 không đồng ý + 0 không hợp lệ = 6) nhiều "
            "hơn số thành viên dự họp (5)") in vietnamese
    assert "Không đủ số thành viên tham gia: 3/7 = 42,9%, cần ít nhất 50%" in refused(
        no_quorum, other, {"yes": "3", "no": "0"})

    switch(secretary, "en", from_page=sitting)
    english = refused(sitting, nid, {"yes": "5", "no": "1"})
    assert (f"{name}: More ballots (5 yes + 1 no + 0 invalid = 6) than members present "
            "(5)") in english
    assert "Tổng số phiếu" not in english and "số thành viên dự họp" not in english
    english = refused(no_quorum, other, {"yes": "3", "no": "0"})
    assert "No quorum: 3/7 = 42.9% taking part; at least 50% of all Council members" in english
    assert "42,9%" not in english and "Không đủ" not in english


def test_the_pages_name_each_action_as_the_workflow_does(app):
    """The timeline and buttons (web.labels.ACTIONS) and the workflow's own messages
    (a Term of workflow.labels, used where no request is at hand) name an action: they
    must say the same, in either language, or one page would call one action by two
    names."""
    from web.i18n import text_of
    from web.labels import ACTIONS
    from workflow.labels import term
    from workflow.machine import SPECS

    for language in ("vi", "en"):
        with app.test_request_context("/"), force_locale(language):
            buttons = {t: ACTIONS[t] for t in SPECS}
            assert buttons == {t: text_of(term("action", t)) for t in SPECS}
            assert all(name != code for code, name in buttons.items())
