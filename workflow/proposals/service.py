"""The one door through which every change of a proposal goes.

`act()` loads the proposal under lock, checks the actor, validates the input, runs the
campaign's rules, fires the machine and appends exactly one audit event. It writes but
never commits: the caller owns the unit of work. Nothing is changed before every check
has passed, so a refused action writes nothing. The rows every action writes go out as
one flush; a decision over many proposals writes each kind of row in one statement
(`models.fast_writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import (
    AuditEvent,
    Campaign,
    Deadline,
    Decision,
    DecisionEntry,
    Document,
    Outcome,
    Proposal,
    RuleSetVersion,
    User,
    fast_writes,
)
from models.base import utcnow
from models.membership import among
from rules.checks import Finding, blocking, run_checks
from rules.loader import CompiledRuleSet
from workflow import machine
from workflow.accounts import substitutes
from workflow.actors import Actor, as_actor
from workflow.audit.chain import advance_chain, record_proposal_event
from workflow.campaigns.rulesets import ActiveRules, active_from_key, active_rules
from workflow.council import tallies
from workflow.deadlines import tracking
from workflow.decisions import coverage
from workflow.errors import (
    N_,
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Term,
)
from workflow.labels import term
from workflow.notices import publication as notices
from workflow.notifications import inbox
from workflow.proposals.facts import proposal_facts
from workflow.proposals.inputs import parse_input

# Built once: constructing a statement and its cache key costs more than running it.
# The nominees come in the proposal's own query (a join); the documents in one more.
_FOR_UPDATE = (
    select(Proposal).where(Proposal.id == bindparam("proposal_id"))
    .options(joinedload(Proposal.nominees), selectinload(Proposal.documents))
    .with_for_update(of=Proposal)
    .execution_options(populate_existing=True)
)


def load_for_update(session: Session, proposal_id: int) -> Proposal:
    """The proposal under lock with its nominees and documents."""
    proposal = session.execute(_FOR_UPDATE, {"proposal_id": proposal_id}
                               ).unique().scalar_one_or_none()
    if proposal is None:
        raise NotFound(N_("Không tìm thấy hồ sơ số %(id)s"), params={"id": proposal_id})
    return proposal


_LATEST_OPEN = (select(func.max(Deadline.id))
                .where(Deadline.proposal_id == Proposal.id, Deadline.closed_at.is_(None))
                .correlate(Proposal).scalar_subquery())
_DOCUMENT_TYPES_JOINED = (select(func.aggregate_strings(Document.doc_type, "\n"))
                          .where(Document.proposal_id == Proposal.id)
                          .correlate(Proposal).scalar_subquery())
# What `act` reads besides the proposal comes in the same statement: each further
# statement is a round trip, and on PostgreSQL those were half of an action's time.
HOLD_FOR_ACT = (
    select(Proposal, Deadline, Campaign.code, RuleSetVersion.id, RuleSetVersion.source_sha256,
           _DOCUMENT_TYPES_JOINED)
    .join(Campaign, Campaign.id == Proposal.campaign_id)
    .outerjoin(RuleSetVersion, RuleSetVersion.id == Campaign.active_ruleset_id)
    .outerjoin(Deadline, Deadline.id == _LATEST_OPEN)
    .where(Proposal.id == bindparam("proposal_id"))
    .options(joinedload(Proposal.nominees))
    .with_for_update(of=Proposal)
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True)
class Held:
    """A proposal under lock, and what acting on it reads besides: the key of its
    campaign's active rule set (None: the campaign has none), the kinds of document it
    holds and its open deadline."""

    proposal: Proposal
    rules_key: tuple[str, int, str] | None  # campaign code, version id, source hash
    document_types: frozenset[str]
    open_deadline: Deadline | None

    def rules(self, session: Session) -> ActiveRules | None:
        """The active rule set, compiled (once per process) only for an action that
        checks it."""
        return None if self.rules_key is None else active_from_key(session, *self.rules_key)


def hold_for_act(session: Session, proposal_id: int) -> Held:
    """The proposal under lock with its nominees, and the rest `act` reads, in one
    statement (the documents themselves are read only if a step needs them)."""
    row = session.execute(HOLD_FOR_ACT, {"proposal_id": proposal_id}).unique().one_or_none()
    if row is None:
        raise NotFound(N_("Không tìm thấy hồ sơ số %(id)s"), params={"id": proposal_id})
    proposal, deadline, code, version_id, sha, documents = row
    return Held(proposal, None if version_id is None else (code, version_id, sha),
                frozenset(documents.split("\n")) if documents else frozenset(), deadline)


def check_version(proposal: Proposal, expected_version: int | None) -> None:
    if expected_version is not None and proposal.version != expected_version:
        raise ConflictError(STALE, expected=expected_version, actual=proposal.version)


STALE = N_("Hồ sơ vừa được người khác thay đổi; vui lòng tải lại và thử lại")


def _action(spec: machine.TriggerSpec) -> Term:
    return term("action", spec.name)


def authorize(spec: machine.TriggerSpec, proposal: Proposal, actor: Actor) -> None:
    if not actor.active:
        raise PermissionDenied(N_("Tài khoản đã bị khoá"))
    if machine.SYSTEM_ROLE in actor.roles:
        # The scheduler fires only the campaign's automatic actions, nothing a person does.
        if spec.automatic:
            return
        raise PermissionDenied(N_("Hệ thống không tự động “%(action)s”"),
                               params={"action": _action(spec)}, trigger=spec.name)
    if not actor.has_any(spec.roles):
        raise PermissionDenied(N_("Vai trò của bạn không được phép “%(action)s”"),
                               params={"action": _action(spec)}, trigger=spec.name)
    if spec.own_unit and actor.unit_id != proposal.unit_id:
        raise PermissionDenied(N_("Bạn chỉ được thao tác trên hồ sơ của đơn vị mình"),
                               trigger=spec.name)
    plain_reviewer = "board_head" not in actor.roles
    if (spec.assignee_only and plain_reviewer
            and proposal.assignee_id not in substitutes.acting_ids(actor)):
        raise PermissionDenied(N_("Hồ sơ đang được phân công cho chuyên viên khác"),
                               trigger=spec.name)


def can(proposal: Proposal, trigger: str, actor: User | Actor) -> bool:
    spec = machine.SPECS[trigger]
    try:
        authorize(spec, proposal, as_actor(actor))
    except PermissionDenied:
        return False
    return proposal.state in spec.sources


def allowed_actions(proposal: Proposal, actor: User | Actor) -> list[str]:
    """Exactly the triggers the machine allows now and this actor may fire."""
    return [t for t in machine.triggers_from(proposal.state) if can(proposal, t, actor)]


def act(session: Session, proposal_id: int, trigger: str, actor: User | Actor, *,
        now: datetime | None = None, expected_version: int | None = None,
        on_behalf_of_id: int | None = None, **payload: Any) -> AuditEvent:
    """Fire `trigger` on a proposal for `actor` (or for the absent user `on_behalf_of_id`
    whom the actor substitutes); returns the audit event it wrote."""
    now = now or utcnow()
    who = substitutes.deputy(session, as_actor(actor), on_behalf_of_id, now)
    spec = _spec(trigger)
    held = hold_for_act(session, proposal_id)
    proposal = held.proposal
    check_version(proposal, expected_version)
    _may_fire(spec, proposal, who)
    data = parse_input(trigger, payload)
    notices.gate(session, proposal, trigger, now)
    step = _STEPS[trigger](session, held, who, data, now)
    current = {proposal.id: held.open_deadline} if held.open_deadline else {}
    return _fire(session, [(proposal, step)], trigger, who, data, now, current)[0]


def issue_decision_each(session: Session, proposals: list[Proposal], actor: User | Actor,
                        decision_id: int, *, now: datetime | None = None) -> list[AuditEvent]:
    """`act(…, "issue_decision", decision_id=…)` on many proposals at once, with the same
    checks and writes, each lookup done once for them all: one decision over a thousand
    nominees is one statement per kind of row, not several per proposal. The proposals
    must be held under lock by the caller (`decisions.issue` locks them in one query)."""
    now = now or utcnow()
    who = as_actor(actor)
    spec = _spec("issue_decision")
    for proposal in proposals:
        _may_fire(spec, proposal, who)
    data = parse_input("issue_decision", {"decision_id": decision_id})
    notices.gate_each(session, proposals, "issue_decision", now)
    steps = _issue_decision_each(session, proposals, data, now)
    return _fire(session, list(zip(proposals, steps, strict=True)), "issue_decision", who,
                 data, now)


def _spec(trigger: str) -> machine.TriggerSpec:
    spec = machine.SPECS.get(trigger)
    if spec is None:
        raise InvalidInput(N_("Thao tác không tồn tại: %(trigger)s"), params={"trigger": trigger})
    return spec


def _may_fire(spec: machine.TriggerSpec, proposal: Proposal, who: Actor) -> None:
    authorize(spec, proposal, who)
    if proposal.state not in spec.sources:
        raise InvalidTransition(
            N_("Không thể “%(action)s” khi hồ sơ ở trạng thái “%(state)s”"),
            params={"action": _action(spec), "state": term("state", proposal.state)},
            state=proposal.state, trigger=spec.name)


def _fire(session: Session, prepared: list[tuple[Proposal, Step]], trigger: str, who: Actor,
          data: Any, now: datetime, current: dict[int, Deadline] | None = None
          ) -> list[AuditEvent]:
    """Change each checked proposal: state, the step's own fields, one audit event, its
    clock and its notifications, one statement per kind of row. `current`: each
    proposal's open deadline, when the caller has read them."""
    if current is None:  # looked up before anything changes
        current = tracking.open_deadlines(session, [p.id for p, _ in prepared])
    changes, rows = [], []
    proposals = [p for p, _ in prepared]
    fast = fast_writes.pays(len(proposals))
    with conflicts_as_errors():
        for proposal, step in prepared:
            from_state = proposal.state
            proposal.state = machine.fire(from_state, trigger, **step.machine_kwargs)
            step.apply()
            rows.append(advance_chain(
                proposal, trigger, from_state, who, now, reason=getattr(data, "reason", None),
                payload=step.audit, on_behalf_of_id=getattr(who, "principal_id", None)))
            # Nothing is flushed until every proposal has changed: one flush, or one
            # statement per kind of row, for them all.
            with session.no_autoflush:
                changes.append(tracking.change_on_transition(
                    session, proposal, from_state, current.get(proposal.id), now,
                    step.pinned, fast=fast))
        if fast and not fast_writes.update_versioned(session, proposals):
            raise ConflictError(STALE)
        events = fast_writes.add_rows(session, AuditEvent, rows)
        tracking.write_changes(session, changes)
        session.flush()
    happened = list(zip(proposals, events, strict=True))
    inbox.on_events(session, happened, now)
    flush(session)
    return events


@contextmanager
def conflicts_as_errors() -> Iterator[None]:
    """Turn a lost race (a stale version, a duplicate row) into a ConflictError."""
    try:
        yield
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(STALE) from exc


def flush(session: Session) -> None:
    """Flush, turning a lost race into a ConflictError."""
    with conflicts_as_errors():
        session.flush()


class Step:
    """What a trigger will do, prepared (and validated) before anything changes."""

    def __init__(self, apply: Callable[[], None] | None = None,
                 audit: dict[str, Any] | None = None,
                 pinned: tuple[int, CompiledRuleSet] | None = None,
                 **machine_kwargs: Any) -> None:
        self.apply = apply or (lambda: None)
        self.audit = audit or {}
        # The rule-set version the step pins the proposal to, already compiled: the
        # deadline it opens is computed under it without loading it again.
        self.pinned = pinned
        self.machine_kwargs = machine_kwargs


def check_proposal(session: Session, proposal: Proposal, now: datetime) -> list[Finding]:
    """Every rule finding for the proposal under its campaign's active rule set."""
    return _checked(session, proposal, now)[1]


def _checked(session: Session, proposal: Proposal, now: datetime, held: Held | None = None
             ) -> tuple[ActiveRules, list[Finding]]:
    """Under `held` (an action), the quota counts are read under the unit's quota lock,
    which the transaction then keeps: the action will be applied on them."""
    active = held.rules(session) if held else active_rules(session, proposal.campaign_id)
    if active is None:
        raise InvalidTransition(N_("Phong trào chưa có bộ quy tắc đang áp dụng"))
    facts = proposal_facts(session, proposal, active.rules,
                           held.document_types if held else None, hold_counts=held is not None)
    return active, run_checks(active.rules, facts, now)


def _submit(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    p = held.proposal
    active, findings = _checked(session, p, now, held)
    if blocking(findings):
        raise RuleViolation(N_("Hồ sơ chưa đáp ứng quy định của phong trào"), blocking(findings))
    version_id = active.version_id

    def apply() -> None:
        p.ruleset_version_id = version_id
        p.submitted_at = now
        if p.reference is None:
            p.reference = f"{active.campaign_code}/{p.id:05d}"

    warnings = [f.as_dict() for f in findings]
    return Step(apply, {"ruleset_version_id": version_id, "warnings": warnings},
                pinned=(version_id, active.rules))


def _claim(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    p = held.proposal
    assignee_id = who.id
    if data.assignee_id is not None and data.assignee_id != who.id:
        if "board_head" not in who.roles:
            raise PermissionDenied(N_("Chỉ Trưởng ban được phân công hồ sơ cho người khác"))
        assignee_id = _reviewer(session, substitutes.assignee_for(
            session, data.assignee_id, now)).id
    if assignee_id is None:  # an actor that is no user (the command line) is no assignee
        raise InvalidInput(N_("Người được phân công phải là chuyên viên hoặc Trưởng ban TĐKT "
                              "đang hoạt động"))

    def apply() -> None:
        p.assignee_id = assignee_id

    return Step(apply, _assignment(assignee_id, data.assignee_id))


def _reassign(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    p = held.proposal
    reviewer = _reviewer(session, substitutes.assignee_for(session, data.assignee_id, now))
    previous = p.assignee_id
    if reviewer.id == previous:
        raise InvalidInput(N_("Hồ sơ đang do chính người này thụ lý; hãy chọn người khác"))

    def apply() -> None:
        p.assignee_id = reviewer.id

    return Step(apply, {**_assignment(reviewer.id, data.assignee_id),
                        "previous_assignee_id": previous})


def _assignment(assignee_id: int, asked_for: int | None) -> dict[str, Any]:
    """The audit payload of an assignment; names the absent user a substitute stood in for."""
    audit: dict[str, Any] = {"assignee_id": assignee_id}
    if asked_for is not None and asked_for != assignee_id:
        audit["assigned_for_id"] = asked_for
    return audit


def _reviewer(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or not (
            {r.value for r in user.roles} & machine.REVIEWERS):
        raise InvalidInput(N_("Người được phân công phải là chuyên viên hoặc Trưởng ban TĐKT "
                              "đang hoạt động"))
    return user


def _return(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    p = held.proposal

    def apply() -> None:
        p.last_reason = data.reason

    return Step(apply)


def _decide(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    p = held.proposal
    if (data.session_id is None) == (data.outcomes is None):
        raise InvalidInput(N_("Cần chọn phiên họp Hội đồng đã bỏ phiếu cho hồ sơ (session_id)"))
    item = None
    outcomes = data.outcomes
    if data.session_id is not None:
        outcomes, item = tallies.outcomes_from_sitting(session, p, data.session_id)
    by_id = {n.id: n for n in p.nominees}
    given = [o.nominee_id for o in outcomes]
    if sorted(given) != sorted(by_id) or len(set(given)) != len(given):
        raise InvalidInput(N_("Cần ghi kết quả cho đúng và đủ từng cá nhân, tập thể trong hồ sơ"))
    missing = [by_id[o.nominee_id].full_name for o in outcomes
               if o.outcome == "rejected" and not o.reason]
    if missing:
        raise InvalidInput(N_("Cần ghi lý do không được chấp thuận cho: %(names)s"),
                           params={"names": ", ".join(missing)})
    any_passed = any(o.outcome == "passed" for o in outcomes)

    def apply() -> None:
        for o in outcomes:
            by_id[o.nominee_id].outcome = Outcome(o.outcome)
            by_id[o.nominee_id].outcome_reason = o.reason
        p.decided_at = now
        if item is not None:
            tallies.mark_decided(session, item, p, who, now)

    audit: dict[str, Any] = {"any_passed": any_passed,
                             "outcomes": [o.model_dump(mode="json") for o in outcomes]}
    if data.session_id is not None:
        audit["session_id"] = data.session_id
    return Step(apply, audit, any_passed=any_passed)


def _send_back(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    p = held.proposal

    def apply() -> None:
        p.last_reason = data.reason
        for n in p.nominees:
            n.outcome, n.outcome_reason = Outcome.PENDING, None

    return Step(apply)


def _issue_decision(session: Session, held: Held, who: Actor, data: Any,
                    now: datetime) -> Step:
    """Mark the proposal decided by an issued decision that lists its passed nominees."""
    return _issue_decision_each(session, [held.proposal], data, now)[0]


def _issue_decision_each(session: Session, proposals: list[Proposal], data: Any,
                         now: datetime) -> list[Step]:
    decision = session.get(Decision, data.decision_id)
    if decision is None or any(p.campaign_id != decision.campaign_id for p in proposals):
        raise InvalidInput(N_("Không có quyết định số hiệu %(id)s của phong trào này"),
                           params={"id": data.decision_id})
    ids = [p.id for p in proposals]
    listed = set(session.scalars(select(DecisionEntry.proposal_id).where(
        DecisionEntry.decision_id == decision.id,
        among(session, DecisionEntry.proposal_id, ids))))
    waiting = coverage.awaiting_each(session, proposals)
    audit = {"decision_id": decision.id, "decision_number": decision.number,
             "decision_date": decision.signed_on.isoformat()}
    steps = []
    for p in proposals:
        if p.id not in listed:
            raise InvalidInput(N_("Quyết định %(number)s không có tên ai trong hồ sơ này"),
                               params={"number": decision.number})
        if waiting[p.id]:
            raise InvalidInput(N_("Còn người được chấp thuận chưa có trong quyết định nào: "
                                  "%(names)s"),
                               params={"names": ", ".join(n.full_name for n in waiting[p.id])})
        coverage.check_signing_date(decision.signed_on, p.decided_at, now)
        steps.append(Step(_marker(p, decision), dict(audit)))
    return steps


def _marker(p: Proposal, decision: Decision) -> Callable[[], None]:
    def apply() -> None:
        p.decision_number = decision.number
        p.decision_date = decision.signed_on

    return apply


def _plain(session: Session, held: Held, who: Actor, data: Any, now: datetime) -> Step:
    return Step()


_STEPS: dict[str, Callable[[Session, Held, Actor, Any, datetime], Step]] = {
    "submit": _submit, "resubmit": _submit, "withdraw": _plain, "claim": _claim,
    "reassign": _reassign, "return": _return, "forward": _plain, "decide": _decide,
    "send_back": _send_back, "issue_decision": _issue_decision,
}


# Changes that are not transitions of the machine (a new proposal, a dossier edit, a split,
# a moved deadline, the sweep's rungs) still come through here: each under the proposal's
# lock, with its version checked and exactly one audit event.

def open_proposal(session: Session, who: Actor, now: datetime, birth: str, *,
                  payload: dict[str, Any], reason: str | None = None,
                  reference: Callable[[Proposal], str] | None = None,
                  **columns: Any) -> tuple[Proposal, AuditEvent]:
    """A new proposal, born as `machine.BIRTHS` says (`create`: a draft; `split`: filed
    again), its chain opened by that event; `reference` names it once it has an id."""
    proposal = Proposal(state=machine.BIRTHS[birth], created_at=now, updated_at=now,
                        **columns)
    session.add(proposal)
    flush(session)
    if reference is not None:
        proposal.reference = reference(proposal)
    event = record_proposal_event(session, proposal, birth, None, who, now, reason=reason,
                                  payload=payload)
    flush(session)
    return proposal, event


def record(session: Session, proposal: Proposal, action: str, who: Actor, now: datetime, *,
           reason: str | None = None, payload: dict[str, Any] | None = None,
           change: Callable[[Proposal], None] | None = None) -> AuditEvent:
    """Apply `change` to a proposal the caller holds locked (`load_for_update`) and append
    its one audit event; the state stays as it is. Flushes, with the version check."""
    if change is not None:
        change(proposal)
    event = record_proposal_event(session, proposal, action, proposal.state, who, now,
                                  reason=reason, payload=payload)
    flush(session)
    return event


def edit(session: Session, proposal_id: int, actor: User | Actor, action: str,
         change: Callable[[Proposal], dict[str, Any]], *, now: datetime | None = None,
         expected_version: int | None = None) -> Proposal:
    """Apply `change` to an editable proposal of the actor's unit, with one audit event
    whose payload `change` returns (a dossier edit: `workflow.filing.dossier`)."""
    who = as_actor(actor)
    now = now or utcnow()
    proposal = load_for_update(session, proposal_id)
    check_version(proposal, expected_version)
    if not who.active or "unit_clerk" not in who.roles or who.unit_id != proposal.unit_id:
        raise PermissionDenied(N_("Bạn chỉ được sửa hồ sơ của đơn vị mình"))
    if proposal.state not in machine.EDITABLE_STATES:
        raise InvalidTransition(N_("Chỉ sửa được hồ sơ ở trạng thái dự thảo hoặc bị trả lại"),
                                state=proposal.state)
    payload: dict[str, Any] = {}

    def apply(p: Proposal) -> None:
        payload.update(change(p))

    record(session, proposal, action, who, now, payload=payload, change=apply)
    return proposal


_MOVE_HEAD = fast_writes.versioned_update(Proposal, frozenset({
    "audit_seq", "audit_head", "audit_mac", "updated_at", "assignee_id"}))


def move_heads(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """The sweep's batched form: many proposals' new chain heads (and assignees, where a
    rung reassigns) in one executemany, each row carrying `_id`, `_version` and `_next`
    and checked against its version as the flush would. The events they point to are the
    sweep's to insert in the same transaction."""
    if conn.execute(_MOVE_HEAD, rows).rowcount != len(rows):
        raise ConflictError(STALE)
