"""The page cache: a kept page comes back only while nothing has been written, only to the
session it was rendered for, and never where a fresh render would read differently."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from tests.web.conftest import app_with, login, post_form
from workflow.proposals.service import act


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.extensions["tdkt_db"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def form_key(page: str) -> str:
    found = re.search(r'name="form_key" value="([0-9a-f]{32})"', page)
    assert found, "no form key on the dashboard"
    return found.group(1)


def test_a_second_load_reads_the_same_without_rendering(app, make_proposal, client_for):
    pid = make_proposal("submitted")
    reviewer = client_for("reviewer")
    first = reviewer.get(f"/proposals/{pid}")
    with statements(app) as seen:
        second = reviewer.get(f"/proposals/{pid}")
    assert second.status_code == 200 and second.data == first.data
    assert seen == []  # the data version is read on a connection of its own
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_write_by_another_process_shows_on_the_next_load(make_proposal, world, client_for):
    pid = make_proposal("submitted")
    reviewer = client_for("reviewer")
    assert "Đã nộp" in reviewer.get(f"/proposals/{pid}").get_data(as_text=True)
    reviewer.get(f"/proposals/{pid}")  # kept
    # world.db is an engine of its own, as another worker or the scheduler would be.
    with world.db.unit_of_work() as session:
        act(session, pid, "claim", world.user(session, "reviewer2"))
    page = reviewer.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Đang thẩm định" in page and "Vi Văn Tùng" in page
    queue = reviewer.get("/review/").get_data(as_text=True)
    reviewer.get("/review/")
    with world.db.unit_of_work() as session:
        act(session, pid, "return", world.user(session, "reviewer2"),
            reason="Thiếu biên bản họp xét")
    assert reviewer.get("/review/").get_data(as_text=True) != queue


def test_each_user_gets_a_page_rendered_for_them(make_proposal, client_for):
    pid = make_proposal("submitted")
    mai, tung = client_for("reviewer"), client_for("reviewer2")
    assert "Nông Thị Mai" in mai.get(f"/proposals/{pid}").get_data(as_text=True)
    mai.get(f"/proposals/{pid}")
    page = tung.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Vi Văn Tùng" in page and "Nông Thị Mai" not in page


def test_each_session_of_one_user_keeps_its_own_csrf_token(app, make_proposal, client_for):
    """Two browsers of the same reviewer: a page kept for one would carry a CSRF token the
    other's session refuses, so each gets its own."""
    pid = make_proposal("submitted")
    first, second = client_for("reviewer"), client_for("reviewer")
    first.get(f"/proposals/{pid}")
    first.get(f"/proposals/{pid}")
    response = post_form(second, f"/proposals/{pid}/actions/claim", {},
                         page=f"/proposals/{pid}", follow_redirects=True)
    assert response.status_code == 200
    assert "Đang thẩm định" in response.get_data(as_text=True)


def test_a_message_waiting_to_be_shown_is_never_lost_to_a_kept_page(client_for):
    clerk = client_for("unit1")
    clerk.get("/unit/")
    clerk.get("/unit/")  # kept
    refused = post_form(clerk, "/unit/proposals", {"campaign": "NO-SUCH", "title": "Hồ sơ"},
                        page="/unit/")
    assert refused.status_code == 302
    page = clerk.get("/unit/").get_data(as_text=True)
    assert 'class="alert' in page


def test_every_dashboard_load_gets_a_new_form_key(client_for):
    """Two tabs of the dashboard each create their own draft: a kept page must not hand
    both the same one-time key."""
    clerk = client_for("unit1")
    keys = {form_key(clerk.get("/unit/").get_data(as_text=True)) for _ in range(3)}
    assert len(keys) == 3


def test_a_kept_page_is_rendered_again_after_its_time(world, db_url):
    with app_with(world, db_url, PAGE_CACHE_SECONDS=0.2) as app:
        clerk = login(app.test_client(), "unit1")
        clerk.get("/unit/")
        with statements(app) as kept:
            clerk.get("/unit/")
        time.sleep(0.3)
        with statements(app) as rendered:
            clerk.get("/unit/")
    assert kept == [] and len(rendered) > 2


def test_with_the_cache_off_every_load_renders(world, db_url):
    with app_with(world, db_url, PAGE_CACHE_SECONDS=0) as app:
        clerk = login(app.test_client(), "unit1")
        clerk.get("/unit/")
        with statements(app) as seen:
            clerk.get("/unit/")
    assert len(seen) > 2
