"""Objections to a public notice: anyone files one while the notice runs (no login); the
Council secretary resolves each. Dismissing needs a reason. Upholding sends the nominee
back to the Board: alone in a new proposal split off its own (`workflow.split`) when
others remain in it, else with the whole proposal (`send_back`). Each step is recorded
on the notice's audit stream ("notice:<id>").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Nominee, Objection, ObjectionStatus, Outcome
from rules.calendar import TZ
from workflow.accounts import login_brake
from workflow.actors import Actor
from workflow.audit.chain import record_stream_event
from workflow.errors import N_, InvalidInput, InvalidTransition, NotFound
from workflow.notices import split
from workflow.notices.publication import get_notice, is_running, notice_stream, require_secretary
from workflow.proposals import service

# Whoever files an objection is not signed in; the audit log names them in the payload.
PUBLIC = Actor(None, "Người dân (không đăng nhập)", frozenset())
OBJECTIONS_PER_DAY = 5  # per client address: a citizen's say, not a flood
LIMITS = {"filer_name": (2, 255), "filer_contact": (5, 255), "text": (10, 5000)}
FIELD_VI = {"filer_name": "Họ và tên", "filer_contact": "Địa chỉ liên hệ",
            "text": "Nội dung ý kiến"}
# Plain text only: control characters (but line breaks and tabs) are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RESOLUTIONS = ("uphold", "dismiss")


@dataclass(frozen=True)
class ObjectionForm:
    filer_name: str
    filer_contact: str
    text: str


def clean(form: ObjectionForm) -> ObjectionForm:
    """The form as plain text, or InvalidInput listing every field at fault."""
    values = {name: _CONTROL.sub("", getattr(form, name)).replace("\r\n", "\n").strip()
              for name in LIMITS}
    errors = []
    for name, (low, high) in LIMITS.items():
        if not low <= len(values[name]) <= high:
            errors.append(f"{FIELD_VI[name]}: cần từ {low} đến {high} ký tự")
    if errors:
        raise InvalidInput(N_("Ý kiến chưa hợp lệ"), errors=errors)
    return ObjectionForm(**values)


def file_objection(session: Session, notice_id: int, nominee_id: int, form: ObjectionForm,
                   now: datetime, address: str | None = None,
                   filed_by: Actor | None = None) -> Objection:
    """Record an objection to one nominee on a running notice; flushes, never commits.
    `address` is the client's: each may file OBJECTIONS_PER_DAY a day, so nobody can hold
    every decision by flooding the secretary with objections. `filed_by` is the signed-in
    user who sent it (the API), recorded in the audit trail; the public page has none."""
    notice = get_notice(session, notice_id)
    if address is not None and login_brake.count_within_day(
            session, "objectn", address, now) > OBJECTIONS_PER_DAY:
        raise InvalidTransition(
            N_("Mỗi địa chỉ mạng chỉ gửi được %(count)s ý kiến trong 24 giờ; vui lòng thử lại "
               "sau hoặc gửi văn bản trực tiếp đến Ban Thi đua – Khen thưởng"),
            params={"count": OBJECTIONS_PER_DAY})
    if not is_running(notice, now):
        if now >= notice.ends_at:
            raise InvalidTransition(
                N_("Thời gian nhận ý kiến về danh sách này đã kết thúc ngày %(end)s"),
                params={"end": f"{notice.ends_at.astimezone(TZ):%d/%m/%Y}"})
        raise InvalidTransition(N_("Danh sách này chưa bắt đầu công khai"))
    if not any(e.nominee_id == nominee_id for e in notice.entries):
        raise InvalidInput(N_("Hãy chọn một cá nhân, tập thể có tên trong danh sách công khai"))
    if session.scalar(select(Objection.id).where(
            Objection.notice_id == notice.id, Objection.nominee_id == nominee_id,
            Objection.status == ObjectionStatus.UPHELD).limit(1)) is not None:
        raise InvalidTransition(N_("Ý kiến trước đây về người này đã được chấp nhận; hồ sơ "
                                   "của họ đã được chuyển lại Ban Thi đua – Khen thưởng"))
    form = clean(form)
    objection = Objection(notice_id=notice.id, nominee_id=nominee_id, filed_at=now,
                          status=ObjectionStatus.OPEN, filer_name=form.filer_name,
                          filer_contact=form.filer_contact, text=form.text)
    session.add(objection)
    session.flush()
    record_stream_event(session, notice_stream(notice.id), "file_objection",
                        filed_by or PUBLIC, now,
                        payload={"objection_id": objection.id, "nominee_id": nominee_id,
                                 "filer_name": form.filer_name, "text": form.text})
    session.flush()
    return objection


def resolve(session: Session, objection_id: int, actor: Any,
            resolution: Literal["uphold", "dismiss"] | str, reason: str | None,
            now: datetime) -> Objection:
    """The secretary's answer to an open objection; flushes, never commits."""
    who = require_secretary(actor)
    if resolution not in RESOLUTIONS:
        raise InvalidInput(N_("Hãy chọn chấp nhận hoặc bác ý kiến"))
    reason = (reason or "").strip()
    if resolution == "dismiss" and len(reason) < 3:
        raise InvalidInput(N_("Cần ghi lý do bác ý kiến"))
    if len(reason) > 4000:
        raise InvalidInput(N_("Lý do quá dài (tối đa 4000 ký tự)"))
    objection = _open_objection(session, objection_id)
    outcome: dict[str, Any] = {}
    if resolution == "uphold":
        outcome = _send_nominee_back(session, objection, who, reason, now)
        status = ObjectionStatus.UPHELD
    else:
        status = ObjectionStatus.DISMISSED
    objection.status, objection.resolved_by_id, objection.resolved_at = status, who.id, now
    objection.resolution = reason or None
    resolved = [objection]
    if status is ObjectionStatus.UPHELD:
        # The others on that nominee are answered by this one, not upheld on their own merits.
        for other in _same_nominee(session, objection):
            other.status, other.resolved_by_id, other.resolved_at = (
                ObjectionStatus.SETTLED, who.id, now)
            other.resolution = f"Đã giải quyết cùng ý kiến số {objection.id} (được chấp nhận)"
            resolved.append(other)
    record_stream_event(session, notice_stream(objection.notice_id), f"{resolution}_objection",
                        who, now, payload={"objection_ids": [o.id for o in resolved],
                                           "nominee_id": objection.nominee_id,
                                           "reason": reason or None, **outcome})
    session.flush()
    return objection


def _open_objection(session: Session, objection_id: int) -> Objection:
    objection = session.scalar(select(Objection).where(Objection.id == objection_id)
                               .with_for_update().execution_options(populate_existing=True))
    if objection is None:
        raise NotFound(N_("Không tìm thấy ý kiến số %(id)s"), params={"id": objection_id})
    if objection.status != ObjectionStatus.OPEN:
        raise InvalidTransition(N_("Ý kiến này đã được giải quyết"))
    return objection


def _same_nominee(session: Session, objection: Objection) -> list[Objection]:
    """Other open objections to the same nominee on the same notice: one upheld answers
    them all (the nominee is no longer on its way)."""
    return list(session.scalars(select(Objection).where(
        Objection.notice_id == objection.notice_id, Objection.nominee_id == objection.nominee_id,
        Objection.status == ObjectionStatus.OPEN, Objection.id != objection.id)))


def _send_nominee_back(session: Session, objection: Objection, who: Actor, reason: str,
                       now: datetime) -> dict[str, Any]:
    nominee = session.get(Nominee, objection.nominee_id)
    assert nominee is not None
    proposal = service.load_for_update(session, nominee.proposal_id)
    why = (f"Ý kiến về danh sách công khai số {objection.notice_id} đối với "
           f"{nominee.full_name} được chấp nhận: {reason or objection.text}")[:4000]
    if proposal.state not in ("at_council", "approved"):
        return {"proposal_id": proposal.id, "already": proposal.state}
    others = [n for n in proposal.nominees
              if n.id != nominee.id and n.outcome != Outcome.REJECTED]
    if others:
        new = split.split_nominee(session, proposal, nominee, who, why, now,
                                  payload={"objection_id": objection.id,
                                           "notice_id": objection.notice_id})
        return {"proposal_id": proposal.id, "split_to": new.id}
    service.act(session, proposal.id, "send_back", who, now=now, reason=why)
    return {"proposal_id": proposal.id, "sent_back": True}
