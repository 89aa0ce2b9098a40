"""Personal API tokens: create (the secret is returned once), list, revoke, authenticate.

A token is a high-entropy random secret, so it is stored as its SHA-256: a slow password
hash would add nothing but cost on every API request. Creating and revoking a token are
appended to the user's own audit chain (`user:<username>`, as the admin pages do). Like
the service, these functions flush and never commit: the caller owns the unit of work.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ApiToken, User
from models.base import utcnow
from workflow.actors import Actor
from workflow.audit import record_stream_event
from workflow.errors import N_, ConflictError, InvalidInput, NotFound, PermissionDenied

SECRET_PREFIX = "tdkt_"
PREFIX_LENGTH = 12           # what the UI shows: "tdkt_" and the first 7 random characters
MAX_ACTIVE_TOKENS = 20
MAX_NAME_LENGTH = 100
# last_used_at is refreshed at most this often, so a busy client does not write every time.
TOUCH_EVERY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user_id: int, name: str,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for the user, and its secret — the only time the secret is available."""
    now = now or utcnow()
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput(N_("Tên khoá cần từ 1 đến %(max)s ký tự"),
                           params={"max": MAX_NAME_LENGTH})
    # The count is taken under a lock on the user's row, so concurrent creates for one
    # user line up behind it: without it thirty at once all counted fewer than the cap.
    user = _active_user(session, user_id, lock=True)
    if _active_count(session, user_id) >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(N_("Mỗi tài khoản có tối đa %(max)s khoá đang dùng; hãy thu hồi "
                              "khoá không còn dùng"), params={"max": MAX_ACTIVE_TOKENS})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:PREFIX_LENGTH], created_at=now)
    session.add(token)
    session.flush()
    _record(session, user, "create_api_token", token, now)
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included, marked by revoked_at)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, user_id: int, token_id: int,
                 now: datetime | None = None) -> ApiToken:
    """Revoke one of the user's own tokens; revoking a revoked token changes nothing."""
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.user_id == user_id)
                           .with_for_update())
    if token is None:
        raise NotFound(N_("Không tìm thấy khoá API số %(id)s"), params={"id": token_id})
    if token.revoked_at is None:
        token.revoked_at = now
        user = session.get(User, user_id)
        assert user is not None
        _record(session, user, "revoke_api_token", token, now)
    return token


def authenticate(session: Session, secret: str, now: datetime | None = None) -> User | None:
    """The active owner of a live token with this secret, else None (no hint why).

    Marks the token as used (at most once per TOUCH_EVERY)."""
    now = now or utcnow()
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return user


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


def _active_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))) or 0


def _record(session: Session, user: User, action: str, token: ApiToken, now: datetime) -> None:
    record_stream_event(session, f"user:{user.username}", action, Actor.of(user), now,
                        payload={"token_id": token.id, "name": token.name,
                                 "prefix": token.prefix})
    try:
        session.flush()
    except IntegrityError as exc:  # two changes to the same user's chain at once
        raise ConflictError(N_("Có thao tác khác trên khoá API cùng lúc; vui lòng thử lại")
                            ) from exc
