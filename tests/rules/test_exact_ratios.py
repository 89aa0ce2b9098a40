"""Ratios as the law writes them: "at least two thirds" is `2/3`, compared exactly, so 6
of 9, 8 of 12 and 10 of 15 members taking part make the quorum, which 0.67 refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from rules.council import Count, TallyRefused, describe, judge
from rules.loader import RuleSetError, load_file, load_text
from rules.schema import CouncilVote

TWO_THIRDS = CouncilVote(threshold="1/2", denominator="present_members", quorum="2/3")
CAMPAIGNS = sorted((Path(__file__).resolve().parents[2] / "rules" / "campaigns").glob("*.yaml"))
DEMO = Path(__file__).resolve().parents[1] / "data" / "rules" / "demo-valid.yaml"


@pytest.mark.parametrize(("present", "roster"), [(6, 9), (8, 12), (10, 15), (2, 3)])
def test_exactly_two_thirds_taking_part_make_the_quorum(present, roster):
    verdict = judge(TWO_THIRDS, roster, present, Count(yes=present))
    assert verdict.passed
    # 0.67 stood for two thirds before and refused every one of these.
    with pytest.raises(TallyRefused, match="cần ít nhất 67%"):
        judge(CouncilVote(threshold=0.5, denominator="present_members", quorum=0.67),
              roster, present, Count(yes=present))


def test_one_member_under_two_thirds_has_no_quorum_and_says_so():
    with pytest.raises(TallyRefused) as refused:
        judge(TWO_THIRDS, 9, 5, Count(yes=5))
    assert refused.value.message == ("Không đủ số thành viên tham gia: 5/9 = 55,6%, cần ít "
                                     "nhất 66,7% tổng số thành viên Hội đồng")


def test_a_threshold_of_two_thirds_passes_exactly_at_two_thirds():
    rule = CouncilVote(threshold="2/3", denominator="all_members", quorum="1/2")
    assert judge(rule, 9, 9, Count(yes=6, no=3)).passed
    failed = judge(rule, 9, 9, Count(yes=5, no=4))
    assert not failed.passed
    assert failed.explanation == "5/9 = 55,6% < 66,7% tổng số thành viên Hội đồng"
    assert describe(rule).startswith("≥ 66,7% tổng số thành viên Hội đồng")


@pytest.mark.parametrize(("written", "exact"), [
    ("2/3", Fraction(2, 3)), (" 2 / 3 ", Fraction(2, 3)), (0.7, Fraction(7, 10)),
    ("0.67", Fraction(67, 100)), (1, Fraction(1)), ("3/4", Fraction(3, 4))])
def test_a_ratio_may_be_a_fraction_or_a_decimal_and_is_kept_exactly(written, exact):
    rule = CouncilVote(threshold=written)
    assert rule.threshold == exact
    # Written back as the rule set would write it, and read again to the same value.
    dumped = rule.model_dump(mode="json")["threshold"]
    assert CouncilVote(threshold=dumped).threshold == exact


@pytest.mark.parametrize(("written", "says"), [
    ("3/2", "quá lớn"), ("0", "quá nhỏ"), ("-1/3", "quá nhỏ"), ("hai phần ba", "như 2/3"),
    ("1/0", "như 2/3"), (True, "như 2/3")])
def test_a_ratio_that_is_not_a_share_is_refused_in_vietnamese_at_its_line(written, says):
    text = DEMO.read_text(encoding="utf-8")
    bad = text.replace("council: {threshold: 0.7}", f"council: {{threshold: {written!s}}}", 1)
    assert bad != text
    with pytest.raises(RuleSetError) as caught:
        load_text(bad, "demo.yaml")
    (error,) = caught.value.errors
    assert error.field == "awards.0.council.threshold" and says in error.message


@pytest.mark.parametrize("path", CAMPAIGNS, ids=[p.stem for p in CAMPAIGNS])
def test_the_shipped_rule_sets_say_two_thirds_where_the_law_does(path):
    rules = load_file(path).rules
    quorums = {a.council.quorum for a in rules.awards if a.council.denominator == "all_members"}
    assert quorums == {Fraction(2, 3)}


def test_a_share_quota_must_name_another_form_of_the_campaign():
    text = DEMO.read_text(encoding="utf-8")
    bad = text.replace("council: {threshold: 0.7}",
                       "quota_share: {of: LDTT, share: 15/100}\n    council: {threshold: 0.7}", 1)
    with pytest.raises(RuleSetError) as caught:
        load_text(bad, "demo.yaml")
    (error,) = caught.value.errors
    assert error.field == "awards.0.quota_share.of"
    assert "phải là một hình thức khác của phong trào này: LDTT" in error.message
