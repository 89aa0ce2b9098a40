"""Rule sets: the shipped files load; a bad file is refused whole, each fault named by
file, 1-based line and dotted field; a refused file leaves the campaign as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Campaign, RuleSetVersion
from rules.loader import RuleError, RuleSetError, compile_parsed, load_file, load_text
from workflow.campaigns.rulesets import load_ruleset_text, shipped_ruleset_files

DATA = Path(__file__).parents[1] / "data" / "rules"
# Line numbers asserted below refer to this file; keep them in mind when editing it.
VALID = DATA / "demo-valid.yaml"
SHIPPED = shipped_ruleset_files()


def edited(changes: dict[int, str]) -> str:
    """The valid demo file with the given 1-based lines replaced (a "\\n" inserts lines)."""
    lines = VALID.read_text(encoding="utf-8").splitlines()
    for number, text in changes.items():
        lines[number - 1] = text
    return "\n".join(lines) + "\n"


def errors_of(text: str, filename: str = "demo.yaml") -> list[tuple[int, str]]:
    with pytest.raises(RuleSetError) as caught:
        load_text(text, filename)
    assert all(e.file == filename for e in caught.value.errors)
    return [(e.line, e.field) for e in caught.value.errors]


def only_error(text: str) -> RuleError:
    with pytest.raises(RuleSetError) as caught:
        load_text(text, "demo.yaml")
    assert len(caught.value.errors) == 1, caught.value.errors
    return caught.value.errors[0]


# --- the shipped rule sets -------------------------------------------------------------


def test_the_five_campaigns_of_the_seed_article_are_shipped():
    assert [p.name for p in SHIPPED] == [
        "cds-2022.yaml", "gn-2021-2025.yaml", "gpmb-2022-2025.yaml",
        "ntm-2021-2025.yaml", "tn-2021-2030.yaml",
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_rule_set_loads_with_all_expressions_compiled(path: Path):
    rs = load_file(path)
    assert rs.rules.campaign == path.stem.upper()
    expected = {(a.form, i) for a in rs.rules.awards for i in range(len(a.eligibility))}
    assert set(rs.expressions) == expected
    # The stored (parsed) form of a version compiles back to the same rule set.
    again = compile_parsed(rs.rules.model_dump(mode="json"))
    assert again.rules == rs.rules
    assert set(again.expressions) == expected


def test_the_demo_file_used_below_is_itself_valid():
    rs = load_file(VALID)
    assert rs.rules.campaign == "DEMO-2024"
    assert [a.form for a in rs.rules.awards] == ["BK_CT_UBND", "CSTD_TINH"]


# --- one fault, reported at its line and field ------------------------------------------

YAML_SYNTAX = [
    pytest.param({2: "title: Phong trào: thử"}, 2, "mapping values are not allowed",
                 id="colon-in-plain-scalar"),
    pytest.param({16: "\tquota_per_unit: 3"}, 16, "'\\t'", id="tab-indent"),
    # The parser notices the unclosed list on the next line; the message points back.
    pytest.param({15: "    nominee: [individual, collective"}, 16, "từ dòng 15",
                 id="unclosed-flow-list"),
]


@pytest.mark.parametrize(("changes", "line", "detail"), YAML_SYNTAX)
def test_a_yaml_syntax_error_is_refused_at_its_line(changes, line, detail):
    error = only_error(edited(changes))
    assert (error.file, error.line, error.field) == ("demo.yaml", line, "yaml")
    assert error.message.startswith("lỗi cú pháp YAML")
    assert detail in error.message


SCHEMA_FAULTS = [
    pytest.param({6: "award_yaer: 2024"},
                 [(1, "award_year", "thiếu trường bắt buộc"),
                  (6, "award_yaer", "trường không được phép")], id="misspelt-top-field"),
    pytest.param({24: "    councel: {threshold: 0.7}"},
                 [(14, "awards.0.council", "thiếu trường bắt buộc"),
                  (24, "awards.0.councel", "trường không được phép")], id="misspelt-award-field"),
    # An unknown key whose value is a block: the key's own line, not its first child's.
    pytest.param({10: "resubmission_working_days: 5\nescalations:\n  - {at: 0, action: remind}"},
                 [(11, "escalations", "trường không được phép")], id="unknown-block-field"),
    pytest.param({28: "      - {title: CSTD_CS, consecutive_years: 3, note: x}"},
                 [(28, "awards.1.prior_titles.0.note", "trường không được phép")],
                 id="unknown-field-in-flow-mapping"),
    pytest.param({16: "    quota_per_unit: ba"},
                 [(16, "awards.0.quota_per_unit", "phải là số nguyên")], id="not-an-integer"),
    pytest.param({4: "kind: chuyen_de"}, [(4, "kind", "giá trị không hợp lệ")], id="bad-enum"),
    pytest.param({7: "submission: {opens: 2024-12-15, closes: 2024-11-01}"},
                 [(7, "submission", "ngày đóng phải sau ngày mở")], id="window-reversed"),
    pytest.param({23: "        severity: fatal"},
                 [(23, "awards.0.eligibility.1.severity", "giá trị không hợp lệ")],
                 id="bad-severity"),
    pytest.param({24: "    council: {threshold: 1.5}"},
                 [(24, "awards.0.council.threshold", "quá lớn")], id="ratio-above-one"),
    pytest.param({16: "    quota_per_unit: 3\n    quota_per_unit: 30"},
                 [(17, "awards.0.quota_per_unit", "khai báo hai lần")], id="duplicate-key"),
]


@pytest.mark.parametrize(("changes", "expected"), SCHEMA_FAULTS)
def test_a_schema_fault_is_refused_with_line_and_dotted_field(changes, expected):
    with pytest.raises(RuleSetError) as caught:
        load_text(edited(changes), "demo.yaml")
    got = [(e.line, e.field, e.message) for e in caught.value.errors]
    assert [(line, field) for line, field, _ in got] == [(ln, f) for ln, f, _ in expected]
    for (_, _, message), (_, _, words) in zip(got, expected, strict=True):
        assert words in message


EXPRESSION_FAULTS = [
    pytest.param({19: '      - rule: "years_in_service >="'}, 19,
                 "awards.0.eligibility.0.rule", "lỗi cú pháp biểu thức", id="syntax"),
    pytest.param({21: '      - rule: "digital_outcom"'}, 21,
                 "awards.0.eligibility.1.rule", "tên không xác định (unknown symbol): "
                 "'digital_outcom'", id="unknown-symbol"),
    pytest.param({19: '      - rule: "years_in_service + 1"'}, 19,
                 "awards.0.eligibility.0.rule", "phải cho kết quả đúng/sai", id="not-boolean"),
    pytest.param({21: "      - rule: \"position\""}, 21, "awards.0.eligibility.1.rule",
                 "phải cho kết quả đúng/sai, không phải STRING", id="string-result"),
]


@pytest.mark.parametrize(("changes", "line", "field", "words"), EXPRESSION_FAULTS)
def test_an_invalid_eligibility_expression_is_refused(changes, line, field, words):
    error = only_error(edited(changes))
    assert (error.line, error.field) == (line, field)
    assert words in error.message
    assert str(error).startswith(f"demo.yaml:{line}: {field}: ")


CATALOGUE_FAULTS = [
    pytest.param({14: "  - form: BK_XYZ"}, 14, "awards.0.form",
                 "hình thức khen thưởng không có trong danh mục: BK_XYZ", id="award-form"),
    pytest.param({17: "    required_documents: [to_trinh, giay_xac_nhan]"}, 17,
                 "awards.0.required_documents.1",
                 "loại tài liệu không có trong danh mục: giay_xac_nhan", id="document-type"),
    pytest.param({28: "      - {title: CSTD_XA, consecutive_years: 3}"}, 28,
                 "awards.1.prior_titles.0.title", "danh hiệu không có trong danh mục: CSTD_XA",
                 id="prior-title"),
    pytest.param({26: "    nominee: [individual, collective]"}, 26, "awards.1.nominee",
                 "CSTD_TINH chỉ dành cho: individual", id="kind-the-form-has-not"),
    pytest.param({25: "  - form: BK_CT_UBND"}, 25, "awards.1.form",
                 "hình thức BK_CT_UBND khai báo hai lần", id="form-twice"),
]


@pytest.mark.parametrize(("changes", "line", "field", "message"), CATALOGUE_FAULTS)
def test_a_code_missing_from_the_catalogue_is_refused(changes, line, field, message):
    error = only_error(edited(changes))
    assert (error.line, error.field, error.message) == (line, field, message)


# --- several faults, all at once; never half a rule set -------------------------------


def test_every_fault_of_a_file_is_reported_in_line_order():
    text = edited({
        8: "review_sla_working_days: mười",
        17: "    required_documents: [to_trinh, giay_xac_nhan]",
        21: '      - rule: "digital_outcom"',
        28: "      - {title: CSTD_XA, consecutive_years: 3}",
    })
    assert errors_of(text) == [
        (8, "review_sla_working_days"),
        (17, "awards.0.required_documents.1"),
        (21, "awards.0.eligibility.1.rule"),
        (28, "awards.1.prior_titles.0.title"),
    ]


def test_schema_faults_do_not_hide_expression_faults_of_other_awards():
    text = edited({24: "    councel: {threshold: 0.7}", 19: '      - rule: "years_in_service >"'})
    assert errors_of(text) == [
        (14, "awards.0.council"),
        (19, "awards.0.eligibility.0.rule"),
        (24, "awards.0.councel"),
    ]


def test_a_file_with_one_bad_award_is_refused_whole():
    # The second award is wrong; the first alone must not be accepted.
    with pytest.raises(RuleSetError):
        load_text(edited({25: "  - form: BK_XYZ"}), "demo.yaml")


def test_errors_name_the_file_they_were_read_from(tmp_path: Path):
    bad = tmp_path / "cds-sai.yaml"
    bad.write_text(edited({21: '      - rule: "digital_outcom"'}), encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_file(bad)
    assert str(caught.value) == (
        f"{bad}:21: awards.0.eligibility.1.rule: "
        "tên không xác định (unknown symbol): 'digital_outcom'")


@pytest.mark.parametrize(("text", "line"), [("", 1), ("- a\n- b\n", 1), ("42\n", 1)],
                         ids=["empty", "list", "scalar"])
def test_a_document_that_is_not_a_mapping_is_refused(text: str, line: int):
    error = only_error(text)
    assert (error.line, error.field) == (line, "-")
    assert "ánh xạ YAML" in error.message


def test_a_missing_file_is_refused_naming_it(tmp_path: Path):
    missing = tmp_path / "khong-co.yaml"
    with pytest.raises(RuleSetError) as caught:
        load_file(missing)
    [error] = caught.value.errors
    assert error.file == str(missing)
    assert "không đọc được tệp" in error.message


# --- in the database: versions ----------------------------------------------------------

CDS = SHIPPED[0]


def _cds_state(world) -> tuple[int, int, int]:
    """(active version number, number of versions, campaign audit events) of CDS-2022."""
    with world.db.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "CDS-2022"))
        count = session.scalar(select(func.count()).select_from(RuleSetVersion)
                               .where(RuleSetVersion.campaign_id == campaign.id))
        events = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.stream == "campaign:CDS-2022"))
        return campaign.active_ruleset.version, count, events


def test_a_bad_rule_set_leaves_the_campaign_on_its_version(world):
    before = _cds_state(world)
    assert before == (1, 1, 1)
    bad = CDS.read_text(encoding="utf-8").replace("quota_per_unit: 3", "quota_per_unit: ba")
    with world.db.unit_of_work() as session:
        # Even a caller that swallows the error and commits must find nothing written.
        with pytest.raises(RuleSetError) as caught:
            load_ruleset_text(session, bad, "cds-2022.yaml")
        assert [(e.line, e.field) for e in caught.value.errors] == [
            (28, "awards.0.quota_per_unit")]
    assert _cds_state(world) == before


def test_a_changed_rule_set_becomes_the_next_active_version(world):
    changed = CDS.read_text(encoding="utf-8").replace("quota_per_unit: 3", "quota_per_unit: 4")
    with world.db.unit_of_work() as session:
        result = load_ruleset_text(session, changed, "cds-2022.yaml")
        assert (result.created, result.version.version) == (True, 2)
    assert _cds_state(world) == (2, 2, 2)
    with world.db.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "CDS-2022"))
        active = campaign.active_ruleset
        assert active.source_yaml == changed
        assert active.parsed["awards"][0]["quota_per_unit"] == 4
        old = session.scalar(select(RuleSetVersion).where(
            RuleSetVersion.campaign_id == campaign.id, RuleSetVersion.version == 1))
        assert old.parsed["awards"][0]["quota_per_unit"] == 3

    with world.db.unit_of_work() as session:
        again = load_ruleset_text(session, changed, "cds-2022.yaml")
        assert (again.created, again.version.version) == (False, 2)
    assert _cds_state(world) == (2, 2, 2)
