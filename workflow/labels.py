"""The one label table: every coded thing a person reads the name of — a proposal's state,
an action, a kind of deadline, a refusal the web and the API answer with, a role, the
recipient of a ladder step, a nominee's kind, an outcome, a notice's stage, an objection's
and a sitting's status, an API token's scope, the due-date badge's words — with its code
and its message id, in one place.

The message ids are the Vietnamese names (marked with `N_`, so that `pybabel extract -k N_`
collects them); the English ones are in `web/translations/en/LC_MESSAGES/messages.po`.
Pure: it imports only `rules.texts` and the standard library. Pages and the API render the
table through Flask-Babel (`web.labels`, `web.i18n.text_of`); mail written outside any
request (the sweep, the scheduler) through the compiled catalogue that `use_catalogue`
loads, with `text_in`.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rules.texts import N_, Figure, Term, TermKind, Text

TABLE: Mapping[TermKind, Mapping[str, str]] = {
    "state": {
        "draft": N_("Dự thảo"), "submitted": N_("Đã nộp"),
        "under_review": N_("Đang thẩm định"), "returned": N_("Trả lại bổ sung"),
        "at_council": N_("Trình Hội đồng"), "approved": N_("Được chấp thuận"),
        "rejected": N_("Không được chấp thuận"), "decided": N_("Đã có quyết định"),
        "withdrawn": N_("Đã rút"),
    },
    # The machine's triggers (workflow.machine), the other events of a proposal's timeline
    # and the rungs of an escalation ladder.
    "action": {
        "create": N_("Tạo hồ sơ"), "rename": N_("Đổi tên hồ sơ"),
        "add_nominee": N_("Thêm người được đề nghị"),
        "update_nominee": N_("Sửa người được đề nghị"),
        "remove_nominee": N_("Xoá người được đề nghị"), "add_document": N_("Thêm tài liệu"),
        "remove_document": N_("Xoá tài liệu"), "submit": N_("Nộp hồ sơ"),
        "withdraw": N_("Rút hồ sơ"), "claim": N_("Nhận thẩm định"),
        "reassign": N_("Phân công lại"), "return": N_("Trả lại, yêu cầu bổ sung"),
        "resubmit": N_("Nộp lại"), "forward": N_("Trình Hội đồng"),
        "decide": N_("Ghi nhận kết quả xét"), "send_back": N_("Chuyển lại Ban thẩm định"),
        "issue_decision": N_("Ban hành quyết định"), "remind": N_("Nhắc hạn"),
        "escalate": N_("Báo cáo quá hạn"), "auto_withdraw": N_("Tự động rút do quá hạn"),
        "split": N_("Tách khỏi hồ sơ khác do khiếu nại được chấp nhận"),
        "split_nominee": N_("Tách người được đề nghị sang hồ sơ mới do khiếu nại"),
    },
    # As a sentence names them: "Hạn thẩm định …", "Quá hạn Hội đồng xét …".
    "deadline": {
        "review": N_("thẩm định"), "council": N_("Hội đồng xét"), "resubmission": N_("nộp lại"),
    },
    # What the web and the API answer when they refuse a request (besides the workflow's own
    # errors, which carry their messages): by the error code they send, and a few variants
    # of one code.
    "refusal": {
        "bad_request": N_("Yêu cầu không hợp lệ."),
        "unauthorized": N_("Bạn cần đăng nhập."),
        "forbidden": N_("Bạn không có quyền thực hiện thao tác này."),
        "not_found": N_("Không tìm thấy trang hoặc hồ sơ yêu cầu."),
        "method_not_allowed": N_("Thao tác không được hỗ trợ."),
        "conflict": N_("Yêu cầu không thực hiện được."),
        "too_large": N_("Tệp tải lên quá lớn."),
        "internal_error": N_("Đã xảy ra lỗi hệ thống. Thao tác chưa được ghi nhận; vui lòng "
                             "thử lại sau."),
        "http_error": N_("Yêu cầu không thực hiện được."),
        "csrf": N_("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại "
                   "trang và thử lại."),
        "nul": N_("Dữ liệu gửi lên chứa ký tự NUL không hợp lệ."),
        "api_unauthorized": N_("Bạn cần đăng nhập hoặc gửi khoá API (Authorization: Bearer …)."),
        "api_session_expired": N_("Phiên làm việc đã hết hạn. Hãy đăng nhập lại hoặc gửi khoá "
                                  "API (Authorization: Bearer …)."),
        "token_expired": N_("Khoá API đã hết hạn lúc %(at)s. Hãy tạo khoá mới tại "
                            "/account/tokens."),
        "invalid_token": N_("Khoá API không hợp lệ, đã bị thu hồi hoặc tài khoản đã bị khoá."),
        "insufficient_scope": N_("Khoá API này chỉ được đọc dữ liệu. Để gửi, sửa hoặc thao tác "
                                 "trên hồ sơ, hãy tạo khoá có phạm vi “đọc và thao tác”."),
    },
    "role": {
        "unit_clerk": N_("Cán bộ TĐKT đơn vị"), "board_reviewer": N_("Chuyên viên Ban TĐKT"),
        "board_head": N_("Trưởng ban TĐKT"), "council_secretary": N_("Thư ký Hội đồng"),
        "council_member": N_("Thành viên Hội đồng"), "admin": N_("Quản trị"),
    },
    # Whom a rung of an escalation ladder tells.
    "recipient": {
        "assignee": N_("Người thụ lý"), "board_head": N_("Trưởng ban TĐKT"),
        "council_secretary": N_("Thư ký Hội đồng"), "unit_clerk": N_("Cán bộ TĐKT đơn vị"),
    },
    "nominee_kind": {"individual": N_("Cá nhân"), "collective": N_("Tập thể"),
                     "household": N_("Hộ gia đình")},
    "outcome": {"pending": N_("Chưa xét"), "passed": N_("Đạt"), "rejected": N_("Không đạt")},
    "notice_stage": {
        "before_council": N_("trước khi Hội đồng xét"),
        "before_decision": N_("trước khi ban hành quyết định"),
    },
    "objection_status": {
        "open": N_("Chưa giải quyết"), "upheld": N_("Chấp nhận"),
        "settled": N_("Giải quyết cùng ý kiến khác"), "dismissed": N_("Bác"),
    },
    "sitting_status": {
        "draft": N_("Đang chuẩn bị"), "open": N_("Đang họp"), "closed": N_("Đã kết thúc"),
    },
    "token_scope": {"read": N_("Chỉ đọc"), "act": N_("Đọc và thao tác")},
    # The words of a proposal's time limit: the badge ("left", "overdue", %(n)d working
    # days) and the sentence beside it ("deadline", with the others).
    "due": {
        "left": N_("còn %(n)d ngày"), "overdue": N_("quá hạn %(n)d ngày"),
        "deadline": N_("Hạn %(kind)s %(date)s — %(rest)s"),
        "today": N_("hết hạn hôm nay"), "days_left": N_("còn %(n)d ngày làm việc"),
        "days_late": N_("quá hạn %(n)d ngày làm việc"), "late": N_("đã quá hạn"),
        "none": N_("không tính hạn"),
        "estimated": N_("dự kiến"),
        "estimated_why": N_("Năm này chưa có lịch nghỉ chính thức trong tệp lịch: hạn được "
                            "tính theo lịch dự kiến và có thể đổi khi Chính phủ công bố."),
    },
}


def codes(kind: TermKind) -> tuple[str, ...]:
    """The codes of one kind, in the table's order."""
    return tuple(TABLE[kind])


def message_id(kind: TermKind, code: str) -> str | None:
    """The Vietnamese message id of a code (None: not in the table)."""
    return TABLE.get(kind, {}).get(code)


def term(kind: TermKind, code: str) -> Term:
    """The code as a message names it; an unknown code stands for itself."""
    return Term(kind, code, message_id(kind, code) or code)


def text(kind: TermKind, code: str, /, **params: Any) -> Text:
    """A table entry with values (the due-date words, a refusal that quotes a time)."""
    return Text(message_id(kind, code) or code, params)


# --- outside a request: the compiled catalogue ---------------------------------------------

_catalogues: dict[str, gettext.NullTranslations] = {}


def use_catalogue(directory: Path | str, languages: tuple[str, ...] = ("en",)) -> None:
    """Load this process's translations (the compiled `.mo` under `directory`, as
    `<lang>/LC_MESSAGES/messages.mo`) for what is written outside any request: mail the
    sweep, the scheduler and the outbox send. Vietnamese needs none."""
    for language in languages:
        _catalogues[language] = gettext.translation(
            "messages", str(directory), languages=[language], fallback=True)


def translate(message: str, language: str) -> str:
    """A message id in a language, from the catalogue `use_catalogue` loaded (the
    Vietnamese id itself for Vietnamese, or when no catalogue has it)."""
    catalogue = _catalogues.get(language)
    return message if catalogue is None or not message else catalogue.gettext(message)


def text_in(value: Any, language: str) -> Any:
    """A Term, Text or Figure as a reader of `language` reads it (anything else as is)."""
    if isinstance(value, Term):
        known = message_id(value.kind, value.code)
        return translate(known, language) if known else value.vi
    if isinstance(value, Text):
        template = translate(value.template, language)
        params = {k: text_in(v, language) for k, v in value.params.items()}
        return template % params if params else template
    if isinstance(value, Figure):
        return value.en if language == "en" else value.vi
    return value
