"""Long lists come a page of 50 at a time, with links that keep the filters."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from tests.support.calendar import now_vn
from web.paging import page_url
from workflow.proposals.queries import PAGE_SIZE

LINK = re.compile(r'href="/proposals/(\d+)"')


def _next_link(page: str) -> str | None:
    found = re.search(r'<a [^>]*rel="next" href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_review_queue_pages_through_every_proposal_soonest_due_first(
        make_proposal, client_for):
    # Filed a day apart, so each has its own due date and the order is known.
    ids = [make_proposal("submitted", now=now_vn() - timedelta(days=60 - n))
           for n in range(PAGE_SIZE + 3)]
    reviewer = client_for("reviewer")
    first = reviewer.get("/review/?state=submitted").get_data(as_text=True)
    assert [int(i) for i in LINK.findall(first)] == ids[:PAGE_SIZE]
    assert f"Trang 1 · hồ sơ 1–{PAGE_SIZE}" in first
    assert 'rel="prev"' not in first
    link = _next_link(first)
    assert link is not None and "state=submitted" in link and "page=2" in link
    second = reviewer.get(link).get_data(as_text=True)
    assert [int(i) for i in LINK.findall(second)] == ids[PAGE_SIZE:]
    assert f"Trang 2 · hồ sơ {PAGE_SIZE + 1}–{PAGE_SIZE + 3}" in second
    assert _next_link(second) is None and 'rel="prev"' in second


def test_a_clerk_pages_through_the_unit_dashboard_and_bad_page_numbers_show_the_first(
        make_proposal, client_for):
    ids = [make_proposal("draft", nominees=[], documents=[]) for _ in range(PAGE_SIZE + 1)]
    clerk = client_for("unit1")
    first = clerk.get("/unit/").get_data(as_text=True)
    shown = [int(i) for i in LINK.findall(first)]
    assert len(shown) == PAGE_SIZE and _next_link(first) is not None
    second = clerk.get(_next_link(first)).get_data(as_text=True)
    rest = [int(i) for i in LINK.findall(second)]
    assert sorted(shown + rest) == ids
    for bad in ("0", "-1", "abc", "99999999999999999999"):
        response = clerk.get(f"/unit/?page={bad}")
        assert response.status_code == 200
        assert [int(i) for i in LINK.findall(response.get_data(as_text=True))] == shown
    beyond = clerk.get("/unit/?page=40").get_data(as_text=True)
    assert not LINK.findall(beyond) and "Trang 40 · không còn hồ sơ" in beyond


def test_one_page_needs_no_pager(make_proposal, client_for):
    make_proposal("submitted")
    page = client_for("reviewer").get("/review/").get_data(as_text=True)
    assert 'href="/proposals/' in page
    assert 'aria-label="Phân trang"' not in page and "Trang 1" not in page


def test_page_links_keep_every_filter_in_the_query_string():
    """A filter named like url_for's own options or like the path's arguments stays a
    filter: it made the link absolute (`?_external=0`) or gave it an anchor (`?_anchor=`),
    and made a server error (`?_method=PUT`, `?pid=` under /proposals/<pid>)."""
    app = Flask(__name__)
    app.add_url_rule("/proposals/<int:pid>/events", "events", lambda pid: "")
    with app.test_request_context("/proposals/3/events?q=Nguy%E1%BB%85n+A&_external=0"
                                  "&_method=PUT&_anchor=x&pid=4&page=7"):
        assert page_url(8) == ("/proposals/3/events?q=Nguy%E1%BB%85n+A&_external=0"
                               "&_method=PUT&_anchor=x&pid=4&page=8")
