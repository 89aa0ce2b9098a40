"""What an uploaded file really is: its type by content, not by its name."""

from __future__ import annotations

import filetype

from workflow.errors import InvalidInput

# extension -> MIME type the content must have
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/x-ole-storage",
    "xls": "application/x-ole-storage",
    "odt": "application/vnd.oasis.opendocument.text",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def content_type(file_name: str, content: bytes) -> str:
    """The MIME type of an allowed upload; InvalidInput when the content is not what its
    name says, or not a kind of file a dossier takes."""
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if not content:
        raise InvalidInput("Tệp rỗng")
    if ext not in ALLOWED:
        raise InvalidInput("Chỉ nhận tệp PDF, ảnh (PNG, JPG), Word (DOC, DOCX), Excel (XLS, "
                           "XLSX) hoặc ODT")
    if _detect(content) != ALLOWED[ext]:
        raise InvalidInput(f"Nội dung tệp không phải là tệp .{ext} như tên tệp cho biết")
    return ALLOWED[ext]


def _detect(content: bytes) -> str | None:
    if content.startswith(_OLE):
        return "application/x-ole-storage"
    kind = filetype.guess(content)
    return kind.mime if kind else None
