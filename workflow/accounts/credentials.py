"""Units and user accounts: create or update them; passwords: the policy every new
password meets, hashing, checking, signing in (with the login brake) and changing one's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Role, Unit, User, UserRole
from workflow.accounts import login_brake
from workflow.actors import Actor
from workflow.audit.chain import record_stream_event
from workflow.errors import N_, InvalidInput

MIN_PASSWORD, MAX_PASSWORD = 10, 200
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def ensure_unit(session: Session, code: str, name: str, parent: Unit | None = None) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, name=name)
        session.add(unit)
    unit.name = name
    unit.parent = parent
    session.flush()
    return unit


def ensure_user(session: Session, username: str, full_name: str, roles: Iterable[Role],
                unit: Unit | None, password: str, email: str | None = None,
                password_hash: str | None = None) -> User:
    """Create the user, or bring an existing one back to these roles and unit.

    An existing user's password is left alone, so re-seeding never resets it. The password
    policy is not applied here: this is how the demo seed makes its accounts (their shared
    password `tdkt-demo` is documented as demo-only). Every other way to set a password
    goes through check_password.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username,
                    password_hash=password_hash or hash_password(password))
        session.add(user)
    user.full_name, user.email, user.unit = full_name, email, unit
    wanted = set(roles)
    user.role_rows = [r for r in user.role_rows if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - user.roles)]
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (no hint which was wrong)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_dummy_hash(), password)  # same cost whether or not the user exists
        return None
    # The hash is checked for a deactivated account too: the same work, the same answer.
    if not password_matches(user, password) or not user.active:
        return None
    return user


@dataclass(frozen=True)
class SignIn:
    """One attempt's outcome: the user, or None and (when locked) until when."""

    user: User | None
    locked_until: datetime | None = None


def take_sign_in_turn(session: Session, username: str, address: str,
                      now: datetime) -> SignIn | None:
    """Count an attempt to sign in before its password is tested (commit this unit of work
    first, then call `sign_in`). None: go on; else the refusal, with the lock's end."""
    until = login_brake.take_turn(session, login_brake.keys(username, address), now)
    return None if until is None else SignIn(None, until)


def sign_in(session: Session, username: str, password: str, address: str) -> SignIn:
    """Test the password of an attempt `take_sign_in_turn` has counted, and settle the
    count: a failure may lock the name or the address, a success clears the name's."""
    keys = login_brake.keys(username, address)
    user = authenticate(session, username, password)
    if user is not None:  # a failure was counted by the turn
        login_brake.succeeded(session, username, keys)
    return SignIn(user)


def check_password(password: str | None, username: str | None) -> str:
    """The password if it meets the policy, else InvalidInput saying what to change."""
    text = password or ""
    if len(text) < MIN_PASSWORD:
        raise InvalidInput(N_("Mật khẩu phải có ít nhất %(min)s ký tự."),
                           params={"min": MIN_PASSWORD})
    if len(text) > MAX_PASSWORD:
        raise InvalidInput(N_("Mật khẩu tối đa %(max)s ký tự."), params={"max": MAX_PASSWORD})
    if text.isdigit():
        raise InvalidInput(
            N_("Mật khẩu không được chỉ gồm chữ số; hãy thêm chữ cái hoặc ký hiệu."))
    name = (username or "").strip().lower()
    if name and name in text.lower():
        raise InvalidInput(N_("Mật khẩu không được trùng với hoặc chứa tên đăng nhập."))
    if text.strip().lower() in common_passwords():
        raise InvalidInput(
            N_("Mật khẩu này quá phổ biến, dễ bị dò ra; hãy chọn mật khẩu khác."))
    return text


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords that guessers try first (lower case)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def set_password(session: Session, user: User, password: str | None, actor: Actor,
                 action: str, now: datetime) -> None:
    """Give the user a new password that meets the policy. Their sessions end (the session
    id carries a fingerprint of the hash), their login brake is released, and the change
    is appended to the `user:<username>` chain — without the password or its hash."""
    user.password_hash = hash_password(check_password(password, user.username))
    login_brake.clear(session, user.username)
    record_stream_event(session, f"user:{user.username}", action, actor, now, payload={})
    session.flush()


def change_own_password(session: Session, user_id: int, current: str, new: str,
                        confirm: str, now: datetime) -> InvalidInput | None:
    """A signed-in user changes their own password, giving the current one. Returns None
    when changed, else the refusal (its message in Vietnamese, its template for a page).

    A wrong current password counts as a failed sign-in for the username — so a stolen
    session cannot be used to guess it — and that count is the only thing written on a
    refusal; hence a returned reason, not an exception that would roll the count back."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return InvalidInput(N_("Tài khoản đã bị khoá."))
    # Counted before the password is tested, as a sign-in is; the counter row stays locked
    # to the end of this transaction, so one user's tries run one after another.
    keys = login_brake.keys(user.username)
    if login_brake.take_turn(session, keys, now) is not None:
        return InvalidInput(N_("Nhập sai mật khẩu quá nhiều lần; vui lòng thử lại sau ít phút."))
    if not password_matches(user, current or ""):  # counted by the turn
        return InvalidInput(N_("Mật khẩu hiện tại không đúng."))
    login_brake.succeeded(session, user.username, keys)
    if new != confirm:
        return InvalidInput(N_("Mật khẩu nhập lại không khớp với mật khẩu mới."))
    if new == current:
        return InvalidInput(N_("Mật khẩu mới phải khác mật khẩu hiện tại."))
    try:
        set_password(session, user, new, Actor.of(user), "change_password", now)
    except InvalidInput as exc:
        return exc
    return None


def set_language(session: Session, user_id: int, language: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")
