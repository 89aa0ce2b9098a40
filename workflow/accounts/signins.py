"""Sign-ins that end on the server: logout, "log out everywhere", and how long one lasts.

A sign-in is named by a random id that its cookies carry (the session's and "remember
me"), with the user's session epoch and the moment it began. Logging out records the id
as ended, so a copy of either cookie is refused from then on; "log out everywhere" and a
deactivation raise the epoch, so every earlier sign-in of the user is refused. The web
layer turns these into cookies and checks them on each request (web.auth.users).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import EndedSession, User
from workflow.actors import Actor
from workflow.audit.chain import record_stream_event


@dataclass(frozen=True)
class SignInId:
    """What a sign-in's cookies carry, as `<user>.<password fingerprint>.<epoch>.<id>.
    <began, Unix seconds>.<r: remembered | s: this browser session only>`."""

    user_id: int
    fingerprint: str
    epoch: int
    sid: str
    began: int
    remembered: bool

    def __str__(self) -> str:
        return (f"{self.user_id}.{self.fingerprint}.{self.epoch}.{self.sid}.{self.began}."
                f"{'r' if self.remembered else 's'}")

    @classmethod
    def parse(cls, text: str) -> SignInId | None:
        parts = text.split(".")
        if len(parts) != 6 or parts[5] not in ("r", "s"):
            return None
        user_id, fingerprint, epoch, sid, began, kind = parts
        if not (user_id.isdigit() and epoch.isdigit() and began.isdigit() and sid):
            return None
        if len(user_id) > 18 or len(epoch) > 9 or len(began) > 12:
            return None
        return cls(int(user_id), fingerprint, int(epoch), sid, int(began), kind == "r")

    @property
    def digest(self) -> str:
        return sid_digest(self.sid)


def fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: a new password ends every earlier sign-in."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def sid_digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def begin(user: User, now: datetime, remembered: bool) -> SignInId:
    return SignInId(user.id, fingerprint(user.password_hash), user.session_epoch,
                    secrets.token_urlsafe(16), int(now.timestamp()), remembered)


def refusal(user: User | None, signin: SignInId, ended: bool) -> str | None:
    """Why the account no longer lets this sign-in in, or None when it still does."""
    if user is None or not user.active:
        return "inactive"
    if fingerprint(user.password_hash) != signin.fingerprint:
        return "password_changed"
    if user.session_epoch != signin.epoch:
        return "ended_everywhere"
    if ended:
        return "logged_out"
    return None


def end(session: Session, signin: SignInId, now: datetime, longest: timedelta) -> None:
    """Log this sign-in out: every copy of its cookies is refused from now on. `longest`:
    how long any cookie of a sign-in may last, after which its row can be forgotten."""
    session.execute(delete(EndedSession).where(EndedSession.forget_after < now))
    if session.get(EndedSession, signin.digest) is None:
        session.add(EndedSession(
            sid_digest=signin.digest, user_id=signin.user_id, ended_at=now,
            forget_after=datetime.fromtimestamp(signin.began, now.tzinfo) + longest))
    session.flush()


def end_everywhere(session: Session, user_id: int, actor: Actor, now: datetime,
                   action: str = "log_out_everywhere") -> None:
    """End every sign-in of the user so far, on every computer; recorded on the user's
    audit stream."""
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        return
    user.session_epoch += 1
    record_stream_event(session, f"user:{user.username}", action, actor, now, payload={})
    session.flush()
