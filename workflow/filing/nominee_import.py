"""Nominees from an Excel sheet (openpyxl): the template, and an all-or-nothing import
that reports every bad row with its row number."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from models import User
from rules.schema import RuleSet
from workflow.actors import Actor
from workflow.documents.excel_cells import safe_row
from workflow.documents.uploads import ArchiveLimits, check_archive
from workflow.errors import N_, InvalidInput, WorkflowError
from workflow.filing.dossier import add_nominee
from workflow.labels import term
from workflow.proposals.service import check_version, load_for_update

BASE_COLUMNS = [
    ("kind", "Loại (Cá nhân/Tập thể/Hộ gia đình)"), ("full_name", "Họ và tên / Tên tập thể"),
    ("position", "Chức vụ"), ("work_unit", "Đơn vị công tác"),
    ("award_form", "Hình thức khen thưởng (mã)"), ("years_in_service", "Số năm công tác"),
    ("disciplined", "Đang bị kỷ luật (Có/Không)"),
    ("prior_titles", "Danh hiệu đã đạt (năm:mã; …)"),
    ("achievement_summary", "Tóm tắt thành tích"),
]
# After the campaign's own attributes, so that sheets filled in before it existed still read.
LAST_COLUMNS = [("person_code", "Mã định danh / CCCD (nếu có)")]
MAX_ROWS = 500
# 500 rows of nominees unpack to well under 1 MB; openpyxl holds every shared string in memory.
IMPORT_LIMITS = ArchiveLimits(max_members=200, max_total_bytes=20 * 1024 * 1024)
KINDS = {"cá nhân": "individual", "ca nhan": "individual", "individual": "individual",
         "tập thể": "collective", "tap the": "collective", "collective": "collective",
         "hộ gia đình": "household", "ho gia dinh": "household", "household": "household"}
YES = {"có", "co", "x", "yes", "true", "1"}


@dataclass(frozen=True)
class RowError:
    """A bad row: its number and why (a page shows `error` in the reader's language)."""

    row: int
    error: WorkflowError

    @property
    def message(self) -> str:
        return self.error.message


def template(rules: RuleSet) -> bytes:
    """The import sheet: headers only (every row below them is imported), with an example
    row and the award forms on sheets of their own."""
    header = ([label for _, label in BASE_COLUMNS] + list(rules.nominee_attributes)
              + [label for _, label in LAST_COLUMNS])
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has its one sheet
    ws.title = "Danh sach"
    ws.append(safe_row(header))
    example = wb.create_sheet("Vi du (khong nhap)")
    example.append(safe_row(header))
    example.append(safe_row([str(term("nominee_kind", "individual")), "Nguyễn Văn A",
                             "Chuyên viên", "Phòng …", rules.awards[0].form, 5, "Không",
                             f"{rules.award_year - 2}:CSTD_CS; {rules.award_year - 1}:CSTD_CS",
                             "…",
                             *[None] * len(rules.nominee_attributes), "001085012345"]))
    forms = wb.create_sheet("Hinh thuc")
    forms.append(safe_row(["Mã", "Đối tượng"]))
    for award in rules.awards:
        kinds = ", ".join(str(term("nominee_kind", k)) for k in award.nominee)
        forms.append(safe_row([award.form, kinds]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_rows(content: bytes, rules: RuleSet
              ) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Every data row of the first sheet, parsed; the archive is judged by its directory
    (zip bomb) before openpyxl opens it, and a sheet that fails to parse part-way through
    (openpyxl reads lazily) is refused like one that fails at once."""
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise InvalidInput(NOT_A_WORKBOOK)
    check_archive(content, IMPORT_LIMITS)
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            return _sheet_rows(wb.worksheets[0], rules)
        finally:
            wb.close()
    except _UNREADABLE as exc:
        raise InvalidInput(NOT_A_WORKBOOK) from exc


NOT_A_WORKBOOK = N_("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ")
# XML parse errors are SyntaxErrors; defusedxml's refusals (entities, DTDs) are ValueErrors.
_UNREADABLE = (InvalidFileException, BadZipFile, OSError, KeyError, ValueError, TypeError,
               IndexError, SyntaxError, EOFError)


def _sheet_rows(ws: Any, rules: RuleSet
                ) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise InvalidInput(N_("Bảng tính trống"))
    names = ([key for key, _ in BASE_COLUMNS] + list(rules.nominee_attributes)
             + [key for key, _ in LAST_COLUMNS])
    parsed, errors = [], []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            errors.append(RowError(number, InvalidInput(
                N_("Tối đa %(max)s dòng mỗi lần nhập"), params={"max": MAX_ROWS})))
            break
        if not any(v not in (None, "") for v in values):
            continue
        try:
            parsed.append(_row(dict(zip(names, values, strict=False)), rules, number))
        except InvalidInput as exc:
            errors.append(RowError(number, exc))
    return parsed, errors


class ImportRefused(InvalidInput):
    """Some rows are wrong: nothing is imported, and every bad row is listed."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(N_("Không nhập danh sách: %(count)s dòng có lỗi"),
                         params={"count": len(errors)},
                         rows=[{"row": e.row, "message": e.message} for e in errors])
        self.errors = errors


def import_nominees(session: Session, proposal_id: int, actor: User | Actor, content: bytes,
                    rules: RuleSet, expected_version: int | None = None) -> int:
    """Add every row as a nominee, one audit event each; if any row is wrong, raise
    ImportRefused (listing every bad row, whether it failed to parse or to be added) so
    that the caller's unit of work rolls every row back. With `expected_version`, a
    proposal changed since it was read (e.g. by the same import posted twice) is refused
    with ConflictError before any row is added."""
    rows, errors = read_rows(content, rules)
    if not rows and not errors:
        raise InvalidInput(N_("Bảng tính không có dòng dữ liệu nào"))
    if expected_version is not None:
        # Under the proposal's lock: a second post of the same import waits, then sees
        # the version the first one left (and a proposal that is gone is NotFound).
        check_version(load_for_update(session, proposal_id), expected_version)
    for number, row in rows:
        try:
            add_nominee(session, proposal_id, actor, row)
        except WorkflowError as exc:
            errors.append(RowError(number, exc))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.row))
    return len(rows)


def _row(cells: dict[str, Any], rules: RuleSet, number: int) -> tuple[int, dict[str, Any]]:
    kind = KINDS.get(str(cells.get("kind") or "").strip().lower())
    if kind is None:
        raise InvalidInput(N_("Cột Loại phải là “Cá nhân”, “Tập thể” hoặc “Hộ gia đình”"))
    data: dict[str, Any] = {
        "kind": kind, "full_name": _text(cells.get("full_name")),
        "position": _text(cells.get("position")) or None,
        "work_unit": _text(cells.get("work_unit")) or None,
        "award_form": _text(cells.get("award_form")),
        "years_in_service": _number(cells.get("years_in_service"), "Số năm công tác"),
        "disciplined": _text(cells.get("disciplined")).lower() in YES,
        "prior_titles": _titles(_text(cells.get("prior_titles"))),
        "achievement_summary": _text(cells.get("achievement_summary")) or None,
        "person_code": _text(cells.get("person_code")) or None,
        "attributes": {},
    }
    for name, kind_ in rules.nominee_attributes.items():
        value = cells.get(name)
        if value in (None, ""):
            continue
        if kind_.value == "boolean":
            data["attributes"][name] = _text(value).lower() in YES
        elif kind_.value in ("integer", "float"):
            data["attributes"][name] = _number(value, name, kind_.value == "float")
        else:
            data["attributes"][name] = _text(value)
    return number, data


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Any, label: str, decimal: bool = False) -> Any:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise InvalidInput(N_("%(column)s: phải là số"), params={"column": label}) from None
    if not decimal and number != int(number):
        raise InvalidInput(N_("%(column)s: phải là số nguyên"), params={"column": label})
    return number if decimal else int(number)


def _titles(text: str) -> dict[int, list[str]]:
    titles: dict[int, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        year, _, codes = part.partition(":")
        if not year.strip().isdigit():
            raise InvalidInput(N_("Danh hiệu đã đạt: “%(part)s” phải có dạng năm:mã"),
                               params={"part": part})
        titles[int(year)] = [c.strip() for c in codes.split(",") if c.strip()]
    return titles
