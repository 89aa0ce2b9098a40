"""The one label table (workflow.labels): every coded thing a person reads the name of has
one Vietnamese name and its English translation, and a name reads the same wherever it is
shown — the proposal page's badge, an API refusal, a mail."""

from __future__ import annotations

import gettext
import re
from typing import Any, get_args

import pytest

from models import NomineeKind, NoticeStage, ObjectionStatus, Outcome, Role, SessionStatus
from models.tokens import TokenScope
from rules.schema import EscalationStep
from tests.web.conftest import login
from tests.workflow.conftest import set_language
from web.config import TRANSLATIONS
from web.errors import _HTTP_CODES
from workflow import machine
from workflow.accounts import tokens
from workflow.deadlines.tracking import KIND_OF_STATE
from workflow.labels import TABLE, codes
from workflow.notifications.outbox import deliver_outbox

ENGLISH = gettext.translation("messages", str(TRANSLATIONS), languages=["en"])
BADGE = re.compile(r'data-state="approved">([^<]+)</span>')


def _values(enum: Any) -> set[str]:
    return {member.value for member in enum}


def _literal(field: str) -> set[str]:
    annotation = EscalationStep.model_fields[field].annotation
    return {a for arg in get_args(annotation) for a in (get_args(arg) or (arg,))}


# What tdkt names somewhere, by the code it stores or sends: each must be in the table.
NAMED = {
    "state": set(machine.STATES),
    "action": {t.name for t in machine.TRIGGERS} | set(machine.BIRTHS) | _literal("action"),
    "deadline": set(KIND_OF_STATE.values()) | _literal("applies_to"),
    "refusal": set(_HTTP_CODES.values()) | {"http_error", "csrf", "token_expired",
                                            "invalid_token", "insufficient_scope"},
    "role": _values(Role),
    "recipient": _literal("to"),
    "nominee_kind": _values(NomineeKind),
    "outcome": _values(Outcome),
    "notice_stage": _values(NoticeStage),
    "objection_status": _values(ObjectionStatus),
    "sitting_status": _values(SessionStatus),
    "token_scope": _values(TokenScope),
    "due": {"left", "overdue"},
}


def test_every_code_tdkt_names_is_in_the_table():
    for kind, named in NAMED.items():
        assert named <= set(codes(kind)), (kind, named - set(codes(kind)))


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_every_label_has_a_vietnamese_name_and_its_english_translation(kind):
    for code, vietnamese in TABLE[kind].items():
        assert vietnamese.strip(), (kind, code)
        english = ENGLISH.gettext(vietnamese)
        assert english.strip() and english != vietnamese, (
            f"{kind} {code!r}: “{vietnamese}” has no English in the compiled catalogue; "
            "run pybabel extract/update/compile (docs/operations.md)")


# --- one label, the same text everywhere ------------------------------------------------

@pytest.mark.parametrize(("language", "approved"), [("vi", "Được chấp thuận"),
                                                    ("en", "Approved")])
def test_an_approved_proposal_reads_the_same_on_its_page_in_a_refusal_and_in_the_mail(
        app, world, make_proposal, smtp_server, language, approved):
    set_language(world, "unit1", language)
    pid = make_proposal("approved")  # the Council passes it: the unit's clerk gets a mail

    clerk = login(app.test_client(), "unit1")
    page = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    assert BADGE.findall(page) == [approved]

    with world.db.unit_of_work() as session:
        _token, secret = tokens.create_token(session, world.user_ids["unit1"], "test")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    version = api.get(f"/api/v1/proposals/{pid}", headers=headers).get_json()["version"]
    refused = api.post(f"/api/v1/proposals/{pid}/actions/withdraw", headers=headers,
                       json={"expected_version": version})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert f"“{approved}”" in error["message"]

    deliver_outbox(world.db, smtp_server.config)
    mails = [r.message for r in smtp_server.sink.received
             if r.rcpt_tos == ["unit1@tdkt.example"]]
    decided = [m for m in mails if m["Subject"].startswith(
        ("Kết quả xét hồ sơ", "Decision on proposal"))]
    assert len(decided) == 1, [m["Subject"] for m in mails]
    assert f": {approved}." in decided[0].get_content()
