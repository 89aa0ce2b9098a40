"""How the statistics read to a person: table titles, column names, and each cell as
text (the page) or as a typed value (Excel), in the request's language."""

from __future__ import annotations

from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from web import labels
from web.i18n import catalogue_name
from workflow.reports.statistics import Cell, Table

TITLES = {
    "by_unit": _l("Hồ sơ và người được đề nghị theo đơn vị"),
    "by_state": _l("Hồ sơ theo trạng thái"),
    "by_award": _l("Người được đề nghị theo hình thức khen thưởng"),
    "pass_by_award": _l("Tỉ lệ đạt theo hình thức khen thưởng"),
    "pass_by_unit": _l("Tỉ lệ đạt theo đơn vị"),
    "time_in_state": _l("Thời gian ở mỗi trạng thái"),
    "deadlines": _l("Thời hạn: đúng hạn và trễ hạn"),
}
COLUMNS = {
    "unit": _l("Đơn vị"), "state": _l("Trạng thái"), "award_form": _l("Hình thức khen thưởng"),
    "kind": _l("Loại thời hạn"), "proposals": _l("Số hồ sơ"),
    "nominees": _l("Số người được đề nghị"), "decided": _l("Hội đồng đã xét"),
    "passed": _l("Đạt"), "rejected": _l("Không đạt"), "pass_rate": _l("Tỉ lệ đạt"),
    "stays": _l("Số lượt"), "ongoing": _l("Đang ở trạng thái này"),
    "mean_days": _l("Trung bình (ngày)"), "median_days": _l("Trung vị (ngày)"),
    "total": _l("Tổng số"), "met": _l("Đúng hạn"), "missed": _l("Trễ hạn"),
    "closed_late": _l("Xong sau hạn"), "open_overdue": _l("Chưa xong, đã quá hạn"),
    "running": _l("Đang trong hạn"), "met_rate": _l("Tỉ lệ đúng hạn"),
}
RATES = frozenset({"pass_rate", "met_rate"})
DAYS = frozenset({"mean_days", "median_days"})


def title(table: Table) -> str:
    return str(TITLES.get(table.name, table.name))


def headers(table: Table) -> list[str]:
    return [str(COLUMNS.get(c, c)) for c in table.columns]


def row_label(column: str, value: Cell) -> str:
    """The first cell of a row: a state, award form or deadline kind by its name."""
    if column == "state":
        return str(labels.STATES.get(str(value), value))
    if column == "award_form":
        return catalogue_name(str(value))
    if column == "kind":
        name = labels.DEADLINES.get(str(value), str(value))
        return name[:1].upper() + name[1:]  # a row's heading: "Thẩm định", "Board review"
    return str(value)


def cell_text(column: str, value: Cell) -> str:
    if value is None:
        return "—"
    if column in RATES:
        return format_percent(value, "#,##0.0%")
    if column in DAYS:
        return format_decimal(value, "#,##0.0")
    return str(value)


def text_rows(table: Table) -> list[list[str]]:
    return [[row_label(table.columns[0], row[0]),
             *(cell_text(c, v) for c, v in zip(table.columns[1:], row[1:], strict=True))]
            for row in table.rows]
