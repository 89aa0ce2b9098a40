"""A synthetic province, bulk-inserted with plain multi-row INSERTs (not through the
service, which would take hours at these sizes): units, users, campaigns with real rule
sets, proposals in every state with nominees, documents, audit events and deadlines.

Audit events carry a chained hash of their own, not the service's canonical one, so
`tdkt audit verify` is not meaningful on benchmark data. Everything the benchmarks act
on (drafts to submit, proposals to claim) is reserved in pools on top of `proposals`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, select
from werkzeug.security import generate_password_hash

from benchmarks.database import analyze, reset_sequences
from benchmarks.measure import progress
from benchmarks.sizes import Sizes
from models import (
    AuditEvent,
    Campaign,
    Deadline,
    DeadlineStep,
    Decision,
    DecisionEntry,
    Document,
    Nominee,
    NomineeKind,
    Outcome,
    Proposal,
    Role,
    Unit,
    User,
    UserRole,
)
from models.base import utcnow
from models.db import Database
from rules.calendar import TZ
from workflow import machine
from workflow.actors import Actor
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.operations.demo_seed import PATHS

PASSWORD = "bench"
CHUNK = 2_000
RULES = """
campaign: BENCH-{n}
title: Phong trào thi đua đo hiệu năng số {n}
legal_basis: [Dữ liệu đo hiệu năng — không phải văn bản thật]
kind: thematic
period: {{starts: 2020-01-01, ends: 2035-12-31}}
award_year: 2025
submission: {{opens: 2020-01-01, closes: 2035-12-31}}
review_sla_working_days: 10
council_sla_working_days: 15
resubmission_working_days: 5
escalation:
  - {{at: -2, action: remind, to: assignee, applies_to: [review, council]}}
  - {{at: 0, action: escalate, to: board_head, applies_to: [review]}}
  - {{at: 5, action: escalate, to: council_secretary, applies_to: [review]}}
  - {{at: 0, action: auto_withdraw, to: unit_clerk, applies_to: [resubmission]}}
nominee_attributes:
  digital_outcome: boolean
  initiative_recognised: boolean
awards:
  - form: BK_CT_UBND
    nominee: [individual, collective]
    required_documents: [to_trinh]
    eligibility:
      - rule: "kind == 'collective' or years_in_service >= 2"
        message: Cá nhân cần có ít nhất 2 năm công tác
      - rule: "not disciplined"
        message: Đang trong thời gian bị kỷ luật
      - rule: "digital_outcome"
        message: Chưa có sản phẩm, giải pháp được áp dụng
      - rule: "initiative_recognised"
        message: Chưa có sáng kiến được công nhận
        severity: warning
    council: {{threshold: 0.7}}
  - form: GIAY_KHEN
    nominee: [individual, collective]
    required_documents: [to_trinh]
    eligibility:
      - rule: "not disciplined"
        message: Đang trong thời gian bị kỷ luật
    council: {{threshold: 0.5}}
"""
# A province's history: most proposals are settled, a fifth wait on the Board.
STATE_SHARES = [("draft", 8), ("submitted", 12), ("under_review", 20), ("returned", 5),
                ("at_council", 10), ("approved", 5), ("rejected", 5), ("decided", 30),
                ("withdrawn", 5)]
DEADLINE_KIND = {"submitted": "review", "under_review": "review", "at_council": "council",
                 "returned": "resubmission"}
LADDER = {"review": [(0, "remind", "assignee", -2), (1, "escalate", "board_head", 0),
                     (2, "escalate", "council_secretary", 5)],
          "council": [(0, "remind", "assignee", -2)],
          "resubmission": [(3, "auto_withdraw", "unit_clerk", 0)]}
FAMILY = ["Nguyễn", "Trần", "Lê", "Hoàng", "Nông", "Lường", "Vi", "Triệu", "Lăng", "Hà"]
SUMMARY = ("Có nhiều đóng góp trong chuyển đổi số của đơn vị: số hoá hồ sơ, vận hành dịch "
           "vụ công trực tuyến toàn trình, hướng dẫn người dân sử dụng nền tảng số. ")
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Văn Đức", "Thị Hằng", "Văn Nam"]


@dataclass
class World:
    """What the benchmarks need to find in the built province."""

    now: datetime
    unit_ids: list[int]
    clerks: dict[int, Actor]                # unit id → its clerk
    clerk_names: dict[int, str]             # unit id → clerk's username
    reviewers: list[Actor]
    reviewer_names: list[str]
    board_head: Actor
    campaign_ids: list[int]
    version_ids: dict[int, int]             # campaign id → active rule-set version id
    long_timeline_id: int = 0
    busiest_unit_id: int = 0
    export_decision_id: int = 0             # a decision of `export_rows` entries
    pools: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def unit_of(self, proposal_id: int) -> int:
        """The unit a built proposal belongs to (assigned round-robin by id)."""
        return self.unit_ids[proposal_id % len(self.unit_ids)]

    @property
    def today(self) -> date:
        """The run's date in Vietnam: what a decision issued now is signed on."""
        return self.now.astimezone(TZ).date()


def build(database: Database, sizes: Sizes, seed: int = 7, *, lanes: bool = False) -> World:
    """`lanes`: also the drafts and approved proposals the fast-lane benchmark spends."""
    rng = random.Random(seed)
    now = utcnow()
    world = _people_and_campaigns(database, sizes, now)
    builder = _Builder(world, rng, sizes)
    with database.engine.begin() as conn:
        builder.start_after_existing(conn)
        builder.proposals(conn)
        if lanes:
            builder.lane_pools(conn)
    reset_sequences(database, ["units", "users", "proposals", "nominees", "documents",
                               "audit_events", "deadlines", "escalation_steps", "decisions",
                               "decision_entries"])
    analyze(database)
    world.counts = dict(builder.counts)
    return world


def _people_and_campaigns(database: Database, sizes: Sizes, now: datetime) -> World:
    progress(f"building {sizes.units} units, their clerks, reviewers and "
             f"{sizes.campaigns} campaigns")
    pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    units: list[dict[str, Any]] = [
        {"id": 1, "code": "UBND", "name": "UBND tỉnh", "parent_id": None}]
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    districts = max(1, sizes.units // 25)
    for uid in range(2, sizes.units + 1):
        parent = 1 if uid <= districts + 1 else 2 + (uid % districts)
        units.append({"id": uid, "code": f"DV{uid:04d}", "name": f"Đơn vị số {uid}",
                      "parent_id": parent})
    staff = [("boardhead", [Role.BOARD_HEAD, Role.BOARD_REVIEWER]),
             ("secretary", [Role.COUNCIL_SECRETARY])]
    staff += [(f"reviewer{i}", [Role.BOARD_REVIEWER]) for i in range(1, 11)]
    people = [(name, r, 1) for name, r in staff]
    people += [(f"clerk{uid}", [Role.UNIT_CLERK], uid) for uid in range(2, sizes.units + 1)]
    for uid, (name, rs, unit) in enumerate(people, start=1):
        users.append({"id": uid, "username": name, "full_name": f"Cán bộ {name}",
                      "email": f"{name}@bench.example", "password_hash": pw, "unit_id": unit,
                      "active": True, "language": "vi", "created_at": now})
        roles += [{"user_id": uid, "role": r} for r in rs]
    with database.engine.begin() as conn:
        for table, rows in ((Unit, units), (User, users), (UserRole, roles)):
            _insert(conn, table.__table__, rows)
    reset_sequences(database, ["units", "users"])
    with database.unit_of_work() as session:
        for n in range(1, sizes.campaigns + 1):
            load_ruleset_text(session, RULES.format(n=n), f"bench-{n}.yaml", now=now)
        campaigns = list(session.scalars(select(Campaign).order_by(Campaign.id)))
        versions = {c.id: c.active_ruleset_id for c in campaigns}
    by_name = {u["username"]: u["id"] for u in users}

    def actor(name: str, rs: list[Role], unit: int) -> Actor:
        return Actor(by_name[name], f"Cán bộ {name}", frozenset(r.value for r in rs), unit)

    unit_ids = [u["id"] for u in units[1:]]
    return World(
        now=now, unit_ids=unit_ids,
        clerks={uid: actor(f"clerk{uid}", [Role.UNIT_CLERK], uid) for uid in unit_ids},
        clerk_names={uid: f"clerk{uid}" for uid in unit_ids},
        reviewers=[actor(n, r, 1) for n, r in staff[2:]],
        reviewer_names=[n for n, _ in staff[2:]],
        board_head=actor("boardhead", staff[0][1], 1), campaign_ids=list(versions),
        version_ids=versions)  # type: ignore[arg-type]


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def path_events(state: str) -> list[tuple[str, str | None, str]]:
    """(action, from, to) for each event that leads a new proposal to `state`."""
    events: list[tuple[str, str | None, str]] = [("create", None, machine.INITIAL)]
    current = machine.INITIAL
    for _, trigger, data in PATHS[state]:
        after = machine.fire(current, trigger, any_passed=data.get("pass"))
        events.append((trigger, current, after))
        current = after
    return events


class _Builder:
    """Generates rows chunk by chunk, with ids chosen here so children need no read-back."""

    def __init__(self, world: World, rng: random.Random, sizes: Sizes) -> None:
        self.world, self.rng, self.sizes = world, rng, sizes
        self.ids = {"proposals": 0, "nominees": 0, "documents": 0, "audit_events": 0,
                    "deadlines": 0, "escalation_steps": 0, "decisions": 0,
                    "decision_entries": 0}
        self.rows: dict[str, list[dict[str, Any]]] = {k: [] for k in self.ids}
        self.counts: dict[str, int] = {}
        self.tables = {"proposals": Proposal.__table__, "nominees": Nominee.__table__,
                       "documents": Document.__table__, "audit_events": AuditEvent.__table__,
                       "deadlines": Deadline.__table__,
                       "escalation_steps": DeadlineStep.__table__,
                       "decisions": Decision.__table__,
                       "decision_entries": DecisionEntry.__table__}
        self.path_cache = {s: path_events(s) for s, _ in STATE_SHARES}

    def start_after_existing(self, conn: Connection) -> None:
        """Loading the rule sets wrote audit events already: number on from there."""
        for name, table in self.tables.items():
            self.ids[name] = conn.scalar(select(func.max(table.c.id))) or 0

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def proposals(self, conn: Connection) -> None:
        sizes, world = self.sizes, self.world
        states = [s for s, share in STATE_SHARES for _ in range(share)]
        progress(f"building {sizes.proposals:,} proposals with nominees, events, deadlines")
        for i in range(sizes.proposals):
            self.proposal(states[self.rng.randrange(len(states))], i)
            self.flush_if_full(conn, i)
        world.long_timeline_id = self.proposal("under_review", 0, extra_events=(
            sizes.timeline_events))
        pool_size = sizes.transitions * sizes.repeat
        for pool in ("submit_service", "submit_floor", "submit_concurrent",
                     "submit_concurrent_floor"):
            world.pools[pool] = [self.proposal("draft", i, eligible=True)
                                 for i in range(pool_size)]
        # One decision per repeat, service and floor each: approved proposals of one
        # campaign whose nominees the Council passed, `decision_nominees` in all.
        for pool in ("decision_service", "decision_floor"):
            world.pools[pool] = [self.proposal("approved", i, nominees=count, passed=True,
                                               campaign=world.campaign_ids[0])
                                 for _ in range(sizes.repeat)
                                 for i, count in enumerate(decision_split(
                                     sizes.decision_nominees))]
            self.flush_if_full(conn, 0)
        world.export_decision_id = self.decision(sizes.export_rows)
        # Drafts for the transition's two further baselines, built last so that the data
        # behind every other figure stays as it was before they were added.
        for pool in ("submit_core_floor", "submit_bare"):
            world.pools[pool] = [self.proposal("draft", i, eligible=True) for i in range(pool_size)]
        self.flush(conn)
        world.busiest_unit_id = world.unit_ids[0]
        self.counts["proposals"] = self.ids["proposals"]

    def lane_pools(self, conn: Connection) -> None:
        """For `benchmarks.fastpath`: drafts to submit and decisions to issue, one pool per
        lane, built after everything else."""
        sizes, world = self.sizes, self.world
        for lane in ("fast", "plain"):
            world.pools[f"lane_submit_{lane}"] = [
                self.proposal("draft", i, eligible=True)
                for i in range(sizes.transitions * sizes.repeat)]
            world.pools[f"lane_decision_{lane}"] = [
                self.proposal("approved", i, nominees=count, passed=True,
                              campaign=world.campaign_ids[0])
                for _ in range(sizes.repeat)
                for i, count in enumerate(decision_split(sizes.decision_nominees))]
            self.flush(conn)

    def flush_if_full(self, conn: Connection, i: int) -> None:
        if len(self.rows["audit_events"]) >= 20_000:
            self.flush(conn)
            progress(f"  {i + 1:,} proposals")

    def flush(self, conn: Connection) -> None:
        for name in self.ids:  # parents first
            _insert(conn, self.tables[name], self.rows[name])
            self.counts[name] = self.counts.get(name, 0) + len(self.rows[name])
            self.rows[name] = []

    def proposal(self, state: str, i: int, extra_events: int = 0, eligible: bool = False,
                 nominees: int | None = None, passed: bool = False,
                 campaign: int | None = None) -> int:
        world, rng = self.world, self.rng
        pid = self.next_id("proposals")
        unit = world.unit_of(pid)
        campaign = campaign or world.campaign_ids[pid % len(world.campaign_ids)]
        created = world.now - timedelta(days=rng.uniform(1, 60))
        reviewer = world.reviewers[pid % len(world.reviewers)]
        assigned = state not in ("draft", "submitted", "withdrawn")
        row: dict[str, Any] = {
            "id": pid, "title": f"Đề nghị khen thưởng thành tích số {pid}", "unit_id": unit,
            "campaign_id": campaign, "ruleset_version_id": world.version_ids[campaign],
            "state": state, "version": 1, "assignee_id": reviewer.id if assigned else None,
            "created_by_id": world.clerks[unit].id, "created_at": created,
            "updated_at": created, "reference": None if state == "draft" else (
                f"BENCH-{campaign}/{pid:06d}"),
            "submitted_at": None if state == "draft" else created + timedelta(days=1),
            # The Council's day: before the run's clock, so a decision may be signed today.
            "decided_at": created + timedelta(hours=12) if passed else None,
        }
        self.rows["proposals"].append(row)
        self.nominees(pid, eligible or passed, nominees,
                      Outcome.PASSED if passed else Outcome.PENDING)
        self.rows["documents"].append({
            "id": self.next_id("documents"), "proposal_id": pid, "doc_type": "to_trinh",
            "file_name": "to_trinh.pdf", "content_type": "application/pdf", "size": 1024,
            "sha256": "0" * 64, "storage_path": f"bench/{pid}/to_trinh.pdf",
            "uploaded_by_id": world.clerks[unit].id, "uploaded_at": created})
        self.events(row, state, created, reviewer, extra_events)
        if state in DEADLINE_KIND:
            self.deadline(pid, state, row["ruleset_version_id"], created)
        return pid

    def nominees(self, pid: int, eligible: bool, count: int | None = None,
                 outcome: Outcome = Outcome.PENDING) -> None:
        """One to three nominees (or `count`); `eligible` ones pass every blocking rule (to
        be submitted)."""
        rng = self.rng
        for _ in range(count or rng.choice((1, 1, 2, 3))):
            collective = rng.random() < 0.2
            nid = self.next_id("nominees")
            self.rows["nominees"].append({
                "id": nid, "proposal_id": pid,
                "kind": NomineeKind.COLLECTIVE if collective else NomineeKind.INDIVIDUAL,
                "full_name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}",
                # Passed ones carry an identity number (CCCD), so that namesakes of a unit
                # are distinct people in the achievement history a decision records.
                "person_code": f"{nid:012d}" if outcome == Outcome.PASSED else None,
                "position": "Chuyên viên", "work_unit": "Phòng",
                "award_form_code": rng.choice(("BK_CT_UBND", "GIAY_KHEN")),
                "years_in_service": rng.randrange(2 if eligible else 0, 30),
                "disciplined": not eligible and rng.random() < 0.02, "prior_titles": {},
                "attributes": {"digital_outcome": eligible or rng.random() < 0.9,
                                                   "initiative_recognised": rng.random() < 0.5},
                "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ được giao.",
                "outcome": outcome})

    def decision(self, entries: int) -> int:
        """An issued decision listing `entries` people (written directly: the export's
        input, not a measure of issuing); its own issuing body keeps the numbering free."""
        world, rng = self.world, self.rng
        did = self.next_id("decisions")
        campaign = world.campaign_ids[0]
        self.rows["decisions"].append({
            "id": did, "issuing_body": "BENCH", "year": world.today.year, "seq": 1,
            "number": "1/QĐ-BENCH", "signed_on": world.today,
            "title": "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh (dữ liệu đo hiệu năng)",
            "signer_name": "Cán bộ ký thử", "signer_title": "CHỦ TỊCH",
            "campaign_id": campaign, "award_form_code": None,
            "legal_bases": ["Dữ liệu đo hiệu năng — không phải văn bản thật"],
            "corrects_id": None, "correction_reason": None, "issued_by_id": None,
            "issued_at": world.now})
        for position in range(1, entries + 1):
            collective = rng.random() < 0.2
            self.rows["decision_entries"].append({
                "id": self.next_id("decision_entries"), "decision_id": did,
                "position": position, "nominee_id": None, "proposal_id": None,
                "kind": "collective" if collective else "individual",
                "full_name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {position:05d}",
                "position_title": None if collective else "Chuyên viên",
                "work_unit": f"Phòng {position % 40 + 1}",
                "unit_name": f"Đơn vị số {world.unit_ids[position % len(world.unit_ids)]}",
                "award_form_code": rng.choice(("BK_CT_UBND", "GIAY_KHEN")),
                "achievement_summary": SUMMARY})
        return did

    def events(self, row: dict[str, Any], state: str, created: datetime, reviewer: Actor,
               extra: int) -> None:
        steps = list(self.path_cache[state])
        steps += [("reassign", "under_review", "under_review")] * extra
        prev = None
        for seq, (action, before, after) in enumerate(steps, start=1):
            digest = hashlib.sha256(f"{prev}|{row['id']}|{seq}|{action}".encode()).hexdigest()
            self.rows["audit_events"].append({
                "id": self.next_id("audit_events"), "stream": f"proposal:{row['id']}",
                "seq": seq, "proposal_id": row["id"], "action": action, "from_state": before,
                "to_state": after, "actor_id": reviewer.id, "actor_name": reviewer.name,
                "on_behalf_of_id": None, "reason": None, "payload": {"bench": True},
                "occurred_at": created + timedelta(minutes=seq), "prev_hash": prev,
                "hash": digest})
            prev = digest
        row.update(audit_seq=len(steps), audit_head=prev)

    def deadline(self, pid: int, state: str, version_id: int, created: datetime) -> None:
        kind, world = DEADLINE_KIND[state], self.world
        did = self.next_id("deadlines")
        self.rows["deadlines"].append({
            "id": did, "proposal_id": pid, "kind": kind, "state": state,
            "ruleset_version_id": version_id, "started_at": created,
            "due_at": world.now + timedelta(days=self.rng.uniform(-10, 20)), "closed_at": None})
        # Steps fall after the run's clock, so that only the sweep's own rows are due.
        later = world.now + timedelta(days=30)
        for index, action, to, at in LADDER[kind]:
            self.rows["escalation_steps"].append(step_row(
                self.next_id("escalation_steps"), did, pid, index, action, to, at,
                later + timedelta(days=at)))


def step_row(sid: int, did: int, pid: int, index: int, action: str, to: str, at: int,
             due: datetime) -> dict[str, Any]:
    return {"id": sid, "deadline_id": did, "proposal_id": pid, "step_index": index,
            "action": action, "recipient": to, "reassign": False, "offset_days": at,
            "due_at": due, "status": "pending", "attempts": 0, "last_error": None,
            "applied_at": None, "audit_event_id": None}


def decision_split(nominees: int) -> list[int]:
    """Nominees per proposal for one decision over `nominees`: two each, more when a
    decision's 500 proposals would not hold them all."""
    each = max(2, -(-nominees // 500))
    return [min(each, nominees - start) for start in range(0, nominees, each)]


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
