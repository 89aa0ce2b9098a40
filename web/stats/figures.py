"""Which chart each statistics table gets, drawn from the table's own rows."""

from __future__ import annotations

from markupsafe import Markup

from web.stats import charts, present
from workflow.reports.statistics import Table, column

# table → the column its bars show
BARS = {"by_unit": "proposals", "by_state": "proposals", "by_award": "nominees",
        "pass_by_award": "pass_rate", "pass_by_unit": "pass_rate",
        "time_in_state": "median_days"}
DEADLINE_SERIES = (("met", "#198754"), ("closed_late", "#fd7e14"),
                   ("open_overdue", "#dc3545"), ("running", "#adb5bd"))


def chart(table: Table) -> Markup:
    """The table's chart as inline SVG (escaped throughout), or nothing for no rows."""
    if not table.rows:
        return Markup("")
    labels = [present.row_label(table.columns[0], v) for v in column(table, table.columns[0])]
    if table.name == "deadlines":
        parts = [[int(v or 0) for v in column(table, name)] for name, _ in DEADLINE_SERIES]
        series = [(str(present.COLUMNS[name]), color) for name, color in DEADLINE_SERIES]
        return Markup(charts.stacked_chart(present.title(table),
                                           list(zip(labels, zip(*parts, strict=True),
                                                    strict=True)), series))
    shown = BARS[table.name]
    values = column(table, shown)
    items = [(label, None if v is None else float(v), present.cell_text(shown, v))
             for label, v in zip(labels, values, strict=True)]
    scale = 1.0 if shown in present.RATES else None
    return Markup(charts.bar_chart(f"{present.title(table)} — {present.COLUMNS[shown]}",
                                   items, scale))
