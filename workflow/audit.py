"""The hash-chained audit log: append one event, verify every chain, replay a proposal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import AuditEvent, Campaign, Proposal, RuleSetVersion
from workflow import machine
from workflow.actors import Actor

# A proposal made by splitting a nominee off another (workflow.split) starts here.
SPLIT_ACTION, SPLIT_STATE = "split", "submitted"


def proposal_stream(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


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
    the event is the caller's to write (`models.rows.insert_known`)."""
    values = proposal_event_values(proposal, action, from_state, actor, now, reason=reason,
                                   payload=payload, on_behalf_of_id=on_behalf_of_id)
    proposal.audit_seq = values["seq"]
    proposal.audit_head = values["hash"]
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
    """Append an event to a chain that belongs to no proposal (e.g. `campaign:CDS-2022`)."""
    if session.get_bind().dialect.name == "postgresql":
        # No row guards such a chain: two writers would both read the same last seq.
        # A transaction-scoped advisory lock per stream lines them up instead.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:s, 0))"),
                        {"s": stream})
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.stream == stream)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, None)
    event = AuditEvent(**_event_values(stream, seq, prev, action, actor, now, payload=payload))
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


@dataclass(frozen=True)
class Broken:
    stream: str
    event_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (seq {self.seq})" if self.event_id else "no event"
        return f"{self.stream}: {where}: {self.problem}"


@dataclass(frozen=True)
class VerifyReport:
    streams: int
    events: int
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(session: Session) -> VerifyReport:
    """Check every chain; the report names the first broken event, if any."""
    streams = events = 0
    seen: set[str] = set()
    for stream, chain in _chains(session):
        streams += 1
        events += len(chain)
        seen.add(stream)
        broken = (_verify_chain(stream, chain) or _verify_proposal(session, stream, chain)
                  or _verify_campaign(session, stream, chain))
        if broken:
            return VerifyReport(streams, events, broken)
    missing = _proposals_without_events(session, seen) or _campaigns_without_events(session, seen)
    return VerifyReport(streams, events, missing)


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


def _verify_proposal(session: Session, stream: str, chain: list[AuditEvent]) -> Broken | None:
    if not stream.startswith("proposal:"):
        return None
    last = chain[-1]
    proposal = session.get(Proposal, int(stream.split(":", 1)[1]))
    if proposal is None:
        return Broken(stream, last.id, last.seq, "the proposal no longer exists")
    if proposal.audit_head != last.hash or proposal.audit_seq != last.seq:
        return Broken(stream, last.id, last.seq,
                      "the chain does not end at the proposal's head (its last events are gone)")
    try:
        state = replay(chain)
    except ValueError as exc:
        return Broken(stream, last.id, last.seq, f"replay fails: {exc}")
    if state != proposal.state:
        return Broken(stream, last.id, last.seq,
                      f"replay gives {state}, the proposal says {proposal.state}")
    return None


def _proposals_without_events(session: Session, seen: set[str]) -> Broken | None:
    total = session.scalar(select(func.count()).select_from(Proposal)) or 0
    if total == len([s for s in seen if s.startswith("proposal:")]):
        return None
    for pid in session.scalars(select(Proposal.id).order_by(Proposal.id)):
        if proposal_stream(pid) not in seen:
            return Broken(proposal_stream(pid), None, None, "the proposal has no audit events")
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
