"""The floor: what the database itself needs for a change of state, as bare SQL on the
driver's connection (no ORM, no SQLAlchemy Core), one transaction each."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL

from models.db import RAISE_VERSION, Database
from workflow.proposals.service import HOLD_FOR_ACT


def event_digest(proposal_id: int, seq: int, head: str | None, action: str,
                 from_state: str, to_state: str, now: datetime) -> str:
    """The floor's audit hash: a canonical JSON body, SHA-256 (as the service hashes)."""
    body = json.dumps({"stream": f"proposal:{proposal_id}", "seq": seq, "action": action,
                       "from": from_state, "to": to_state, "prev": head,
                       "at": now.isoformat()}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class Floor:
    """Bare-SQL transactions with the same row reads and writes as the service's core.
    Their connections come from the engine's pool, as the service's do (on PostgreSQL a
    checkout first pings the server, for both)."""

    def __init__(self, database: Database) -> None:
        self.sqlite = database.is_sqlite
        self.lock = "" if self.sqlite else " FOR UPDATE"
        self.skip = "" if self.sqlite else " FOR UPDATE SKIP LOCKED"
        self.json = "?" if self.sqlite else "?::json"
        # The service's locked read, as SQL text for the driver (columns labelled by
        # table, so that the row's values can be found by name).
        held = HOLD_FOR_ACT.params(proposal_id=0).set_label_style(
            LABEL_STYLE_TABLENAME_PLUS_COL).compile(
            dialect=database.engine.dialect, compile_kwargs={"render_postcompile": True})
        self.held_sql: str = held.string
        self._held_order: list[str] | None = held.positiontup  # None: named parameters

    def held_params(self, proposal_id: int) -> Any:
        params = {"proposal_id": proposal_id}
        return [params[k] for k in self._held_order] if self._held_order else params

    def sql(self, statement: str) -> str:
        return statement if self.sqlite else statement.replace("?", "%s")

    def stamp(self, now: datetime) -> Any:
        naive = now.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive

    def begin(self, cur: Any) -> None:
        if self.sqlite:  # the engine leaves transactions to us; a writer locks up front
            cur.execute("BEGIN IMMEDIATE")

    def commit(self, raw: Any, cur: Any) -> None:
        if self.sqlite:
            cur.execute("COMMIT")
        else:
            raw.commit()

    def transition(self, raw: Any, proposal_id: int, action: str, to_state: str,
                   actor_id: int, now: datetime) -> None:
        """Read the row under lock, version-checked UPDATE, one audit INSERT, commit."""
        cur = raw.cursor()
        self.begin(cur)
        cur.execute(self.sql("SELECT state, version, audit_seq, audit_head FROM proposals "
                             f"WHERE id = ?{self.lock}"), (proposal_id,))
        state, version, seq, head = cur.fetchone()
        self.write(cur, proposal_id, version, seq + 1, head, action, state, to_state,
                   actor_id, now)
        self.commit(raw, cur)

    def submit(self, raw: Any, proposal_id: int, actor_id: int, now: datetime,
               steps: int) -> None:
        """What a `submit` itself asks of the database, as bare SQL with none of an
        action's Python: the service's own locked read (`service.HOLD_FOR_ACT`, compiled for
        this database: the proposal, its nominees, its campaign's rule set, its document
        kinds and its open deadline); the proposal's UPDATE with the columns a submit
        changes and the audit INSERT, as the service writes them; a review deadline with
        `steps` escalation steps; the data version's UPDATE; commit."""
        cur = raw.cursor()
        self.begin(cur)
        cur.execute(self.held_sql, self.held_params(proposal_id))
        rows = cur.fetchall()
        at = {d[0]: i for i, d in enumerate(cur.description)}
        first = rows[0]
        state, version, seq, head = (first[at[f"proposals_{c}"]] for c in (
            "state", "version", "audit_seq", "audit_head"))
        ruleset_id, code = first[at["ruleset_versions_id"]], first[at["campaigns_code"]]
        seq += 1
        digest = event_digest(proposal_id, seq, head, "submit", state, "submitted", now)
        cur.execute(self.sql(
            "UPDATE proposals SET reference = ?, ruleset_version_id = ?, state = ?, "
            "version = ?, audit_seq = ?, audit_head = ?, updated_at = ?, submitted_at = ? "
            "WHERE id = ? AND version = ?"),
            (f"{code}/{proposal_id:05d}", ruleset_id, "submitted", version + 1, seq, digest,
             self.stamp(now), self.stamp(now), proposal_id, version))
        if cur.rowcount != 1:
            raise RuntimeError(f"floor: proposal {proposal_id} changed under us")
        self.insert_event(cur, proposal_id, seq, head, digest, "submit", state, "submitted",
                          actor_id, now, {"ruleset_version_id": ruleset_id, "warnings": []},
                          returning=True)
        cur.execute(self.sql(
            "INSERT INTO deadlines (proposal_id, kind, state, ruleset_version_id, "
            "started_at, due_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
            (proposal_id, "review", "submitted", ruleset_id, self.stamp(now),
             self.stamp(now + timedelta(days=14)), None))
        (deadline_id,) = cur.fetchone()
        cur.executemany(self.sql(
            "INSERT INTO escalation_steps (deadline_id, proposal_id, step_index, action, "
            "recipient, reassign, offset_days, due_at, status, attempts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            [(deadline_id, proposal_id, i, "remind", "assignee", False, i,
              self.stamp(now + timedelta(days=12 + i)), "pending", 0) for i in range(steps)])
        cur.execute(RAISE_VERSION)
        self.commit(raw, cur)

    def write(self, cur: Any, proposal_id: int, version: int, seq: int, head: str | None,
              action: str, from_state: str, to_state: str, actor_id: int | None,
              now: datetime) -> None:
        digest = event_digest(proposal_id, seq, head, action, from_state, to_state, now)
        cur.execute(self.sql("UPDATE proposals SET state = ?, version = ?, audit_seq = ?, "
                             "audit_head = ?, updated_at = ? WHERE id = ? AND version = ?"),
                    (to_state, version + 1, seq, digest, self.stamp(now), proposal_id, version))
        if cur.rowcount != 1:
            raise RuntimeError(f"floor: proposal {proposal_id} changed under us")
        self.insert_event(cur, proposal_id, seq, head, digest, action, from_state, to_state,
                          actor_id, now)

    def insert_event(self, cur: Any, proposal_id: int, seq: int, head: str | None,
                     digest: str, action: str, from_state: str, to_state: str,
                     actor_id: int | None, now: datetime,
                     payload: dict[str, Any] | None = None, returning: bool = False) -> None:
        """The proposal's audit event; `returning`: read its new id back, as the service's
        insert does."""
        cur.execute(self.sql(
            "INSERT INTO audit_events (stream, seq, proposal_id, action, from_state, to_state, "
            "actor_id, actor_name, payload, occurred_at, prev_hash, hash) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, {self.json}, ?, ?, ?)"
            + (" RETURNING id" if returning else "")),
            (f"proposal:{proposal_id}", seq, proposal_id, action, from_state, to_state,
             actor_id, "floor", json.dumps(payload or {}), self.stamp(now), head, digest))
        if returning:
            cur.fetchone()

    def decision(self, raw: Any, campaign_id: int, proposal_ids: list[int], seq: int,
                 signed_on: date, actor_id: int, now: datetime) -> None:
        """One decision over the proposals' passed nominees: read the proposals under lock
        and their nominees, INSERT the decision and its entries, then per proposal a
        version-checked UPDATE and one audit INSERT; one transaction."""
        cur = raw.cursor()
        self.begin(cur)
        marks = ", ".join("?" * len(proposal_ids))
        cur.execute(self.sql("SELECT id, state, version, audit_seq, audit_head FROM proposals "
                             f"WHERE id IN ({marks}) ORDER BY id{self.lock}"), proposal_ids)
        proposals = cur.fetchall()
        cur.execute(self.sql(
            "SELECT n.id, n.proposal_id, n.kind, n.full_name, n.position, n.work_unit, "
            "u.name, n.award_form_code, n.achievement_summary FROM nominees n "
            "JOIN proposals p ON p.id = n.proposal_id JOIN units u ON u.id = p.unit_id "
            f"WHERE n.proposal_id IN ({marks}) AND n.outcome = ? ORDER BY n.id"),
            [*proposal_ids, "passed"])
        nominees = cur.fetchall()
        cur.execute(self.sql(
            "INSERT INTO decisions (issuing_body, year, seq, number, signed_on, title, "
            "signer_name, signer_title, campaign_id, legal_bases, issued_by_id, issued_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {self.json}, ?, ?) RETURNING id"),
            ("FLOOR", signed_on.year, seq, f"{seq}/QĐ-FLOOR",
             signed_on.isoformat() if self.sqlite else signed_on, "Về việc tặng",
             "floor", "CHỦ TỊCH", campaign_id, "[]", actor_id, self.stamp(now)))
        (decision_id,) = cur.fetchone()
        cur.executemany(self.sql(
            "INSERT INTO decision_entries (decision_id, position, nominee_id, proposal_id, "
            "kind, full_name, position_title, work_unit, unit_name, award_form_code, "
            "achievement_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            [(decision_id, position, *row) for position, row in enumerate(nominees, start=1)])
        for pid, state, version, audit_seq, head in proposals:
            self.write(cur, pid, version, audit_seq + 1, head, "issue_decision", state,
                       "decided", actor_id, now)
        self.commit(raw, cur)

    def sweep_step(self, raw: Any, now: datetime) -> bool:
        """Claim the next due step by index, lock its proposal, mark the step done and
        append the proposal's event; False when nothing is due."""
        cur = raw.cursor()
        self.begin(cur)
        cur.execute(self.sql("SELECT id, proposal_id FROM escalation_steps WHERE status = ? "
                             f"AND due_at <= ? ORDER BY due_at, id LIMIT 1{self.skip}"),
                    ("pending", self.stamp(now)))
        row = cur.fetchone()
        if row is None:
            self.commit(raw, cur)
            return False
        step_id, proposal_id = row
        cur.execute(self.sql("SELECT state, version, audit_seq, audit_head FROM proposals "
                             f"WHERE id = ?{self.lock}"), (proposal_id,))
        state, version, seq, head = cur.fetchone()
        cur.execute(self.sql("UPDATE escalation_steps SET status = ?, applied_at = ? "
                             "WHERE id = ?"), ("done", self.stamp(now), step_id))
        self.write(cur, proposal_id, version, seq + 1, head, "remind", state, state, None, now)
        self.commit(raw, cur)
        return True
