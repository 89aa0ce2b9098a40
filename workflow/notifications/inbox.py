"""Notifications: an inbox row per recipient and, when they have an address, a mail in the
outbox, both written in the event's own transaction (so a rolled-back action notifies
nobody). Mail leaves only through `workflow.outbox.deliver_outbox`, after commit.

Who hears of what: a unit's clerks hear when its proposals are returned, forwarded,
sent back, decided, given their decision (one message for all the unit's proposals one
decision decides), or withdrawn by the system; a reviewer hears
when someone else assigns them a proposal; reminders and escalations go to the people the
campaign's ladder names. Anyone away is replaced by their substitute (`substitutes.route`).
Texts are Vietnamese, English for users whose language is English.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from email.utils import make_msgid
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from models import AuditEvent, MailStatus, Notification, OutboxMail, Proposal, Role, User, UserRole
from rules.calendar import TZ
from workflow.accounts.substitutes import Recipient, route, routes
from workflow.errors import N_
from workflow.labels import term, text_in, translate

MSGID_DOMAIN = "tdkt.invalid"

# Subject and body of each kind of notification: Vietnamese message ids, English in the
# translation catalogue (web/translations), rendered in the recipient's language.
TEMPLATES: dict[str, tuple[str, str]] = {
    "remind": (
        N_("Nhắc hạn %(stage)s: hồ sơ %(ref)s"),
        N_("Hồ sơ “%(title)s” (%(ref)s) đến hạn %(stage)s lúc %(due)s. Đề nghị xử lý đúng "
           "hạn.")),
    "escalate": (
        N_("Quá hạn %(stage)s: hồ sơ %(ref)s"),
        N_("Hồ sơ “%(title)s” (%(ref)s) đã quá hạn %(stage)s (hạn %(due)s).%(reassigned)s")),
    "assigned": (
        N_("Được phân công thẩm định hồ sơ %(ref)s"),
        N_("%(actor)s đã phân công cho bạn thẩm định hồ sơ “%(title)s” (%(ref)s).")),
    "returned": (
        N_("Hồ sơ %(ref)s bị trả lại"),
        N_("Hồ sơ “%(title)s” (%(ref)s) bị trả lại để bổ sung. Lý do: %(reason)s")),
    "forwarded": (
        N_("Hồ sơ %(ref)s đã trình Hội đồng"),
        N_("Hồ sơ “%(title)s” (%(ref)s) đã được Ban TĐKT trình Hội đồng xét.")),
    "sent_back": (
        N_("Hồ sơ %(ref)s được chuyển lại Ban thẩm định"),
        N_("Hội đồng chuyển lại hồ sơ “%(title)s” (%(ref)s) để thẩm định thêm. Lý do: "
           "%(reason)s")),
    "decided": (
        N_("Kết quả xét hồ sơ %(ref)s"),
        N_("Hội đồng đã xét hồ sơ “%(title)s” (%(ref)s): %(outcome)s.")),
    "decision_issued": (
        N_("Đã ban hành quyết định cho hồ sơ %(ref)s"),
        N_("Quyết định số %(decision_number)s đã được ban hành cho hồ sơ “%(title)s” "
           "(%(ref)s).")),
    "decisions_issued": (
        N_("Đã ban hành quyết định cho %(count)s hồ sơ của đơn vị"),
        N_("Quyết định số %(decision_number)s đã được ban hành cho %(count)s hồ sơ của đơn "
           "vị: %(listed)s.")),
    "withdrawn": (
        N_("Hồ sơ %(ref)s đã bị rút tự động"),
        N_("Hồ sơ “%(title)s” (%(ref)s) đã được hệ thống rút vì quá hạn nộp lại. %(reason)s")),
}
# Added to the body when the recipient stands in for someone away, and when a rung of the
# escalation ladder reassigned the proposal.
FOR_NOTE = N_("\n\n(Bạn nhận thông báo này thay %(name)s trong thời gian vắng mặt.)")
REASSIGNED = N_(" Hồ sơ đã được chuyển cho %(name)s.")
# Triggers whose event a unit's clerks hear about, by notification kind.
UNIT_EVENTS = {"return": "returned", "forward": "forwarded", "send_back": "sent_back",
               "decide": "decided", "issue_decision": "decision_issued"}


# --- writing -------------------------------------------------------------------------------

def render(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    lang = "en" if language == "en" else "vi"
    kind_of_deadline, outcome = context.get("deadline_kind"), context.get("outcome")
    reassigned = context.get("reassigned_to_name")
    context = {**context,
               "stage": text_in(term("deadline", kind_of_deadline), lang)
               if kind_of_deadline else "",
               "outcome": text_in(term("state", outcome), lang) if outcome else "",
               "reassigned": translate(REASSIGNED, lang) % {"name": reassigned}
               if reassigned else ""}
    subject, body = (translate(template, lang) % context for template in TEMPLATES[kind])
    return subject[:255], body


def notify(session: Session, to: Recipient, kind: str, proposal: Proposal,
           event: AuditEvent | None, now: datetime, **extra: Any) -> Notification:
    """One inbox row for the recipient, and one outbox mail when they have an address."""
    return _deliver(session, to, kind, message(to, kind, proposal, **extra), proposal.id,
                    event, now)


class AboutProposal(Protocol):
    """What a message reads of the proposal it is about: a `Proposal`, or the plain row the
    sweep reads."""

    @property
    def id(self) -> int: ...
    @property
    def reference(self) -> str | None: ...
    @property
    def title(self) -> str: ...


def message(to: Recipient, kind: str, proposal: AboutProposal, **extra: Any
            ) -> tuple[str, str]:
    """The subject and body of a notification about a proposal, in the recipient's
    language."""
    return render(kind, to.user.language, _context(proposal, extra))


def notify_decided(session: Session, to: Recipient, proposals: list[Proposal],
                   decision_number: str, now: datetime) -> Notification:
    """One message for the several proposals of a unit that one decision decided (a clerk
    with thirty proposals in a decision gets one mail, not thirty)."""
    listed = "; ".join(f"{p.reference or f'#{p.id}'} “{p.title}”" for p in proposals)
    text = render("decisions_issued", to.user.language, {
        "count": len(proposals), "decision_number": decision_number, "listed": listed})
    return _deliver(session, to, "decisions_issued", text, None, None, now)


def _deliver(session: Session, to: Recipient, kind: str, text: tuple[str, str],
             proposal_id: int | None, event: AuditEvent | None, now: datetime
             ) -> Notification:
    note_values, mail_values = delivery_values(to, kind, text, proposal_id, now)
    note = Notification(audit_event=event, **note_values)
    session.add(note)
    if mail_values is not None:
        session.add(OutboxMail(notification=note, **mail_values))
    return note


def delivery_values(to: Recipient, kind: str, text: tuple[str, str], proposal_id: int | None,
                    now: datetime) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The inbox row's and the outbox mail's column values (no mail without an address;
    the links to the event and the inbox row are the writer's): for writers that insert
    many in one statement."""
    subject, body = text
    if to.for_user is not None:
        body += translate(FOR_NOTE, "en" if to.user.language == "en" else "vi") % {
            "name": to.for_user.full_name}
    note = {"user_id": to.user.id, "for_user_id": to.for_user.id if to.for_user else None,
            "proposal_id": proposal_id, "kind": kind, "subject": subject, "body": body,
            "created_at": now}
    if not to.user.email:
        return note, None
    return note, {
        "proposal_id": proposal_id, "to_address": to.user.email, "subject": subject,
        "body": body + "\n\n— tdkt", "message_id": make_msgid(domain=MSGID_DOMAIN),
        "status": MailStatus.PENDING.value, "attempts": 0, "next_attempt_at": now,
        "created_at": now}


def routed(session: Session, users: list[User], now: datetime,
           skip_user_id: int | None = None,
           known: dict[int, Recipient] | None = None) -> list[Recipient]:
    """Each user once, or their substitute while away; never the person who acted.
    `known` keeps each user's route across calls (many proposals notified at once)."""
    known = {} if known is None else known
    recipients, seen = [], set()
    for user in users:
        to = known.get(user.id)
        if to is None:
            to = known[user.id] = route(session, user, now)
        if to.user.id in seen or to.user.id == skip_user_id or not to.user.active:
            continue
        seen.add(to.user.id)
        recipients.append(to)
    return recipients


def notify_all(session: Session, users: list[User], kind: str, proposal: Proposal,
               event: AuditEvent | None, now: datetime, *, skip_user_id: int | None = None,
               **extra: Any) -> list[Notification]:
    return [notify(session, to, kind, proposal, event, now, **extra)
            for to in routed(session, users, now, skip_user_id)]


def on_event(session: Session, proposal: Proposal, event: AuditEvent, now: datetime) -> None:
    """Queue what a transition's audit event tells people (called by `service.act`)."""
    on_events(session, [(proposal, event)], now)


def on_events(session: Session, happened: list[tuple[Proposal, AuditEvent]],
              now: datetime) -> None:
    """`on_event` for many transitions at once (one decision over many proposals): the
    clerks of every unit concerned in one query, each person's route looked up once."""
    for_units = [(p, e) for p, e in happened if e.action in UNIT_EVENTS]
    clerks = clerks_by_unit(session, {p.unit_id for p, _ in for_units})
    # Every route known before the first notification is added: a query in between would
    # flush the notifications a few at a time.
    known = routes(session, [u for users in clerks.values() for u in users], now)
    # One decision's proposals of one unit make one message; any other event its own.
    groups: dict[object, list[tuple[Proposal, AuditEvent]]] = {}
    for p, e in for_units:
        key = ((p.unit_id, (e.payload or {}).get("decision_id"))
               if e.action == "issue_decision" else e)
        groups.setdefault(key, []).append((p, e))
    for group in groups.values():
        p, e = group[0]
        payload = e.payload or {}
        for to in routed(session, clerks.get(p.unit_id, []), now, e.actor_id, known):
            if len(group) > 1:
                notify_decided(session, to, [q for q, _ in group],
                               payload.get("decision_number", ""), now)
            else:
                notify(session, to, UNIT_EVENTS[e.action], p, e, now, reason=e.reason,
                       any_passed=payload.get("any_passed"),
                       decision_number=payload.get("decision_number", ""))
    for p, e in happened:
        if e.action == "withdraw" and e.actor_id is None:
            notify_all(session, unit_clerks(session, p.unit_id), "withdrawn", p, e, now,
                       reason=e.reason or "")
        elif e.action in ("claim", "reassign"):
            _notify_assignee(session, p, e, now)


def _notify_assignee(session: Session, proposal: Proposal, event: AuditEvent,
                     now: datetime) -> None:
    assignee = session.get(User, (event.payload or {}).get("assignee_id"))
    if assignee is None or assignee.id == event.actor_id:
        return  # a reviewer claiming for themself needs no message
    notify(session, Recipient(assignee), "assigned", proposal, event, now,
           actor=event.actor_name)


def users_with_role(session: Session, role: str, unit_id: int | None = None) -> list[User]:
    holders = select(UserRole.user_id).where(UserRole.role == Role(role))
    query = select(User).where(User.id.in_(holders), User.active.is_(True))
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    return list(session.scalars(
        query.options(joinedload(User.role_rows)).order_by(User.id)).unique())


def unit_clerks(session: Session, unit_id: int) -> list[User]:
    # Filtered in SQL: a province has a clerk or more in each of its hundreds of units.
    return users_with_role(session, "unit_clerk", unit_id)


def clerks_by_unit(session: Session, unit_ids: set[int]) -> dict[int, list[User]]:
    """`unit_clerks` of many units in one query."""
    if not unit_ids:
        return {}
    holders = select(UserRole.user_id).where(UserRole.role == Role.UNIT_CLERK)
    found: dict[int, list[User]] = defaultdict(list)
    for user in session.scalars(
            select(User).where(User.id.in_(holders), User.active.is_(True),
                               User.unit_id.in_(unit_ids))
            .options(joinedload(User.role_rows)).order_by(User.id)).unique():
        found[user.unit_id or 0].append(user)
    return found


def _context(proposal: AboutProposal, extra: dict[str, Any]) -> dict[str, Any]:
    due = extra.pop("due_at", None)
    passed = extra.get("any_passed")
    reassigned = extra.get("reassigned_to_name")
    return {
        "ref": proposal.reference or f"#{proposal.id}", "title": proposal.title,
        "reason": extra.get("reason") or "", "actor": extra.get("actor", ""),
        "deadline_kind": extra.get("deadline_kind"),
        "due": due.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if due else "",
        "outcome": "approved" if passed else "rejected",  # the state it leaves the proposal in
        "decision_number": extra.get("decision_number", ""),
        "reassigned_to_name": reassigned,
    }


# --- the inbox (for the web UI) --------------------------------------------------------------

def list_notifications(session: Session, user_id: int, unread_only: bool = False,
                       limit: int = 50) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user_id: int, notification_ids: list[int] | None,
              now: datetime) -> int:
    """Mark the user's notifications read (all of them when `notification_ids` is None);
    returns how many changed. Another user's ids are ignored."""
    stmt = update(Notification).where(Notification.user_id == user_id,
                                      Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    result = session.execute(stmt.values(read_at=now).execution_options(
        synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
