"""A long timeline on the proposal page: the latest events, and a link to all of them."""

from __future__ import annotations

import re
from datetime import timedelta

from models.base import utcnow
from tests.support.language import switch
from workflow.actors import SYSTEM
from workflow.audit.chain import verify
from workflow.proposals import service
from workflow.proposals.queries import TIMELINE_SHOWN

ROW = re.compile(r'<tr data-event="([a-z_]+)">.*?</tr>', re.S)
EXTRA = TIMELINE_SHOWN + 12


def _remind_often(world, pid: int) -> int:
    """Append `EXTRA` reminder events (as months of escalation ladders would), numbered in
    their reason; the number of events the proposal then has."""
    start = utcnow()
    with world.db.unit_of_work() as session:
        proposal = service.load_for_update(session, pid)
        for n in range(1, EXTRA + 1):
            service.record(session, proposal, "remind", SYSTEM, start + timedelta(minutes=n),
                           reason=f"nhắc lần {n}")
        return proposal.audit_seq


def test_a_long_timeline_shows_the_latest_events_and_links_to_all_of_them(
        make_proposal, world, client_for):
    pid = make_proposal("under_review")
    total = _remind_often(world, pid)
    reviewer = client_for("reviewer")
    page = reviewer.get(f"/proposals/{pid}").get_data(as_text=True)
    rows = ROW.findall(page)
    assert len(rows) == TIMELINE_SHOWN
    reasons = re.findall(r"nhắc lần (\d+)<", page)
    assert [int(n) for n in reasons] == list(range(EXTRA - TIMELINE_SHOWN + 1, EXTRA + 1))
    assert f"{TIMELINE_SHOWN} sự kiện gần nhất trong tổng số {total}." in page
    link = re.search(r'<a href="([^"]+)">Xem toàn bộ diễn biến</a>', page)
    assert link is not None and link.group(1) == f"/proposals/{pid}?timeline=all#timeline"

    whole = reviewer.get(f"/proposals/{pid}?timeline=all").get_data(as_text=True)
    assert len(ROW.findall(whole)) == total
    assert ROW.findall(whole)[0] == "create"  # from the very first event
    assert "Xem toàn bộ diễn biến" not in whole
    with world.db.session() as session:
        assert verify(session).ok


def test_a_short_timeline_is_shown_whole_without_the_note(make_proposal, client_for):
    pid = make_proposal("under_review")
    page = client_for("reviewer").get(f"/proposals/{pid}").get_data(as_text=True)
    assert ROW.findall(page)[0] == "create"
    assert "sự kiện gần nhất" not in page and "timeline=all" not in page


def test_the_note_is_in_english_too(make_proposal, world, client_for):
    pid = make_proposal("under_review")
    total = _remind_often(world, pid)
    reviewer = client_for("reviewer")
    switch(reviewer, "en", from_page=f"/proposals/{pid}")
    page = reviewer.get(f"/proposals/{pid}").get_data(as_text=True)
    assert f"The latest {TIMELINE_SHOWN} of {total} events." in page
    assert "Show the whole history" in page
