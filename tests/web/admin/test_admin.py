"""Administration through the real login, with CSRF on: units, users, campaigns, rule sets."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEvent, Campaign, RuleSetVersion, Unit, User
from tests.web.conftest import csrf_token, login, post_form
from workflow.accounts import administration
from workflow.actors import Actor
from workflow.audit.chain import verify
from workflow.errors import PermissionDenied

NEW_PASSWORD = "mat-khau-moi-2024"
NON_ADMINS = ["unit1", "reviewer", "boardhead", "secretary", "member1"]


# --- helpers -------------------------------------------------------------------------------

def snapshot(world: Any) -> tuple[Any, ...]:
    """Everything an admin page could change; equal snapshots mean nothing changed."""
    with world.db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditEvent)),
            sorted((u.username, u.full_name, u.email, u.unit_id, u.active, u.password_hash,
                    tuple(sorted(r.value for r in u.roles))) for u in s.scalars(select(User))),
            sorted((u.code, u.name, u.parent_id) for u in s.scalars(select(Unit))),
            sorted((c.code, c.title, c.active_ruleset_id) for c in s.scalars(select(Campaign))),
            s.scalar(select(func.count()).select_from(RuleSetVersion)),
        )


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client: FlaskClient, path: str, data: dict[str, Any], **kw: Any) -> Any:
    return post_form(client, path, data, page="/admin/", **kw)


def unit_id(world: Any, code: str) -> int:
    with world.db.session() as s:
        return s.scalar(select(Unit.id).where(Unit.code == code))


def user_row(world: Any, username: str) -> User:
    with world.db.session() as s:
        return s.scalar(select(User).where(User.username == username))


def events(world: Any, stream: str) -> list[AuditEvent]:
    with world.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.stream == stream)
                              .order_by(AuditEvent.seq)))


def campaign_state(world: Any, code: str) -> tuple[int | None, int, str]:
    """(active version number, number of versions, title)."""
    with world.db.session() as s:
        c = s.scalar(select(Campaign).where(Campaign.code == code))
        total = s.scalar(select(func.count()).select_from(RuleSetVersion)
                         .where(RuleSetVersion.campaign_id == c.id))
        return (c.active_ruleset.version if c.active_ruleset else None), total, c.title


def active_yaml(world: Any, code: str) -> str:
    with world.db.session() as s:
        return s.scalar(select(Campaign).where(Campaign.code == code)).active_ruleset.source_yaml


def login_fails(app: Any, username: str, password: str) -> bool:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    return response.status_code == 200 and "không đúng" in text_of(response)


# --- units and users -------------------------------------------------------------------------

def test_admin_creates_a_unit_and_a_user_who_can_log_in(app, world, client_for):
    admin_client = client_for("admin")
    response = post(admin_client, "/admin/units", {
        "code": "so-yt", "name": "Sở Y tế", "parent_id": unit_id(world, "UBND-LS")})
    assert response.status_code == 302
    new_unit = unit_id(world, "SO-YT")
    assert new_unit is not None
    assert "Sở Y tế" in text_of(admin_client.get("/admin/units"))

    response = post(admin_client, "/admin/users/new", {
        "username": "yte1", "full_name": "Nguyễn Thị Y", "email": "yte1@tdkt.example",
        "unit_id": new_unit, "roles": ["unit_clerk", "council_member"],
        "password": "mat-khau-ban-dau"})
    assert response.status_code == 302
    created = user_row(world, "yte1")
    assert response.headers["Location"].endswith(f"/admin/users/{created.id}")
    assert {r.value for r in created.roles} == {"unit_clerk", "council_member"}
    assert created.unit_id == new_unit and created.active

    page = text_of(admin_client.get(f"/admin/users?unit={new_unit}&role=unit_clerk&active=1"))
    assert "yte1" in page and "unit1" not in page
    assert "yte1" not in text_of(admin_client.get("/admin/users?active=0"))

    [event] = events(world, "user:yte1")
    assert event.action == "create_user" and event.actor_id == world.user_ids["admin"]
    dumped = json.dumps(event.payload)
    assert "password" not in dumped and created.password_hash not in dumped
    assert events(world, "unit:SO-YT")[0].action == "create_unit"

    new_client = login(app.test_client(), "yte1", "mat-khau-ban-dau")
    assert new_client.get("/").headers["Location"].endswith("/unit/")
    assert new_client.get("/unit/").status_code == 200


def test_roles_are_set_with_checkboxes_and_apply_on_the_next_request(world, client_for):
    clerk = client_for("unit1")
    assert clerk.get("/review/").status_code == 403
    uid = world.user_ids["unit1"]
    response = post(client_for("admin"), f"/admin/users/{uid}/roles",
                    {"roles": ["unit_clerk", "board_reviewer"]}, follow_redirects=True)
    assert "Đã cập nhật vai trò" in text_of(response)
    assert clerk.get("/review/").status_code == 200
    [event] = events(world, "user:unit1")
    assert event.payload["added"] == ["board_reviewer"] and event.payload["removed"] == []


def test_profile_edit_changes_name_email_and_unit(world, client_for):
    uid = world.user_ids["unit1"]
    response = post(client_for("admin"), f"/admin/users/{uid}/profile", {
        "full_name": "  Lường   Thị Hoa  ", "email": "", "unit_id": unit_id(world, "SNV")},
        follow_redirects=True)
    assert "Đã lưu thông tin tài khoản" in text_of(response)
    user = user_row(world, "unit1")
    assert (user.full_name, user.email, user.unit_id) == ("Lường Thị Hoa", None,
                                                          unit_id(world, "SNV"))
    [event] = events(world, "user:unit1")
    assert event.payload["unit"] == {"from": "STTTT", "to": "SNV"}


def test_renaming_and_moving_a_unit(world, client_for):
    school = unit_id(world, "THCS-CL")
    response = post(client_for("admin"), f"/admin/units/{school}", {
        "name": "Trường THCS Cao Lộc", "parent_id": unit_id(world, "UBND-LS")})
    assert response.status_code == 302
    with world.db.session() as s:
        unit = s.get(Unit, school)
        assert unit.name == "Trường THCS Cao Lộc" and unit.parent.code == "UBND-LS"
    [event] = events(world, "unit:THCS-CL")
    assert event.payload["parent"] == {"from": "UBND-CL", "to": "UBND-LS"}


def test_deactivation_ends_the_session_and_blocks_login(app, world, client_for):
    clerk = client_for("unit2")
    assert clerk.get("/unit/").status_code == 200
    uid = world.user_ids["unit2"]
    admin_client = client_for("admin")
    response = post(admin_client, f"/admin/users/{uid}/deactivate", {}, follow_redirects=True)
    assert "Đã khoá tài khoản" in text_of(response)
    response = clerk.get("/unit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login_fails(app, "unit2", "tdkt-demo")
    assert [e.action for e in events(world, "user:unit2")] == ["deactivate_user"]

    post(admin_client, f"/admin/users/{uid}/reactivate", {})
    assert user_row(world, "unit2").active
    assert login(app.test_client(), "unit2").get("/unit/").status_code == 200


def test_an_admin_cannot_lock_out_themselves(world, client_for):
    admin_client = client_for("admin")
    uid = world.user_ids["admin"]
    before = snapshot(world)
    page = text_of(post(admin_client, f"/admin/users/{uid}/deactivate", {},
                        follow_redirects=True))
    assert "không thể tự khoá tài khoản" in page
    page = text_of(post(admin_client, f"/admin/users/{uid}/roles", {"roles": ["unit_clerk"]},
                        follow_redirects=True))
    assert "không thể tự bỏ vai trò quản trị" in page
    assert snapshot(world) == before


def test_password_reset_ends_other_sessions(app, world, client_for):
    clerk = client_for("unit1")
    uid = world.user_ids["unit1"]
    response = post(client_for("admin"), f"/admin/users/{uid}/password",
                    {"password": NEW_PASSWORD}, follow_redirects=True)
    assert "Đã đặt mật khẩu mới" in text_of(response)
    assert clerk.get("/unit/").status_code == 302
    assert login_fails(app, "unit1", "tdkt-demo")
    assert login(app.test_client(), "unit1", NEW_PASSWORD).get("/unit/").status_code == 200
    [event] = events(world, "user:unit1")
    assert event.action == "reset_password" and event.payload == {}


def test_an_admin_resetting_their_own_password_stays_logged_in(app, world, client_for):
    this, other = client_for("admin"), client_for("admin")
    post(this, f"/admin/users/{world.user_ids['admin']}/password", {"password": NEW_PASSWORD})
    assert this.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


# --- refusals -------------------------------------------------------------------------------

def admin_urls(app: Any, world: Any) -> list[tuple[str, str]]:
    """(method, url) for every admin route, with ids that exist."""
    values = {"code": "CDS-2022", "number": 1}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        uid = unit_id(world, "STTTT") if rule.rule.startswith("/admin/units") \
            else world.user_ids["unit2"]
        url = rule.build({**values, "uid": uid}, append_unknown=False)[1]
        found += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return found


HOSTILE = {"code": "HACK", "name": "x", "username": "hacker1", "full_name": "x",
           "password": "abcdefghijklmn", "roles": ["admin"], "parent_id": "",
           "yaml": "campaign: HACK\n"}


@pytest.mark.parametrize("username", NON_ADMINS)
def test_non_admins_get_403_on_every_admin_route(app, world, client_for, username):
    client = client_for(username)
    before = snapshot(world)
    urls = admin_urls(app, world)
    assert len(urls) >= 20
    for method, url in urls:
        if method == "GET":
            response = client.get(url)
        else:
            response = post_form(client, url, HOSTILE, page="/proposals/")
        assert response.status_code == 403, (username, method, url)
    assert snapshot(world) == before


def test_anonymous_visitors_are_sent_to_login(app, world):
    client = app.test_client()
    for method, url in admin_urls(app, world):
        data = {**HOSTILE, "csrf_token": csrf_token(client)} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_operations_check_the_admin_role_themselves(world):
    with world.db.unit_of_work() as s:
        clerk = Actor.of(world.user(s, "unit1"))
        locked = Actor(world.user_ids["admin"], "x", frozenset({"admin"}), active=False)
        for actor in (clerk, locked):
            calls = [
                lambda a=actor: administration.create_unit(s, a, "X1", "x"),
                lambda a=actor: administration.update_unit(s, a, 1, "x", None),
                lambda a=actor: administration.create_user(
                    s, a, username="abc", full_name="x", email=None, unit_id=None,
                    roles=["admin"], password="abcdefghijkl"),
                lambda a=actor: administration.update_profile(s, a, 1, "x", None, None),
                lambda a=actor: administration.set_roles(s, a, 1, ["admin"]),
                lambda a=actor: administration.set_active(s, a, 1, False),
                lambda a=actor: administration.reset_password(s, a, 1, "abcdefghijkl"),
                lambda a=actor: administration.load_ruleset(s, a, "campaign: X"),
                lambda a=actor: administration.activate_ruleset(s, a, "CDS-2022", 1),
            ]
            for call in calls:
                with pytest.raises(PermissionDenied):
                    call()


def _unit_cases(world: Any) -> list[tuple[str, dict[str, Any], str]]:
    root, school = unit_id(world, "UBND-LS"), unit_id(world, "THCS-CL")
    return [
        ("/admin/units", {"code": "", "name": ""}, "Mã đơn vị: 2–40 ký tự"),
        ("/admin/units", {"code": "SO-YT", "name": "  "}, "Tên đơn vị: không được để trống"),
        ("/admin/units", {"code": "SO-YT", "name": "x" * 256}, "tối đa 255 ký tự"),
        ("/admin/units", {"code": "X" * 41, "name": "Sở"}, "Mã đơn vị: 2–40 ký tự"),
        ("/admin/units", {"code": "snv", "name": "Trùng"}, "Mã đơn vị “SNV” đã tồn tại"),
        ("/admin/units", {"code": "SO-YT", "name": "Sở", "parent_id": "99999"},
         "Đơn vị đã chọn không tồn tại"),
        ("/admin/units", {"code": "SO-YT", "name": "Sở", "parent_id": "abc"},
         "Đơn vị cấp trên: mã số không hợp lệ “abc”"),
        (f"/admin/units/{root}", {"name": "UBND tỉnh", "parent_id": school},
         "Không thể chuyển đơn vị vào chính nó hoặc một đơn vị cấp dưới"),
        (f"/admin/units/{root}", {"name": "UBND tỉnh", "parent_id": root},
         "Không thể chuyển đơn vị vào chính nó"),
    ]


GOOD_USER = {"username": "moi1", "full_name": "Người Mới", "email": "", "unit_id": "",
             "roles": ["board_reviewer"], "password": "mot-mat-khau-dai"}
USER_CASES = [
    ({"username": "", "full_name": "", "roles": [], "password": ""},
     ["Tên đăng nhập: 3–40 ký tự", "Họ và tên: không được để trống",
      "Hãy chọn ít nhất một vai trò", "ít nhất 10 ký tự"]),
    ({"username": "unit1"}, ["Tên đăng nhập “unit1” đã được dùng"]),
    ({"username": "Moi1"}, ["chữ thường không dấu"]),
    ({"username": "m" * 41}, ["Tên đăng nhập: 3–40 ký tự"]),
    ({"full_name": "x" * 256}, ["Họ và tên: tối đa 255 ký tự"]),
    ({"password": "ngan"}, ["ít nhất 10 ký tự"]),
    ({"username": "moi1234567", "password": "moi1234567"}, ["chứa tên đăng nhập"]),
    ({"username": "hoa.lt", "password": "Hoa.LT-2024-ls"}, ["chứa tên đăng nhập"]),
    ({"password": "0912345678"}, ["không được chỉ gồm chữ số"]),
    ({"password": "MatKhau@123"}, ["quá phổ biến"]),
    ({"roles": ["superuser"]}, ["Vai trò không hợp lệ: superuser"]),
    ({"roles": ["unit_clerk"]}, ["Cán bộ TĐKT đơn vị phải thuộc một đơn vị"]),
    ({"email": "khong-phai-email"}, ["Thư điện tử không hợp lệ"]),
    ({"unit_id": "99999"}, ["Đơn vị đã chọn không tồn tại"]),
]


def test_bad_unit_input_gets_a_clear_message_and_changes_nothing(world, client_for):
    admin_client = client_for("admin")
    before = snapshot(world)
    for path, data, message in _unit_cases(world):
        response = post(admin_client, path, data)
        assert response.status_code == 400, (path, data)
        assert message in text_of(response), (path, data)
    assert snapshot(world) == before


def test_bad_user_input_gets_a_clear_message_keeps_the_form_and_changes_nothing(
        world, client_for):
    admin_client = client_for("admin")
    before = snapshot(world)
    for change, messages in USER_CASES:
        response = post(admin_client, "/admin/users/new", {**GOOD_USER, **change})
        page = text_of(response)
        assert response.status_code == 400, change
        assert all(m in page for m in messages), (change, messages)
        assert 'value="Người Mới"' in page or "full_name" in change
    assert snapshot(world) == before


def test_bad_role_and_password_changes_are_refused(world, client_for):
    admin_client = client_for("admin")
    uid = world.user_ids["unit1"]
    before = snapshot(world)
    cases = [(f"/admin/users/{uid}/roles", {"roles": ["unit_clerk", "root"]},
              "Vai trò không hợp lệ: root"),
             (f"/admin/users/{uid}/roles", {}, "Hãy chọn ít nhất một vai trò"),
             (f"/admin/users/{uid}/password", {"password": "123"}, "ít nhất 10 ký tự"),
             (f"/admin/users/{uid}/password", {"password": "unit1"}, "ít nhất 10 ký tự"),
             (f"/admin/users/{uid}/profile", {"full_name": "", "unit_id": ""},
              "Họ và tên: không được để trống"),
             (f"/admin/users/{uid}/profile", {"full_name": "A", "unit_id": ""},
              "Cán bộ TĐKT đơn vị phải thuộc một đơn vị")]
    for path, data, message in cases:
        assert message in text_of(post(admin_client, path, data, follow_redirects=True)), path
    assert snapshot(world) == before
    assert admin_client.get("/admin/users/99999").status_code == 404
    assert post(admin_client, "/admin/users/99999/deactivate", {}).status_code == 404


def test_post_without_csrf_token_is_refused(world, client_for):
    admin_client = client_for("admin")
    uid = world.user_ids["unit1"]
    before = snapshot(world)
    for path, data in [("/admin/units", {"code": "SO-YT", "name": "Sở Y tế"}),
                       ("/admin/users/new", GOOD_USER),
                       (f"/admin/users/{uid}/deactivate", {}),
                       (f"/admin/users/{uid}/password", {"password": NEW_PASSWORD}),
                       ("/admin/campaigns/CDS-2022/rules", {"yaml": "x"}),
                       ("/admin/campaigns/CDS-2022/versions/1/activate", {})]:
        assert admin_client.post(path, data=data).status_code == 400, path
        assert admin_client.post(path, data={**data, "csrf_token": "forged"}
                                 ).status_code == 400, path
    assert snapshot(world) == before


def test_every_admin_page_renders_without_inline_styles_and_forms_carry_csrf(
        app, world, client_for):
    admin_client = client_for("admin")
    for method, url in admin_urls(app, world):
        if method != "GET":
            continue
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert " style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page), url
        for form in re.findall(r'<form method="post".*?</form>', page, re.S):
            assert 'name="csrf_token"' in form, url


# --- campaigns and rule sets --------------------------------------------------------------------

def test_a_bad_rule_set_shows_its_line_keeps_the_text_and_changes_nothing(world, client_for):
    admin_client = client_for("admin")
    good = active_yaml(world, "CDS-2022")
    bad = good.replace("review_sla_working_days: 10", "review_sla_working_days: -3")
    line = bad.splitlines().index("review_sla_working_days: -3") + 1
    before, state = snapshot(world), campaign_state(world, "CDS-2022")

    response = post(admin_client, "/admin/campaigns/CDS-2022/rules", {"yaml": bad})
    page = text_of(response)
    assert response.status_code == 400
    assert f"dòng {line} · review_sla_working_days: quá nhỏ" in page
    assert bad in page  # the whole submitted text is back in the editor

    broken = good + "\nfoo: [\n"
    upload = {"yaml": "", "file": (io.BytesIO(broken.encode()), "cds-2022.yaml")}
    response = post(admin_client, "/admin/campaigns/CDS-2022/rules", upload,
                    content_type="multipart/form-data")
    page = text_of(response)
    assert response.status_code == 400
    assert f"dòng {len(broken.splitlines()) + 1} · yaml: lỗi cú pháp YAML" in page
    assert broken in page

    other = active_yaml(world, "TEST-OPEN")
    page = text_of(post(admin_client, "/admin/campaigns/CDS-2022/rules", {"yaml": other}))
    assert "Mã phong trào trong tệp (“TEST-OPEN”) khác phong trào đang sửa" in page
    assert snapshot(world) == before and campaign_state(world, "CDS-2022") == state


def test_a_good_edit_creates_the_next_version_and_activates_it(world, client_for):
    admin_client = client_for("admin")
    number, total, _title = campaign_state(world, "CDS-2022")
    edited = active_yaml(world, "CDS-2022").replace("năm 2022\n", "năm 2022 (sửa đổi)\n", 1)
    # A browser sends the textarea with CRLF line ends; they are stored as LF.
    response = post(admin_client, "/admin/campaigns/CDS-2022/rules",
                    {"yaml": edited.replace("\n", "\r\n")}, follow_redirects=True)
    assert f"Đã lưu phiên bản {number + 1}" in text_of(response)
    assert campaign_state(world, "CDS-2022") == (number + 1, total + 1,
                                                 "Phong trào thi đua Chuyển đổi số trên địa bàn "
                                                 "tỉnh năm 2022 (sửa đổi)")
    assert active_yaml(world, "CDS-2022") == edited
    last = events(world, "campaign:CDS-2022")[-1]
    assert last.action == "load_ruleset" and last.actor_id == world.user_ids["admin"]

    response = post(admin_client, "/admin/campaigns/CDS-2022/rules", {"yaml": edited},
                    follow_redirects=True)
    assert "không tạo phiên bản mới" in text_of(response)
    assert campaign_state(world, "CDS-2022")[:2] == (number + 1, total + 1)

    page = admin_client.get("/admin/campaigns/CDS-2022").get_data(as_text=True)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", page)
    assert 'id="active-version"' in page and "Quản trị hệ thống" in page


def test_activating_an_older_version_is_audited(world, client_for):
    admin_client = client_for("admin")
    original = active_yaml(world, "CDS-2022")
    edited = original.replace("năm 2022\n", "năm 2022 (bản 2)\n", 1)
    post(admin_client, "/admin/campaigns/CDS-2022/rules", {"yaml": edited})
    assert campaign_state(world, "CDS-2022")[0] == 2

    page = text_of(admin_client.get("/admin/campaigns/CDS-2022/versions/1"))
    assert original in page
    response = post(admin_client, "/admin/campaigns/CDS-2022/versions/1/activate", {},
                    follow_redirects=True)
    assert "Đã áp dụng phiên bản 1" in text_of(response)
    assert campaign_state(world, "CDS-2022") == (
        1, 2, "Phong trào thi đua Chuyển đổi số trên địa bàn tỉnh năm 2022")
    last = events(world, "campaign:CDS-2022")[-1]
    assert (last.action, last.payload, last.actor_id) == (
        "activate_ruleset", {"version": 1}, world.user_ids["admin"])

    before = snapshot(world)
    page = text_of(post(admin_client, "/admin/campaigns/CDS-2022/versions/1/activate", {},
                        follow_redirects=True))
    assert "Phiên bản 1 đang được áp dụng" in page
    assert post(admin_client, "/admin/campaigns/CDS-2022/versions/9/activate",
                {}).status_code == 404
    assert snapshot(world) == before
    with world.db.session() as s:
        assert verify(s).ok


def test_a_new_campaign_is_created_by_uploading_a_yaml_with_a_new_code(world, client_for):
    admin_client = client_for("admin")
    source = active_yaml(world, "TEST-OPEN")
    new = source.replace("campaign: TEST-OPEN", "campaign: NEW-2024")
    upload = {"file": (io.BytesIO(new.encode("utf-8-sig")), "new-2024.yaml")}
    response = post(admin_client, "/admin/new-campaign", upload,
                    content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/campaigns/NEW-2024")
    assert campaign_state(world, "NEW-2024")[:2] == (1, 1)
    assert "NEW-2024" in text_of(admin_client.get("/admin/campaigns"))
    assert events(world, "campaign:NEW-2024")[0].payload["file"] == "new-2024.yaml"

    before = snapshot(world)
    page = text_of(post(admin_client, "/admin/new-campaign", {"yaml": source}))
    assert "Phong trào “TEST-OPEN” đã có" in page and source in page
    page = text_of(post(admin_client, "/admin/new-campaign", {"yaml": "   "}))
    assert "Nội dung bộ quy tắc đang trống" in page
    assert snapshot(world) == before
