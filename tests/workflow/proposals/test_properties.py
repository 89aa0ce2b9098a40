"""Stateful property test of the workflow service.

Random people (the demo users) fire random triggers and edits at a few proposals, with
payloads that are sometimes right and sometimes wrong. Most steps carry at most one
deliberate fault (the wrong person, the wrong state, bad input, a stale version) so that
every refusal has a single cause the model can name; some steps are entirely random.

An independent model, built from `machine.SPECS` (roles, own unit, assignee, sources)
and the TEST-OPEN campaign's rules, predicts whether each action is accepted or refused
and with which kind of error. After every step the database must agree with the model:

- a refused action writes nothing, even when the caller swallows the error and commits;
- an accepted action writes exactly one audit event naming the action, the actor and
  the states it moved between, and bumps the proposal's version;
- the audit log verifies, and replaying a proposal's events gives its current state;
- the actions the UI offers each person are exactly the ones the model allows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session, selectinload

from models import AuditEvent, AuditHead, Base, Decision, DecisionEntry, Proposal, User
from models.db import Database
from workflow import machine
from workflow.actors import Actor
from workflow.audit.chain import replay, verify
from workflow.decisions import issuing as decisions
from workflow.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    WorkflowError,
)
from workflow.filing import dossier
from workflow.operations.demo_seed import PATHS, walk_to
from workflow.proposals import service

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2022, 11, 15, 9, 0, tzinfo=VN)
CAMPAIGN = "TEST-OPEN"
PEOPLE = ("unit1", "unit2", "reviewer", "reviewer2", "boardhead", "secretary", "member1",
          "admin")
CLERKS = ("unit1", "unit2")
EDITABLE = frozenset({"draft", "returned"})  # where a unit may still change its dossier
CLAIMED = frozenset({"under_review", "returned", "at_council", "approved", "rejected",
                     "decided"})            # seeded states whose path went through a claim
REASON = "Báo cáo thành tích chưa có xác nhận của thủ trưởng đơn vị"
NO_ONE = 10**6                               # an id nobody has
MAX_PROPOSALS = 4
# Where the seeded proposals start: any state, the busy middle of the workflow likelier.
SEED_STATES = (*machine.STATES, "submitted", "under_review", "at_council", "at_council")
# One deliberate fault per step at most; "none" thrice so that runs get deep.
FAULTS = ("none", "none", "none", "actor", "state", "payload", "stale")

# Mostly the caller swallows a refusal and commits: the stricter test of "writes nothing".
SWALLOW = st.sampled_from((True, True, True, False))

SETTINGS = settings(stateful_step_count=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])

Errors = set[type[WorkflowError]]


def _reachable() -> frozenset[str]:
    seen, frontier = {machine.INITIAL}, [machine.INITIAL]
    while frontier:
        state = frontier.pop()
        for spec in machine.TRIGGERS:
            if state in spec.sources:
                for dest in set(spec.dests) - seen:
                    seen.add(dest)
                    frontier.append(dest)
    return frozenset(seen)


REACHABLE = _reachable()


# --- what the model knows -----------------------------------------------------------------

@dataclass
class NomineeModel:
    eligible: bool           # passes TEST-OPEN's eligibility rule
    outcome: str = "pending"


@dataclass
class ProposalModel:
    unit_id: int
    state: str = machine.INITIAL
    assignee_id: int | None = None
    nominees: dict[int, NomineeModel] = field(default_factory=dict)
    documents: dict[int, str] = field(default_factory=dict)

    def blocked_by_rules(self) -> bool:
        """TEST-OPEN refuses a submission without nominees, without the cover letter
        (to_trinh), or with an individual of under two years' service."""
        return (not self.nominees or "to_trinh" not in self.documents.values()
                or not all(n.eligible for n in self.nominees.values()))


def permitted(spec: machine.TriggerSpec, m: ProposalModel, who: Actor) -> bool:
    """May this person fire this trigger on this proposal (whatever its state)?"""
    if not who.roles & spec.roles:
        return False
    if spec.own_unit and who.unit_id != m.unit_id:
        return False
    return not (spec.assignee_only and "board_head" not in who.roles
                and m.assignee_id != who.id)


def may_edit(m: ProposalModel, who: Actor) -> bool:
    return "unit_clerk" in who.roles and who.unit_id == m.unit_id


def expected(first: Errors, then: Errors) -> frozenset[type[WorkflowError]]:
    """Empty: the action must be accepted. Otherwise it must be refused with one of these.

    `first`: a stale version, the person or the state; when any of them refuses the
    action, the service may name any reason. `then`: the action's own input and rules.
    """
    return frozenset(first | then if first else then)


# --- payloads: (payload, valid) -----------------------------------------------------------

Variant = tuple[dict[str, Any], bool]

NOMINEE_VARIANTS: list[tuple[dict[str, Any], bool, bool]] = [  # data, valid, eligible
    ({"kind": "individual", "award_form": "BK_CT_UBND", "years_in_service": 5}, True, True),
    ({"kind": "collective", "award_form": "BK_CT_UBND"}, True, True),
    ({"kind": "individual", "award_form": "BK_CT_UBND", "years_in_service": 3,
      "attributes": {"digital_outcome": True}}, True, True),
    ({"kind": "individual", "award_form": "BK_CT_UBND", "years_in_service": 1}, True, False),
    ({"kind": "individual", "award_form": "BK_CT_UBND"}, True, False),
    ({"kind": "individual", "award_form": "GIAY_KHEN", "years_in_service": 5}, False, False),
    ({"kind": "individual", "award_form": "BK_CT_UBND", "years_in_service": 5,
      "attributes": {"digital_outcome": "có"}}, False, False),
    ({"kind": "individual", "award_form": "BK_CT_UBND", "years_in_service": 5,
      "attributes": {"khong_khai_bao": 1}}, False, False),
    ({"kind": "robot", "award_form": "BK_CT_UBND"}, False, False),
    ({"kind": "individual", "award_form": "BK_CT_UBND", "years_in_service": -1}, False, False),
    ({"kind": "individual", "award_form": "BK_CT_UBND", "full_name": "   "}, False, False),
]
ELIGIBLE = [v for v in NOMINEE_VARIANTS if v[2]]
DOCUMENT_VARIANTS: list[tuple[str, bytes, bool]] = [  # doc type, content, valid
    ("to_trinh", b"%PDF to trinh", True),
    ("bao_cao_thanh_tich", b"%PDF bao cao", True),
    ("loai_khong_co", b"%PDF ?", False),
    ("to_trinh", b"", False),
]
OPTIONAL_REASON: list[Variant] = [
    ({}, True), ({"reason": REASON}, True), ({"reason": " x "}, False),
    ({"ghi_chu": REASON}, False)]
REQUIRED_REASON: list[Variant] = [
    ({"reason": f"  {REASON}  "}, True), ({}, False), ({"reason": "   "}, False),
    ({"reason": "ab"}, False), ({"reason": REASON, "ghi_chu": "x"}, False)]
SIMPLE_PAYLOADS: dict[str, list[Variant]] = {
    "submit": [({}, True), ({"reason": REASON}, False)],
    "resubmit": OPTIONAL_REASON, "withdraw": OPTIONAL_REASON, "forward": OPTIONAL_REASON,
    "return": REQUIRED_REASON, "send_back": REQUIRED_REASON,
    # A valid decision_id is filled in by `payload` (a real decision listing the proposal).
    "issue_decision": [
        ({"decision_id": None}, True),
        ({}, False),
        ({"decision_id": "số 12"}, False),
        ({"decision_number": "2568/QĐ-UBND", "decision_date": date(2022, 12, 28)}, False),
    ],
}
GOOD_OUTCOMES = [{"outcome": "passed"}, {"outcome": "rejected", "reason": REASON}]
BAD_DECISIONS = ("no_reason", "no_reason", "blank_reason", "unknown_outcome", "drop_one", "foreign",
                 "duplicate", "empty", "missing")


def pick(data: st.DataObject, variants: list[Any], valid: bool, label: str,
         ok: Callable[[Any], bool] = lambda v: v[1]) -> Any:
    """A variant of the wanted validity (any variant when there is none such)."""
    wanted = [v for v in variants if ok(v) == valid] or variants
    return data.draw(st.sampled_from(wanted), label=label)


# --- database helpers ---------------------------------------------------------------------

def hanging_off_proposals() -> list[Table]:
    """The proposals table and every table that refers to it, directly or not,
    dependents first."""
    found = {"proposals"}
    for table in Base.metadata.sorted_tables:  # referred tables come first
        if any(fk.column.table.name in found for fk in table.foreign_keys):
            found.add(table.name)
    return [t for t in reversed(Base.metadata.sorted_tables) if t.name in found]


def reset_proposals(db: Database) -> None:
    """Remove every proposal and what hangs off it, and the decisions issued for them;
    keep users, units and campaigns (and the campaigns' own audit chains)."""
    with db.unit_of_work() as session:
        for table in hanging_off_proposals():
            stmt = delete(table)
            if table.name == "audit_events":
                stmt = stmt.where(table.c.proposal_id.is_not(None))
            session.execute(stmt)
        # The decisions issued for them go too, with their chains: a decision left without
        # its list is one whose issued list was edited, which verify reports.
        session.execute(delete(Decision).where(Decision.corrects_id.is_not(None)))
        session.execute(delete(Decision))
        session.execute(delete(AuditEvent).where(AuditEvent.stream.like("decision:%")))
        session.execute(delete(AuditHead).where(AuditHead.stream.like("decision:%")))


def proposals(session: Session) -> list[Proposal]:
    return list(session.scalars(
        select(Proposal).order_by(Proposal.id)
        .options(selectinload(Proposal.nominees), selectinload(Proposal.documents))))


def snapshot(session: Session) -> dict[str, Any]:
    """Everything a refused action must leave alone."""
    rows = {}
    for p in proposals(session):
        rows[p.id] = (
            p.state, p.version, p.audit_seq, p.audit_head, p.assignee_id, p.title,
            p.last_reason, p.decision_number, p.reference,
            tuple((n.id, n.full_name, n.outcome.value, n.outcome_reason) for n in p.nominees),
            tuple((d.id, d.doc_type) for d in p.documents))
    tables = Base.metadata.sorted_tables  # every row of every table, in one query
    counts = session.execute(select(*(
        select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables
    ))).one()._asdict()
    return {"proposals": rows, "events": counts["audit_events"], "rows": counts}


# --- the state machine --------------------------------------------------------------------

class ProposalWorkflow(RuleBasedStateMachine):
    db: Database
    storage: Any
    people: dict[str, Actor]
    reviewer_ids: frozenset[int]

    def __init__(self) -> None:
        super().__init__()
        reset_proposals(self.db)
        self.models: dict[int, ProposalModel] = {}
        self.last_seen: dict[str, Any] | None = None  # the database after the last action
        self.now = START
        self.names = itertools.count(1)

    # helpers

    def tick(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now

    def person(self, name: str) -> Actor:
        return self.people[name]

    def version_of(self, pid: int) -> int:
        with self.db.session() as s:
            return s.scalar(select(Proposal.version).where(Proposal.id == pid))

    def foreign(self, pid: int, what: str) -> int:
        """The id of a nominee or document of another proposal (or of none at all)."""
        ids = [i for q, m in self.models.items() if q != pid for i in getattr(m, what)]
        return max(ids, default=NO_ONE)

    def nominee_data(self, variant: dict[str, Any]) -> dict[str, Any]:
        return {"full_name": f"Người thứ {next(self.names)}", **variant}

    def pick_version(self, data: st.DataObject, pid: int, stale: bool) -> int | None:
        """None (no check), the version the user saw, or an outdated one."""
        if not stale and data.draw(st.booleans(), label="without version"):
            return None
        current = self.version_of(pid)
        if not stale:
            return current
        return current - 1 if current > 1 else current + 1

    def run(self, action: Callable[[Session], Any],
            swallow: bool) -> tuple[WorkflowError | None, Any]:
        """One unit of work. With `swallow`, the caller catches the refusal inside the
        unit of work and commits anyway, as a careless view would."""
        try:
            with self.db.unit_of_work() as session:
                try:
                    return None, action(session)
                except WorkflowError as exc:
                    if not swallow:
                        raise
                    return exc, None
        except WorkflowError as exc:
            return exc, None

    def perform(self, pid: int | None, errors: frozenset[type[WorkflowError]],
                action: Callable[[Session], Any], swallow: bool, what: str,
                who: Actor) -> tuple[WorkflowError | None, Any, dict[str, Any]]:
        if self.last_seen is None:  # nobody else writes, so the last "after" is still true
            with self.db.session() as s:
                self.last_seen = snapshot(s)
        before = self.last_seen
        error, result = self.run(action, swallow)
        with self.db.session() as s:
            after = self.last_seen = snapshot(s)
        names = sorted(e.__name__ for e in errors)
        if errors:
            assert error is not None, f"{who.name} could {what} #{pid}; expected one of {names}"
            assert type(error) in errors, (
                f"{who.name} {what} #{pid}: {type(error).__name__} ({error}); expected {names}")
            assert error.message, "a refusal must tell the user why"
            assert after == before, f"the refused {what} on #{pid} changed the database"
        else:
            assert error is None, f"{who.name} was refused {what} on #{pid}: {error!r}"
            assert after["events"] == before["events"] + 1, "one action, one audit event"
            others = {k: v for k, v in before["proposals"].items() if k != pid}
            assert {k: after["proposals"].get(k) for k in others} == others, (
                f"{what} on #{pid} changed other proposals")
        return error, result, before

    def check_event(self, pid: int, before: dict[str, Any], action: str,
                    from_state: str | None, who: Actor) -> AuditEvent:
        """The accepted action's one audit event, checked against the model's new state."""
        old = before["proposals"].get(pid)
        with self.db.session() as s:
            proposal = s.get(Proposal, pid)
            assert proposal is not None
            event = s.scalars(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                              .order_by(AuditEvent.seq.desc()).limit(1)).one()
            assert event.seq == (old[2] if old else 0) + 1
            assert (event.action, event.from_state, event.to_state) == (
                action, from_state, self.models[pid].state)
            assert (event.actor_id, event.actor_name) == (who.id, who.name)
            assert (proposal.audit_seq, proposal.audit_head) == (event.seq, event.hash)
            if old:
                assert proposal.version > old[1], "an accepted change must bump the version"
            s.expunge(event)
        return event

    # setup

    @initialize(data=st.data())
    def seed(self, data: st.DataObject) -> None:
        """Two complete TEST-OPEN proposals, driven through the service to any state."""
        for _ in range(2):
            clerk = data.draw(st.sampled_from(CLERKS), label="clerk")
            target = data.draw(st.sampled_from(SEED_STATES), label="seeded state")
            picks = data.draw(st.lists(st.sampled_from(ELIGIBLE), min_size=1, max_size=3),
                              label="nominees")
            now = self.tick()
            users: Any = self.people  # the service takes plain actors as well as users
            with self.db.unit_of_work() as s:
                p = dossier.create_proposal(s, users[clerk], CAMPAIGN, "Hồ sơ khởi tạo", now=now)
                for variant, _, _ in picks:
                    dossier.add_nominee(s, p.id, users[clerk], self.nominee_data(variant),
                                        now=now)
                dossier.add_document(s, p.id, users[clerk], "to_trinh", "to_trinh.pdf",
                                     b"%PDF to trinh", self.storage, now=now)
                walk_to(s, p, users, clerk, target, now)
                pid, nominee_ids = p.id, [n.id for n in p.nominees]
                doc_ids = [d.id for d in p.documents]
            # walk_to takes a day per step: the clock goes on from after the last of them.
            self.now = max(self.now, now + timedelta(days=len(PATHS[target]) + 1))
            self.last_seen = None
            outcome = {"approved": "passed", "decided": "passed", "rejected": "rejected"}
            self.models[pid] = ProposalModel(
                unit_id=self.person(clerk).unit_id or 0, state=target,
                assignee_id=self.person("reviewer").id if target in CLAIMED else None,
                nominees={n: NomineeModel(True, outcome.get(target, "pending"))
                          for n in nominee_ids},
                documents=dict.fromkeys(doc_ids, "to_trinh"))
            with self.db.session() as s:
                events = s.scalar(select(func.count()).where(AuditEvent.proposal_id == pid))
            assert events == 1 + len(picks) + 1 + len(PATHS[target])

    # rules

    @precondition(lambda self: len(self.models) < MAX_PROPOSALS)
    @rule(data=st.data())
    def create(self, data: st.DataObject) -> None:
        fault = data.draw(st.sampled_from(("none", "actor", "title", "campaign")), label="fault")
        name = data.draw(st.sampled_from(
            [n for n in PEOPLE if (n in CLERKS) != (fault == "actor")]), label="actor")
        title = "ab" if fault == "title" else "Hồ sơ đề nghị khen thưởng"
        code = "KHONG-CO" if fault == "campaign" else CAMPAIGN
        swallow = data.draw(SWALLOW, label="swallow")
        who, now = self.person(name), self.tick()
        then: Errors = {InvalidInput} if fault == "title" else set()
        then |= {NotFound} if fault == "campaign" else set()
        errors = expected(set() if name in CLERKS else {PermissionDenied}, then)

        def action(s: Session) -> int:
            return dossier.create_proposal(s, who, code, title, now=now).id

        error, pid, before = self.perform(None, errors, action, swallow, "create", who)
        if error is None:
            self.models[pid] = ProposalModel(unit_id=who.unit_id or 0)
            self.check_event(pid, before, "create", None, who)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """A trigger with at most one fault: someone not allowed to, a trigger the state
        does not offer, bad input, or a stale version."""
        pid = data.draw(st.sampled_from(sorted(self.models)), label="proposal")
        m = self.models[pid]
        fault = data.draw(st.sampled_from(FAULTS), label="fault")
        offered = machine.triggers_from(m.state)
        if fault == "state" or not offered:
            options = [t for t in machine.SPECS if t not in offered]
        else:  # moving on is likelier than withdrawing, so that runs get deep
            onward = [t for t in offered if t != "withdraw"]
            options = onward * 3 + [t for t in offered if t == "withdraw"]
        trigger = data.draw(st.sampled_from(options), label="trigger")
        spec = machine.SPECS[trigger]
        allowed = [n for n in PEOPLE if permitted(spec, m, self.person(n))]
        refused = [n for n in PEOPLE if n not in allowed]
        pool = refused if fault == "actor" else allowed
        name = data.draw(st.sampled_from(pool or list(PEOPLE)), label="actor")
        self.fire(data, pid, trigger, name, bad=fault == "payload", stale=fault == "stale")

    @rule(data=st.data())
    def act_at_random(self, data: st.DataObject) -> None:
        """Any trigger, by anyone, in any state, with any input and any version."""
        pid = data.draw(st.sampled_from(sorted(self.models)), label="proposal")
        trigger = data.draw(st.sampled_from(list(machine.SPECS)), label="trigger")
        name = data.draw(st.sampled_from(PEOPLE), label="actor")
        self.fire(data, pid, trigger, name, bad=data.draw(st.booleans(), label="bad input"),
                  stale=data.draw(st.sampled_from((False, False, True)), label="stale"))

    @precondition(lambda self: self.in_state("at_council"))
    @rule(data=st.data())
    def council_decides(self, data: st.DataObject) -> None:
        """The secretary records the Council's outcomes, right or wrong."""
        pid = data.draw(st.sampled_from(self.in_state("at_council")), label="proposal")
        self.fire(data, pid, "decide", "secretary", bad=data.draw(st.booleans(), label="bad"),
                  stale=False)

    @precondition(lambda self: self.in_state("submitted"))
    @rule(data=st.data())
    def board_claims(self, data: st.DataObject) -> None:
        """A reviewer or the head claims a submitted proposal, for themselves or another."""
        pid = data.draw(st.sampled_from(self.in_state("submitted")), label="proposal")
        name = data.draw(st.sampled_from(("reviewer", "reviewer2", "boardhead")), label="by")
        self.fire(data, pid, "claim", name, bad=data.draw(st.booleans(), label="bad"),
                  stale=False)

    def decision_for(self, pid: int) -> int:
        """A decision listing the proposal, issued (not yet applied to it) on first use
        and dated the day of the action — on or after the Council's decision, not in the
        future; NO_ONE when the proposal is not approved (the service refuses that first)."""
        with self.db.unit_of_work() as s:
            p = s.get(Proposal, pid)
            assert p is not None
            listed = s.scalar(select(DecisionEntry.decision_id)
                              .where(DecisionEntry.proposal_id == pid).limit(1))
            if listed is not None or p.state != "approved":
                return listed or NO_ONE
            self.last_seen = None  # the decision's own rows are written here, not by the action
            return decisions.issue(s, self.people["secretary"], {
                "campaign_id": p.campaign_id, "proposal_ids": [pid],
                "signed_on": self.now.astimezone(VN).date(), "signer_name": "Hoàng Văn Thắng"},
                now=self.now, advance=False).id

    def in_state(self, state: str) -> list[int]:
        return sorted(pid for pid, m in self.models.items() if m.state == state)

    def fire(self, data: st.DataObject, pid: int, trigger: str, name: str, *, bad: bool,
             stale: bool) -> None:
        m, who, spec = self.models[pid], self.person(name), machine.SPECS[trigger]
        payload, input_ok = self.payload(data, pid, trigger, bad)
        version = self.pick_version(data, pid, stale)
        swallow = data.draw(SWALLOW, label="swallow")
        first: Errors = {ConflictError} if stale else set()
        first |= set() if permitted(spec, m, who) else {PermissionDenied}
        first |= set() if m.state in spec.sources else {InvalidTransition}
        errors = expected(first, self.own_checks(trigger, payload, input_ok, m, who))
        now = self.tick()

        def action(s: Session) -> AuditEvent:
            return service.act(s, pid, trigger, who, now=now, expected_version=version,
                               **payload)

        error, _, before = self.perform(pid, errors, action, swallow, trigger, who)
        if error is not None:
            return
        from_state = m.state
        self.apply(trigger, payload, m, who)
        event = self.check_event(pid, before, trigger, from_state, who)
        reason = payload.get("reason")
        assert event.reason == (reason.strip() if reason else None)
        with self.db.session() as s:
            p = s.get(Proposal, pid)
            assert p is not None
            if trigger in ("return", "send_back"):
                assert p.last_reason == payload["reason"].strip()
            if trigger == "issue_decision":
                decision = s.get(Decision, payload["decision_id"])
                assert decision is not None
                assert (p.decision_number, p.decision_date) == (decision.number,
                                                                decision.signed_on)
            if trigger in ("submit", "resubmit"):
                assert p.reference and p.submitted_at == now
            if trigger == "decide":
                wanted = {o["nominee_id"]: o.get("reason") for o in payload["outcomes"]}
                assert {n.id: n.outcome_reason for n in p.nominees} == wanted

    def payload(self, data: st.DataObject, pid: int, trigger: str, bad: bool) -> Variant:
        """A payload for the trigger and whether its shape is valid (ids judged later)."""
        if trigger in SIMPLE_PAYLOADS:
            payload, ok = pick(data, SIMPLE_PAYLOADS[trigger], not bad, "payload")
            if trigger == "issue_decision" and ok:
                payload = {"decision_id": self.decision_for(pid)}
            return payload, ok
        reviewers = sorted(self.reviewer_ids)
        strangers = [a.id for a in self.people.values() if a.id not in self.reviewer_ids]
        if trigger == "claim":
            target = data.draw(st.sampled_from(
                [*strangers, NO_ONE] if bad else [None, *reviewers]), label="assignee")
            return ({} if target is None else {"assignee_id": target}), True
        if trigger == "reassign":
            fault = data.draw(st.sampled_from(("assignee", "missing", "reason") if bad
                                              else ("none",)), label="reassign fault")
            target = data.draw(st.sampled_from(
                [*strangers, NO_ONE] if fault == "assignee" else reviewers), label="assignee")
            extra, ok = pick(data, OPTIONAL_REASON, fault != "reason", "reason")
            return ({**extra} if fault == "missing" else {"assignee_id": target, **extra}), ok
        assert trigger == "decide"
        return self.decision(data, pid, bad)

    def decision(self, data: st.DataObject, pid: int, bad: bool) -> Variant:
        ids = sorted(self.models[pid].nominees)
        pattern = data.draw(st.sampled_from(("mixed", "all passed", "all rejected", "any")),
                            label="decision")
        outcomes = []
        for i, nid in enumerate(ids):
            passed = {"mixed": i == 0, "all passed": True, "all rejected": False}.get(pattern)
            if passed is None:
                passed = data.draw(st.booleans(), label=f"nominee {nid} passed")
            outcomes.append({"nominee_id": nid, **GOOD_OUTCOMES[0 if passed else 1]})
        if not bad or not outcomes:
            return {"outcomes": outcomes}, bool(outcomes)
        fault = data.draw(st.sampled_from(BAD_DECISIONS), label="decision fault")
        first = outcomes[0]
        if fault == "no_reason":
            first.update(outcome="rejected")
            first.pop("reason", None)
        elif fault == "blank_reason":
            first.update(outcome="rejected", reason="  ")
        elif fault == "unknown_outcome":
            first.update(outcome="maybe")
        elif fault == "drop_one":
            outcomes.pop()
        elif fault == "foreign":
            outcomes.append({"nominee_id": self.foreign(pid, "nominees"), "outcome": "passed"})
        elif fault == "duplicate":
            outcomes.append(dict(first))
        elif fault == "empty":
            outcomes.clear()
        else:
            return {}, False
        return {"outcomes": outcomes}, False

    def own_checks(self, trigger: str, payload: dict[str, Any], input_ok: bool,
                   m: ProposalModel, who: Actor) -> Errors:
        """Why the trigger's own checks (input, rules) would refuse it, if they would."""
        if not input_ok:
            return {InvalidInput}
        target = payload.get("assignee_id")
        if trigger == "claim" and target is not None and target != who.id:
            if "board_head" not in who.roles:
                return {PermissionDenied}  # only the head assigns to someone else
            return set() if target in self.reviewer_ids else {InvalidInput}
        if trigger == "reassign" and (target not in self.reviewer_ids
                                      or target == m.assignee_id):
            return {InvalidInput}  # a stranger, or the one already holding it
        if trigger in ("submit", "resubmit") and m.blocked_by_rules():
            return {RuleViolation}
        return set()

    def apply(self, trigger: str, payload: dict[str, Any], m: ProposalModel,
              who: Actor) -> None:
        """The model's own account of what an accepted trigger does."""
        m.state = machine.SPECS[trigger].dests[0]
        if trigger == "decide":
            for o in payload["outcomes"]:
                m.nominees[o["nominee_id"]].outcome = o["outcome"]
            passed = any(o["outcome"] == "passed" for o in payload["outcomes"])
            m.state = "approved" if passed else "rejected"
        elif trigger == "claim":
            m.assignee_id = payload.get("assignee_id") or who.id
        elif trigger == "reassign":
            m.assignee_id = payload["assignee_id"]
        elif trigger == "send_back":
            for n in m.nominees.values():
                n.outcome = "pending"

    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        """Add or remove a nominee or a document, with at most one fault."""
        fault = data.draw(st.sampled_from(FAULTS), label="fault")
        editable = sorted(p for p, m in self.models.items()
                          if (m.state in EDITABLE) != (fault == "state"))
        pid = data.draw(st.sampled_from(editable or sorted(self.models)), label="proposal")
        m = self.models[pid]
        name = data.draw(st.sampled_from(
            [n for n in PEOPLE if may_edit(m, self.person(n)) != (fault == "actor")]
            or list(PEOPLE)), label="actor")
        kind = data.draw(st.sampled_from(
            ("add_nominee", "remove_nominee", "add_document", "remove_document")), label="edit")
        version = self.pick_version(data, pid, fault == "stale")
        swallow = data.draw(SWALLOW, label="swallow")
        who, now, bad = self.person(name), self.tick(), fault == "payload"
        first: Errors = {ConflictError} if fault == "stale" else set()
        first |= set() if may_edit(m, who) else {PermissionDenied}
        first |= set() if m.state in EDITABLE else {InvalidTransition}
        then: Errors = set()
        kw = {"now": now, "expected_version": version}

        if kind == "add_nominee":
            variant, valid, eligible = pick(data, NOMINEE_VARIANTS, not bad, "nominee")
            nominee = self.nominee_data(variant)
            then |= set() if valid else {InvalidInput}

            def action(s: Session) -> int:
                return dossier.add_nominee(s, pid, who, nominee, **kw).id
        elif kind == "remove_nominee":
            target = data.draw(st.sampled_from(
                [self.foreign(pid, "nominees")] if bad or not m.nominees
                else sorted(m.nominees)), label="nominee")
            then |= set() if target in m.nominees else {NotFound}

            def action(s: Session) -> Any:
                return dossier.remove_nominee(s, pid, target, who, **kw)
        elif kind == "add_document":
            doc_type, content, valid = pick(data, DOCUMENT_VARIANTS, not bad, "document",
                                            ok=lambda v: v[2])
            first |= set() if valid else {InvalidInput}  # the file is checked up front

            def action(s: Session) -> int:
                return dossier.add_document(s, pid, who, doc_type, f"{doc_type}.pdf", content,
                                            self.storage, **kw).id
        else:
            target = data.draw(st.sampled_from(
                [self.foreign(pid, "documents")] if bad or not m.documents
                else sorted(m.documents)), label="document")
            then |= set() if target in m.documents else {NotFound}

            def action(s: Session) -> Any:
                return dossier.remove_document(s, pid, target, who, **kw)

        error, result, before = self.perform(pid, expected(first, then), action, swallow,
                                             kind, who)
        if error is not None:
            return
        if kind == "add_nominee":
            m.nominees[result] = NomineeModel(eligible)
        elif kind == "remove_nominee":
            del m.nominees[target]
        elif kind == "add_document":
            m.documents[result] = doc_type
        else:
            del m.documents[target]
        self.check_event(pid, before, kind, m.state, who)

    # after every step

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        with self.db.session() as s:
            report = verify(s)
            assert report.ok, str(report.broken)
            rows = {p.id: p for p in proposals(s)}
            assert set(rows) == set(self.models), "proposals appeared or vanished"
            streams: dict[int, list[AuditEvent]] = {pid: [] for pid in rows}
            for event in s.scalars(select(AuditEvent).where(AuditEvent.proposal_id.is_not(None))
                                   .order_by(AuditEvent.seq)):
                streams[event.proposal_id].append(event)
            for pid, m in self.models.items():
                p, events = rows[pid], streams[pid]
                assert p.state in machine.STATES and p.state in REACHABLE
                assert replay(events) == p.state
                assert len(events) == p.audit_seq
                assert (p.state, p.assignee_id) == (m.state, m.assignee_id)
                assert {n.id: n.outcome.value for n in p.nominees} == {
                    k: v.outcome for k, v in m.nominees.items()}
                assert {d.id: d.doc_type for d in p.documents} == m.documents
                for name in PEOPLE:
                    who = self.person(name)
                    offered = service.allowed_actions(p, who)
                    allowed = [t.name for t in machine.TRIGGERS
                               if m.state in t.sources and permitted(t, m, who)]
                    assert sorted(offered) == sorted(allowed), (name, m.state)


def machine_for(world: Any) -> type[ProposalWorkflow]:
    with world.db.session() as s:
        people = {n: Actor.of(s.get(User, world.user_ids[n])) for n in PEOPLE}
    reviewers = frozenset(a.id for a in people.values()
                          if a.roles & machine.REVIEWERS and a.id is not None)
    attrs = {"db": world.db, "storage": world.storage, "people": people,
             "reviewer_ids": reviewers}
    return type("ProposalWorkflowOnWorld", (ProposalWorkflow,), attrs)


def test_random_actions_keep_the_workflow_honest(world: Any) -> None:
    # PostgreSQL round trips cost more; fewer examples keep both runs under a minute.
    examples = 40 if world.db.is_sqlite else 30
    run_state_machine_as_test(machine_for(world), settings=settings(SETTINGS,
                                                                    max_examples=examples))
