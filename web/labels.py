"""User-facing names of states, actions, roles and nominee kinds (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATES = {
    "draft": _l("Dự thảo"), "submitted": _l("Đã nộp"), "under_review": _l("Đang thẩm định"),
    "returned": _l("Trả lại bổ sung"), "at_council": _l("Trình Hội đồng"),
    "approved": _l("Được chấp thuận"), "rejected": _l("Không được chấp thuận"),
    "decided": _l("Đã có quyết định"), "withdrawn": _l("Đã rút"),
}
STATE_COLORS = {
    "draft": "secondary", "submitted": "info", "under_review": "primary",
    "returned": "warning", "at_council": "primary", "approved": "success",
    "rejected": "danger", "decided": "success", "withdrawn": "dark",
}
ACTIONS = {
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
}
RECIPIENTS = {
    "assignee": _l("Người thụ lý"), "board_head": _l("Trưởng ban TĐKT"),
    "council_secretary": _l("Thư ký Hội đồng"), "unit_clerk": _l("Cán bộ TĐKT đơn vị"),
}
ROLES = {
    "unit_clerk": _l("Cán bộ TĐKT đơn vị"), "board_reviewer": _l("Chuyên viên Ban TĐKT"),
    "board_head": _l("Trưởng ban TĐKT"), "council_secretary": _l("Thư ký Hội đồng"),
    "council_member": _l("Thành viên Hội đồng"), "admin": _l("Quản trị"),
}
KINDS = {"individual": _l("Cá nhân"), "collective": _l("Tập thể")}
OUTCOMES = {"pending": _l("Chưa xét"), "passed": _l("Đạt"), "rejected": _l("Không đạt")}
NOTICE_STAGES = {"before_council": _l("trước khi Hội đồng xét"),
                 "before_decision": _l("trước khi ban hành quyết định")}
OBJECTION_STATUSES = {"open": _l("Chưa giải quyết"), "upheld": _l("Chấp nhận"),
                      "settled": _l("Giải quyết cùng ý kiến khác"),
                      "dismissed": _l("Bác")}
SITTING_STATUSES = {"draft": _l("Đang chuẩn bị"), "open": _l("Đang họp"),
                    "closed": _l("Đã kết thúc")}
SITTING_COLORS = {"draft": "secondary", "open": "primary", "closed": "success"}
