"""The hash-chained audit log: append one event, verify every chain, replay a proposal.

Each event's hash covers its content and the previous event's hash; each stream's head
(on the proposal's row for a proposal, an `AuditHead` row otherwise) holds its last seq
and hash, so deleting the last events shows. With the operator's key (`use_key`, from
TDKT_AUDIT_KEY) each event and head also carries an HMAC: without the key, whoever can
write to the database can recompute a whole chain and its head; with it, they cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    AuditHead,
    Campaign,
    Decision,
    DecisionEntry,
    Notice,
    Proposal,
    RuleSetVersion,
)
from workflow import machine
from workflow.actors import Actor

# A proposal made by splitting a nominee off another (workflow.split) starts here.
SPLIT_ACTION = "split"
SPLIT_STATE = machine.BIRTHS[SPLIT_ACTION]


def proposal_stream(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


# --- the operator's key ------------------------------------------------------------------

# The key every event written in this process is sealed with. Set by the outer layer
# (web: the app and the `tdkt` command) from TDKT_AUDIT_KEY: it lives outside the database,
# so write access to the database alone cannot forge a MAC.
_key: bytes | None = None
MIN_KEY_LENGTH = 16


def use_key(key: str | bytes | None) -> None:
    """Seal every event written from now on with this key (None: write unsealed events)."""
    global _key
    if isinstance(key, str):
        key = key.encode("utf-8")
    if key is not None and len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"the audit key must be at least {MIN_KEY_LENGTH} bytes")
    _key = key or None


def current_key() -> bytes | None:
    return _key


# Event and head MACs are over different messages: a head cannot be pointed at an earlier
# event by copying that event's MAC.
def event_mac(key: bytes, event_hash_hex: str) -> str:
    return hmac.new(key, b"tdkt-audit-event\0" + event_hash_hex.encode(), "sha256").hexdigest()


def head_mac(key: bytes, stream: str, seq: int, hash_hex: str) -> str:
    message = f"tdkt-audit-head\0{stream}\0{seq}\0{hash_hex}".encode()
    return hmac.new(key, message, "sha256").hexdigest()


def _sealed_head(stream: str, seq: int, hash_hex: str) -> str | None:
    return head_mac(_key, stream, seq, hash_hex) if _key else None


def proposal_head_mac(proposal_id: int, seq: int, hash_hex: str) -> str | None:
    """The MAC a proposal's head at (seq, hash) carries, or None without the key."""
    return _sealed_head(proposal_stream(proposal_id), seq, hash_hex)


# The columns an event's hash covers.
HASHED = ("stream", "seq", "proposal_id", "action", "from_state", "to_state", "actor_id",
          "actor_name", "on_behalf_of_id", "reason", "payload", "occurred_at", "prev_hash")


def event_hash(event: AuditEvent) -> str:
    return values_hash({column: getattr(event, column) for column in HASHED})


def values_hash(values: Mapping[str, Any]) -> str:
    """The hash of an event given as its column values (the `HASHED` ones)."""
    body = {
        "stream": values["stream"], "seq": values["seq"], "proposal_id": values["proposal_id"],
        "action": values["action"], "from": values["from_state"], "to": values["to_state"],
        "actor_id": values["actor_id"], "actor_name": values["actor_name"],
        "on_behalf_of_id": values["on_behalf_of_id"], "reason": values["reason"],
        "payload": values["payload"] or {},
        "at": values["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "prev": values["prev_hash"],
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_proposal_event(session: Session, proposal: Proposal, action: str, from_state: str | None,
                          actor: Actor, now: datetime, *, reason: str | None = None,
                          payload: dict[str, Any] | None = None,
                          on_behalf_of_id: int | None = None) -> AuditEvent:
    """Append the proposal's next event and move the proposal's chain head to it."""
    event = AuditEvent(**advance_chain(proposal, action, from_state, actor, now, reason=reason,
                                       payload=payload, on_behalf_of_id=on_behalf_of_id))
    session.add(event)
    return event


def advance_chain(proposal: Proposal, action: str, from_state: str | None, actor: Actor,
                  now: datetime, *, reason: str | None = None,
                  payload: dict[str, Any] | None = None,
                  on_behalf_of_id: int | None = None) -> dict[str, Any]:
    """The proposal's next event as column values, the proposal's chain head moved to it:
    the event is the caller's to write (`models.fast_writes`)."""
    values = proposal_event_values(proposal, action, from_state, actor, now, reason=reason,
                                   payload=payload, on_behalf_of_id=on_behalf_of_id)
    proposal.audit_seq = values["seq"]
    proposal.audit_head = values["hash"]
    proposal.audit_mac = proposal_head_mac(proposal.id, values["seq"], values["hash"])
    proposal.updated_at = now
    return values


class ChainHead(Protocol):
    """What appending an event reads of a proposal: a `Proposal`, or the plain row the
    sweep reads."""

    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def audit_seq(self) -> int: ...
    @property
    def audit_head(self) -> str | None: ...


def proposal_event_values(proposal: ChainHead, action: str, from_state: str | None,
                          actor: Actor, now: datetime, *, reason: str | None = None,
                          payload: dict[str, Any] | None = None,
                          on_behalf_of_id: int | None = None) -> dict[str, Any]:
    """The proposal's next event as column values, hash included; the proposal itself is
    left as it is (its chain head is the caller's to move): for writers that insert many
    events in one statement."""
    return _event_values(proposal_stream(proposal.id), proposal.audit_seq + 1,
                         proposal.audit_head, action, actor, now, proposal_id=proposal.id,
                         from_state=from_state, to_state=proposal.state, reason=reason,
                         payload=payload, on_behalf_of_id=on_behalf_of_id)


def record_stream_event(session: Session, stream: str, action: str, actor: Actor, now: datetime,
                        *, payload: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event to a chain that belongs to no proposal (e.g. `campaign:CDS-2022`)
    and move the stream's head to it, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # The head row does not exist before a stream's first event, so it cannot be
        # what lines two writers up: a transaction-scoped advisory lock per stream does.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:s, 0))"),
                        {"s": stream})
    head = session.scalars(select(AuditHead).where(AuditHead.stream == stream)
                           .execution_options(populate_existing=True)).first()
    prev: str | None
    if head is not None:
        # The head, not the newest event: a chain whose last events were deleted then
        # gets a gap verify reports, instead of quietly going on from the cut.
        seq, prev = head.seq + 1, head.hash
    else:
        # A stream's first event (or one whose head row is missing: verify reports the
        # events without a head until then).
        last = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.stream == stream)
            .order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, None)
        head = AuditHead(stream=stream)
        session.add(head)
    values = _event_values(stream, seq, prev, action, actor, now, payload=payload)
    head.seq, head.hash = seq, values["hash"]
    head.mac = _sealed_head(stream, seq, values["hash"])
    event = AuditEvent(**values)
    session.add(event)
    return event


def _event_values(stream: str, seq: int, prev: str | None, action: str, actor: Actor,
                  now: datetime, *, proposal_id: int | None = None,
                  from_state: str | None = None, to_state: str | None = None,
                  reason: str | None = None, payload: dict[str, Any] | None = None,
                  on_behalf_of_id: int | None = None) -> dict[str, Any]:
    """An event of any chain as column values, its hash included."""
    values: dict[str, Any] = {
        "stream": stream, "seq": seq, "proposal_id": proposal_id, "action": action,
        "from_state": from_state, "to_state": to_state, "actor_id": actor.id,
        "actor_name": actor.name, "on_behalf_of_id": on_behalf_of_id, "reason": reason,
        "payload": payload or {}, "occurred_at": now.astimezone(UTC), "prev_hash": prev,
    }
    values["hash"] = values_hash(values)
    values["mac"] = event_mac(_key, values["hash"]) if _key else None
    return values


def replay(events: Iterable[AuditEvent]) -> str | None:
    """The state a proposal's events lead to, each checked against the machine. A chain
    starts at the machine's initial state, or at `submitted` when a split opens it."""
    state: str | None = None
    for event in events:
        if event.from_state != state:
            raise ValueError(f"event {event.id} starts from {event.from_state}, not {state}")
        if event.action in machine.SPECS:
            expected = machine.fire(state or "", event.action,
                                    any_passed=(event.payload or {}).get("any_passed"))
        elif state is None and event.action == SPLIT_ACTION:
            expected = SPLIT_STATE  # a nominee split off another proposal, filed again
        elif state is None:
            expected = machine.INITIAL
        else:
            expected = state
        if event.to_state != expected:
            raise ValueError(
                f"event {event.id} ends in {event.to_state}, the machine says {expected}")
        state = expected
    return state


# --- what an issued decision's event seals ----------------------------------------------

DECISION_FIELDS = ("number", "issuing_body", "year", "seq", "signed_on", "title",
                   "signer_name", "signer_title", "campaign_id", "award_form_code",
                   "legal_bases", "corrects_id", "correction_reason")
ENTRY_FIELDS = ("position", "nominee_id", "proposal_id", "kind", "full_name",
                "position_title", "work_unit", "unit_name", "award_form_code",
                "achievement_summary")
DIGEST = "digest"  # the payload key of a decision's issue (or correct) event


def decision_digest(decision: Decision, entries: Iterable[Mapping[str, Any] | DecisionEntry]
                    ) -> str:
    """The SHA-256 of what a decision prints: its own fields and each line of its list
    (in list order). Recorded in its issue event, recomputed by verify from the rows."""
    def value(row: Any, name: str) -> Any:
        return row[name] if isinstance(row, Mapping) else getattr(row, name)

    body: dict[str, Any] = {
        "decision": {f: value(decision, f) for f in DECISION_FIELDS},
        "entries": sorted(({f: value(e, f) for f in ENTRY_FIELDS} for e in entries),
                          key=lambda e: e["position"]),
    }
    body["decision"]["signed_on"] = body["decision"]["signed_on"].isoformat()
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- verify ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    stream: str
    event_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (seq {self.seq})" if self.event_id else "no event"
        return f"{self.stream}: {where}: {self.problem}"


@dataclass
class VerifyReport:
    streams: int = 0
    events: int = 0
    broken: Broken | None = None
    keyed: bool = False            # whether MACs were checked (verify was given the key)
    sealed_events: int = 0         # events carrying a MAC (checked only with the key)
    unkeyed_events: int = 0        # events written without a key
    unkeyed_heads: int = 0         # heads written without a key
    undigested_decisions: int = 0  # decisions issued before their event sealed the list

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(session: Session, *, key: bytes | None = None,
           require_key: bool = False) -> VerifyReport:
    """Check every chain and every head; the report names the first problem, if any.

    Everything is read in one snapshot (`_read_snapshot`): a chain and its head are seen
    as of the same moment however many writers run meanwhile. With `key`, every MAC
    present is checked; an event or head without one is counted (written before the key
    was set), unless `require_key`, which makes it a failure. An unsealed event after a
    sealed one in the same stream is always a failure (with the key): it was written by a
    process without the key, or the chain was rewritten without it."""
    _read_snapshot(session)
    report = VerifyReport(keyed=key is not None)
    heads = {h.stream: h for h in session.scalars(select(AuditHead))}
    seen: set[str] = set()
    for stream, chain in _chains(session):
        report.streams += 1
        report.events += len(chain)
        seen.add(stream)
        broken = (_verify_chain(stream, chain)
                  or _verify_macs(stream, chain, key, require_key, report)
                  or _verify_proposal(session, stream, chain, key, require_key, report)
                  or _verify_head(stream, chain, heads.get(stream), key, require_key, report)
                  or _verify_campaign(session, stream, chain)
                  or _verify_decision(session, stream, chain, report))
        if broken:
            report.broken = broken
            return report
    report.broken = (_heads_without_events(heads, seen)
                     or _proposals_without_events(session, seen)
                     or _campaigns_without_events(session, seen)
                     or _rows_without_events(session, Decision.id, "decision", seen,
                                             "the decision has no audit events")
                     or _rows_without_events(session, Notice.id, "notice", seen,
                                             "the notice has no audit events"))
    return report


def _read_snapshot(session: Session) -> None:
    """Make the session's transaction one consistent, read-only snapshot. On PostgreSQL
    READ COMMITTED would give each statement its own: verify read a proposal's events,
    a writer then appended one and moved the head, and verify saw a head past the chain
    ("its last events are gone"). SQLite's read transaction is a snapshot already (WAL):
    what matters there is that it is one transaction, which the session keeps until it
    ends. A session already in a transaction is the caller's: it is used as it is."""
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                          "postgresql_readonly": True})


def _chains(session: Session) -> Iterator[tuple[str, list[AuditEvent]]]:
    rows = session.scalars(
        select(AuditEvent).order_by(AuditEvent.stream, AuditEvent.seq, AuditEvent.id)
        .execution_options(yield_per=2000)
    )
    stream: str | None = None
    chain: list[AuditEvent] = []
    for event in rows:
        if event.stream != stream:
            if stream is not None:
                yield stream, chain
            stream, chain = event.stream, []
        chain.append(event)
    if stream is not None:
        yield stream, chain


def _verify_chain(stream: str, chain: list[AuditEvent]) -> Broken | None:
    prev_hash: str | None = None
    prev_id = 0
    for expected_seq, event in enumerate(chain, start=1):
        problem = None
        if event.seq != expected_seq:
            problem = f"sequence gap: expected {expected_seq} (an event was deleted)"
        elif event.id <= prev_id:
            problem = "events out of order"
        elif event.prev_hash != prev_hash:
            problem = "previous-hash link does not match (an event was deleted or reordered)"
        elif event_hash(event) != event.hash:
            problem = "content does not match its hash (the event was edited)"
        if problem:
            return Broken(stream, event.id, event.seq, problem)
        prev_hash, prev_id = event.hash, event.id
    return None


def _verify_macs(stream: str, chain: list[AuditEvent], key: bytes | None, require_key: bool,
                 report: VerifyReport) -> Broken | None:
    sealed_before = False
    for event in chain:
        if event.mac is None:
            report.unkeyed_events += 1
            if key is not None and (sealed_before or require_key):
                problem = ("event has no MAC after a sealed one (written by a process without "
                           "TDKT_AUDIT_KEY, or the chain was rewritten without the key)"
                           if sealed_before else "event has no MAC (--require-key)")
                return Broken(stream, event.id, event.seq, problem)
            continue
        sealed_before = True
        report.sealed_events += 1
        if key is not None and not hmac.compare_digest(event.mac, event_mac(key, event.hash)):
            return Broken(stream, event.id, event.seq, "MAC does not match (a wrong key, or "
                          "the event was rewritten without the key)")
    return None


def _check_head_mac(stream: str, last: AuditEvent, mac: str | None, key: bytes | None,
                    require_key: bool, report: VerifyReport) -> Broken | None:
    if mac is None:
        report.unkeyed_heads += 1
        if key is not None and (last.mac is not None or require_key):
            return Broken(stream, last.id, last.seq,
                          "the head has no MAC but its last event has one (the head was "
                          "moved without the key)" if last.mac is not None
                          else "the head has no MAC (--require-key)")
        return None
    if key is not None and not hmac.compare_digest(mac, head_mac(key, stream, last.seq,
                                                                 last.hash)):
        return Broken(stream, last.id, last.seq, "the head's MAC does not match (a wrong key, "
                      "or the head was moved without the key)")
    return None


def _verify_proposal(session: Session, stream: str, chain: list[AuditEvent],
                     key: bytes | None, require_key: bool,
                     report: VerifyReport) -> Broken | None:
    if not stream.startswith("proposal:"):
        return None
    last = chain[-1]
    proposal = session.get(Proposal, int(stream.split(":", 1)[1]))
    if proposal is None:
        return Broken(stream, last.id, last.seq, "the proposal no longer exists")
    if proposal.audit_head != last.hash or proposal.audit_seq != last.seq:
        return Broken(stream, last.id, last.seq,
                      "the chain does not end at the proposal's head (its last events are gone)")
    broken = _check_head_mac(stream, last, proposal.audit_mac, key, require_key, report)
    if broken:
        return broken
    try:
        state = replay(chain)
    except ValueError as exc:
        return Broken(stream, last.id, last.seq, f"replay fails: {exc}")
    if state != proposal.state:
        return Broken(stream, last.id, last.seq,
                      f"replay gives {state}, the proposal says {proposal.state}")
    return None


def _verify_head(stream: str, chain: list[AuditEvent], head: AuditHead | None,
                 key: bytes | None, require_key: bool, report: VerifyReport) -> Broken | None:
    """A stream that is not a proposal's ends at its `AuditHead` row."""
    if stream.startswith("proposal:"):
        return None
    last = chain[-1]
    if head is None:
        return Broken(stream, last.id, last.seq, "the stream has events but no head "
                      "(its head row was deleted)")
    if head.seq != last.seq or head.hash != last.hash:
        return Broken(stream, last.id, last.seq, f"the chain does not end at its head "
                      f"(seq {head.seq}): its last events are gone")
    return _check_head_mac(stream, last, head.mac, key, require_key, report)


def _verify_decision(session: Session, stream: str, chain: list[AuditEvent],
                     report: VerifyReport) -> Broken | None:
    """A decision's issue (or correct) event seals what it prints: its fields and list."""
    if not stream.startswith("decision:"):
        return None
    first = chain[0]
    decision = session.get(Decision, int(stream.split(":", 1)[1]))
    if decision is None:
        return Broken(stream, first.id, first.seq, "the decision no longer exists")
    sealed = (first.payload or {}).get(DIGEST)
    if sealed is None:
        # Issued before events carried the digest (before migration 0015's release): its
        # rows have nothing to be checked against; counted, not a failure.
        report.undigested_decisions += 1
        return None
    entries = session.scalars(select(DecisionEntry).where(DecisionEntry.decision_id
                                                          == decision.id))
    if decision_digest(decision, entries) != sealed:
        return Broken(stream, first.id, first.seq, "the decision or its list differs from "
                      "what was issued (edited after issue)")
    return None


def _heads_without_events(heads: dict[str, AuditHead], seen: set[str]) -> Broken | None:
    orphans = sorted(set(heads) - seen)
    if not orphans:
        return None
    return Broken(orphans[0], None, None,
                  f"the head (seq {heads[orphans[0]].seq}) has no events: they were deleted")


def _proposals_without_events(session: Session, seen: set[str]) -> Broken | None:
    total = session.scalar(select(func.count()).select_from(Proposal)) or 0
    if total == len([s for s in seen if s.startswith("proposal:")]):
        return None
    for pid in session.scalars(select(Proposal.id).order_by(Proposal.id)):
        if proposal_stream(pid) not in seen:
            return Broken(proposal_stream(pid), None, None, "the proposal has no audit events")
    return None


def _rows_without_events(session: Session, column: Any, prefix: str, seen: set[str],
                         problem: str) -> Broken | None:
    """Every row of this kind (a decision, a notice) opened its stream when written."""
    for row_id in session.scalars(select(column).order_by(column)):
        if f"{prefix}:{row_id}" not in seen:
            return Broken(f"{prefix}:{row_id}", None, None, problem)
    return None


def _verify_campaign(session: Session, stream: str, chain: list[AuditEvent]) -> Broken | None:
    """A campaign chain records every stored version and ends at the active one."""
    if not stream.startswith("campaign:"):
        return None
    last = chain[-1]
    campaign = session.scalar(select(Campaign).where(Campaign.code == stream.split(":", 1)[1]))
    if campaign is None:
        return Broken(stream, last.id, last.seq, "the campaign no longer exists")
    versions = session.scalar(select(func.count()).select_from(RuleSetVersion)
                              .where(RuleSetVersion.campaign_id == campaign.id)) or 0
    loads = sum(1 for e in chain if e.action == "load_ruleset")
    active = campaign.active_ruleset.version if campaign.active_ruleset else None
    if loads != versions or (last.payload or {}).get("version") != active:
        return Broken(stream, last.id, last.seq, "the chain does not end at the campaign's "
                      "active rule set (its last events are gone)")
    return None


def _campaigns_without_events(session: Session, seen: set[str]) -> Broken | None:
    codes = session.scalars(select(Campaign.code).where(Campaign.active_ruleset_id.is_not(None))
                            .order_by(Campaign.code))
    for code in codes:
        if f"campaign:{code}" not in seen:
            return Broken(f"campaign:{code}", None, None, "the campaign has no audit events")
    return None


# --- sealing what was written before the key ---------------------------------------------


@dataclass(frozen=True)
class SealReport:
    verified: VerifyReport
    events: int = 0  # events given a MAC
    heads: int = 0   # heads given a MAC


def seal(session: Session, key: bytes) -> SealReport:
    """Give every event and head written without a key a MAC under `key` — only when the
    log verifies (with that key) as it stands: the operator vouches for the log at this
    moment, and from then on `verify --require-key` holds it to that. Run in a unit of
    work with the tdkt processes stopped (a head moved meanwhile by a process without the
    key would be sealed unchecked). The MAC is outside the hash, so no hash changes."""
    verified = verify(session, key=key)
    if not verified.ok:
        return SealReport(verified)
    events = AuditEvent.__table__
    rows = [{"_id": i, "mac": event_mac(key, h)} for i, h in session.execute(
        select(events.c.id, events.c.hash).where(events.c.mac.is_(None)))]
    if rows:
        session.execute(update(events).where(events.c.id == bindparam("_id"))
                        .values(mac=bindparam("mac")), rows)
    heads = AuditHead.__table__
    head_rows = [{"_stream": s, "mac": head_mac(key, s, q, h)} for s, q, h in session.execute(
        select(heads.c.stream, heads.c.seq, heads.c.hash).where(heads.c.mac.is_(None)))]
    if head_rows:
        session.execute(update(heads).where(heads.c.stream == bindparam("_stream"))
                        .values(mac=bindparam("mac")), head_rows)
    proposals = Proposal.__table__
    proposal_rows = [{"_id": i, "audit_mac": head_mac(key, proposal_stream(i), q, h)}
                     for i, q, h in session.execute(
                         select(proposals.c.id, proposals.c.audit_seq, proposals.c.audit_head)
                         .where(proposals.c.audit_mac.is_(None),
                                proposals.c.audit_head.is_not(None)))]
    if proposal_rows:
        # Not a change of the proposal (its version stays): a seal on its head.
        session.execute(update(proposals).where(proposals.c.id == bindparam("_id"))
                        .values(audit_mac=bindparam("audit_mac")), proposal_rows)
    return SealReport(verified, len(rows), len(head_rows) + len(proposal_rows))
