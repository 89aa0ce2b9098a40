"""User-facing names of states, actions, roles and nominee kinds (translatable)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


def _request_locale() -> str:
    """The request's language, asked of Flask-Babel once per request and kept on it."""
    try:
        return str(request.labels_locale)  # type: ignore[attr-defined]
    except AttributeError:
        request.labels_locale = locale = str(get_locale())  # type: ignore[attr-defined]
        return locale
    except RuntimeError:  # outside any request: the untranslated names
        return str(get_locale())


class Labels(Mapping[str, str]):
    """Code → name in the request's language. Each table is translated once per language
    and kept: a Board queue shows a state badge per row, and resolving a lazy string
    through Flask-Babel each time cost more than the rest of the row."""

    def __init__(self, texts: dict[str, LazyString]) -> None:
        self._texts = texts
        self._by_locale: dict[str, dict[str, str]] = {}

    def _table(self) -> dict[str, str]:
        locale = _request_locale()
        table = self._by_locale.get(locale)
        if table is None:
            table = self._by_locale[locale] = {k: str(v) for k, v in self._texts.items()}
        return table

    def __getitem__(self, code: str) -> str:
        return self._table()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, code: object) -> bool:
        return code in self._texts

STATES = Labels({
    "draft": _l("Dự thảo"), "submitted": _l("Đã nộp"), "under_review": _l("Đang thẩm định"),
    "returned": _l("Trả lại bổ sung"), "at_council": _l("Trình Hội đồng"),
    "approved": _l("Được chấp thuận"), "rejected": _l("Không được chấp thuận"),
    "decided": _l("Đã có quyết định"), "withdrawn": _l("Đã rút"),
})
STATE_COLORS = {
    "draft": "secondary", "submitted": "info", "under_review": "primary",
    "returned": "warning", "at_council": "primary", "approved": "success",
    "rejected": "danger", "decided": "success", "withdrawn": "dark",
}
ACTIONS = Labels({
    "create": _l("Tạo hồ sơ"), "rename": _l("Đổi tên hồ sơ"),
    "add_nominee": _l("Thêm người được đề nghị"), "update_nominee": _l("Sửa người được đề nghị"),
    "remove_nominee": _l("Xoá người được đề nghị"), "add_document": _l("Thêm tài liệu"),
    "remove_document": _l("Xoá tài liệu"), "submit": _l("Nộp hồ sơ"),
    "withdraw": _l("Rút hồ sơ"), "claim": _l("Nhận thẩm định"), "reassign": _l("Phân công lại"),
    "return": _l("Trả lại, yêu cầu bổ sung"), "resubmit": _l("Nộp lại"),
    "forward": _l("Trình Hội đồng"), "decide": _l("Ghi nhận kết quả xét"),
    "send_back": _l("Chuyển lại Ban thẩm định"), "issue_decision": _l("Ban hành quyết định"),
    "remind": _l("Nhắc hạn"), "escalate": _l("Báo cáo quá hạn"),
    "auto_withdraw": _l("Tự động rút do quá hạn"),
    "split": _l("Tách khỏi hồ sơ khác do khiếu nại được chấp nhận"),
    "split_nominee": _l("Tách người được đề nghị sang hồ sơ mới do khiếu nại"),
})
# The due-date badge's words, with %(n)d for the number of working days.
DUE = Labels({"left": _l("còn %(n)d ngày"), "overdue": _l("quá hạn %(n)d ngày")})
RECIPIENTS = Labels({
    "assignee": _l("Người thụ lý"), "board_head": _l("Trưởng ban TĐKT"),
    "council_secretary": _l("Thư ký Hội đồng"), "unit_clerk": _l("Cán bộ TĐKT đơn vị"),
})
ROLES = Labels({
    "unit_clerk": _l("Cán bộ TĐKT đơn vị"), "board_reviewer": _l("Chuyên viên Ban TĐKT"),
    "board_head": _l("Trưởng ban TĐKT"), "council_secretary": _l("Thư ký Hội đồng"),
    "council_member": _l("Thành viên Hội đồng"), "admin": _l("Quản trị"),
})
KINDS = Labels({"individual": _l("Cá nhân"), "collective": _l("Tập thể")})
OUTCOMES = Labels({"pending": _l("Chưa xét"), "passed": _l("Đạt"), "rejected": _l("Không đạt")})
NOTICE_STAGES = Labels({"before_council": _l("trước khi Hội đồng xét"),
                        "before_decision": _l("trước khi ban hành quyết định")})
OBJECTION_STATUSES = Labels({"open": _l("Chưa giải quyết"), "upheld": _l("Chấp nhận"),
                             "settled": _l("Giải quyết cùng ý kiến khác"),
                             "dismissed": _l("Bác")})
SITTING_STATUSES = Labels({"draft": _l("Đang chuẩn bị"), "open": _l("Đang họp"),
                           "closed": _l("Đã kết thúc")})
SITTING_COLORS = {"draft": "secondary", "open": "primary", "closed": "success"}
TOKEN_SCOPES = Labels({"read": _l("Chỉ đọc"), "act": _l("Đọc và thao tác")})

