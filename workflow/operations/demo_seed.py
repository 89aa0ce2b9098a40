"""Demo data: the seed article's five campaigns, a small unit tree, users, and proposals
in every state, created through the service so that their audit trails are real."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Campaign, CouncilSession, Proposal, Role, Unit, User
from models.base import utcnow
from workflow.accounts.credentials import ensure_unit, ensure_user
from workflow.actors import Actor, as_actor
from workflow.campaigns.rulesets import compiled, load_ruleset_file, shipped_ruleset_files
from workflow.council import proceedings as council
from workflow.decisions import issuing as decisions
from workflow.filing.dossier import add_document, add_nominee, create_proposal
from workflow.notices import publication as notices
from workflow.proposals.service import act

DEMO_PASSWORD = "tdkt-demo"
DEMO_SIGNER = "Hoàng Văn Thắng"  # a made-up name for the Chairman who signs demo decisions
VN = ZoneInfo("Asia/Ho_Chi_Minh")
Progress = Callable[[str], None]

UNITS = [  # code, name, parent code
    ("UBND-LS", "UBND tỉnh Lạng Sơn", None),
    ("SNV", "Sở Nội vụ — Ban Thi đua – Khen thưởng", "UBND-LS"),
    ("STTTT", "Sở Thông tin và Truyền thông", "UBND-LS"),
    ("UBND-CL", "UBND huyện Cao Lộc", "UBND-LS"),
    ("THCS-CL", "Trường THCS thị trấn Cao Lộc", "UBND-CL"),
]

USERS = [  # username, full name, roles, unit code
    ("unit1", "Lường Thị Hoa (cán bộ TĐKT Sở TT&TT)", [Role.UNIT_CLERK], "STTTT"),
    ("unit2", "Hoàng Văn Nam (cán bộ TĐKT huyện Cao Lộc)", [Role.UNIT_CLERK], "UBND-CL"),
    ("reviewer", "Nông Thị Mai (chuyên viên Ban TĐKT)", [Role.BOARD_REVIEWER], "SNV"),
    ("reviewer2", "Vi Văn Tùng (chuyên viên Ban TĐKT)", [Role.BOARD_REVIEWER], "SNV"),
    ("boardhead", "Lăng Văn Quân (Trưởng ban TĐKT)", [Role.BOARD_HEAD, Role.BOARD_REVIEWER],
     "SNV"),
    ("secretary", "Chu Thị Lan (Thư ký Hội đồng TĐKT)", [Role.COUNCIL_SECRETARY], "SNV"),
    ("member1", "Hà Văn Bình (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "UBND-LS"),
    ("member2", "Hoàng Thị Thu (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "UBND-LS"),
    ("member3", "Nông Văn Hải (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "SNV"),
    ("member4", "Lý Thị Nga (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "STTTT"),
    ("member5", "Vi Văn Thắng (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "UBND-LS"),
    ("member6", "Dương Thị Hiền (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "UBND-CL"),
    ("member7", "Chu Văn Lâm (thành viên Hội đồng TĐKT)", [Role.COUNCIL_MEMBER], "UBND-LS"),
    ("admin", "Quản trị hệ thống", [Role.ADMIN], "UBND-LS"),
]


@dataclass
class SeedReport:
    units: int = 0
    users: int = 0
    rule_versions_created: int = 0
    proposals_created: int = 0


def seed_demo(session: Session, storage_dir: Path, progress: Progress = lambda _: None,
              password_hash: str | None = None, now: datetime | None = None) -> SeedReport:
    """Idempotent: units, users and rule sets are brought up to date; proposals are only
    created when the database has none."""
    report = SeedReport()
    units = seed_units(session)
    report.units = len(units)
    progress("units")
    users = seed_users(session, units, password_hash)
    report.users = len(users)
    progress("users")
    for path in shipped_ruleset_files():
        report.rule_versions_created += load_ruleset_file(session, path).created
        progress(f"rules {path.name}")
    if (session.scalar(select(func.count()).select_from(Proposal)) or 0) == 0:
        report.proposals_created = seed_proposals(session, users, storage_dir, progress, now)
    return report


def seed_units(session: Session) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, name, parent in UNITS:
        units[code] = ensure_unit(session, code, name, units.get(parent) if parent else None)
    return units


def seed_users(session: Session, units: dict[str, Unit],
               password_hash: str | None = None) -> dict[str, User]:
    return {
        username: ensure_user(session, username, name, roles, units[unit], DEMO_PASSWORD,
                              email=f"{username}@tdkt.example", password_hash=password_hash)
        for username, name, roles, unit in USERS
    }


def _at(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=VN)


def _person(name: str, form: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "individual", "full_name": name, "award_form": form, **extra}


def _group(name: str, form: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "collective", "full_name": name, "award_form": form, **extra}


# (unit clerk, campaign, title, nominees, documents, path through the machine, start: a
# fixed time, or a number of days before the day of seeding)
DEMO_PROPOSALS: list[tuple[str, str, str, list[dict[str, Any]], list[str], str,
                           datetime | int]] = [
    ("unit1", "CDS-2022", "Đề nghị khen thưởng thành tích Chuyển đổi số năm 2022",
     [_person("Nguyễn Văn An", "BK_CT_UBND", position="Trưởng phòng Chuyển đổi số",
              years_in_service=8, attributes={"digital_outcome": True,
                                              "initiative_recognised": True}),
      _group("Phòng Bưu chính, Viễn thông và Chuyển đổi số", "GIAY_KHEN")],
     ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"], "decided", _at(2022, 11, 10)),
    ("unit1", "CDS-2022", "Đề nghị tặng Bằng khen cá nhân có sáng kiến chuyển đổi số",
     [_person("Hoàng Thị Bình", "BK_CT_UBND", position="Chuyên viên", years_in_service=3,
              attributes={"digital_outcome": True})],
     ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"], "rejected", _at(2022, 11, 14)),
    ("unit2", "CDS-2022", "Đề nghị khen thưởng tập thể xã điển hình chuyển đổi số",
     [_group("UBND xã Hợp Thành", "BK_CT_UBND", attributes={"digital_outcome": True})],
     ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"], "approved", _at(2022, 11, 11)),
    # Proposals still in progress are dated a few days back from the day of seeding, so
    # their time limits run in the demo as they would in real life.
    ("unit1", "GN-2021-2025", "Đề nghị tặng Giấy khen cán bộ hỗ trợ giảm nghèo",
     [_person("Đinh Văn Cường", "GIAY_KHEN", position="Chuyên viên", years_in_service=4)],
     ["to_trinh", "bao_cao_tom_tat"], "at_council", 6),
    ("unit2", "GN-2021-2025", "Đề nghị tặng Giấy khen cán bộ một cửa",
     [_person("Lương Thị Dung", "GIAY_KHEN", position="Công chức Văn phòng – Thống kê",
              years_in_service=6)],
     ["to_trinh", "bao_cao_tom_tat"], "under_review", 3),
    ("unit2", "GN-2021-2025", "Đề nghị tặng Bằng khen giáo viên vận động hỗ trợ hộ nghèo",
     [_person("Vy Thị Hằng", "BK_CT_UBND", position="Giáo viên", work_unit="Trường THCS "
              "thị trấn Cao Lộc", years_in_service=12, attributes={"households_lifted": 12})],
     ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"], "returned", 5),
    ("unit1", "GN-2021-2025", "Đề nghị khen thưởng tổng kết phong trào vì người nghèo",
     [_person("Triệu Văn Đức", "BK_CT_UBND", position="Phó Giám đốc Sở", years_in_service=20,
              attributes={"households_lifted": 15, "contribution_million_vnd": 50.0})],
     ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"], "submitted", 2),
    ("unit2", "GN-2021-2025", "Đề nghị tặng Giấy khen (đã rút để bổ sung)",
     [_person("Mã Văn Giang", "GIAY_KHEN", position="Trưởng thôn")],
     [], "withdrawn", 4),
    ("unit1", "GN-2021-2025", "Dự thảo đề nghị tặng Giấy khen tập thể",
     [_group("Đoàn Thanh niên Sở Thông tin và Truyền thông", "GIAY_KHEN")],
     ["to_trinh"], "draft", 1),
    # Approved by the Council; its list is on public notice (see seed_notices).
    ("unit2", "GPMB-2022-2025", "Đề nghị tặng Cờ thi đua Ban bồi thường, giải phóng mặt bằng",
     [_group("Ban Bồi thường, hỗ trợ và tái định cư huyện Cao Lộc", "CO_THI_DUA_TINH",
             attributes={"on_schedule": True, "hectares_cleared": 42.5})],
     ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"], "approved", 8),
    ("unit2", "TN-2021-2030", "Dự thảo đề nghị Chiến sĩ thi đua cấp tỉnh (thanh niên)",
     [_person("Lộc Thị Kim", "CSTD_TINH", position="Bí thư Huyện đoàn", years_in_service=7,
              prior_titles={2023: ["CSTD_CS"], 2024: ["CSTD_CS"], 2025: ["CSTD_CS"]},
              attributes={"age": 29, "initiative_recognised": True})],
     [], "draft", 1),
]

# The triggers that lead from draft to each demo state, with their actor and input.
PATHS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "draft": [],
    "withdrawn": [("clerk", "withdraw", {"reason": "Rút để bổ sung thành tích"})],
    "submitted": [("clerk", "submit", {})],
    "under_review": [("clerk", "submit", {}), ("reviewer", "claim", {})],
    "returned": [("clerk", "submit", {}), ("reviewer", "claim", {}),
                 ("reviewer", "return", {"reason": "Báo cáo thành tích chưa có xác nhận "
                                                   "của thủ trưởng đơn vị; đề nghị bổ sung"})],
    "at_council": [("clerk", "submit", {}), ("reviewer", "claim", {}),
                   ("reviewer", "forward", {})],
    "approved": [("clerk", "submit", {}), ("reviewer", "claim", {}),
                 ("reviewer", "forward", {}), ("secretary", "decide", {"pass": True})],
    "rejected": [("clerk", "submit", {}), ("reviewer", "claim", {}),
                 ("reviewer", "forward", {}), ("secretary", "decide", {"pass": False})],
    "decided": [("clerk", "submit", {}), ("reviewer", "claim", {}),
                ("reviewer", "forward", {}), ("secretary", "decide", {"pass": True}),
                ("secretary", "issue_decision", {"signer_name": DEMO_SIGNER})],
}


def seed_proposals(session: Session, users: dict[str, User], storage_dir: Path,
                   progress: Progress, now: datetime | None = None) -> int:
    now = now or utcnow()
    for clerk, campaign, title, nominees, docs, target, when in DEMO_PROPOSALS:
        start = when if isinstance(when, datetime) else _recent(session, campaign, when, now)
        proposal = create_proposal(session, users[clerk], campaign, title, now=start)
        for data in nominees:
            add_nominee(session, proposal.id, users[clerk], data, now=start)
        for doc in docs:
            add_document(session, proposal.id, users[clerk], doc, f"{doc}.pdf",
                         _demo_pdf(title, doc), storage_dir, "application/pdf", now=start)
        walk_to(session, proposal, users, clerk, target, start)
        if target == "at_council":  # the demo's Council is sitting on it now
            open_sitting_for(session, proposal, users["secretary"], now)
        progress(f"proposal {proposal.id}: {target}")
    seed_notices(session, users, now, progress)
    return len(DEMO_PROPOSALS)


def seed_notices(session: Session, users: dict[str, User], now: datetime,
                 progress: Progress) -> None:
    """Publish, as of now, every list a campaign's rules ask for that has someone on it."""
    for rule in notices.notice_rules(session):
        if notices.candidates(session, rule.campaign_id, rule.award_form_code, rule.stage):
            notice = notices.publish(session, users["secretary"], rule.campaign_id,
                                     rule.award_form_code, now)
            progress(f"notice {notice.id}: {rule.campaign_code} {rule.award_form_code}")


def _recent(session: Session, code: str, days_ago: int, now: datetime) -> datetime:
    """`days_ago` days before now, moved inside the campaign's submission window (with
    room for the steps that follow) when the window is already closed."""
    campaign = session.scalar(select(Campaign).where(Campaign.code == code))
    assert campaign is not None and campaign.active_ruleset is not None
    window = compiled(campaign.active_ruleset).rules.submission
    start = (now - timedelta(days=days_ago)).astimezone(VN)
    latest = datetime.combine(window.closes - timedelta(days=days_ago), time(9), VN)
    earliest = datetime.combine(window.opens, time(9), VN)
    return max(earliest, min(start, latest))


def walk_to(session: Session, proposal: Proposal, users: dict[str, User], clerk: str,
            target: str, start: datetime) -> None:
    """Drive a draft through the service to `target`, one day per step. The Council
    decides in a sitting of its own, held, voted and closed that day."""
    actors = {"clerk": users[clerk], "reviewer": users["reviewer"],
              "secretary": users["secretary"]}
    for day, (who, trigger, data) in enumerate(PATHS[target], start=1):
        payload = dict(data)
        now = start + timedelta(days=day)
        if trigger == "decide":
            sitting = open_sitting_for(session, proposal, users["secretary"], now)
            decide_in_sitting(session, sitting.id, proposal, users["secretary"],
                              payload["pass"], now)
            continue
        if trigger == "issue_decision":
            issue_decisions(session, proposal, actors[who], payload["signer_name"], now)
            continue
        act(session, proposal.id, trigger, actors[who], now=now, **payload)


DEMO_PLACE = "Hội trường UBND tỉnh Lạng Sơn"


def open_sitting_for(session: Session, proposal: Proposal, secretary: User | Actor,
                     now: datetime) -> CouncilSession:
    """An open sitting that day, every council member present, the proposal its agenda."""
    actor = as_actor(secretary)
    day = now.astimezone(VN).date()
    sitting = council.create(session, council.SittingInput(
        f"Phiên họp Hội đồng Thi đua – Khen thưởng ngày {day:%d/%m/%Y}", day, DEMO_PLACE,
        frozenset(m.id for m in council.roster(session))), actor, now)
    council.add_to_agenda(session, sitting.id, [proposal.id], actor, now)
    return council.open_sitting(session, sitting.id, actor, now)


def decide_in_sitting(session: Session, sitting_id: int, proposal: Proposal,
                      secretary: User | Actor, passed: bool, now: datetime) -> None:
    """Every nominee unanimously passed, or 3 in 7 yes (under any shipped threshold);
    then the proposal is finalized and the sitting closed."""
    actor = as_actor(secretary)
    roster = len(council.roster(session))
    yes = roster if passed else (3 * roster) // 7
    for nominee in proposal.nominees:
        council.record(session, sitting_id, nominee.id,
                       council.Count(yes=yes, no=roster - yes), actor, now)
    council.finalize(session, sitting_id, proposal.id, actor, now)
    council.close(session, sitting_id, actor, now)


def issue_decisions(session: Session, proposal: Proposal, secretary: User, signer: str,
                    now: datetime) -> None:
    """Real numbered decisions for the proposal's passed nominees, one per award form;
    the last moves the proposal to `decided`."""
    forms = sorted({n.award_form_code for n in proposal.nominees if n.outcome == "passed"})
    for form in forms:
        decisions.issue(session, secretary, {
            "campaign_id": proposal.campaign_id, "proposal_ids": [proposal.id],
            "award_form": form, "signed_on": now.astimezone(VN).date(),
            "signer_name": signer}, now=now)


def _demo_pdf(title: str, doc: str) -> bytes:
    text = f"tdkt demo document: {doc} — {title}".encode()
    return b"%PDF-1.4\n% demo\n" + text + b"\n%%EOF\n"
