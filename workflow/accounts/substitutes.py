"""Substitutes: a reviewer, board head or secretary on leave names who acts for them.

During the range (whole days in Asia/Ho_Chi_Minh) assignments, reminders and escalations
meant for the absent user go to the substitute, who may act in their place through
`act(..., on_behalf_of_id=absent_user_id)`; the audit event then names both people
("X thay Y") and keeps the absent user's id in `on_behalf_of_id`. One hop only: a
substitute's own substitute is not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import Substitution, User
from workflow import machine
from workflow.actors import Actor, as_actor
from workflow.audit.chain import record_stream_event
from workflow.errors import N_, InvalidInput, NotFound, PermissionDenied

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SUBSTITUTABLE_ROLES = frozenset({"board_reviewer", "board_head", "council_secretary"})
MAX_DAYS = 366


@dataclass(frozen=True)
class Deputy(Actor):
    """Someone acting for an absent user: the principal's roles and unit, their own id."""

    principal_id: int | None = None


@dataclass(frozen=True)
class Recipient:
    """Who gets a message, and for whom when it was routed to a substitute."""

    user: User
    for_user: User | None = None


def local_day(now: datetime) -> date:
    return now.astimezone(TZ).date()


# In force on the day `today` (a bound parameter), not cancelled.
_IN_FORCE_ON = (Substitution.cancelled_at.is_(None), Substitution.starts_on <= bindparam("today"),
                Substitution.ends_on >= bindparam("today"))
# Built once: every notification routes through it.
_IN_FORCE = (select(Substitution).where(Substitution.user_id == bindparam("user_id"),
                                        *_IN_FORCE_ON)
             .order_by(Substitution.created_at.desc(), Substitution.id.desc()).limit(1))


def active_substitution(session: Session, user_id: int, now: datetime) -> Substitution | None:
    """The substitution in force for `user_id` today, the latest named if several."""
    return session.scalars(_IN_FORCE, {"user_id": user_id, "today": local_day(now)}).first()


def route(session: Session, user: User, now: datetime) -> Recipient:
    """Send to the user, or to their substitute while they are away."""
    return _routed_to(user, active_substitution(session, user.id, now))


def routes(session: Session, users: list[User], now: datetime) -> dict[int, Recipient]:
    """`route` of each user (by id), in one query for them all."""
    in_force: dict[int, Substitution] = {}
    if users:
        # Oldest first, so that the latest named (as in active_substitution) wins.
        for found in session.scalars(
                select(Substitution).where(Substitution.user_id.in_({u.id for u in users}),
                                           *_IN_FORCE_ON)
                .order_by(Substitution.created_at, Substitution.id), {"today": local_day(now)}):
            in_force[found.user_id] = found
    return {u.id: _routed_to(u, in_force.get(u.id)) for u in users}


def _routed_to(user: User, found: Substitution | None) -> Recipient:
    if found is None or not found.substitute.active:
        return Recipient(user)
    return Recipient(found.substitute, for_user=user)


def assignee_for(session: Session, user_id: int, now: datetime) -> int:
    """Whom to assign a proposal meant for `user_id`: their substitute when away (if the
    substitute may review), else the user."""
    found = active_substitution(session, user_id, now)
    if found is None or not found.substitute.active:
        return user_id
    roles = {r.value for r in found.substitute.roles}
    return found.substitute_id if roles & machine.REVIEWERS else user_id


def deputy(session: Session, actor: Actor, principal_id: int | None, now: datetime) -> Actor:
    """The actor to authorize: `actor` itself, or a Deputy when acting for someone away.

    A Deputy holds only the roles the two people share (among those a substitute can
    cover): a reviewer standing in for a board head acts as the reviewer they both are,
    on the board head's proposals, and cannot do what only a board head may (reassign)."""
    if principal_id is None or principal_id == actor.id:
        return actor
    found = active_substitution(session, principal_id, now)
    if found is None or found.substitute_id != actor.id:
        raise PermissionDenied(N_("Bạn không được ủy quyền thay người này vào thời điểm này"),
                               on_behalf_of_id=principal_id)
    principal = found.user
    shared = frozenset(r.value for r in principal.roles) & actor.roles & SUBSTITUTABLE_ROLES
    return Deputy(actor.id, f"{actor.name} thay {principal.full_name}", shared,
                  principal.unit_id, actor.active, principal_id=principal.id)


def acting_for(session: Session, actor: Actor, assignee_id: int | None, now: datetime
               ) -> tuple[Actor, int | None]:
    """Who acts on a proposal assigned to `assignee_id`: the actor, or the actor standing
    in for the assignee while the assignee is away (then the absent user's id, for
    `act(..., on_behalf_of_id=...)`). The web pages and the API both ask this."""
    if assignee_id is None or assignee_id == actor.id:
        return actor, None
    found = active_substitution(session, assignee_id, now)
    if found is None or found.substitute_id != actor.id:
        return actor, None
    return deputy(session, actor, assignee_id, now), assignee_id


def acting_ids(actor: Actor) -> set[int | None]:
    """The user ids an actor answers for: their own, and their principal's."""
    ids = {actor.id}
    if isinstance(actor, Deputy):
        ids.add(actor.principal_id)
    return ids


def stands_in_for(session: Session, user_id: int, now: datetime) -> list[User]:
    """The users whom `user_id` substitutes today (for the UI's "act for …" choice)."""
    today = local_day(now)
    return list(session.scalars(
        select(User).join(Substitution, Substitution.user_id == User.id).where(
            Substitution.substitute_id == user_id, Substitution.cancelled_at.is_(None),
            Substitution.starts_on <= today, Substitution.ends_on >= today)
        .order_by(User.id)).unique())


def list_substitutions(session: Session, user_id: int | None = None) -> list[Substitution]:
    stmt = select(Substitution).where(Substitution.cancelled_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(Substitution.user_id == user_id)
    return list(session.scalars(stmt.order_by(Substitution.starts_on, Substitution.id)))


def name_substitute(session: Session, user_id: int, substitute_id: int, starts_on: date,
                    ends_on: date, actor: User | Actor, now: datetime,
                    reason: str | None = None) -> Substitution:
    """Record that `substitute_id` acts for `user_id` over the range (one audit event)."""
    who = as_actor(actor)
    user, substitute = _user(session, user_id), _user(session, substitute_id)
    _check_may_name(who, user)
    _check_range(starts_on, ends_on)
    _check_pair(user, substitute)
    row = Substitution(user_id=user.id, substitute_id=substitute.id, starts_on=starts_on,
                       ends_on=ends_on, reason=reason, created_by_id=who.id, created_at=now)
    session.add(row)
    session.flush()
    record_stream_event(session, f"user:{user.id}", "name_substitute", who, now, payload={
        "substitution_id": row.id, "substitute_id": substitute.id,
        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    session.flush()
    return row


def cancel_substitution(session: Session, substitution_id: int, actor: User | Actor,
                        now: datetime) -> Substitution:
    who = as_actor(actor)
    row = session.get(Substitution, substitution_id)
    if row is None or row.cancelled_at is not None:
        raise NotFound(N_("Không có ủy quyền số %(id)s"), params={"id": substitution_id})
    _check_may_name(who, row.user)
    row.cancelled_at = now
    record_stream_event(session, f"user:{row.user_id}", "cancel_substitute", who, now,
                        payload={"substitution_id": row.id})
    session.flush()
    return row


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Không có người dùng số %(id)s"), params={"id": user_id})
    return user


def _check_may_name(who: Actor, user: User) -> None:
    # The absent user names their own substitute; the board head or an admin may do it
    # for them (someone falls ill without warning).
    if who.id != user.id and not who.has_any(frozenset({"board_head", "admin"})):
        raise PermissionDenied(
            N_("Chỉ người vắng mặt, Trưởng ban hoặc quản trị được cử người thay"))


def _check_range(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInput(N_("Ngày kết thúc phải sau ngày bắt đầu"))
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise InvalidInput(N_("Thời gian ủy quyền không quá %(days)s ngày"),
                           params={"days": MAX_DAYS})


def _check_pair(user: User, substitute: User) -> None:
    roles = {r.value for r in user.roles} & SUBSTITUTABLE_ROLES
    if not roles:
        raise InvalidInput(
            N_("Chỉ chuyên viên, Trưởng ban TĐKT hoặc Thư ký Hội đồng cần người thay"))
    if substitute.id == user.id or not substitute.active:
        raise InvalidInput(N_("Người thay phải là một người dùng khác, đang hoạt động"))
    if not roles & {r.value for r in substitute.roles}:
        raise InvalidInput(N_("Người thay phải có cùng vai trò xử lý hồ sơ với người vắng mặt"))
