"""Every route of the app as calls, and who may use each: the roles, the ACCESS table (and
TRIGGER_ACCESS for the proposal actions) that the route matrix checks, the calls read from a
real app's url_map, the proposal each call is about (Target: its ids, URLs and forms), and the
caller a role calls with (its client and CSRF token). The fixtures that make targets and log
callers in (make_target, callers) are in tests/web/conftest.py."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from unittest import mock

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.routing import Rule

from models import Campaign
from models.base import utcnow
from rules.loader import load_file
from tests.conftest import CDS_NOW, TEST_CAMPAIGN
from tests.support.notices import NOTICE_CAMPAIGN
from web.app import create_app
from workflow.actors import Actor
from workflow.campaigns.rulesets import load_ruleset_file
from workflow.council import proceedings as council
from workflow.council import sittings
from workflow.filing import nominee_import as imports
from workflow.filing.dossier import add_document, add_nominee, create_proposal
from workflow.notices import objections
from workflow.notices import publication as notices
from workflow.operations.demo_seed import walk_to

ANON = "anonymous"
ROLES = ("unit1", "unit2", "reviewer", "reviewer2", "boardhead", "secretary", "member1",
         "admin", ANON)
EVERYONE = frozenset(ROLES) - {ANON}
NOBODY: frozenset[str] = frozenset()
UNIT1 = frozenset({"unit1"})
CLERKS = frozenset({"unit1", "unit2"})
BOARD = frozenset({"reviewer", "reviewer2", "boardhead"})
COUNCIL = frozenset({"secretary", "member1"})
SECRETARY = frozenset({"secretary"})
ADMIN = frozenset({"admin"})
# unit1's proposal at the Council is seen by its unit, the Board, the Council and the
# admins: by everyone but the other unit's clerk.
READERS = EVERYONE - {"unit2"}
STATS = CLERKS | BOARD | SECRETARY | ADMIN


@dataclass(frozen=True)
class Access:
    """One row of the table: who may use a route, on a proposal in which state."""

    see: frozenset[str] = NOBODY      # GET answered (2xx, or a redirect that is not /login)
    change: frozenset[str] = NOBODY   # POST may change something; for the rest nothing does
    state: str = "at_council"         # the state of unit1's proposal it is called on
    form: dict[str, Any] = field(default_factory=dict)  # a valid form for the `change` roles
    public: bool = False              # open without logging in
    effect: bool = True               # a POST by a `change` role must change the database


def pdf_file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"%PDF-1.4\n% route matrix\n%%EOF\n"), "bien-ban.pdf"


@cache
def _template() -> bytes:
    """The campaign's own Excel template, its example row (a valid nominee) filled in."""
    wb = load_workbook(io.BytesIO(imports.template(load_file(TEST_CAMPAIGN).rules)))
    wb.worksheets[0].append([cell.value for cell in wb.worksheets[1][2]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def nominee_sheet() -> tuple[io.BytesIO, str]:
    """An import of one valid nominee."""
    return io.BytesIO(_template()), "danh-sach.xlsx"


def dossier_edit(**form: Any) -> Access:
    """A dossier edit: unit1's only, on its proposal returned for completion (editable,
    and visible to the Board and the admins, so their refusal is about permission)."""
    return Access(change=UNIT1, state="returned", form=form)


OBJECTION_FORM = {"nominee_id": "{nid}", "filer_name": "Trần Văn Dân",
                  "filer_contact": "0912 345 678",
                  "text": "Cá nhân này chưa hoàn thành nhiệm vụ năm nay."}
NOMINEE_FORM = {"kind": "individual", "full_name": "Lò Văn Mới", "award_form": "BK_CT_UBND",
                "years_in_service": "7", "position": "Chuyên viên"}
ACCESS: dict[str, Access] = {
    # endpoint, or "blueprint." for every route of a blueprint
    # -- open pages and the session itself
    "auth.login": Access(see=EVERYONE | {ANON}, public=True, form={"username": "unit1"}),
    "auth.logout": Access(change=EVERYONE, effect=False),
    "auth.language": Access(change=EVERYONE | {ANON}, public=True, effect=False),
    "main.home": Access(see=EVERYONE),
    # -- everyone's own inbox: marking read touches only the reader's own notifications
    "inbox.index": Access(see=EVERYONE),
    "inbox.read": Access(change=EVERYONE, effect=False),
    # -- any signed-in user; each list shows only what its reader may see
    "proposals.index": Access(see=EVERYONE),
    "proposals.detail": Access(see=READERS),
    "proposals.document": Access(see=READERS),
    # -- proposals.action/<trigger>: one row per trigger, in TRIGGER_ACCESS below
    # -- unit clerks: dashboard, Excel template, new drafts; edits of their own dossiers
    "clerk.dashboard": Access(see=CLERKS),
    "clerk.template": Access(see=CLERKS),
    "clerk.create": Access(change=CLERKS, form={"campaign": "TEST-OPEN",
                                                  "title": "Hồ sơ mới của đơn vị"}),
    "clerk.edit_nominee": Access(see=UNIT1, state="returned"),
    "clerk.rename": dossier_edit(title="Tên mới của hồ sơ"),
    "clerk.add_nominee": dossier_edit(**NOMINEE_FORM),
    "clerk.update_nominee": dossier_edit(**{**NOMINEE_FORM, "full_name": "Tên đã sửa"}),
    "clerk.remove_nominee": dossier_edit(),
    "clerk.upload": dossier_edit(doc_type="bien_ban_hop_xet", file=pdf_file),
    "clerk.remove_document": dossier_edit(),
    "clerk.import_excel": dossier_edit(file=nominee_sheet),
    # -- the Board: the review queue, bulk claim/forward
    "review.queue": Access(see=BOARD),
    "review.bulk": Access(change=BOARD, state="submitted",
                          form={"trigger": "claim", "ids": "{pid}"}),
    # -- the Council
    "council.index": Access(see=COUNCIL),
    # -- statistics: the Board, the secretary, admins (every unit) and clerks (their own
    #    unit); council members none. What each sees: tests/web/stats/test_stats.py
    "stats.index": Access(see=STATS),
    "stats.campaign": Access(see=STATS),
    "stats.download": Access(see=STATS),
    # -- public notices: on a running notice of unit1's proposal (state "on_notice", see
    #    make_target) with one open objection. Anyone, signed in or not, reads the list and
    #    objects; only the secretary sees the notice's own page and answers objections.
    #    Publishing with no campaign chosen changes nothing (tests/web/public/test_public_notice.py)
    "council.notices_page": Access(see=SECRETARY),
    "council.new_notice": Access(see=SECRETARY),
    "council.publish_notice": Access(change=SECRETARY, effect=False),
    "council.notice_page": Access(see=SECRETARY, state="on_notice"),
    "council.resolve_objection": Access(change=SECRETARY, state="on_notice", form={
        "resolution": "dismiss", "reason": "Đã xác minh: không có căn cứ"}),
    "public.index": Access(see=EVERYONE | {ANON}, public=True),
    "public.notice": Access(see=EVERYONE | {ANON}, public=True, state="on_notice"),
    "public.object_to": Access(change=EVERYONE | {ANON}, public=True, state="on_notice",
                               form=OBJECTION_FORM),
    # -- decisions: the list for everyone signed in (each sees only theirs); the decision
    #    listing unit1's nominee for all but unit2's clerk; issuing and correcting for the
    #    secretary only; a nominee's page (with history) for whoever sees the proposal
    "decisions.index": Access(see=EVERYONE),
    "decisions.detail": Access(see=READERS, state="decided"),
    "decisions.list_xlsx": Access(see=READERS, state="decided"),
    "decisions.word_docx": Access(see=READERS, state="decided"),
    "decisions.new": Access(see=SECRETARY, state="approved"),
    "decisions.create": Access(change=SECRETARY, state="approved", form={
        "campaign_id": "{campaign_id}", "proposal_ids": "{pid}", "signed_on": "20/11/2022",
        "signer_name": "Hoàng Văn Thắng"}),
    "decisions.correct_form": Access(see=SECRETARY, state="decided"),
    "decisions.correct": Access(change=SECRETARY, state="decided", form={
        "reason": "Sai chính tả họ tên", "signed_on": "25/11/2022",
        "signer_name": "Hoàng Văn Thắng"}),
    "decisions.nominee": Access(see=READERS),
    # -- Council sittings: members read the sittings they sit on; only the secretary
    #    changes them (the states below are set up by make_target)
    "council.sessions": Access(see=COUNCIL),
    "council.new_session": Access(see=SECRETARY),
    "council.create_session": Access(change=SECRETARY, form={
        "title": "Phiên họp kiểm thử", "sitting_date": "20/11/2022", "place": "Hội trường",
        "present": "{member1}"}),
    "council.session_page": Access(see=COUNCIL),
    "council.attendance": Access(change=SECRETARY, state="sitting_draft",
                                 form={"present": "{member1}"}),
    "council.add_agenda": Access(change=SECRETARY, state="unscheduled",
                                 form={"proposal_id": "{pid}"}),
    "council.remove_agenda": Access(change=SECRETARY, state="sitting_draft"),
    "council.open_session": Access(change=SECRETARY, state="sitting_draft"),
    "council.record_tally": Access(change=SECRETARY, form={"yes": "6", "no": "1"}),
    "council.finalize": Access(change=SECRETARY, state="tallied"),
    "council.close_session": Access(change=SECRETARY, state="finalized"),
    # -- administration: admins only, every page and every change
    "admin.": Access(see=ADMIN, change=ADMIN, effect=False),
    # -- one's own password: every signed-in user (the current password is required)
    "account.password_page": Access(see=EVERYONE),
    "account.change_password": Access(change=EVERYONE, form={
        "current_password": "tdkt-demo", "new_password": "Ngay-mai-troi-lai-sang",
        "confirm_password": "Ngay-mai-troi-lai-sang"}),
    # -- log out everywhere: every signed-in user; without its confirmation nothing ends
    "account.confirm_sign_out_everywhere": Access(see=EVERYONE),
    "account.sign_out_everywhere": Access(change=EVERYONE, effect=False),
    # -- one's own API tokens: every signed-in user
    "account.tokens_page": Access(see=EVERYONE),
    "account.create_token": Access(change=EVERYONE, form={"name": "Khoá kiểm thử"}),
    "account.revoke_token": Access(change=EVERYONE, effect=False),  # token 1 is nobody's here
    # -- leave and substitutes: who may name whom is the service's to say (and
    #    tests/web/account/test_substitutes.py's to check); a form with no dates changes nothing
    "account.substitutes_page": Access(see=BOARD | SECRETARY | ADMIN),
    "account.name_substitute": Access(change=BOARD | SECRETARY | ADMIN, effect=False),
    "account.cancel_substitute": Access(change=BOARD | SECRETARY | ADMIN, effect=False),
    # -- the JSON API: a session reads as the UI does; writes take JSON with
    #    expected_version (and X-CSRFToken with a session), so a form post changes nothing
    #    for anyone: 401 for a visitor, 404 for unit2 on unit1's proposal, else 400.
    #    What each role may write, by token and by session: tests/web/api/test_api.py
    "api.openapi_document": Access(see=EVERYONE | {ANON}, public=True),
    "api.me": Access(see=EVERYONE),
    "api.list_campaigns": Access(see=EVERYONE),
    "api.list_proposals": Access(see=EVERYONE),
    "api.get_proposal": Access(see=READERS),
    "api.list_events": Access(see=READERS),
    "api.list_decisions": Access(see=EVERYONE),
    "api.get_decision": Access(see=READERS, state="decided"),
    "api.decision_list_xlsx": Access(see=READERS, state="decided"),
    "api.decision_word_docx": Access(see=READERS, state="decided"),
    "api.list_sittings": Access(see=EVERYONE),  # each sees only their sittings (none)
    "api.get_sitting": Access(see=COUNCIL),
    # -- public notices: anyone signed in reads the running notices and their lists (public
    #    by design); the objections are the secretary's alone, and who may file, publish
    #    and resolve is in tests/web/public/test_notices_api.py. Their POSTs fall under "api." below
    "api.list_notices": Access(see=EVERYONE, state="on_notice"),
    "api.get_notice": Access(see=EVERYONE, state="on_notice"),
    "api.": Access(),
}
# proposals.action/<trigger>: the state it fires from and who may fire it there. The
# walk to under_review claims as `reviewer`, so `reviewer2` may claim a submitted proposal
# but not return or forward one held by `reviewer`; the board head may do all three.
HOLDER = frozenset({"reviewer", "boardhead"})
TRIGGER_ACCESS: dict[str, Access] = {
    "submit": Access(change=UNIT1, state="draft"),
    "withdraw": Access(change=UNIT1, state="submitted"),
    "claim": Access(change=BOARD, state="submitted"),
    "reassign": Access(change=frozenset({"boardhead"}), state="under_review",
                       form={"assignee_id": "{reviewer2}"}),
    "return": Access(change=HOLDER, state="under_review",
                     form={"reason": "Thiếu xác nhận của thủ trưởng đơn vị"}),
    "resubmit": Access(change=UNIT1, state="returned"),
    "forward": Access(change=HOLDER, state="under_review"),
    # The Council decides in a sitting (council.finalize); the proposal page offers a link.
    "decide": Access(state="at_council", form={"outcome-{nid}": "passed"}),
    "send_back": Access(change=SECRETARY, state="at_council",
                        form={"reason": "Cần thẩm định lại số liệu"}),
    # Issued from council.new_decision (below), which fires issue_decision itself; the bare
    # action only applies a decision that lists the proposal, and decision 1 is none here.
    "issue_decision": Access(state="approved", form={"decision_id": "1"}),
    "no-such-trigger": Access(state="submitted"),
}
IGNORED = {"static", "bootstrap.static"}
TITLE = "Hồ sơ riêng của Sở Thông tin — mã kiểm thử 7Q4Z"  # nothing HTML escapes
NOMINEE = "Đinh Thị Kiểm Thử"


def access_for(endpoint: str, trigger: str | None = None) -> Access | None:
    if trigger is not None and not endpoint.startswith("api."):
        return TRIGGER_ACCESS.get(trigger)
    return ACCESS.get(endpoint) or ACCESS.get(endpoint.split(".", 1)[0] + ".")


# -- the routes, read from a real app's url_map

@dataclass(frozen=True)
class Call:
    rule: Rule = field(repr=False, compare=False)
    method: str
    trigger: str | None = None

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}" + (f"[{self.trigger}]" if self.trigger else "")

    @property
    def is_api(self) -> bool:
        return self.rule.rule.startswith("/api/")

    @property
    def about_the_proposal(self) -> bool:
        return bool({"pid", "nid", "doc_id"} & self.rule.arguments)


def _calls() -> list[Call]:
    # A throwaway app, only to read its routes (with a key of its own, so that nothing is
    # written under instance/).
    with mock.patch.dict(os.environ, {"TDKT_SECRET_KEY": "route-matrix"}):
        app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "route-matrix"})
    app.extensions["tdkt_db"].dispose()
    calls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in IGNORED:
            continue
        triggers = list(TRIGGER_ACCESS) if "trigger" in rule.arguments else [None]
        calls += [Call(rule, method, trigger) for method in sorted(rule.methods - {"HEAD",
                  "OPTIONS"}) for trigger in triggers]
    return calls


CALLS = _calls()


# -- the proposal each call is about, and filling in URLs and forms

@dataclass
class Target:
    pid: int
    nid: int
    doc_id: int
    ids: dict[str, int]
    sid: int = 0  # the Council sitting the proposal is on (see make_target)

    def url(self, call: Call) -> str:
        values = {arg: self._argument(arg, call) for arg in call.rule.arguments}
        built = call.rule.build(values, append_unknown=False)
        assert built is not None, call.id
        return built[1]

    def _argument(self, arg: str, call: Call) -> Any:
        """The proposal's own ids; a real campaign, unit or user; else a plausible value."""
        known = {"pid": self.pid, "nid": self.nid, "doc_id": self.doc_id, "sid": self.sid,
                 "code": "TEST-OPEN", "trigger": call.trigger, "lang": "vi", "number": 1,
                 "table": "by_state", **self.ids}
        if arg in known:
            return known[arg]
        if arg in ("uid", "id"):
            return self.ids["unit_id" if "/units/" in call.rule.rule else "user_id"]
        return 1 if f"<id:{arg}>" in call.rule.rule else "x"

    def form(self, access: Access) -> dict[str, Any]:
        """The row's form, placeholders filled, files opened afresh."""
        names = {"pid": self.pid, "nid": self.nid, **self.ids}
        return {key.format(**names): value() if callable(value) else value.format(**names)
                for key, value in access.form.items()}


# States of the Council's work on the proposal (it is at_council in each): the sitting it
# is on. At the Council a proposal sits on an open sitting, so that member1 sees it.
SITTING_STATES = ("at_council", "sitting_draft", "unscheduled", "tallied", "finalized")


def _sitting(s: Any, p: Any, users: dict[str, Any], state: str) -> int:
    """The sitting of the Council's `state` of the proposal: its id (0 if none)."""
    if state not in SITTING_STATES:
        found = sittings.sitting_of(s, p.id)
        return found.id if found else 0
    secretary = Actor.of(users["secretary"])
    sitting = council.create(s, council.SittingInput(
        "Phiên họp của ma trận", CDS_NOW.date(), "Hội trường",
        frozenset(m.id for m in council.roster(s))), secretary, CDS_NOW)
    if state != "unscheduled":
        council.add_to_agenda(s, sitting.id, [p.id], secretary, CDS_NOW)
    if state in ("at_council", "tallied", "finalized"):
        council.open_sitting(s, sitting.id, secretary, CDS_NOW)
    if state in ("tallied", "finalized"):
        for n in p.nominees:
            council.record(s, sitting.id, n.id, council.Count(yes=7), secretary, CDS_NOW)
    if state == "finalized":
        council.finalize(s, sitting.id, p.id, secretary, CDS_NOW)
    return sitting.id


def _filed(s: Any, world: Any, users: dict[str, Any], campaign: str, state: str) -> Any:
    """unit1's complete proposal (one nominee, one document) walked to `state`."""
    clerk = users["unit1"]
    p = create_proposal(s, clerk, campaign, TITLE, now=CDS_NOW)
    nominee = add_nominee(s, p.id, clerk, {
        "kind": "individual", "full_name": NOMINEE, "award_form": "BK_CT_UBND",
        "years_in_service": 5}, now=CDS_NOW)
    doc = add_document(s, p.id, clerk, "to_trinh", "to-trinh.pdf", b"%PDF-1.4 to trinh",
                       world.storage, now=CDS_NOW)
    walk_to(s, p, users, "unit1", state, CDS_NOW)
    return p, nominee, doc


def _on_notice(world: Any) -> Target:
    """unit1's proposal at the Council (TEST-NOTICE, whose Bằng khen list is published
    before the vote), its list on notice from now, one objection open against it."""
    with world.db.unit_of_work() as s:
        if s.scalar(select(Campaign.id).where(Campaign.code == "TEST-NOTICE")) is None:
            load_ruleset_file(s, NOTICE_CAMPAIGN)
        users = {name: world.user(s, name) for name in world.user_ids}
        clerk = users["unit1"]
        p, nominee, doc = _filed(s, world, users, "TEST-NOTICE", "at_council")
        now = utcnow()
        notice = notices.publish(s, users["secretary"], p.campaign_id, "BK_CT_UBND", now)
        objection = objections.file_objection(s, notice.id, nominee.id, objections.ObjectionForm(
            "Hoàng Thị E", "e@example.vn", "Thành tích báo cáo không đúng thực tế."), now)
        ids = {"user_id": clerk.id, "unit_id": clerk.unit_id, "campaign_id": p.campaign_id,
               "notice_id": notice.id, "objection_id": objection.id}
        return Target(p.id, nominee.id, doc.id, ids)


@dataclass
class Caller:
    """A role at the door: a logged-in client (or none), with its CSRF token."""

    role: str
    client: FlaskClient
    token: str

    def call(self, method: str, url: str, form: dict[str, Any], with_token: bool = True) -> Any:
        if method == "GET":
            return self.client.get(url)
        data = {**form, **({"csrf_token": self.token} if with_token else {})}
        return self.client.open(url, method=method, data=data)
