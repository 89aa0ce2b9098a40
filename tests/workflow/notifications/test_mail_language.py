"""Every notification a user can receive reads in their language: the Vietnamese text is the
message id, and an English reader gets the catalogue's English (subject, body, the
stand-in note and the reassignment sentence)."""

from __future__ import annotations

import re

import pytest

from workflow.notifications import inbox

CONTEXT = {"ref": "CDS-2022/00001", "title": "Hồ sơ thử", "reason": "Thiếu tài liệu",
           "actor": "Trưởng ban", "deadline_kind": "review", "due": "17:00 10/01/2026",
           "outcome": "approved", "decision_number": "1/QĐ-UBND", "count": 2,
           "listed": "CDS-2022/00001; CDS-2022/00002", "reassigned_to_name": "Lê Văn B"}
# Letters only Vietnamese uses: English text holds none but what the data brings.
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@pytest.mark.parametrize("kind", sorted(inbox.TEMPLATES))
def test_each_notification_reads_in_english_for_an_english_reader(kind):
    vi_subject, vi_body = inbox.render(kind, "vi", dict(CONTEXT))
    en_subject, en_body = inbox.render(kind, "en", dict(CONTEXT))
    assert (en_subject, en_body) != (vi_subject, vi_body)
    data = " ".join(str(v) for v in CONTEXT.values())
    for text in (en_subject, en_body):
        stripped = text
        for value in data.split():
            stripped = stripped.replace(value, "")
        assert not VIETNAMESE.search(stripped), (kind, text)
    assert CONTEXT["ref"] in vi_subject + vi_body and CONTEXT["ref"] in en_subject + en_body


def test_the_escalation_says_whom_the_proposal_went_to_in_either_language():
    _, vi_body = inbox.render("escalate", "vi", dict(CONTEXT))
    _, en_body = inbox.render("escalate", "en", dict(CONTEXT))
    assert vi_body.endswith(" Hồ sơ đã được chuyển cho Lê Văn B.")
    assert en_body.endswith(" The proposal was reassigned to Lê Văn B.")
    without = {**CONTEXT, "reassigned_to_name": None}
    assert inbox.render("escalate", "en", without)[1].endswith("(due 17:00 10/01/2026).")
