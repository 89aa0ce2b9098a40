"""Notifications: who hears of what, in which language, through a real SMTP server on
loopback (aiosmtpd) only after commit; an outage delays mail but loses and doubles none.
Substitutes: during a leave assignments, reminders and escalations go to the substitute,
who may act in the absent user's place, recorded as "X thay Y"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, MailStatus, Notification, OutboxMail, Proposal
from tests.workflow.conftest import (
    CLAIM,
    SUBMIT,
    close_of,
    count,
    fire,
    inbox,
    set_language,
    vn,
)
from workflow.accounts.substitutes import name_substitute, stands_in_for
from workflow.errors import InvalidInput, PermissionDenied
from workflow.escalation.sweep import sweep
from workflow.notifications.inbox import list_notifications, mark_read, unread_count
from workflow.notifications.outbox import LEASE, SmtpConfig, deliver_outbox
from workflow.proposals.service import act

SUBMITTED = vn(2024, 1, 26, 10)
REMIND, DUE = close_of(2024, 2, 7), close_of(2024, 2, 16)


def outbox(session, status=None):
    stmt = select(OutboxMail).order_by(OutboxMail.id)
    if status:
        stmt = stmt.where(OutboxMail.status == status)
    return list(session.scalars(stmt))


# --- who hears of what ----------------------------------------------------------------------

def test_a_units_clerks_hear_of_returns_forwards_and_decisions(ladder, drive):
    pid = drive(CLAIM, SUBMITTED)
    fire(ladder, pid, "reviewer", "return", vn(2024, 1, 29), reason="Thiếu biên bản họp xét")
    fire(ladder, pid, "unit1", "resubmit", vn(2024, 1, 30))
    fire(ladder, pid, "reviewer", "claim", vn(2024, 1, 30))
    fire(ladder, pid, "reviewer", "forward", vn(2024, 1, 31))
    with ladder.db.unit_of_work() as s:
        nominees = [{"nominee_id": n.id, "outcome": "passed"}
                    for n in s.get(Proposal, pid).nominees]
    fire(ladder, pid, "secretary", "decide", vn(2024, 2, 1), outcomes=nominees)
    with ladder.db.session() as s:
        notes = inbox(s, ladder, "unit1")
        assert [n.kind for n in notes] == ["returned", "forwarded", "decided"]
        assert notes[0].body.endswith("Lý do: Thiếu biên bản họp xét")
        assert notes[2].body.endswith(": Được chấp thuận.")  # the state, as its badge says
        assert inbox(s, ladder, "unit2") == []  # another unit's clerk hears nothing
        assert inbox(s, ladder, "reviewer") == []  # claiming for oneself: no message
        assert all(n.audit_event_id for n in notes)


def test_an_assignment_by_the_board_head_tells_the_reviewer(ladder, drive):
    pid = drive(SUBMIT, SUBMITTED)
    fire(ladder, pid, "boardhead", "claim", vn(2024, 1, 29),
         assignee_id=ladder.user_ids["reviewer2"])
    with ladder.db.session() as s:
        [note] = inbox(s, ladder, "reviewer2", "assigned")
        assert note.body.startswith("Lăng Văn Quân (Trưởng ban TĐKT) đã phân công cho bạn")


def test_english_speakers_get_english(ladder, drive):
    set_language(ladder, "reviewer", "en")
    drive(CLAIM, SUBMITTED)
    sweep(ladder.db, REMIND)
    with ladder.db.session() as s:
        [note] = inbox(s, ladder, "reviewer")
        assert note.subject.startswith("Reminder (Board review): proposal TEST-LADDER/")
        assert "is due for Board review at 17:00 16/02/2024" in note.body


def test_a_rolled_back_action_notifies_nobody(ladder, drive):
    pid = drive(CLAIM, SUBMITTED)
    with pytest.raises(RuntimeError), ladder.db.unit_of_work() as s:
        act(s, pid, "return", ladder.user(s, "reviewer"), now=vn(2024, 1, 29),
            reason="Thiếu tài liệu")
        assert count(s, Notification) == 1  # written in the transaction …
        raise RuntimeError("the request failed after the action")
    with ladder.db.session() as s:  # … and gone with it
        assert count(s, Notification) == count(s, OutboxMail) == 0


def test_the_inbox_counts_and_marks_read(ladder, drive):
    for _ in range(3):
        drive(SUBMIT, SUBMITTED)
    sweep(ladder.db, REMIND)
    boardhead, other = ladder.user_ids["boardhead"], ladder.user_ids["reviewer"]
    with ladder.db.unit_of_work() as s:
        first, *rest = list_notifications(s, boardhead)
        assert unread_count(s, boardhead) == 3
        assert mark_read(s, boardhead, [first.id], vn(2024, 2, 8)) == 1
        assert mark_read(s, other, [r.id for r in rest], vn(2024, 2, 8)) == 0  # not theirs
    with ladder.db.unit_of_work() as s:
        assert [n.id for n in list_notifications(s, boardhead, unread_only=True)] == [
            r.id for r in rest]
        assert mark_read(s, boardhead, None, vn(2024, 2, 8)) == 2
        assert unread_count(s, boardhead) == 0


# --- mail through a real SMTP server ------------------------------------------------------

def test_mail_is_sent_after_commit_in_the_users_language(ladder, drive, smtp_server):
    set_language(ladder, "boardhead", "en")
    drive(CLAIM, SUBMITTED)
    sweep(ladder.db, DUE)  # a reminder for the reviewer, an escalation for the board head
    report = deliver_outbox(ladder.db, smtp_server.config, DUE)
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    by_to = {r.rcpt_tos[0]: r.message for r in smtp_server.sink.received}
    vi, en = by_to["reviewer@tdkt.example"], by_to["boardhead@tdkt.example"]
    assert vi["Subject"].startswith("Nhắc hạn thẩm định: hồ sơ TEST-LADDER/")
    assert "Đề nghị xử lý đúng hạn." in vi.get_content()
    assert en["Subject"].startswith("Overdue (Board review): proposal TEST-LADDER/")
    assert en["From"] == "tdkt@so-noi-vu.example"
    with ladder.db.session() as s:
        rows = outbox(s)
        assert {r.status for r in rows} == {"sent"}
        assert sorted(r.message_id for r in rows) == sorted(smtp_server.sink.message_ids())
    assert deliver_outbox(ladder.db, smtp_server.config, DUE).sent == 0  # nothing twice


def test_an_smtp_outage_delays_mail_but_loses_and_doubles_none(ladder, drive, smtp_server):
    for _ in range(3):
        drive(CLAIM, SUBMITTED)
    sweep(ladder.db, DUE)  # 3 reminders + 3 escalations = 6 mails
    smtp_server.stop()
    down = deliver_outbox(ladder.db, smtp_server.config, DUE)
    assert (down.sent, down.retried) == (0, 6)
    with ladder.db.session() as s:
        assert [(r.status, r.attempts) for r in outbox(s)] == [("pending", 1)] * 6
    smtp_server.start()
    smtp_server.sink.refuse_next = 2  # the server is back but busy: 451 for two mails
    assert deliver_outbox(ladder.db, smtp_server.config, DUE).sent == 0  # not due yet
    later = deliver_outbox(ladder.db, smtp_server.config, DUE + timedelta(minutes=1))
    assert (later.sent, later.retried) == (4, 2)
    final = deliver_outbox(ladder.db, smtp_server.config, DUE + timedelta(minutes=3))
    assert (final.sent, final.retried) == (2, 0)
    assert deliver_outbox(ladder.db, smtp_server.config, DUE + timedelta(hours=5)).sent == 0
    ids = smtp_server.sink.message_ids()
    with ladder.db.session() as s:
        rows = outbox(s)
        assert len(ids) == len(set(ids)) == 6
        assert sorted(ids) == sorted(r.message_id for r in rows)
        assert {r.status for r in rows} == {MailStatus.SENT}


def test_a_mail_whose_sender_died_is_resent_with_the_same_message_id(ladder, drive,
                                                                       smtp_server):
    from workflow.notifications.outbox import claim

    drive(CLAIM, SUBMITTED)
    sweep(ladder.db, REMIND)
    [job] = claim(ladder.db, REMIND, 10)  # a process claims it, then dies before sending
    assert deliver_outbox(ladder.db, smtp_server.config, REMIND).sent == 0  # lease held
    assert deliver_outbox(ladder.db, smtp_server.config, REMIND + LEASE).sent == 1
    assert smtp_server.sink.message_ids() == [job.message_id]


def test_a_permanent_refusal_is_not_retried(ladder, drive, smtp_server):
    drive(CLAIM, SUBMITTED)
    sweep(ladder.db, REMIND)
    smtp_server.sink.unknown.add("reviewer@tdkt.example")  # 550: no such mailbox
    report = deliver_outbox(ladder.db, smtp_server.config, REMIND)
    assert (report.sent, report.failed) == (0, 1)
    with ladder.db.session() as s:
        assert outbox(s)[0].status == "failed"


def test_smtp_urls():
    assert SmtpConfig.from_url("smtp://mail.example:2525", "a@b") == SmtpConfig(
        "mail.example", 2525, "a@b")
    secure = SmtpConfig.from_url("smtps://u%40x:p%3Aw@mail.example", "a@b")
    assert (secure.port, secure.ssl, secure.username, secure.password) == (
        465, True, "u@x", "p:w")
    assert SmtpConfig.from_url("smtp://m.example?starttls=1", "a@b").starttls
    with pytest.raises(ValueError):
        SmtpConfig.from_url("http://m.example", "a@b")


# --- substitutes ---------------------------------------------------------------------------

LEAVE = (date(2024, 2, 5), date(2024, 2, 9))


def on_leave(world, who: str, substitute: str, by: str | None = None) -> None:
    with world.db.unit_of_work() as s:
        name_substitute(s, world.user_ids[who], world.user_ids[substitute], *LEAVE,
                        world.user(s, by or who), vn(2024, 2, 1))


def test_during_a_leave_reminders_go_to_the_substitute(ladder, drive):
    on_leave(ladder, "reviewer", "reviewer2")
    pid = drive(CLAIM, SUBMITTED)
    sweep(ladder.db, REMIND)  # Wed 07/02: inside the leave
    with ladder.db.session() as s:
        assert inbox(s, ladder, "reviewer") == []
        [note] = inbox(s, ladder, "reviewer2", "remind")
        assert note.for_user_id == ladder.user_ids["reviewer"]
        assert "thay Nông Thị Mai (chuyên viên Ban TĐKT)" in note.body
        event = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid,
                                                   AuditEvent.action == "remind")).one()
        assert event.payload["recipients"] == [{
            "user_id": ladder.user_ids["reviewer2"], "name": "Vi Văn Tùng (chuyên viên Ban TĐKT)",
            "for_user_id": ladder.user_ids["reviewer"]}]


def test_after_the_leave_the_user_gets_their_messages_again(ladder, drive):
    on_leave(ladder, "boardhead", "reviewer2")
    drive(CLAIM, SUBMITTED)
    sweep(ladder.db, DUE)  # Fri 16/02: the leave ended on Fri 09/02
    with ladder.db.session() as s:
        assert len(inbox(s, ladder, "boardhead", "escalate")) == 1
        assert inbox(s, ladder, "reviewer2") == []


def test_an_escalation_reassigns_to_the_board_heads_substitute(ladder, drive):
    on_leave(ladder, "boardhead", "reviewer2")
    pid = drive(CLAIM, vn(2024, 1, 22))  # due Mon 05/02/2024: inside the leave
    sweep(ladder.db, close_of(2024, 2, 5))
    with ladder.db.session() as s:
        assert s.get(Proposal, pid).assignee_id == ladder.user_ids["reviewer2"]
        [note] = inbox(s, ladder, "reviewer2", "escalate")
        assert note.for_user_id == ladder.user_ids["boardhead"]


def test_assignments_during_a_leave_go_to_the_substitute(ladder, drive):
    on_leave(ladder, "reviewer", "reviewer2", by="boardhead")
    pid = drive(SUBMIT, SUBMITTED)
    fire(ladder, pid, "boardhead", "claim", vn(2024, 2, 6),
         assignee_id=ladder.user_ids["reviewer"])
    with ladder.db.session() as s:
        assert s.get(Proposal, pid).assignee_id == ladder.user_ids["reviewer2"]
        claim = s.scalars(select(AuditEvent).where(AuditEvent.action == "claim")).one()
        assert claim.payload == {"assignee_id": ladder.user_ids["reviewer2"],
                                 "assigned_for_id": ladder.user_ids["reviewer"]}


def test_a_substitute_acts_in_the_absent_users_place(ladder, drive):
    on_leave(ladder, "reviewer", "reviewer2")
    pid = drive(CLAIM, SUBMITTED)
    with ladder.db.unit_of_work() as s, pytest.raises(PermissionDenied):
        act(s, pid, "forward", ladder.user(s, "reviewer2"), now=vn(2024, 2, 6))  # own name
    with ladder.db.unit_of_work() as s, pytest.raises(PermissionDenied):  # leave is over
        act(s, pid, "forward", ladder.user(s, "reviewer2"), now=vn(2024, 2, 12),
            on_behalf_of_id=ladder.user_ids["reviewer"])
    with ladder.db.unit_of_work() as s, pytest.raises(PermissionDenied):  # not named
        act(s, pid, "forward", ladder.user(s, "boardhead"), now=vn(2024, 2, 6),
            on_behalf_of_id=ladder.user_ids["reviewer"])
    with ladder.db.unit_of_work() as s:
        assert [u.username for u in stands_in_for(s, ladder.user_ids["reviewer2"],
                                                  vn(2024, 2, 6))] == ["reviewer"]
        event = act(s, pid, "forward", ladder.user(s, "reviewer2"), now=vn(2024, 2, 6),
                    on_behalf_of_id=ladder.user_ids["reviewer"])
        assert event.actor_id == ladder.user_ids["reviewer2"]
        assert event.on_behalf_of_id == ladder.user_ids["reviewer"]
        assert event.actor_name == ("Vi Văn Tùng (chuyên viên Ban TĐKT) thay "
                                    "Nông Thị Mai (chuyên viên Ban TĐKT)")


REFUSED = [
    ("secretary", "reviewer", None, InvalidInput),   # a reviewer cannot stand in for her
    ("unit1", "unit2", None, InvalidInput),          # clerks do not name substitutes
    ("reviewer", "reviewer", None, InvalidInput),    # not oneself
    ("reviewer", "reviewer2", "reviewer2", PermissionDenied),  # not for someone else
]


def test_who_may_substitute_whom(world):
    for who, substitute, by, error in REFUSED:
        with pytest.raises(error):
            on_leave(world, who, substitute, by)
    on_leave(world, "boardhead", "reviewer", by="admin")  # an admin may, for them
