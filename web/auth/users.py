"""The logged-in user as Flask-Login sees it: a snapshot of the account, reloaded per request.

The session id embeds a fingerprint of the password hash, so changing a password ends every
other session of that user; a deactivated account is logged out on its next request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import User
from web import db
from web.extensions import login_manager
from workflow.actors import Actor
from workflow.ids import as_id


@dataclass(frozen=True)
class WebUser(UserMixin):
    id: int
    username: str
    full_name: str
    roles: frozenset[str]
    unit_id: int | None
    unit_name: str | None
    language: str
    active: bool
    fingerprint: str

    @classmethod
    def of(cls, user: User) -> WebUser:
        return cls(user.id, user.username, user.full_name,
                   frozenset(r.value for r in user.roles), user.unit_id,
                   user.unit.name if user.unit else None, user.language, user.active,
                   fingerprint(user.password_hash))

    def get_id(self) -> str:
        return f"{self.id}.{self.fingerprint}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.full_name, self.roles, self.unit_id, self.active)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def load_user(session_id: str) -> WebUser | None:
    user_id, _, mark = session_id.partition(".")
    uid = as_id(user_id)
    if uid is None:
        return None
    user = db.session().scalar(select(User).where(User.id == uid).options(
        selectinload(User.role_rows), joinedload(User.unit)))
    # A deactivated account is logged out on its next request, whatever its cookie says.
    if user is None or not user.active or fingerprint(user.password_hash) != mark:
        return None
    return WebUser.of(user)
