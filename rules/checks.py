"""Campaign checks on a proposal: plain facts in, findings (blocking or warning) out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from math import floor
from typing import Any

from rules.calendar import TZ
from rules.catalogue import load_catalogue
from rules.council import percent
from rules.expressions import ExpressionError, evaluate
from rules.loader import CompiledRuleSet
from rules.schema import AwardRule, PriorTitleRule, Severity
from rules.texts import N_, Figure, Term


@dataclass(frozen=True)
class NomineeFacts:
    name: str
    kind: str
    award_form: str
    id: int | None = None
    years_in_service: int | None = None
    disciplined: bool = False
    position: str | None = None
    work_unit: str | None = None
    prior_titles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def expression_facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = dict(self.attributes)
        facts.update(kind=self.kind, award_form=self.award_form, position=self.position or "",
                     work_unit=self.work_unit or "", years_in_service=self.years_in_service,
                     disciplined=self.disciplined)
        return facts


@dataclass(frozen=True)
class ProposalFacts:
    nominees: Sequence[NomineeFacts]
    document_types: frozenset[str] = frozenset()
    # Nominees per award form that the same unit already has in other live proposals
    # of the same campaign (they count against the quota).
    already_filed: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str   # Vietnamese: the filled template, or a campaign rule's own message
    nominee: str | None = None
    nominee_id: int | None = None
    # The message as tdkt wrote it, for a page in another language (web.i18n).
    template: str | None = field(default=None, compare=False)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCKING

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message,
                "nominee": self.nominee, "nominee_id": self.nominee_id}


def run_checks(rs: CompiledRuleSet, facts: ProposalFacts, now: datetime) -> list[Finding]:
    """Every finding for the proposal, blocking ones first."""
    findings = [*check_window(rs, now), *check_has_nominees(facts)]
    findings += check_quota(rs, facts)
    findings += check_documents(rs, facts)
    for nominee in facts.nominees:
        findings += check_nominee(rs, nominee)
    return sorted(findings, key=lambda f: not f.blocking)


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]


def check_window(rs: CompiledRuleSet, now: datetime) -> list[Finding]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    window = rs.rules.submission
    today = now.astimezone(TZ).date()
    if window.opens <= today <= window.closes:
        return []
    return [_written("window_closed", Severity.BLOCKING,
                     N_("Ngoài thời hạn nộp hồ sơ của phong trào (từ %(opens)s đến %(closes)s)"),
                     opens=f"{window.opens:%d/%m/%Y}", closes=f"{window.closes:%d/%m/%Y}")]


def check_has_nominees(facts: ProposalFacts) -> list[Finding]:
    if facts.nominees:
        return []
    return [_written("no_nominees", Severity.BLOCKING,
                     N_("Hồ sơ chưa có cá nhân, tập thể nào được đề nghị"))]


def check_quota(rs: CompiledRuleSet, facts: ProposalFacts) -> list[Finding]:
    counts: dict[str, int] = {}
    for nominee in facts.nominees:
        counts[nominee.award_form] = counts.get(nominee.award_form, 0) + 1

    def filed(form: str) -> int:  # this proposal's and the unit's other live proposals'
        return counts.get(form, 0) + facts.already_filed.get(form, 0)

    findings = []
    for form in sorted(counts):
        award = rs.rules.award(form)
        if award is None:
            continue
        total = filed(form)
        if award.quota_per_unit is not None and total > award.quota_per_unit:
            findings.append(_written(
                "quota_exceeded", Severity.BLOCKING,
                N_("Vượt số lượng tối đa của đơn vị cho %(form)s: %(total)s/%(quota)s (kể cả "
                   "các hồ sơ khác đã nộp)"),
                form=_form(form), total=total, quota=award.quota_per_unit))
        share = award.quota_share
        if share is not None:
            base = filed(share.of)
            allowed = floor(share.share * base)
            if total > allowed:
                findings.append(_written(
                    "quota_exceeded", Severity.BLOCKING,
                    N_("Vượt tỉ lệ tối đa của đơn vị cho %(form)s: %(total)s người, trong khi "
                       "%(share)s của %(base)s người được đề nghị %(of)s cho phép %(allowed)s "
                       "(kể cả các hồ sơ khác đã nộp)"),
                    form=_form(form), total=total, share=_share(share.share), base=base,
                    of=_form(share.of), allowed=allowed))
    return findings


def _share(ratio: Fraction) -> Figure:
    return Figure(percent(ratio), percent(ratio, en=True))


def check_documents(rs: CompiledRuleSet, facts: ProposalFacts) -> list[Finding]:
    required: dict[str, None] = {}
    for form in dict.fromkeys(n.award_form for n in facts.nominees):
        award = rs.rules.award(form)
        required.update(dict.fromkeys(award.required_documents if award else []))
    names = load_catalogue().document_types
    return [_written("missing_document", Severity.BLOCKING,
                     N_("Thiếu tài liệu bắt buộc: %(document)s"), document=Term(
                         "document", doc, names[doc].name_vi if doc in names else doc))
            for doc in required if doc not in facts.document_types]


_NOT_FOR = {"individual": N_("%(form)s không xét cho cá nhân"),
            "collective": N_("%(form)s không xét cho tập thể"),
            "household": N_("%(form)s không xét cho hộ gia đình")}


def check_nominee(rs: CompiledRuleSet, nominee: NomineeFacts) -> list[Finding]:
    award = rs.rules.award(nominee.award_form)
    if award is None:
        return [_written("award_not_offered", Severity.BLOCKING,
                         N_("Phong trào không xét hình thức %(form)s"), nominee,
                         form=_form(nominee.award_form))]
    if nominee.kind not in award.nominee:
        return [_written("kind_not_allowed", Severity.BLOCKING, _NOT_FOR[nominee.kind]
                         if nominee.kind in _NOT_FOR else _NOT_FOR["collective"], nominee,
                         form=_form(award.form))]
    return [*_eligibility(rs, award, nominee), *_prior_titles(rs, award, nominee)]


def _eligibility(rs: CompiledRuleSet, award: AwardRule, nominee: NomineeFacts) -> list[Finding]:
    findings = []
    facts = nominee.expression_facts()
    for index, rule in enumerate(award.eligibility):
        try:
            ok = evaluate(rs.expressions[(award.form, index)], facts)
        except ExpressionError:
            findings.append(_written("missing_data", rule.severity,
                                     N_("Thiếu thông tin để xét tiêu chí: %(rule)s"), nominee,
                                     rule=rule.message))
            continue
        if not ok:
            findings.append(Finding("not_eligible", rule.severity, rule.message, nominee.name,
                                    nominee.id))
    return findings


def _prior_titles(rs: CompiledRuleSet, award: AwardRule, nominee: NomineeFacts) -> list[Finding]:
    year = rs.rules.award_year
    return [_prior_finding(nominee, rule, year) for rule in award.prior_titles
            if not has_consecutive_titles(nominee.prior_titles, rule, year)]


def has_consecutive_titles(titles: Mapping[int, frozenset[str]], rule: PriorTitleRule,
                           award_year: int) -> bool:
    """N consecutive years holding the title, the latest being the award year or the one before.

    The title of the award year itself is often conferred at the same sitting, so a run
    ending the year before counts as well.
    """
    return not missing_years(titles, rule, award_year)[1]


def missing_years(titles: Mapping[int, frozenset[str]], rule: PriorTitleRule,
                  award_year: int) -> tuple[range, list[int]]:
    """The run of years nearest to qualifying and the years of it without the title; none
    missing when the nominee qualifies. Of two runs as near, the one ending the year before
    the award year."""
    best: tuple[range, list[int]] | None = None
    for last in (award_year - 1, award_year):
        years = range(last - rule.consecutive_years + 1, last + 1)
        missing = [y for y in years if rule.title not in titles.get(y, frozenset())]
        if best is None or len(missing) < len(best[1]):
            best = (years, missing)
    assert best is not None
    return best


def _prior_finding(nominee: NomineeFacts, rule: PriorTitleRule, award_year: int) -> Finding:
    years, missing = missing_years(nominee.prior_titles, rule, award_year)
    gaps = ", ".join(str(y) for y in missing)
    if rule.message:  # the campaign's own words, and the years it lacks
        return _written("prior_titles", Severity.BLOCKING,
                        N_("%(message)s (còn thiếu năm %(missing)s)"), nominee,
                        message=rule.message, missing=gaps)
    return _written("prior_titles", Severity.BLOCKING,
                    N_("Cần %(years)s năm liên tục đạt danh hiệu %(title)s (%(first)s–%(last)s); "
                       "còn thiếu năm %(missing)s"), nominee,
                    years=rule.consecutive_years, title=_form(rule.title), first=years[0],
                    last=years[-1], missing=gaps)


def _written(code: str, severity: Severity, template: str, nominee: NomineeFacts | None = None,
             **params: Any) -> Finding:
    """A finding in tdkt's own words: the template filled in Vietnamese, kept with its
    values for a page in another language."""
    return Finding(code, severity, template % params if params else template,
                   nominee.name if nominee else None, nominee.id if nominee else None,
                   template, params)


def _form(code: str) -> Term:
    """An award form as a message names it: “its name”, or its code when unknown."""
    info = load_catalogue().award_forms.get(code)
    return Term("award", code, f"“{info.name_vi}”" if info else code)
