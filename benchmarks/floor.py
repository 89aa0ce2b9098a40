"""The floor: what the database itself needs for a change of state, as bare SQL on the
driver's connection (no ORM, no SQLAlchemy Core), one transaction each."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.db import RAISE_VERSION, Database


def event_digest(proposal_id: int, seq: int, head: str | None, action: str,
                 from_state: str, to_state: str, now: datetime) -> str:
    """The floor's audit hash: a canonical JSON body, SHA-256 (as the service hashes)."""
    body = json.dumps({"stream": f"proposal:{proposal_id}", "seq": seq, "action": action,
                       "from": from_state, "to": to_state, "prev": head,
                       "at": now.isoformat()}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class Floor:
    """Bare-SQL transactions with the same row reads and writes as the service's core."""

    def __init__(self, database: Database) -> None:
        self.sqlite = database.is_sqlite
        self.lock = "" if self.sqlite else " FOR UPDATE"
        self.skip = "" if self.sqlite else " FOR UPDATE SKIP LOCKED"
        self.json = "?" if self.sqlite else "?::json"
        self.lock_proposal = "" if self.sqlite else " FOR UPDATE OF p"
        self.kinds = ("group_concat(x.doc_type, char(10))" if self.sqlite
                      else "string_agg(x.doc_type, E'\\n')")

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

    def action(self, raw: Any, proposal_id: int, action: str, to_state: str, actor_id: int,
               now: datetime, steps: int) -> None:
        """What one action must itself read and write, as bare SQL and none of an action's
        Python: the proposal under lock with its nominees, its campaign's rule set, its
        document kinds and its open deadline (one statement, as the service reads them);
        the floor's UPDATE and audit INSERT; a new deadline with `steps` escalation steps;
        the data version's UPDATE; commit."""
        cur = raw.cursor()
        self.begin(cur)
        cur.execute(self.sql(
            "SELECT p.state, p.version, p.audit_seq, p.audit_head, c.active_ruleset_id, "
            "n.id, n.kind, n.award_form_code, n.years_in_service, n.disciplined, "
            "n.attributes, (SELECT max(d.id) FROM deadlines d WHERE d.proposal_id = p.id "
            f"AND d.closed_at IS NULL), (SELECT {self.kinds} FROM documents x "
            "WHERE x.proposal_id = p.id) FROM proposals p "
            "JOIN campaigns c ON c.id = p.campaign_id "
            "LEFT JOIN nominees n ON n.proposal_id = p.id "
            f"WHERE p.id = ?{self.lock_proposal}"), (proposal_id,))
        rows = cur.fetchall()
        state, version, seq, head, ruleset_id = rows[0][:5]
        self.write(cur, proposal_id, version, seq + 1, head, action, state, to_state,
                   actor_id, now)
        cur.execute(self.sql(
            "INSERT INTO deadlines (proposal_id, kind, state, ruleset_version_id, "
            "started_at, due_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
            (proposal_id, "review", to_state, ruleset_id, self.stamp(now),
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
        cur.execute(self.sql(
            "INSERT INTO audit_events (stream, seq, proposal_id, action, from_state, to_state, "
            "actor_id, actor_name, payload, occurred_at, prev_hash, hash) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, {self.json}, ?, ?, ?)"),
            (f"proposal:{proposal_id}", seq, proposal_id, action, from_state, to_state,
             actor_id, "floor", "{}", self.stamp(now), head, digest))

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
