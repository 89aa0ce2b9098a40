"""Administration: units, user accounts and campaign rule sets.

Every change checks that the actor is an active administrator, validates its whole input
(every problem at once, in Vietnamese; marked with N_, so that a page shows each in the
reader's language), changes nothing when it refuses, and appends
one audit event: `unit:<code>` and `user:<username>` here, `campaign:<code>` through
workflow.rulesets. Passwords and their hashes never enter an event. The caller owns the
unit of work; reads take no actor (the pages that show them are gated).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AuditEvent, Campaign, Role, RuleSetVersion, Unit, User, UserRole
from models.base import utcnow
from rules.limits import LIMITS as SOURCE_LIMITS
from rules.loader import load_text
from rules.schema import RuleSet
from workflow.accounts.credentials import check_password, hash_password, set_password
from workflow.actors import Actor
from workflow.audit.chain import record_stream_event
from workflow.campaigns.rulesets import LoadResult, activate_version, load_ruleset_text
from workflow.errors import N_, Figure, InvalidInput, NotFound, PermissionDenied, Text

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
UNIT_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{1,39}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME = 255
MAX_RULESET_CHARS = SOURCE_LIMITS.max_chars
UNIT_NAME, FULL_NAME = Text(N_("Tên đơn vị")), Text(N_("Họ và tên"))
T = TypeVar("T")


def require_admin(actor: Actor) -> None:
    if not (actor.active and Role.ADMIN.value in actor.roles):
        raise PermissionDenied(N_("Chỉ quản trị viên mới được thực hiện thao tác này."))


class InvalidFields(InvalidInput):
    """A form refused for every problem at once: `problems` are the refusals, each shown on
    its own in the reader's language; `errors` (a detail) their Vietnamese messages."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        errors = [p.message for p in problems]
        super().__init__(N_("Dữ liệu không hợp lệ — %(problems)s"),
                         params={"problems": "; ".join(errors)}, errors=errors)
        self.problems = problems


class _Checks:
    """Run each validator, keep every refusal, refuse once with all of them."""

    def __init__(self) -> None:
        self.problems: list[InvalidInput] = []

    def __call__(self, check: Callable[..., T], *args: Any) -> T:
        try:
            return check(*args)
        except InvalidInput as exc:
            self.problems.append(exc)
            return None  # type: ignore[return-value]

    def refuse(self, template: str, **params: Any) -> None:
        self.problems.append(InvalidInput(template, params=params))

    def done(self) -> None:
        if self.problems:
            raise InvalidFields(self.problems)


def _name(value: str | None, label: Text) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(N_("%(field)s: không được để trống."), params={"field": label})
    if len(text) > MAX_NAME:
        raise InvalidInput(N_("%(field)s: tối đa %(max)s ký tự."),
                           params={"field": label, "max": MAX_NAME})
    return text


def _username(value: str | None) -> str:
    text = (value or "").strip()
    if not USERNAME.fullmatch(text):
        raise InvalidInput(N_("Tên đăng nhập: 3–40 ký tự, chỉ gồm chữ thường không dấu (a-z), "
                              "chữ số, dấu chấm, gạch dưới, gạch ngang; bắt đầu bằng chữ hoặc "
                              "số."))
    return text


def _unit_code(value: str | None) -> str:
    text = (value or "").strip().upper()
    if not UNIT_CODE.fullmatch(text):
        raise InvalidInput(N_("Mã đơn vị: 2–40 ký tự, chỉ gồm chữ không dấu, chữ số, dấu chấm, "
                              "gạch dưới, gạch ngang."))
    return text


def _email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_NAME or not EMAIL.fullmatch(text):
        raise InvalidInput(N_("Thư điện tử không hợp lệ: “%(email)s”."),
                           params={"email": text[:60]})
    return text


def _roles(values: Iterable[str]) -> frozenset[Role]:
    known = {r.value: r for r in Role}
    unknown = sorted({v for v in values if v not in known})
    if unknown:
        raise InvalidInput(N_("Vai trò không hợp lệ: %(roles)s."),
                           params={"roles": ", ".join(u[:40] for u in unknown)})
    chosen = frozenset(known[v] for v in values)
    if not chosen:
        raise InvalidInput(N_("Hãy chọn ít nhất một vai trò."))
    return chosen


def _clerk_needs_unit(unit: Unit | None, roles: frozenset[Role] | None) -> None:
    if roles and Role.UNIT_CLERK in roles and unit is None:
        raise InvalidInput(N_("Cán bộ TĐKT đơn vị phải thuộc một đơn vị."))


def _unit_or_none(session: Session, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise InvalidInput(N_("Đơn vị đã chọn không tồn tại."))
    return unit


def _change(before: Any, after: Any) -> dict[str, Any]:
    return {"from": before, "to": after}


def _audit(session: Session, stream: str, action: str, actor: Actor, now: datetime | None,
           payload: dict[str, Any]) -> None:
    record_stream_event(session, stream, action, actor, now or utcnow(), payload=payload)
    session.flush()


# --- units -------------------------------------------------------------------------------

def create_unit(session: Session, actor: Actor, code: str | None, name: str | None,
                parent_id: int | None = None, now: datetime | None = None) -> Unit:
    require_admin(actor)
    checks = _Checks()
    code_ok = checks(_unit_code, code)
    name_ok = checks(_name, name, UNIT_NAME)
    parent = checks(_unit_or_none, session, parent_id)
    if code_ok and session.scalar(select(Unit.id).where(func.upper(Unit.code) == code_ok)):
        checks.refuse(N_("Mã đơn vị “%(code)s” đã tồn tại."), code=code_ok)
    checks.done()
    unit = Unit(code=code_ok, name=name_ok, parent=parent)
    session.add(unit)
    session.flush()
    _audit(session, f"unit:{unit.code}", "create_unit", actor, now,
           {"code": unit.code, "name": unit.name, "parent": parent.code if parent else None})
    return unit


def update_unit(session: Session, actor: Actor, unit_id: int, name: str | None,
                parent_id: int | None, now: datetime | None = None) -> Unit:
    """Rename a unit or move it under another parent (never under itself or a descendant)."""
    require_admin(actor)
    unit = get_unit(session, unit_id)
    checks = _Checks()
    name_ok = checks(_name, name, UNIT_NAME)
    parent = checks(_unit_or_none, session, parent_id)
    if parent is not None and _within(parent, unit):
        checks.refuse(N_("Không thể chuyển đơn vị vào chính nó hoặc một đơn vị cấp dưới "
                         "của nó."))
    checks.done()
    changes: dict[str, Any] = {}
    if name_ok != unit.name:
        changes["name"] = _change(unit.name, name_ok)
    if (parent.id if parent else None) != unit.parent_id:
        changes["parent"] = _change(unit.parent.code if unit.parent else None,
                                    parent.code if parent else None)
    if changes:
        unit.name, unit.parent = name_ok, parent
        session.flush()
        _audit(session, f"unit:{unit.code}", "update_unit", actor, now, changes)
    return unit


def _within(candidate: Unit, unit: Unit) -> bool:
    """Whether `candidate` is `unit` or lies below it."""
    seen: set[int] = set()
    node: Unit | None = candidate
    while node is not None and node.id not in seen:
        if node.id == unit.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


# --- users -------------------------------------------------------------------------------

def create_user(session: Session, actor: Actor, *, username: str | None, full_name: str | None,
                email: str | None, unit_id: int | None, roles: Iterable[str],
                password: str | None, now: datetime | None = None) -> User:
    require_admin(actor)
    checks = _Checks()
    name = checks(_username, username)
    full = checks(_name, full_name, FULL_NAME)
    mail = checks(_email, email)
    unit = checks(_unit_or_none, session, unit_id)
    wanted = checks(_roles, list(roles))
    checks(_clerk_needs_unit, unit, wanted)
    checks(check_password, password, (username or "").strip())
    if name and session.scalar(select(User.id).where(func.lower(User.username) == name)):
        checks.refuse(N_("Tên đăng nhập “%(name)s” đã được dùng."), name=name)
    checks.done()
    user = User(username=name, full_name=full, email=mail, unit=unit, active=True,
                password_hash=hash_password(password or ""),
                role_rows=[UserRole(role=r) for r in sorted(wanted)])
    session.add(user)
    session.flush()
    _audit(session, f"user:{name}", "create_user", actor, now,
           {"username": name, "full_name": full, "email": mail,
            "unit": unit.code if unit else None, "roles": sorted(r.value for r in wanted)})
    return user


def update_profile(session: Session, actor: Actor, user_id: int, full_name: str | None,
                   email: str | None, unit_id: int | None, now: datetime | None = None) -> User:
    require_admin(actor)
    user = get_user(session, user_id)
    checks = _Checks()
    full = checks(_name, full_name, FULL_NAME)
    mail = checks(_email, email)
    unit = checks(_unit_or_none, session, unit_id)
    checks(_clerk_needs_unit, unit, user.roles)
    checks.done()
    changes: dict[str, Any] = {}
    if full != user.full_name:
        changes["full_name"] = _change(user.full_name, full)
    if mail != user.email:
        changes["email"] = _change(user.email, mail)
    if (unit.id if unit else None) != user.unit_id:
        changes["unit"] = _change(user.unit.code if user.unit else None,
                                  unit.code if unit else None)
    if changes:
        user.full_name, user.email, user.unit = full, mail, unit
        _audit(session, f"user:{user.username}", "update_user", actor, now, changes)
    return user


def set_roles(session: Session, actor: Actor, user_id: int, roles: Iterable[str],
              now: datetime | None = None) -> User:
    require_admin(actor)
    user = get_user(session, user_id)
    wanted = _roles(list(roles))
    if user.id == actor.id and Role.ADMIN not in wanted:
        raise InvalidInput(N_("Bạn không thể tự bỏ vai trò quản trị của chính mình."))
    _clerk_needs_unit(user.unit, wanted)
    before = user.roles
    if wanted != before:
        user.role_rows = [r for r in user.role_rows if r.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - before)]
        _audit(session, f"user:{user.username}", "set_roles", actor, now,
               {"roles": sorted(r.value for r in wanted),
                "added": sorted(r.value for r in wanted - before),
                "removed": sorted(r.value for r in before - wanted)})
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool,
               now: datetime | None = None) -> User:
    """Deactivate (the account's sessions end on their next request) or reactivate."""
    require_admin(actor)
    user = get_user(session, user_id)
    if not active and user.id == actor.id:
        raise InvalidInput(N_("Bạn không thể tự khoá tài khoản của chính mình."))
    if user.active != active:
        user.active = active
        if not active:  # so that a reactivation does not revive the cookies of before
            user.session_epoch += 1
        _audit(session, f"user:{user.username}",
               "reactivate_user" if active else "deactivate_user", actor, now, {})
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str | None,
                   now: datetime | None = None) -> User:
    """Set a new password that meets the policy; the user's sessions end (the session id
    carries its fingerprint) and a login lock on the name is released."""
    require_admin(actor)
    user = get_user(session, user_id)
    set_password(session, user, password, actor, "reset_password", now or utcnow())
    return user


# --- campaigns and rule sets ---------------------------------------------------------------

def load_ruleset(session: Session, actor: Actor, text: str, filename: str = "editor.yaml",
                 campaign_code: str | None = None, now: datetime | None = None) -> LoadResult:
    """Store an edited or uploaded rule set as the campaign's new active version.

    With `campaign_code` the document must belong to that campaign; without it, it must
    name a new one. A bad document raises rules.loader.RuleSetError and changes nothing.
    """
    require_admin(actor)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput(N_("Nội dung bộ quy tắc đang trống."))
    if len(text) > MAX_RULESET_CHARS:
        raise InvalidInput(N_("Bộ quy tắc quá dài (tối đa %(max)s ký tự)."),
                           params={"max": Figure(f"{MAX_RULESET_CHARS:,}".replace(",", "."),
                                                 f"{MAX_RULESET_CHARS:,}")})
    rules = load_text(text, filename).rules
    _check_target(session, rules, campaign_code)
    return load_ruleset_text(session, text, filename, actor, now)


def _check_target(session: Session, rules: RuleSet, campaign_code: str | None) -> None:
    if len(rules.title) > 500:
        raise InvalidInput(N_("Tên phong trào (title) tối đa %(max)s ký tự."),
                           params={"max": 500})
    if campaign_code is not None and rules.campaign != campaign_code:
        raise InvalidInput(N_("Mã phong trào trong tệp (“%(found)s”) khác phong trào đang sửa "
                              "(“%(code)s”)."),
                           params={"found": rules.campaign, "code": campaign_code})
    if campaign_code is None and session.scalar(
            select(Campaign.id).where(Campaign.code == rules.campaign)) is not None:
        raise InvalidInput(N_("Phong trào “%(code)s” đã có; hãy tải phiên bản mới tại trang bộ "
                              "quy tắc của phong trào đó."),
                           params={"code": rules.campaign})


def activate_ruleset(session: Session, actor: Actor, campaign_code: str, number: int,
                     now: datetime | None = None) -> RuleSetVersion:
    """Make an earlier (or later) stored version the active one; audited on the campaign."""
    require_admin(actor)
    version = get_version(session, campaign_code, number)
    campaign = version.campaign
    if campaign.active_ruleset_id == version.id:
        raise InvalidInput(N_("Phiên bản %(n)s đang được áp dụng."), params={"n": number})
    activate_version(session, campaign_code, number, actor, now)
    return version


# --- reads -------------------------------------------------------------------------------

def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("Không tìm thấy đơn vị."))
    return unit


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Không tìm thấy tài khoản."))
    return user


def unit_tree(session: Session) -> list[tuple[Unit, int]]:
    """Every unit with its depth, parents before their children, siblings by name."""
    units = list(session.scalars(select(Unit).order_by(Unit.name)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[Unit, int]] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        ordered.append((unit, depth))
        stack += [(c, depth + 1) for c in reversed(children.get(unit.id, []))]
    return ordered


def list_users(session: Session, unit_id: int | None = None, role: str | None = None,
               active: bool | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    if role in {r.value for r in Role}:
        query = query.where(User.id.in_(select(UserRole.user_id)
                                        .where(UserRole.role == Role(role))))
    if active is not None:
        query = query.where(User.active.is_(active))
    return list(session.scalars(query))


def counts(session: Session) -> dict[str, int]:
    def count(model: Any, *where: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {"units": count(Unit), "users": count(User),
            "inactive_users": count(User, User.active.is_(False)),
            "campaigns": count(Campaign), "versions": count(RuleSetVersion)}


def campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.code)))


def get_campaign(session: Session, code: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.code == code))
    if campaign is None:
        raise NotFound(N_("Không tìm thấy phong trào “%(code)s”."), params={"code": code[:40]})
    return campaign


def versions(session: Session, campaign: Campaign) -> list[RuleSetVersion]:
    return list(session.scalars(select(RuleSetVersion).where(
        RuleSetVersion.campaign_id == campaign.id).order_by(RuleSetVersion.version.desc())))


def get_version(session: Session, campaign_code: str, number: int) -> RuleSetVersion:
    campaign = get_campaign(session, campaign_code)
    version = session.scalar(select(RuleSetVersion).where(
        RuleSetVersion.campaign_id == campaign.id, RuleSetVersion.version == number))
    if version is None:
        raise NotFound(N_("Phong trào %(code)s không có phiên bản %(n)s."),
                       params={"code": campaign_code, "n": number})
    return version


def history(session: Session, stream: str, limit: int = 50) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.stream == stream)
                                .order_by(AuditEvent.seq.desc()).limit(limit)))
