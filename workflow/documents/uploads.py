"""What an uploaded file really is: its type by content, not by its name; and, for Office
files (zip archives), that they do not expand to far more than they weigh (zip bombs)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype

from workflow.errors import N_, InvalidInput

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
ZIPPED = frozenset({"docx", "xlsx", "odt"})
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an Office file may expand. A real dossier file is a few MB unpacked and
    compresses XML about 10-30 times; a bomb expands thousands of times."""

    max_members: int = 1000
    max_total_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 200   # unpacked / packed, counted only past `ratio_floor` bytes
    ratio_floor: int = 1024 * 1024


OFFICE_LIMITS = ArchiveLimits()


def content_type(file_name: str, content: bytes) -> str:
    """The MIME type of an allowed upload; InvalidInput when the content is not what its
    name says, or not a kind of file a dossier takes."""
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if not content:
        raise InvalidInput(N_("Tệp rỗng"))
    if ext not in ALLOWED:
        raise InvalidInput(N_("Chỉ nhận tệp PDF, ảnh (PNG, JPG), Word (DOC, DOCX), Excel (XLS, "
                              "XLSX) hoặc ODT"))
    if _detect(content) != ALLOWED[ext]:
        raise InvalidInput(N_("Nội dung tệp không phải là tệp .%(ext)s như tên tệp cho biết"),
                           params={"ext": ext})
    if ext in ZIPPED:
        check_archive(content)
    return ALLOWED[ext]


def check_archive(content: bytes, limits: ArchiveLimits = OFFICE_LIMITS) -> None:
    """Refuse a zip whose members, by the sizes its directory declares, hold too many files
    or expand too far. Decompression never passes a member's declared size (zipfile then
    fails its CRC check), so the directory is enough to judge without unpacking."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InvalidInput(N_("Tệp nén (Office) bị hỏng, không đọc được")) from None
    if len(infos) > limits.max_members:
        raise InvalidInput(N_("Tệp chứa quá nhiều thành phần (%(count)s > %(limit)s); có thể "
                              "là tệp độc hại (zip bomb)"),
                           params={"count": len(infos), "limit": limits.max_members})
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > limits.max_total_bytes or (
            unpacked > limits.ratio_floor and unpacked / packed > limits.max_ratio):
        raise InvalidInput(N_("Tệp giải nén ra quá lớn (%(unpacked)s MB từ %(packed)s KB); có "
                              "thể là tệp độc hại (zip bomb)"),
                           params={"unpacked": unpacked // (1024 * 1024),
                                   "packed": packed // 1024})


def _detect(content: bytes) -> str | None:
    if content.startswith(_OLE):
        return "application/x-ole-storage"
    kind = filetype.guess(content)
    return kind.mime if kind else None
