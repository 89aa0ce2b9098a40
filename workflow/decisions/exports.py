"""A decision's attached list as Excel and the decision itself as a Word draft.

The list streams: entries come from a `yield_per` query into an openpyxl write-only
workbook, which spills rows to a temporary file as they are appended, and the result is
saved into another temporary file — a list of any length never sits in memory at once.
The Word draft follows the Vietnamese administrative layout (Nghị định 30/2020/NĐ-CP):
issuer and national motto, number, place and date, title, legal bases, articles, and
the recipients and signer block.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO

from docx import Document as WordDocument
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AwardForm, Decision, DecisionEntry
from rules.schema import DecisionRules
from workflow.campaigns.rulesets import compiled
from workflow.documents.excel_cells import safe_row

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIST_COLUMNS = [("STT", 6), ("Họ và tên / Tập thể", 32), ("Chức vụ và đơn vị", 48),
                ("Hình thức khen thưởng", 30), ("Tóm tắt thành tích", 60)]
BATCH = 1000


def file_stem(decision: Decision) -> str:
    """A file name from the number: 12/QĐ-UBND → QD-12-QD-UBND (ASCII, no slashes)."""
    ascii_number = decision.number.replace("Đ", "D").replace("đ", "d")
    safe = "".join(c if c.isascii() and c.isalnum() else "-" for c in ascii_number)
    return f"QD-{safe.strip('-')}-{decision.signed_on:%Y%m%d}"


def list_rows(session: Session, decision_id: int) -> Iterator[tuple[object, ...]]:
    """The attached list's rows, read in batches."""
    rows = session.execute(
        select(DecisionEntry.position, DecisionEntry.full_name, DecisionEntry.position_title,
               DecisionEntry.work_unit, DecisionEntry.unit_name, AwardForm.name_vi,
               DecisionEntry.achievement_summary)
        .join(AwardForm, AwardForm.code == DecisionEntry.award_form_code)
        .where(DecisionEntry.decision_id == decision_id)
        .order_by(DecisionEntry.position)
        .execution_options(yield_per=BATCH))
    for position, name, title, work_unit, unit_name, form, summary in rows:
        where = ", ".join(t for t in (title, work_unit or unit_name) if t)
        yield position, name, where, form, summary or ""


def write_list(session: Session, decision: Decision, out: IO[bytes]) -> int:
    """Write the attached list to `out` as .xlsx; returns the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    for i, (_, width) in enumerate(LIST_COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    _list_header(ws, decision)
    count = 0
    for row in list_rows(session, decision.id):
        ws.append(safe_row(row))  # names and summaries come from units: never formulas
        count += 1
    wb.save(out)
    return count


def _list_header(ws: WriteOnlyWorksheet, decision: Decision) -> None:
    def bold(text: str) -> Cell:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
        return cell

    ws.append([bold("DANH SÁCH")])
    ws.append([bold(f"Kèm theo Quyết định số {decision.number} ngày "
                    f"{decision.signed_on:%d/%m/%Y}")])
    ws.append([decision.title])
    ws.append([])
    ws.append([bold(label) for label, _ in LIST_COLUMNS])


def list_file(session: Session, decision: Decision) -> IO[bytes]:
    """The .xlsx in a temporary file, rewound; the caller closes it."""
    return _temporary(lambda out: write_list(session, decision, out))


def _temporary(write: Callable[[IO[bytes]], object]) -> IO[bytes]:
    # Handed to the caller open (a download streams it, then closes it).
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


# -- the decision as a Word draft ------------------------------------------------------

def word_file(session: Session, decision: Decision) -> IO[bytes]:
    """The decision as .docx in a temporary file, rewound; the caller closes it."""
    return _temporary(lambda out: write_word(session, decision, out))


def write_word(session: Session, decision: Decision, out: IO[bytes]) -> None:
    rules = _decision_rules(decision)
    count = session.scalar(select(func.count()).select_from(DecisionEntry)
                           .where(DecisionEntry.decision_id == decision.id)) or 0
    doc = WordDocument()
    _page(doc)
    _heading_table(doc, decision, rules)
    _centered(doc, "QUYẾT ĐỊNH", bold=True, space_before=12)
    _centered(doc, decision.title, bold=True)
    _centered(doc, f"{decision.signer_title} {rules.issuer}".upper(), bold=True, space_before=12)
    for basis in decision.legal_bases:
        _body(doc, f"Căn cứ {basis};", italic=True)
    _body(doc, "Xét đề nghị của Hội đồng Thi đua - Khen thưởng tỉnh.", italic=True)
    _centered(doc, "QUYẾT ĐỊNH:", bold=True, space_before=6)
    _body(doc, _article_one(session, decision, count))
    _body(doc, "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.")
    _body(doc, "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Trưởng ban Thi đua - Khen "
               "thưởng tỉnh, Thủ trưởng các cơ quan, đơn vị có liên quan và các tập thể, cá "
               "nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./.")
    _signer_table(doc, decision)
    doc.save(out)


def _decision_rules(decision: Decision) -> DecisionRules:
    version = decision.campaign.active_ruleset
    return compiled(version).rules.decision if version else DecisionRules()


def _article_one(session: Session, decision: Decision, count: int) -> str:
    if decision.corrects is not None:
        old = decision.corrects
        return (f"Điều 1. Đính chính Quyết định số {old.number} ngày "
                f"{old.signed_on:%d/%m/%Y} như danh sách kèm theo ({count} tập thể, cá nhân)."
                f" Lý do: {decision.correction_reason}.")
    forms = session.scalars(
        select(AwardForm.name_vi).join(DecisionEntry,
                                       DecisionEntry.award_form_code == AwardForm.code)
        .where(DecisionEntry.decision_id == decision.id).distinct()).all()
    campaign = decision.campaign.title
    return (f"Điều 1. Tặng {', '.join(sorted(forms))} cho {count} tập thể, cá nhân (có danh "
            f"sách kèm theo) đã có thành tích trong {_lower_first(campaign)}.")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _page(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)


def _heading_table(doc: DocxDocument, decision: Decision, rules: DecisionRules) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    _cell_lines(left, [(rules.issuer, True, False), ("", False, False),
                       (f"Số: {decision.number}", False, False)])
    d = decision.signed_on
    _cell_lines(right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False),
                        ("Độc lập - Tự do - Hạnh phúc", True, False),
                        (f"{rules.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}",
                         False, True)])


def _signer_table(doc: DocxDocument, decision: Decision) -> None:
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    _cell_lines(left, [("Nơi nhận:", True, True), ("- Như Điều 3;", False, False),
                       ("- Ban Thi đua - Khen thưởng tỉnh;", False, False),
                       ("- Lưu: VT.", False, False)], align=WD_ALIGN_PARAGRAPH.LEFT, size=11)
    _cell_lines(right, [(decision.signer_title.upper(), True, False), ("", False, False),
                        ("", False, False), ("", False, False),
                        (decision.signer_name, True, False)])


def _cell_lines(cell: _Cell, lines: list[tuple[str, bool, bool]],
                align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER, size: int = 13) -> None:
    cell.paragraphs[0].text = ""
    for i, (text, bold, italic) in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)


def _centered(doc: DocxDocument, text: str, *, bold: bool = False,
              space_before: int = 0) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(space_before)
    paragraph.add_run(text).bold = bold


def _body(doc: DocxDocument, text: str, *, italic: bool = False) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    paragraph.add_run(text).italic = italic
