"""Campaign checks: plain facts in, Vietnamese findings that name the nominee out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rules.checks import (
    NomineeFacts,
    ProposalFacts,
    blocking,
    has_consecutive_titles,
    run_checks,
)
from rules.loader import load_file
from rules.schema import PriorTitleRule, Severity
from workflow.campaigns.rulesets import shipped_ruleset_files

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FILES = {p.stem: p for p in shipped_ruleset_files()}
CDS = load_file(FILES["cds-2022"])  # window 01/11/2022 – 15/12/2022, BK quota 3
TN = load_file(FILES["tn-2021-2030"])  # award year 2026, CSTD_TINH needs 3 × CSTD_CS
CDS_OPEN = datetime(2022, 11, 15, 9, 0, tzinfo=VN)
TN_OPEN = datetime(2026, 10, 1, 9, 0, tzinfo=VN)

CDS_BK_DOCS = frozenset({"to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"})
TN_CSTD_DOCS = frozenset({"to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet",
                          "bien_ban_kiem_phieu", "sang_kien"})
CSTD_CS = frozenset({"CSTD_CS"})


def an(name: str = "Nguyễn Văn An", form: str = "BK_CT_UBND", **extra) -> NomineeFacts:
    """An individual who meets every CDS-2022 criterion unless told otherwise."""
    facts = {"years_in_service": 8, "attributes": {"digital_outcome": True,
                                                   "initiative_recognised": True}}
    facts.update(extra)
    return NomineeFacts(name=name, kind=facts.pop("kind", "individual"), award_form=form,
                        **facts)


def group(name: str, form: str = "BK_CT_UBND", **extra) -> NomineeFacts:
    return an(name, form, kind="collective", years_in_service=None, **extra)


def cds(*nominees: NomineeFacts, docs=CDS_BK_DOCS, already=None, now=CDS_OPEN):
    facts = ProposalFacts(list(nominees), frozenset(docs), already or {})
    return run_checks(CDS, facts, now)


def codes(findings) -> list[tuple[str, str | None]]:
    return [(f.code, f.nominee) for f in findings]


def test_a_complete_proposal_in_the_window_has_no_findings():
    assert cds(an(), group("UBND xã Hợp Thành")) == []


# --- the submission window, in Vietnam's time zone -------------------------------------

@pytest.mark.parametrize(("now", "open_"), [
    (datetime(2022, 10, 31, 16, 59, tzinfo=UTC), False),  # 31/10 23:59 in Vietnam
    (datetime(2022, 10, 31, 17, 0, tzinfo=UTC), True),    # 01/11 00:00 in Vietnam
    (datetime(2022, 12, 15, 16, 59, tzinfo=UTC), True),   # 15/12 23:59 in Vietnam
    (datetime(2022, 12, 15, 17, 30, tzinfo=UTC), False),  # evening UTC, 16/12 in Vietnam
    (datetime(2023, 1, 5, 9, 0, tzinfo=VN), False),
], ids=["eve-of-opening", "opening-midnight", "last-minute", "closing-evening-utc", "after"])
def test_the_submission_window_is_judged_by_the_date_in_vietnam(now: datetime, open_: bool):
    findings = cds(an(), now=now)
    if open_:
        assert findings == []
    else:
        [finding] = findings
        assert (finding.code, finding.severity) == ("window_closed", Severity.BLOCKING)
        assert finding.message == ("Ngoài thời hạn nộp hồ sơ của phong trào "
                                   "(từ 01/11/2022 đến 15/12/2022)")


def test_a_naive_time_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        cds(an(), now=datetime(2022, 11, 15, 9, 0))


# --- quota per unit -------------------------------------------------------------------

def test_the_quota_counts_nominees_already_filed_by_the_unit():
    two = [an("Nguyễn Văn An"), an("Trần Thị Bích")]
    assert cds(*two, already={"BK_CT_UBND": 1}) == []
    [finding] = cds(*two, already={"BK_CT_UBND": 2})
    assert (finding.code, finding.severity, finding.nominee) == (
        "quota_exceeded", Severity.BLOCKING, None)
    assert finding.message == ("Vượt số lượng tối đa của đơn vị cho “Bằng khen của Chủ tịch "
                               "UBND tỉnh”: 4/3 (kể cả các hồ sơ khác đã nộp)")


def test_the_quota_is_per_award_form():
    # Other forms filed by the unit do not count against the Bằng khen quota.
    assert cds(an(), an("Trần Thị Bích"), already={"GIAY_KHEN": 5}) == []
    findings = cds(*(an(f"Cá nhân {i}") for i in range(4)))
    assert codes(findings) == [("quota_exceeded", None)]
    assert "4/3" in findings[0].message


# --- documents ------------------------------------------------------------------------

def test_missing_required_documents_are_listed_by_their_vietnamese_names():
    findings = cds(an(), docs={"to_trinh"})
    assert all(f.blocking and f.code == "missing_document" for f in findings)
    assert [f.message for f in findings] == [
        "Thiếu tài liệu bắt buộc: Báo cáo thành tích",
        "Thiếu tài liệu bắt buộc: Biên bản họp xét của Hội đồng TĐKT đơn vị",
    ]


def test_documents_required_by_any_nominee_form_are_required_once():
    findings = cds(an(), an("Lò Văn Cường", "GIAY_KHEN"), docs=set())
    assert [f.message for f in findings] == [
        "Thiếu tài liệu bắt buộc: Tờ trình đề nghị khen thưởng kèm danh sách",
        "Thiếu tài liệu bắt buộc: Báo cáo thành tích",
        "Thiếu tài liệu bắt buộc: Biên bản họp xét của Hội đồng TĐKT đơn vị",
    ]
    # Giấy khen alone does not need the council minutes.
    assert cds(an("Lò Văn Cường", "GIAY_KHEN"),
               docs={"to_trinh", "bao_cao_thanh_tich"}) == []


# --- eligibility ----------------------------------------------------------------------

def test_an_unmet_criterion_blocks_and_names_the_nominee():
    findings = cds(an("Hoàng Thị Bình", years_in_service=1, id=7), an("Nguyễn Văn An"))
    [finding] = findings
    assert (finding.code, finding.severity) == ("not_eligible", Severity.BLOCKING)
    assert (finding.nominee, finding.nominee_id) == ("Hoàng Thị Bình", 7)
    assert finding.message == "Cá nhân cần có ít nhất 2 năm công tác"
    assert finding.as_dict()["nominee"] == "Hoàng Thị Bình"


def test_a_criterion_the_rule_set_marks_as_warning_does_not_block():
    findings = cds(an("Hoàng Thị Bình", attributes={"digital_outcome": True,
                                                     "initiative_recognised": False}))
    [finding] = findings
    assert (finding.code, finding.severity, finding.nominee) == (
        "not_eligible", Severity.WARNING, "Hoàng Thị Bình")
    assert finding.message == "Chưa có sáng kiến được công nhận (khuyến khích, không bắt buộc)"
    assert blocking(findings) == []


def test_blocking_findings_come_before_warnings():
    findings = cds(an("Hoàng Thị Bình", attributes={"digital_outcome": True,
                                                     "initiative_recognised": False}),
                   an("Nguyễn Văn An", disciplined=True))
    assert [(f.severity, f.nominee, f.message) for f in findings] == [
        (Severity.BLOCKING, "Nguyễn Văn An", "Đang trong thời gian bị kỷ luật"),
        (Severity.WARNING, "Hoàng Thị Bình",
         "Chưa có sáng kiến được công nhận (khuyến khích, không bắt buộc)"),
    ]


def test_missing_data_is_reported_with_the_criterion_and_its_severity():
    findings = cds(an("Đinh Văn Cường", years_in_service=None, attributes={}))
    assert [(f.code, f.severity, f.nominee, f.message) for f in findings] == [
        ("missing_data", Severity.BLOCKING, "Đinh Văn Cường",
         "Thiếu thông tin để xét tiêu chí: Cá nhân cần có ít nhất 2 năm công tác"),
        ("missing_data", Severity.BLOCKING, "Đinh Văn Cường",
         "Thiếu thông tin để xét tiêu chí: Chưa có sản phẩm, giải pháp chuyển đổi số "
         "được áp dụng"),
        ("missing_data", Severity.WARNING, "Đinh Văn Cường",
         "Thiếu thông tin để xét tiêu chí: Chưa có sáng kiến được công nhận "
         "(khuyến khích, không bắt buộc)"),
    ]


def test_a_collective_is_not_asked_for_years_in_service():
    assert cds(group("UBND xã Hợp Thành")) == []


# --- what the campaign offers ---------------------------------------------------------

def test_a_kind_the_award_form_is_not_for_is_refused():
    findings = run_checks(TN, ProposalFacts([group("Huyện đoàn Cao Lộc", "CSTD_TINH")],
                                            TN_CSTD_DOCS), TN_OPEN)
    assert [(f.code, f.nominee, f.message) for f in findings] == [
        ("kind_not_allowed", "Huyện đoàn Cao Lộc",
         "“Chiến sĩ thi đua cấp tỉnh” không xét cho tập thể")]


@pytest.mark.parametrize(("form", "message"), [
    ("CO_THI_DUA_TINH", "Phong trào không xét hình thức “Cờ thi đua cấp tỉnh”"),
    ("BK_KHONG_CO", "Phong trào không xét hình thức BK_KHONG_CO"),
])
def test_an_award_form_the_campaign_does_not_offer_is_refused(form: str, message: str):
    findings = cds(group("Sở Thông tin và Truyền thông", form))
    assert [(f.code, f.nominee, f.message) for f in findings] == [
        ("award_not_offered", "Sở Thông tin và Truyền thông", message)]
    assert findings[0].blocking


def test_a_proposal_without_nominees_is_refused():
    [finding] = cds()
    assert (finding.code, finding.severity) == ("no_nominees", Severity.BLOCKING)
    assert finding.message == "Hồ sơ chưa có cá nhân, tập thể nào được đề nghị"


# --- consecutive prior titles (CSTD_TINH in TN-2021-2030, award year 2026) ------------

def cstd(titles: dict[int, frozenset[str]]):
    nominee = an("Lộc Thị Kim", "CSTD_TINH", prior_titles=titles,
                 attributes={"age": 29, "initiative_recognised": True})
    return run_checks(TN, ProposalFacts([nominee], TN_CSTD_DOCS), TN_OPEN)


@pytest.mark.parametrize("years", [
    (2023, 2024, 2025),          # a run ending the year before the award year
    (2024, 2025, 2026),          # a run ending in the award year
    (2020, 2021, 2022, 2023, 2024, 2025),
], ids=["ends-year-before", "ends-award-year", "longer-run"])
def test_three_consecutive_grassroots_titles_qualify(years):
    assert cstd({y: CSTD_CS for y in years}) == []


@pytest.mark.parametrize(("titles", "run", "missing"), [
    ({2023: CSTD_CS, 2025: CSTD_CS, 2026: CSTD_CS}, "2023–2025", "2024"),
    ({2022: CSTD_CS, 2023: CSTD_CS, 2024: CSTD_CS}, "2023–2025", "2025"),
    ({2024: CSTD_CS, 2025: CSTD_CS}, "2023–2025", "2023"),
    ({2023: frozenset({"LDTT"}), 2024: CSTD_CS, 2025: CSTD_CS}, "2023–2025", "2023"),
    ({2025: CSTD_CS, 2026: CSTD_CS}, "2024–2026", "2024"),
    ({}, "2023–2025", "2023, 2024, 2025"),
], ids=["gap-year", "too-old", "too-short", "other-title", "short-to-award-year", "none"])
def test_a_broken_or_short_run_of_titles_is_refused_naming_the_years_missing(
        titles, run, missing):
    [finding] = cstd(titles)
    assert (finding.code, finding.severity, finding.nominee) == (
        "prior_titles", Severity.BLOCKING, "Lộc Thị Kim")
    assert finding.message == (f"Cần 3 năm liên tục đạt danh hiệu “Chiến sĩ thi đua cơ sở” "
                               f"({run}); còn thiếu năm {missing}")


def test_a_title_held_with_others_in_the_same_year_counts():
    rule = PriorTitleRule(title="CSTD_CS", consecutive_years=2)
    both = frozenset({"CSTD_CS", "LDTT"})
    assert has_consecutive_titles({2024: both, 2025: both}, rule, 2026)
    assert not has_consecutive_titles({2024: both}, rule, 2026)


def test_every_failed_check_is_reported_together():
    findings = run_checks(TN, ProposalFacts(
        [an("Lộc Thị Kim", "CSTD_TINH", disciplined=True, prior_titles={},
            attributes={"age": 29, "initiative_recognised": True})],
        frozenset({"to_trinh"}), {"CSTD_TINH": 1}), datetime(2027, 2, 1, 9, tzinfo=VN))
    assert sorted(f.code for f in findings) == [
        "missing_document", "missing_document", "missing_document", "missing_document",
        "not_eligible", "prior_titles", "quota_exceeded", "window_closed"]
    assert all(f.blocking for f in findings)
