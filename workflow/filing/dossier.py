"""Filing a dossier: create a proposal, add or change nominees and documents.

These are not transitions of the machine, but they change a proposal all the same, so
each goes through the service (`service.open_proposal`, `service.edit`): the same lock,
version check, permission check and one audit event.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Campaign, Document, Nominee, NomineeKind, Proposal, User
from models.base import utcnow
from rules.calendar import TZ
from rules.catalogue import load_catalogue
from rules.messages import labelled
from rules.schema import AttributeType
from workflow.actors import Actor, as_actor
from workflow.campaigns.rulesets import compiled
from workflow.documents.storage import stored_at
from workflow.errors import N_, InvalidInput, NotFound, PermissionDenied
from workflow.proposals import service

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
TITLE_LENGTH = N_("Tiêu đề hồ sơ cần từ 3 đến 500 ký tự")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class NomineeInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["individual", "collective", "household"]
    full_name: Name
    # Personal identification number (mã định danh / CCCD), or a collective's own code:
    # carries achievement history across units and years (workflow.history).
    person_code: Annotated[str, StringConstraints(max_length=40)] | None = None
    award_form: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    position: Annotated[str, StringConstraints(max_length=255)] | None = None
    work_unit: Annotated[str, StringConstraints(max_length=255)] | None = None
    years_in_service: Annotated[int, Field(ge=0, le=60)] | None = None
    disciplined: bool = False
    prior_titles: dict[int, list[str]] = {}
    attributes: dict[str, Any] = {}
    achievement_summary: Annotated[str, StringConstraints(max_length=10000)] | None = None


def create_proposal(session: Session, actor: User | Actor, campaign_code: str, title: str,
                    now: datetime | None = None) -> Proposal:
    who = as_actor(actor)
    now = now or utcnow()
    if "unit_clerk" not in who.roles or who.unit_id is None or not who.active:
        raise PermissionDenied(N_("Chỉ cán bộ TĐKT của đơn vị được lập hồ sơ"))
    title = (title or "").strip()
    if not 3 <= len(title) <= 500:
        raise InvalidInput(TITLE_LENGTH)
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    if campaign is None or campaign.active_ruleset is None:
        raise NotFound(N_("Không có phong trào đang áp dụng quy tắc với mã %(code)s"),
                       params={"code": campaign_code})
    window = compiled(campaign.active_ruleset).rules.submission
    if now.astimezone(TZ).date() > window.closes:
        raise InvalidInput(N_("Phong trào đã hết hạn nhận hồ sơ (%(closes)s)"),
                           params={"closes": f"{window.closes:%d/%m/%Y}"})
    proposal, _ = service.open_proposal(
        session, who, now, "create", payload={"title": title, "campaign": campaign.code},
        title=title, unit_id=who.unit_id, campaign_id=campaign.id,
        ruleset_version_id=campaign.active_ruleset_id, created_by_id=who.id)
    return proposal


def rename(session: Session, proposal_id: int, actor: User | Actor, title: str,
           **kw: Any) -> Proposal:
    title = (title or "").strip()
    if not 3 <= len(title) <= 500:
        raise InvalidInput(TITLE_LENGTH)

    def change(p: Proposal) -> dict[str, Any]:
        p.title = title
        return {"title": title}

    return service.edit(session, proposal_id, actor, "rename", change, **kw)


def add_nominee(session: Session, proposal_id: int, actor: User | Actor,
                data: dict[str, Any] | NomineeInput, **kw: Any) -> Nominee:
    added: list[Nominee] = []

    def change(p: Proposal) -> dict[str, Any]:
        info = _validated_nominee(p, data)
        nominee = Nominee(proposal_id=p.id, **_columns(info))
        p.nominees.append(nominee)
        added.append(nominee)
        return {"nominee": info.model_dump(mode="json")}

    service.edit(session, proposal_id, actor, "add_nominee", change, **kw)
    return added[0]


def update_nominee(session: Session, proposal_id: int, nominee_id: int, actor: User | Actor,
                   data: dict[str, Any] | NomineeInput, **kw: Any) -> Proposal:
    def change(p: Proposal) -> dict[str, Any]:
        nominee = _nominee_of(p, nominee_id)
        info = _validated_nominee(p, data)
        for key, value in _columns(info).items():
            setattr(nominee, key, value)
        return {"nominee_id": nominee_id, "nominee": info.model_dump(mode="json")}

    return service.edit(session, proposal_id, actor, "update_nominee", change, **kw)


def remove_nominee(session: Session, proposal_id: int, nominee_id: int, actor: User | Actor,
                   **kw: Any) -> Proposal:
    def change(p: Proposal) -> dict[str, Any]:
        nominee = _nominee_of(p, nominee_id)
        p.nominees.remove(nominee)
        return {"nominee_id": nominee_id, "full_name": nominee.full_name}

    return service.edit(session, proposal_id, actor, "remove_nominee", change, **kw)


def add_document(session: Session, proposal_id: int, actor: User | Actor, doc_type: str,
                 file_name: str, content: bytes, storage_dir: Path,
                 content_type: str | None = None, max_bytes: int = MAX_DOCUMENT_BYTES,
                 **kw: Any) -> Document:
    """Store the file by its SHA-256 (so a retried upload never duplicates it), then record it."""
    if doc_type not in load_catalogue().document_types:
        raise InvalidInput(N_("Loại tài liệu không hợp lệ: %(type)s"), params={"type": doc_type})
    if not content:
        raise InvalidInput(N_("Tệp rỗng"))
    if len(content) > max_bytes:
        raise InvalidInput(N_("Tệp vượt quá giới hạn %(size)s"), params={"size": _size(max_bytes)})
    safe_name = safe_file_name(file_name)
    digest = hashlib.sha256(content).hexdigest()
    added: list[Document] = []
    who = as_actor(actor)

    def change(p: Proposal) -> dict[str, Any]:
        path = storage_dir / stored_at(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(content)
            tmp.replace(path)
        doc = Document(proposal_id=p.id, doc_type=doc_type, file_name=safe_name,
                       content_type=content_type, size=len(content), sha256=digest,
                       storage_path=str(path.relative_to(storage_dir)),
                       uploaded_by_id=who.id)
        p.documents.append(doc)
        added.append(doc)
        return {"doc_type": doc_type, "file_name": safe_name, "sha256": digest,
                "size": len(content)}

    service.edit(session, proposal_id, who, "add_document", change, **kw)
    return added[0]


def remove_document(session: Session, proposal_id: int, document_id: int, actor: User | Actor,
                    **kw: Any) -> Proposal:
    def change(p: Proposal) -> dict[str, Any]:
        doc = next((d for d in p.documents if d.id == document_id), None)
        if doc is None:
            raise NotFound(N_("Hồ sơ không có tài liệu số %(id)s"), params={"id": document_id})
        p.documents.remove(doc)
        return {"document_id": document_id, "file_name": doc.file_name, "sha256": doc.sha256}

    return service.edit(session, proposal_id, actor, "remove_document", change, **kw)


def safe_file_name(name: str) -> str:
    """A file name with no path, no control characters and a sane length."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", base).strip(" .")
    return base[:200] or "tai-lieu"


def _nominee_of(p: Proposal, nominee_id: int) -> Nominee:
    nominee = next((n for n in p.nominees if n.id == nominee_id), None)
    if nominee is None:
        raise NotFound(N_("Hồ sơ không có người được đề nghị số %(id)s"), params={"id": nominee_id})
    return nominee


def _validated_nominee(p: Proposal, data: dict[str, Any] | NomineeInput) -> NomineeInput:
    try:
        info = data if isinstance(data, NomineeInput) else NomineeInput.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        raise InvalidInput(N_("Thông tin người được đề nghị không hợp lệ — %(problems)s"),
                           params={"problems": "; ".join(problems)}, errors=problems) from None
    rules = compiled(p.campaign.active_ruleset or p.ruleset_version).rules
    award = rules.award(info.award_form)
    if award is None:
        raise InvalidInput(N_("Phong trào không xét hình thức %(form)s"),
                           params={"form": info.award_form})
    if info.kind not in award.nominee:
        raise InvalidInput(N_("Hình thức %(form)s không xét cho loại đối tượng này"),
                           params={"form": info.award_form})
    catalogue = load_catalogue().award_forms
    for year, codes in info.prior_titles.items():
        unknown = [c for c in codes if c not in catalogue]
        if unknown or not 1900 <= year <= 2100:
            raise InvalidInput(N_("Danh hiệu đã đạt năm %(year)s không hợp lệ: %(codes)s"),
                               params={"year": year, "codes": unknown or year})
        if year > rules.award_year:
            raise InvalidInput(
                N_("Danh hiệu đã đạt năm %(year)s: năm này sau năm xét khen thưởng của phong "
                   "trào (%(award_year)s), nên chưa thể đã đạt"),
                params={"year": year, "award_year": rules.award_year})
    _check_attributes(info.attributes, rules.nominee_attributes)
    return info


_LABELS = {"kind": "Loại", "full_name": "Họ tên / Tên tập thể",
           "person_code": "Mã định danh / CCCD",
           "award_form": "Hình thức khen thưởng", "position": "Chức vụ",
           "work_unit": "Đơn vị công tác", "years_in_service": "Số năm công tác",
           "disciplined": "Đang bị kỷ luật", "prior_titles": "Danh hiệu đã đạt",
           "attributes": "Thuộc tính", "achievement_summary": "Tóm tắt thành tích"}


def _problem(error: Any) -> str:
    """A pydantic error in Vietnamese: the field's label, then what is wrong with it."""
    if error["type"] == "literal_error" and error["loc"][:1] == ("kind",):
        return f"{_LABELS['kind']}: phải là “Cá nhân”, “Tập thể” hoặc “Hộ gia đình”"
    return labelled(error, _LABELS)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


_PY_TYPES: dict[AttributeType, tuple[type, ...]] = {
    AttributeType.INTEGER: (int,), AttributeType.FLOAT: (int, float),
    AttributeType.BOOLEAN: (bool,), AttributeType.STRING: (str,),
}


def _check_attributes(values: dict[str, Any], declared: dict[str, AttributeType]) -> None:
    for name, value in values.items():
        if name not in declared:
            raise InvalidInput(N_("Thuộc tính không có trong quy tắc của phong trào: %(name)s"),
                               params={"name": name})
        kind = declared[name]
        ok = isinstance(value, _PY_TYPES[kind]) and not (
            kind is not AttributeType.BOOLEAN and isinstance(value, bool))
        if value is not None and not ok:
            raise InvalidInput(N_("Thuộc tính %(name)s phải có kiểu %(type)s"),
                               params={"name": name, "type": kind.value})


def _columns(info: NomineeInput) -> dict[str, Any]:
    return {
        "kind": NomineeKind(info.kind), "full_name": info.full_name,
        "person_code": info.person_code or None,
        "award_form_code": info.award_form, "position": info.position,
        "work_unit": info.work_unit, "years_in_service": info.years_in_service,
        "disciplined": info.disciplined, "achievement_summary": info.achievement_summary,
        "prior_titles": {str(y): sorted(set(c)) for y, c in info.prior_titles.items()},
        "attributes": dict(info.attributes),
    }
