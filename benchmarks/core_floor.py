"""The floor's transaction written against SQLAlchemy Core on tdkt's engine (its hooks
included): the same row read, version-checked UPDATE and audit INSERT, with statements
built once (as the service builds its own). What it costs beyond the bare floor is what
SQLAlchemy Core adds to those three statements; the ORM session the service works in
adds more."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from benchmarks.floor import event_digest
from models import AuditEvent, Proposal
from models.db import UNTRACKED, Database

_PROPOSALS, _EVENTS = Proposal.__table__, AuditEvent.__table__
_READ = (select(_PROPOSALS.c.state, _PROPOSALS.c.version, _PROPOSALS.c.audit_seq,
                _PROPOSALS.c.audit_head)
         .where(_PROPOSALS.c.id == bindparam("proposal_id")).with_for_update())
_UPDATE = (update(_PROPOSALS)
           .where(_PROPOSALS.c.id == bindparam("_id"),
                  _PROPOSALS.c.version == bindparam("_version"))
           .values(state=bindparam("state"), version=bindparam("_next"),
                   audit_seq=bindparam("audit_seq"), audit_head=bindparam("audit_head"),
                   updated_at=bindparam("updated_at")))
_INSERT = insert(_EVENTS)


class CoreFloor:
    """One transaction per call on a pooled SQLAlchemy connection, like `Floor`'s."""

    def __init__(self, database: Database) -> None:
        # The floor raises no data version (a tdkt design, not SQLAlchemy's), nor does this.
        options: dict[str, Any] = {UNTRACKED: True}
        if database.is_sqlite:
            options["sqlite_begin"] = "IMMEDIATE"  # as the floor's BEGIN IMMEDIATE
        self.engine = database.engine.execution_options(**options)

    def transition(self, proposal_id: int, action: str, to_state: str, actor_id: int,
                   now: datetime) -> None:
        at = now.astimezone(UTC)
        with self.engine.connect() as conn, conn.begin():
            state, version, seq, head = conn.execute(
                _READ, {"proposal_id": proposal_id}).one()
            digest = event_digest(proposal_id, seq + 1, head, action, state, to_state, now)
            written = conn.execute(_UPDATE, {
                "_id": proposal_id, "_version": version, "_next": version + 1,
                "state": to_state, "audit_seq": seq + 1, "audit_head": digest,
                "updated_at": at}).rowcount
            if written != 1:
                raise RuntimeError(f"core floor: proposal {proposal_id} changed under us")
            conn.execute(_INSERT, {
                "stream": f"proposal:{proposal_id}", "seq": seq + 1,
                "proposal_id": proposal_id, "action": action, "from_state": state,
                "to_state": to_state, "actor_id": actor_id, "actor_name": "floor",
                "on_behalf_of_id": None, "reason": None, "payload": {}, "occurred_at": at,
                "prev_hash": head, "hash": digest})
