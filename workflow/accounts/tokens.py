"""Personal API tokens: create (the secret is returned once), list, revoke, authenticate.

A token is a high-entropy random secret, so it is stored as its SHA-256: a slow password
hash would add nothing but cost on every API request. Every token expires (90 days unless
its owner chose between 1 and 365) and has a scope: read only, or read and act. Creating
and revoking a token are appended to the user's own audit chain (`user:<username>`, as the
admin pages do). Like the service, these functions flush and never commit: the caller
owns the unit of work.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ApiToken, TokenScope, User
from models.base import utcnow
from models.db import UNTRACKED
from workflow.actors import Actor, as_actor
from workflow.audit.chain import record_stream_event
from workflow.errors import N_, ConflictError, InvalidInput, NotFound, PermissionDenied

SECRET_PREFIX = "tdkt_"
PREFIX_LENGTH = 12           # what the UI shows: "tdkt_" and the first 7 random characters
MAX_ACTIVE_TOKENS = 20
MAX_NAME_LENGTH = 100
DEFAULT_DAYS = 90
MIN_DAYS, MAX_DAYS = 1, 365  # a token that outlives a year is a password nobody rotates
# last_used_at is refreshed at most this often, so a busy client does not write every time.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Verdict:
    """What a presented secret is worth: the owner and the token's scope when it is live;
    else why not — `expired` (then `expired_at` says since when), or nothing said."""

    user: User | None = None
    token_id: int | None = None
    scope: TokenScope | None = None
    expired_at: datetime | None = None
    touch_due: bool = False  # last_used_at is older than TOUCH_EVERY

    @property
    def may_act(self) -> bool:
        return self.scope == TokenScope.ACT


REFUSED = Verdict()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scope(value: str | TokenScope | None) -> TokenScope:
    try:
        return TokenScope(value or "")  # none chosen: refused as any unknown scope
    except ValueError:
        raise InvalidInput(N_("Phạm vi khoá không hợp lệ: chọn “chỉ đọc” hoặc “đọc và thao "
                              "tác”")) from None


def create_token(session: Session, user_id: int, name: str, now: datetime | None = None, *,
                 days: int = DEFAULT_DAYS, scope: str | TokenScope = TokenScope.ACT
                 ) -> tuple[ApiToken, str]:
    """A new token for the user, valid `days` from `now`, and its secret — the only time
    the secret is available."""
    now = now or utcnow()
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput(N_("Tên khoá cần từ 1 đến %(max)s ký tự"),
                           params={"max": MAX_NAME_LENGTH})
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise InvalidInput(N_("Thời hạn của khoá từ %(min)s đến %(max)s ngày"),
                           params={"min": MIN_DAYS, "max": MAX_DAYS})
    chosen = parse_scope(scope)
    # The count is taken under a lock on the user's row, so concurrent creates for one
    # user line up behind it: without it thirty at once all counted fewer than the cap.
    user = _active_user(session, user_id, lock=True)
    if _active_count(session, user_id, now) >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(N_("Mỗi tài khoản có tối đa %(max)s khoá đang dùng; hãy thu hồi "
                              "khoá không còn dùng"), params={"max": MAX_ACTIVE_TOKENS})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:PREFIX_LENGTH], created_at=now,
                     expires_at=now + timedelta(days=days), scope=chosen)
    session.add(token)
    session.flush()
    _record(session, user, "create_api_token", token, Actor.of(user), now,
            expires_at=token.expires_at.isoformat(), scope=chosen.value)
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones included)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, user_id: int, token_id: int,
                 now: datetime | None = None, actor: User | Actor | None = None) -> ApiToken:
    """Revoke one of the user's tokens, by the user or (`actor`) an admin; revoking a
    revoked token changes nothing."""
    now = now or utcnow()
    user = _owner(session, user_id, actor)
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.user_id == user_id)
                           .with_for_update())
    if token is None:
        raise NotFound(N_("Không tìm thấy khoá API số %(id)s"), params={"id": token_id})
    if token.revoked_at is None:
        token.revoked_at = now
        _record(session, user, "revoke_api_token", token, _who(user, actor), now)
    return token


def revoke_all(session: Session, user_id: int, actor: User | Actor,
               now: datetime | None = None) -> list[ApiToken]:
    """Revoke every token of the user not yet revoked (an admin's move when an account's
    keys may have leaked); returns those it revoked."""
    now = now or utcnow()
    user = _owner(session, user_id, actor)
    found = list(session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id).with_for_update()))
    for token in found:
        token.revoked_at = now
        _record(session, user, "revoke_api_token", token, _who(user, actor), now)
    return found


def authenticate(session: Session, secret: str, now: datetime | None = None) -> Verdict:
    """What the secret is worth now (see Verdict). Reads only: a read session will do.

    No hint is given for an unknown or revoked secret or a locked account; an expired
    token says so, for its holder knows the secret and only needs to make a new one."""
    now = now or utcnow()
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return REFUSED
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return REFUSED
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return REFUSED
    if token.expired(now):
        return Verdict(token_id=token.id, expired_at=token.expires_at)
    due = token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY
    return Verdict(user=user, token_id=token.id, scope=token.scope, touch_due=due)


def touch(session: Session, token_id: int, now: datetime) -> bool:
    """Mark the token used at `now`, unless it was marked within TOUCH_EVERY (by this or
    a concurrent request: the condition is in the UPDATE, so only one of them writes).

    Untracked: the data version is left alone, so a busy API client does not empty the
    page cache every minute (no cached page shows when a token was last used). So call it
    in a unit of work of its own, as web.api.auth does."""
    # On the transaction's connection, in place (SQLAlchemy 2.0), for its commit to see.
    session.connection().execution_options(**{UNTRACKED: True})
    result = session.execute(
        update(ApiToken).where(ApiToken.id == token_id, or_(
            ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def _active_user(session: Session, user_id: int, lock: bool = False) -> User:
    """The user if active. With `lock`, their row is held until the unit of work ends
    (FOR NO KEY UPDATE: rows referencing the user may still be inserted meanwhile; on
    SQLite the unit of work already holds the write lock from BEGIN IMMEDIATE)."""
    if not lock:
        user = session.get(User, user_id)
    else:
        user = session.scalar(select(User).where(User.id == user_id)
                              .with_for_update(key_share=True)
                              .execution_options(populate_existing=True))
    if user is None or not user.active:
        raise PermissionDenied(N_("Tài khoản đã bị khoá"))
    return user


def _owner(session: Session, user_id: int, actor: User | Actor | None) -> User:
    """The token owner, when `actor` (default: the owner) may revoke their tokens."""
    if actor is not None and as_actor(actor).id != user_id and not as_actor(actor).has_any(
            frozenset({"admin"})):
        raise PermissionDenied(N_("Chỉ chủ khoá hoặc quản trị được thu hồi khoá API"))
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Không có người dùng số %(id)s"), params={"id": user_id})
    return user


def _who(user: User, actor: User | Actor | None) -> Actor:
    return Actor.of(user) if actor is None else as_actor(actor)


def _active_count(session: Session, user_id: int, now: datetime) -> int:
    # An expired token no longer counts: its owner need not revoke it to make a new one.
    return session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now)) or 0


def _record(session: Session, user: User, action: str, token: ApiToken, who: Actor,
            now: datetime, **extra: str) -> None:
    record_stream_event(session, f"user:{user.username}", action, who, now,
                        payload={"token_id": token.id, "name": token.name,
                                 "prefix": token.prefix, **extra})
    try:
        session.flush()
    except IntegrityError as exc:  # two changes to the same user's chain at once
        raise ConflictError(N_("Có thao tác khác trên khoá API cùng lúc; vui lòng thử lại")
                            ) from exc
