"""Units and user accounts: create or update them, hash and check passwords."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Role, Unit, User, UserRole


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

    An existing user's password is left alone, so re-seeding never resets it.
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
    if not password_matches(user, password) or not user.active:
        return None
    return user


def set_language(session: Session, user_id: int, language: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")
