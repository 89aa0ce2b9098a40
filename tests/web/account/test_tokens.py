"""API tokens as their owners, their clients and an admin meet them: expiry and scope on
the tokens page, JSON refusals that say why, reads that write nothing, an admin's revoke
behind a confirmation."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, text

from models import ApiToken, AuditEvent, Proposal
from models.base import utcnow
from models.db import Database
from models.migrate import downgrade, upgrade
from tests.conftest import VN
from tests.web.conftest import csrf_token, post_form
from workflow.accounts import tokens

SECRET = re.compile(r"tdkt_[A-Za-z0-9_-]{40,}")
NEW_DRAFT = {"campaign": "TEST-OPEN", "title": "Hồ sơ gửi qua API"}


def vn(moment: datetime) -> str:
    """How the pages write a moment: dd/mm/yyyy HH:MM in Vietnam."""
    return moment.astimezone(VN).strftime("%d/%m/%Y %H:%M")


def row_of(world: Any, secret: str) -> ApiToken:
    with world.db.session() as s:
        return s.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))


def made(world: Any, username: str, now: datetime | None = None, **kw: Any) -> str:
    with world.db.unit_of_work() as s:
        return tokens.create_token(s, world.user_ids[username], "máy chủ văn bản", now, **kw)[1]


def bearer(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def drafts(world: Any) -> int:
    with world.db.session() as s:
        return len(s.scalars(select(Proposal.id)).all())


# --- the tokens page -----------------------------------------------------------------------


def test_a_token_is_made_with_an_expiry_and_a_scope_and_the_page_shows_them(app, world,
                                                                          client_for):
    browser = client_for("unit1")
    form = browser.get("/account/tokens").get_data(as_text=True)
    assert 'name="days"' in form and 'value="90"' in form and 'max="365"' in form
    assert 'value="read" selected' in form  # read only unless the owner asks for more
    before = utcnow()
    page = browser.post("/account/tokens", data={
        "name": "Phần mềm văn bản", "days": "30", "scope": "act",
        "csrf_token": csrf_token(browser, "/account/tokens")})
    assert page.status_code == 200
    secret = SECRET.search(page.get_data(as_text=True)).group(0)
    row = row_of(world, secret)
    assert row.scope == "act"
    assert timedelta(days=30) <= row.expires_at - before < timedelta(days=30, minutes=1)

    caller = app.test_client()
    assert caller.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    used = row_of(world, secret).last_used_at
    listing = html.unescape(browser.get("/account/tokens").get_data(as_text=True))
    line = listing.split(f'data-token-id="{row.id}"')[1].split("</tr>")[0]
    assert "Đọc và thao tác" in line
    assert f'class="token-expires">{vn(row.expires_at)}<' in line
    assert f'class="token-last-used">{vn(used)}<' in line  # dd/mm/yyyy HH:MM, Vietnam time


def test_the_expiry_is_between_1_and_365_days_and_the_scope_one_of_two(client_for, world):
    browser = client_for("unit1")
    for days, scope in [("0", "read"), ("366", "read"), ("-5", "act"), ("ba", "read"),
                        ("30", "admin")]:
        page = browser.post("/account/tokens", data={
            "name": "khoá", "days": days, "scope": scope,
            "csrf_token": csrf_token(browser, "/account/tokens")}, follow_redirects=True)
        text_ = html.unescape(page.get_data(as_text=True))
        assert "từ 1 đến 365 ngày" in text_ or "Phạm vi khoá không hợp lệ" in text_ \
            or "phải là số nguyên" in text_, (days, scope)
        assert SECRET.search(text_) is None
    with world.db.session() as s:
        assert tokens.list_tokens(s, world.user_ids["unit1"]) == []
    for days in ("1", "365"):
        page = browser.post("/account/tokens", data={
            "name": f"khoá {days}", "days": days, "scope": "read",
            "csrf_token": csrf_token(browser, "/account/tokens")})
        assert SECRET.search(page.get_data(as_text=True)), days


# --- what a client is told -----------------------------------------------------------------


def test_an_expired_token_is_a_401_that_says_it_expired_and_when(app, world):
    long_ago = utcnow() - timedelta(days=91)
    secret = made(world, "unit1", long_ago)  # 90 days: expired a day ago
    response = app.test_client().get("/api/v1/proposals", headers=bearer(secret))
    assert response.status_code == 401 and response.is_json
    body = response.get_json()["error"]
    assert body["code"] == "token_expired"
    assert body["message"] == (f"Khoá API đã hết hạn lúc {vn(long_ago + timedelta(days=90))}. "
                               "Hãy tạo khoá mới tại /account/tokens.")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "expired" in response.headers["WWW-Authenticate"]
    # A day before its end the same kind of token works.
    fresh = made(world, "unit1", utcnow() - timedelta(days=89))
    assert app.test_client().get("/api/v1/proposals", headers=bearer(fresh)).status_code == 200


def test_a_read_only_token_reads_and_is_refused_403_on_every_write(app, world, make_proposal):
    pid = make_proposal("draft")
    secret = made(world, "unit1", scope="read")
    client = app.test_client()
    assert client.get("/api/v1/proposals", headers=bearer(secret)).status_code == 200
    assert client.get(f"/api/v1/proposals/{pid}", headers=bearer(secret)).status_code == 200
    before = drafts(world)
    for method, path, body in [("POST", "/api/v1/proposals", NEW_DRAFT),
                               ("POST", f"/api/v1/proposals/{pid}/actions/submit",
                                {"expected_version": 1}),
                               ("DELETE", f"/api/v1/proposals/{pid}/documents/1", None)]:
        response = client.open(path, method=method, json=body, headers=bearer(secret))
        assert response.status_code == 403 and response.is_json, (method, path)
        error = response.get_json()["error"]
        assert error["code"] == "insufficient_scope"
        assert error["message"].startswith("Khoá API này chỉ được đọc dữ liệu.")
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert drafts(world) == before
    with world.db.session() as s:
        assert s.get(Proposal, pid).state == "draft"
    # The same user's read-and-act token may write.
    writer = made(world, "unit1", scope="act")
    assert client.post("/api/v1/proposals", json=NEW_DRAFT,
                       headers=bearer(writer)).status_code == 201


def test_api_reads_by_token_write_at_most_once_a_minute(app, world):
    """Fifty reads with one token: one write (the first marks the token used), not fifty
    write transactions; the data version, which the page cache keys on, does not move."""
    secret = made(world, "unit1")
    engine = app.extensions["tdkt_db"].engine
    commits: list[int] = []

    def count(_conn: Any) -> None:
        commits.append(1)

    version = app.extensions["tdkt_db"].data_version()
    client = app.test_client()
    event.listen(engine, "commit", count)
    try:
        for _ in range(50):
            assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    finally:
        event.remove(engine, "commit", count)
    assert len(commits) == 1
    assert app.extensions["tdkt_db"].data_version() == version
    assert row_of(world, secret).last_used_at is not None


# --- an admin revokes anyone's tokens ------------------------------------------------------


def test_an_admin_revokes_a_users_tokens_after_confirming(app, world, client_for):
    first, second = made(world, "unit1"), made(world, "unit1", scope="read")
    uid = world.user_ids["unit1"]
    admin = client_for("admin")
    page = html.unescape(admin.get(f"/admin/users/{uid}").get_data(as_text=True))
    assert first[:12] in page and second[:12] in page and "Thu hồi mọi khoá API…" in page
    one = row_of(world, first).id

    confirm = html.unescape(admin.get(f"/admin/users/{uid}/tokens/revoke?token={one}")
                            .get_data(as_text=True))
    assert "Thao tác này không hoàn tác được." in confirm and first[:12] in confirm
    assert second[:12] not in confirm and 'name="csrf_token"' in confirm
    # Not without the CSRF token, and not without the confirmation.
    assert admin.post(f"/admin/users/{uid}/tokens/revoke",
                      data={"token": one, "confirm": "yes"}).status_code == 400
    unconfirmed = post_form(admin, f"/admin/users/{uid}/tokens/revoke", {"token": one},
                            page=f"/admin/users/{uid}")
    assert unconfirmed.status_code == 302 and "/tokens/revoke" in unconfirmed.headers["Location"]
    assert app.test_client().get("/api/v1/me", headers=bearer(first)).status_code == 200

    done = post_form(admin, f"/admin/users/{uid}/tokens/revoke",
                     {"token": one, "confirm": "yes"}, page=f"/admin/users/{uid}",
                     follow_redirects=True)
    assert "Đã thu hồi khoá API." in html.unescape(done.get_data(as_text=True))
    refused = app.test_client().get("/api/v1/me", headers=bearer(first))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "invalid_token"
    assert app.test_client().get("/api/v1/me", headers=bearer(second)).status_code == 200

    post_form(admin, f"/admin/users/{uid}/tokens/revoke", {"confirm": "yes"},
              page=f"/admin/users/{uid}/tokens/revoke")
    assert app.test_client().get("/api/v1/me", headers=bearer(second)).status_code == 401
    with world.db.session() as s:
        trail = s.scalars(select(AuditEvent).where(AuditEvent.stream == "user:unit1",
                                                   AuditEvent.action == "revoke_api_token"))
        assert [e.actor_id for e in trail] == [world.user_ids["admin"]] * 2
    history = html.unescape(admin.get(f"/admin/users/{uid}").get_data(as_text=True))
    assert "Thu hồi khoá API" in history


def test_only_an_admin_may_revoke_someone_elses_tokens(app, world, client_for):
    secret = made(world, "unit1")
    uid, one = world.user_ids["unit1"], row_of(world, secret).id
    head = client_for("boardhead")
    assert head.get(f"/admin/users/{uid}/tokens/revoke").status_code == 403
    refused = post_form(head, f"/admin/users/{uid}/tokens/revoke",
                        {"token": one, "confirm": "yes"}, page="/proposals/")
    assert refused.status_code == 403
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200


# --- tokens that existed before expiry and scope -------------------------------------------


def test_tokens_made_before_the_upgrade_get_90_days_and_may_still_act(db, world, app):
    """Tokens of a database at revision 0010 had no expiry and no scope: after the upgrade
    they expire 90 days later and keep read-and-act, so no client breaks that day."""
    downgrade(db.engine, "0010")
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
            "VALUES (:u, 'cũ', :h, 'tdkt_oldkey0', :c)"),
            {"u": world.user_ids["unit1"], "h": tokens.hash_secret("tdkt_" + "o" * 43),
             "c": datetime(2024, 1, 1)})
    upgrade(db.engine)
    after = Database(db.url)
    try:
        with after.session() as s:
            row = s.scalar(select(ApiToken).where(ApiToken.prefix == "tdkt_oldkey0"))
            assert row.scope == "act"
            left = row.expires_at - datetime.now(UTC)
            assert timedelta(days=89, hours=23) < left <= timedelta(days=90)
    finally:
        after.dispose()
    made_ = app.test_client().post("/api/v1/proposals", json=NEW_DRAFT,
                                   headers=bearer("tdkt_" + "o" * 43))
    assert made_.status_code == 201
