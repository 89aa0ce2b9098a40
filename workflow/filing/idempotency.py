"""Create requests answered once: a repeated key (double click, browser or client retry)
returns the first request's result instead of creating a second draft.

The key row is inserted before the draft, in the same unit of work. When two requests with
one key race, the database's unique constraint lets one commit; the other fails its flush
with `Replayed` and its caller runs it again in a new unit of work, which then finds the
committed row and returns the draft it produced."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import IdempotencyKey, Proposal, User
from workflow.actors import Actor, as_actor
from workflow.errors import N_, ConflictError, InvalidInput
from workflow.filing.dossier import create_proposal

UnitOfWork = Callable[[], AbstractContextManager[Session]]
CREATE_PROPOSAL = "create_proposal"
MAX_KEY_LENGTH = 100


class Replayed(ConflictError):
    """A request with the same key committed first; run the request again to read it."""


@dataclass(frozen=True)
class Created:
    proposal: Proposal
    first: bool   # False: an earlier request with the same key created it
    status: int = 201


def create_proposal_once(session: Session, actor: User | Actor, campaign_code: str,
                         title: str, key: str | None, now: datetime | None = None) -> Created:
    """create_proposal, unless this user already sent `key` for the same campaign and
    title (then the draft it made); the same key with other content is refused."""
    if not key:
        return Created(create_proposal(session, actor, campaign_code, title, now=now), True)
    who = as_actor(actor)
    key = _checked(key)
    fingerprint = hashlib.sha256(f"{campaign_code}\0{(title or '').strip()}".encode()
                                 ).hexdigest()
    found = session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == who.id, IdempotencyKey.scope == CREATE_PROPOSAL,
        IdempotencyKey.key == key))
    if found is not None:
        return _replay(session, found, fingerprint)
    row = IdempotencyKey(user_id=who.id, scope=CREATE_PROPOSAL, key=key,
                         request_sha256=fingerprint, **({"created_at": now} if now else {}))
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Replayed(N_("Yêu cầu này đang được xử lý; vui lòng tải lại trang")) from exc
    proposal = create_proposal(session, who, campaign_code, title, now=now)
    row.proposal_id, row.status = proposal.id, 201
    session.flush()
    return Created(proposal, True)


def _replay(session: Session, found: IdempotencyKey, fingerprint: str) -> Created:
    if found.request_sha256 != fingerprint:
        raise InvalidInput(N_("Khoá chống gửi trùng (Idempotency-Key) này đã dùng cho một "
                              "yêu cầu khác"),
                           errors=["Idempotency-Key: reused with other content"])
    proposal = session.get(Proposal, found.proposal_id) if found.proposal_id else None
    if proposal is None:
        raise ConflictError(N_("Hồ sơ tạo bởi yêu cầu này không còn nữa"))
    return Created(proposal, False, found.status)


def _checked(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(N_("Khoá chống gửi trùng (Idempotency-Key) phải có 1–%(max)s ký "
                              "tự in được"), params={"max": MAX_KEY_LENGTH},
                           errors=["Idempotency-Key: 1-100 printable"])
    return key


def create_proposal_retrying(unit_of_work: UnitOfWork, actor: User | Actor, campaign_code: str,
                             title: str, key: str | None) -> tuple[int, bool, int]:
    """create_proposal_once in its own unit of work, run a second time when a twin request
    won the race: (proposal id, whether this request created it, HTTP status)."""
    for attempt in (1, 2):
        try:
            with unit_of_work() as session:
                created = create_proposal_once(session, actor, campaign_code, title, key)
                return created.proposal.id, created.first, created.status
        except Replayed:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
