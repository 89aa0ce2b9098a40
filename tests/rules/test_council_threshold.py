"""The Council's vote threshold, by hand: each row's expected verdict and explanation were
worked out on paper, not computed by the code under test."""

from __future__ import annotations

import pytest

from rules.council import Count, TallyRefused, judge
from rules.schema import CouncilVote

ALL_70 = CouncilVote(threshold=0.7, denominator="all_members", quorum=0.5)
ALL_70_Q67 = CouncilVote(threshold=0.7, denominator="all_members", quorum=0.67)
ALL_70_Q67_NO_WRITTEN = CouncilVote(threshold=0.7, denominator="all_members", quorum=0.67,
                                    written_opinions_count=False)
ALL_50 = CouncilVote(threshold=0.5, denominator="all_members", quorum=0.5)
PRESENT_50 = CouncilVote(threshold=0.5, denominator="present_members", quorum=0.5)
ALL_90 = CouncilVote(threshold=0.9, denominator="all_members", quorum=0.5)
ALL_67 = CouncilVote(threshold=0.67, denominator="all_members", quorum=0.5)

ALL = "tổng số thành viên Hội đồng"
PRESENT = "số thành viên dự họp"
WRITTEN_1 = " (gồm 1 ý kiến bằng văn bản của thành viên vắng mặt)"
WRITTEN_2 = " (gồm 2 ý kiến bằng văn bản của thành viên vắng mặt)"

# rule, roster size, members present, tally, passed?, explanation
VERDICTS: list[tuple[str, CouncilVote, int, int, Count, bool, str]] = [
    ("5 of 7 clears 70%", ALL_70, 7, 7, Count(yes=5, no=2), True, f"5/7 = 71,4% ≥ 70% {ALL}"),
    ("exactly 70% passes", ALL_70, 10, 10, Count(yes=7, no=3), True, f"7/10 = 70% ≥ 70% {ALL}"),
    ("one vote under 70% fails", ALL_70, 10, 10, Count(yes=6, no=4), False,
     f"6/10 = 60% < 70% {ALL}"),
    ("4 of 7 fails 70%", ALL_70, 7, 7, Count(yes=4, no=3), False, f"4/7 = 57,1% < 70% {ALL}"),
    ("all members: absent members count against", ALL_70, 7, 5, Count(yes=5), True,
     f"5/7 = 71,4% ≥ 70% {ALL}"),
    ("all members: 4 yes of 5 present is 4/7", ALL_70, 7, 5, Count(yes=4, no=1), False,
     f"4/7 = 57,1% < 70% {ALL}"),
    ("present members: exactly half passes", PRESENT_50, 7, 6, Count(yes=3, no=3), True,
     f"3/6 = 50% ≥ 50% {PRESENT}"),
    ("present members: invalid ballots are in the denominator", PRESENT_50, 7, 6,
     Count(yes=2, no=3, invalid=1), False, f"2/6 = 33,3% < 50% {PRESENT}"),
    ("present members: a member who did not vote still sat", PRESENT_50, 7, 6,
     Count(yes=3, no=2), True, f"3/6 = 50% ≥ 50% {PRESENT}"),
    ("the same 3 yes against all members fails", ALL_50, 7, 6, Count(yes=3, no=3), False,
     f"3/7 = 42,9% < 50% {ALL}"),
    ("written yes counted as a vote and for quorum", ALL_70_Q67, 7, 4,
     Count(yes=4, written_yes=1), True, f"5/7 = 71,4% ≥ 70% {ALL}{WRITTEN_1}"),
    ("written opinions not counted: the yes is ignored", ALL_70_Q67_NO_WRITTEN, 7, 5,
     Count(yes=4, no=1, written_yes=1), False, f"4/7 = 57,1% < 70% {ALL}"),
    ("written opinions counted: they join the present denominator", PRESENT_50, 7, 5,
     Count(yes=3, no=2, written_yes=1, written_no=1), True,
     f"4/7 = 57,1% ≥ 50% {PRESENT}{WRITTEN_2}"),
    ("written no counted lowers the ratio", PRESENT_50, 7, 5,
     Count(yes=3, no=2, written_no=2), False, f"3/7 = 42,9% < 50% {PRESENT}{WRITTEN_2}"),
    ("0.9 in YAML means exactly 9/10", ALL_90, 10, 10, Count(yes=9, no=1), True,
     f"9/10 = 90% ≥ 90% {ALL}"),
    ("two thirds is under 67%", ALL_67, 3, 3, Count(yes=2, no=1), False,
     f"2/3 = 66,7% < 67% {ALL}"),
    ("rounding never hides a shortfall", ALL_70, 10000, 10000, Count(yes=6999, no=3001),
     False, f"6999/10000 = 69,99% < 70% {ALL}"),
    ("unanimous", ALL_70, 7, 7, Count(yes=7), True, f"7/7 = 100% ≥ 70% {ALL}"),
    ("nobody says yes", ALL_70, 7, 7, Count(no=7), False, f"0/7 = 0% < 70% {ALL}"),
]


@pytest.mark.parametrize(("rule", "roster", "present", "count", "passed", "why"),
                         [row[1:] for row in VERDICTS], ids=[row[0] for row in VERDICTS])
def test_verdict(rule: CouncilVote, roster: int, present: int, count: Count, passed: bool,
                 why: str):
    verdict = judge(rule, roster, present, count)
    assert verdict.passed is passed
    assert verdict.explanation == why


# rule, roster size, members present, tally, what the refusal says
REFUSALS: list[tuple[str, CouncilVote, int, int, Count, str]] = [
    ("quorum not met", ALL_70_Q67, 7, 4, Count(yes=4),
     "Không đủ số thành viên tham gia: 4/7 = 57,1%, cần ít nhất 67% tổng số thành viên"),
    ("written opinions not counted do not make the quorum", ALL_70_Q67_NO_WRITTEN, 7, 4,
     Count(yes=4, written_yes=1), "Không đủ số thành viên tham gia: 4/7"),
    ("quorum needs half of the roster", ALL_70, 10, 4, Count(yes=4),
     "Không đủ số thành viên tham gia: 4/10 = 40%, cần ít nhất 50%"),
    ("more ballots than members present", ALL_70, 7, 6, Count(yes=5, no=2),
     "Tổng số phiếu (5 đồng ý + 2 không đồng ý + 0 không hợp lệ = 7) nhiều hơn số thành "
     "viên dự họp (6)"),
    ("invalid ballots count as ballots", ALL_70, 7, 7, Count(yes=5, no=2, invalid=1),
     "nhiều hơn số thành viên dự họp (7)"),
    ("more written opinions than absent members", ALL_70, 7, 6, Count(yes=5, written_yes=2),
     "Số ý kiến bằng văn bản (2) nhiều hơn số thành viên vắng mặt (1)"),
    ("written opinions when nobody is absent", ALL_70, 7, 7, Count(yes=5, written_no=1),
     "nhiều hơn số thành viên vắng mặt (0)"),
    ("negative votes", ALL_70, 7, 7, Count(yes=8, no=-1), "không được là số âm"),
    ("more present than on the Council", ALL_70, 7, 8, Count(yes=7),
     "Số thành viên dự họp (8) nhiều hơn số thành viên Hội đồng (7)"),
    ("no council at all", ALL_70, 0, 0, Count(), "Hội đồng chưa có thành viên nào"),
]


@pytest.mark.parametrize(("rule", "roster", "present", "count", "says"),
                         [row[1:] for row in REFUSALS], ids=[row[0] for row in REFUSALS])
def test_tallies_that_do_not_add_up_are_refused(rule: CouncilVote, roster: int, present: int,
                                                 count: Count, says: str):
    with pytest.raises(TallyRefused) as refused:
        judge(rule, roster, present, count)
    assert says in refused.value.message


def test_the_explanation_has_an_english_twin():
    verdict = judge(PRESENT_50, 7, 5, Count(yes=3, no=2, written_yes=1))
    assert verdict.explanation_en == ("4/6 = 66.7% ≥ 50% of the members taking part "
                                      "(including 1 written opinion(s) of absent members)")
    with pytest.raises(TallyRefused) as refused:
        judge(ALL_70_Q67, 7, 4, Count(yes=4))
    assert refused.value.message_en.startswith("No quorum: 4/7 = 57.1%")


def test_a_verdict_is_exact():
    verdict = judge(ALL_70, 10, 10, Count(yes=7, no=3))
    assert (verdict.votes, verdict.denominator) == (7, 10)
    assert verdict.ratio == verdict.threshold
