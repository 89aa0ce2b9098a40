"""The logged-in user as Flask-Login sees it: a snapshot of the account, reloaded per request.

The id Flask-Login keeps in the session and in the "remember me" cookie names the sign-in
(workflow.signins.SignInId): it is refused once that sign-in was logged out, once the user
logged out everywhere or was deactivated, once the password changed, and once it is older
than the longest a sign-in may last (TDKT_SESSION_HOURS; "remember me": TDKT_REMEMBER_DAYS).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from flask import current_app, g
from flask_login import UserMixin
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from models import EndedSession, User
from web import db
from web.extensions import login_manager
from workflow.accounts import signins
from workflow.accounts.signins import SignInId
from workflow.actors import Actor


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
    # The sign-in this request belongs to; None for an API token's owner.
    signin: SignInId | None = None

    @classmethod
    def of(cls, user: User, signin: SignInId | None = None) -> WebUser:
        return cls(user.id, user.username, user.full_name,
                   frozenset(r.value for r in user.roles), user.unit_id,
                   user.unit.name if user.unit else None, user.language, user.active, signin)

    def renewed(self, user: User) -> WebUser:
        """This sign-in under the user's new password (its fingerprint changes)."""
        assert self.signin is not None
        return WebUser.of(user, dataclasses.replace(
            self.signin, fingerprint=signins.fingerprint(user.password_hash)))

    def get_id(self) -> str:
        return str(self.signin) if self.signin is not None else str(self.id)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.full_name, self.roles, self.unit_id, self.active)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def longest_seconds(remembered: bool) -> int:
    """How long a sign-in may last from its beginning, whatever its cookies say."""
    config = current_app.config
    if remembered:
        return int(config["REMEMBER_COOKIE_DURATION"].total_seconds())
    return int(config["SESSION_MAX_SECONDS"])


@login_manager.user_loader
def load_user(session_id: str) -> WebUser | None:
    signin = SignInId.parse(session_id)
    if signin is None:
        return None  # not an id this version of tdkt gave out: sign in again
    age = int(time.time()) - signin.began
    if age > longest_seconds(signin.remembered) or age < -300:
        g.session_expired = True
        return None
    ended = exists().where(EndedSession.sid_digest == signin.digest)
    row = db.session().execute(select(User, ended).where(User.id == signin.user_id).options(
        selectinload(User.role_rows), joinedload(User.unit))).first()
    user, is_ended = (row[0], bool(row[1])) if row is not None else (None, False)
    if signins.refusal(user, signin, is_ended) is not None:
        return None
    assert user is not None
    return WebUser.of(user, signin)
