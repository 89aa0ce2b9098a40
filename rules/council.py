"""Judging one nominee's ballot tally against the award form's council vote rule.

Pure: plain numbers in, a verdict (or a refusal) out. Ratios are exact fractions, so a
tally exactly at the threshold passes and one vote under fails, whatever the float in YAML.

How the counts are read (decided here, once):
- The roster is the whole council when the sitting opened; `present` members sat.
- Absent members may send written opinions (yes/no). When the rule counts them
  (`written_opinions_count`), each is a vote *and* a participant: it counts towards the
  quorum and, for the `present_members` denominator, towards the denominator too. When
  the rule does not count them, they are recorded and ignored.
- Quorum: participants (present members, plus absent members' written opinions when they
  count) must be at least `quorum` × roster size. A tally without quorum is refused, not
  failed: the Council has not lawfully voted.
- Denominator: `all_members` is the roster size; `present_members` is the participants.
  Invalid ballots count in the denominator (they are cast) but never as yes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rules.schema import CouncilVote, exact_ratio
from rules.texts import N_, Figure, Text


class TallyRefused(ValueError):
    """A tally that does not add up: its `N_` template and values make `message`, in
    Vietnamese (`text` hands them on, for a page in the reader's language); `message_en` is
    the English twin."""

    def __init__(self, template: str, params: Mapping[str, Any], message_en: str) -> None:
        self.template, self.params = template, dict(params)
        self.message = template % self.params if self.params else template
        super().__init__(self.message)
        self.message_en = message_en

    @property
    def text(self) -> Text:
        return Text(self.template, self.params)


@dataclass(frozen=True)
class Count:
    """One nominee's paper ballots, and absent members' written opinions."""

    yes: int = 0
    no: int = 0
    invalid: int = 0
    written_yes: int = 0
    written_no: int = 0

    @property
    def ballots(self) -> int:
        return self.yes + self.no + self.invalid

    @property
    def written(self) -> int:
        return self.written_yes + self.written_no


@dataclass(frozen=True)
class Verdict:
    passed: bool
    votes: int             # yes votes that count
    denominator: int
    ratio: Fraction
    threshold: Fraction
    explanation: str       # Vietnamese, e.g. "5/7 = 71,4% ≥ 70% tổng số thành viên Hội đồng"
    explanation_en: str


_BASIS = {"all_members": ("tổng số thành viên Hội đồng", "of all Council members"),
          "present_members": ("số thành viên dự họp", "of the members taking part")}


def ratio_of(value: Fraction | float | str) -> Fraction:
    """The exact ratio a rule set means (`rules.schema.exact_ratio`)."""
    return exact_ratio(value)


def judge(rule: CouncilVote, roster_size: int, present: int, count: Count) -> Verdict:
    """The verdict for one nominee, or TallyRefused when the numbers cannot be right."""
    _check(roster_size, present, count)
    written = count.written if rule.written_opinions_count else 0
    participants = present + written
    quorum = ratio_of(rule.quorum)
    if Fraction(participants, roster_size) < quorum:
        raise TallyRefused(
            N_("Không đủ số thành viên tham gia: %(participants)s/%(roster)s = %(share)s, cần "
               "ít nhất %(quorum)s tổng số thành viên Hội đồng"),
            {"participants": participants, "roster": roster_size,
             "share": _figure(Fraction(participants, roster_size)), "quorum": _figure(quorum)},
            f"No quorum: {participants}/{roster_size} = "
            f"{percent(Fraction(participants, roster_size), en=True)}, at least "
            f"{percent(quorum, en=True)} of all Council members must take part")
    votes = count.yes + (count.written_yes if rule.written_opinions_count else 0)
    denominator = roster_size if rule.denominator == "all_members" else participants
    ratio, threshold = Fraction(votes, denominator), ratio_of(rule.threshold)
    passed = ratio >= threshold
    return Verdict(passed, votes, denominator, ratio, threshold,
                   _explain(votes, denominator, ratio, threshold, passed, rule, written),
                   _explain(votes, denominator, ratio, threshold, passed, rule, written,
                            en=True))


def _check(roster_size: int, present: int, count: Count) -> None:
    numbers = (roster_size, present, count.yes, count.no, count.invalid, count.written_yes,
               count.written_no)
    if any(n < 0 for n in numbers):
        raise TallyRefused(N_("Số phiếu và số thành viên không được là số âm"), {},
                           "Votes and member counts cannot be negative")
    if roster_size == 0:
        raise TallyRefused(N_("Hội đồng chưa có thành viên nào"), {},
                           "The Council has no members")
    if present > roster_size:
        raise TallyRefused(
            N_("Số thành viên dự họp (%(present)s) nhiều hơn số thành viên Hội đồng "
               "(%(roster)s)"),
            {"present": present, "roster": roster_size},
            f"More members present ({present}) than on the Council ({roster_size})")
    if count.ballots > present:
        raise TallyRefused(
            N_("Tổng số phiếu (%(yes)s đồng ý + %(no)s không đồng ý + %(invalid)s không hợp "
               "lệ = %(ballots)s) nhiều hơn số thành viên dự họp (%(present)s)"),
            {"yes": count.yes, "no": count.no, "invalid": count.invalid,
             "ballots": count.ballots, "present": present},
            f"More ballots ({count.ballots}) than members present ({present})")
    absent = roster_size - present
    if count.written > absent:
        raise TallyRefused(
            N_("Số ý kiến bằng văn bản (%(written)s) nhiều hơn số thành viên vắng mặt "
               "(%(absent)s)"),
            {"written": count.written, "absent": absent},
            f"More written opinions ({count.written}) than absent members ({absent})")


def percent(value: Fraction, en: bool = False, digits: int = 1) -> str:
    """71,4% (Vietnamese decimal comma) or 71.4%; whole numbers without decimals."""
    rounded = round(value * 100, digits)
    text = f"{float(rounded):.{digits}f}".rstrip("0").rstrip(".")
    return (text if en else text.replace(".", ",")) + "%"


def _figure(value: Fraction) -> Figure:
    return Figure(percent(value), percent(value, en=True))


def describe(rule: CouncilVote, en: bool = False) -> str:
    """The rule in words: "≥ 70% tổng số thành viên Hội đồng; có mặt tối thiểu 67%"."""
    vi_basis, en_basis = _BASIS[rule.denominator]
    if en:
        written = ("absent members' written opinions count" if rule.written_opinions_count
                   else "written opinions do not count")
        return (f"≥ {percent(ratio_of(rule.threshold), True)} {en_basis}; quorum "
                f"{percent(ratio_of(rule.quorum), True)}; {written}")
    written = ("tính ý kiến bằng văn bản của thành viên vắng mặt" if rule.written_opinions_count
               else "không tính ý kiến bằng văn bản")
    return (f"≥ {percent(ratio_of(rule.threshold))} {vi_basis}; tối thiểu "
            f"{percent(ratio_of(rule.quorum))} thành viên tham gia; {written}")


def _explain(votes: int, denominator: int, ratio: Fraction, threshold: Fraction,
             passed: bool, rule: CouncilVote, written: int, en: bool = False) -> str:
    # Rounding must not make a failing ratio print as equal to the threshold (69,96% → 70%).
    digits = 1
    while digits < 6 and ratio != threshold and percent(ratio, en, digits) == percent(
            threshold, en, digits):
        digits += 1
    sign = "≥" if passed else "<"
    vi_basis, en_basis = _BASIS[rule.denominator]
    text = (f"{votes}/{denominator} = {percent(ratio, en, digits)} {sign} "
            f"{percent(threshold, en)} {en_basis if en else vi_basis}")
    if written:
        text += (f" (including {written} written opinion(s) of absent members)" if en
                 else f" (gồm {written} ý kiến bằng văn bản của thành viên vắng mặt)")
    return text
