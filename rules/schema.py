"""The pydantic schema of a campaign rule set (one YAML document per campaign version)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

PositiveInt = Annotated[int, Field(gt=0, le=365)]


def exact_ratio(value: object) -> Fraction:
    """A share as the rule set writes it, exactly: `2/3` (as the law says "hai phần ba"),
    `0.7` or `1`. Decimals are read from their text, so 0.7 is 7/10, not the nearest
    binary float."""
    if isinstance(value, Fraction):
        ratio = value
    elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            ratio = Fraction(str(value).replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            raise ValueError("phải là một tỉ lệ như 2/3 hoặc 0.7") from None
    else:
        raise ValueError("phải là một tỉ lệ như 2/3 hoặc 0.7")
    if ratio <= 0:
        raise ValueError("quá nhỏ: một tỉ lệ phải lớn hơn 0")
    if ratio > 1:
        raise ValueError("quá lớn: một tỉ lệ không lớn hơn 1 (100%)")
    return ratio


def ratio_text(ratio: Fraction) -> str:
    """How a ratio is written back: `2/3`, `0.7`, `1`."""
    if ratio.denominator == 1:
        return str(ratio.numerator)
    decimal = f"{float(ratio):.6f}".rstrip("0")
    return decimal if Fraction(decimal) == ratio else f"{ratio.numerator}/{ratio.denominator}"


Ratio = Annotated[
    Fraction, PlainValidator(exact_ratio), PlainSerializer(ratio_text, return_type=str),
    WithJsonSchema({"type": ["string", "number"],
                    "description": "a share greater than 0 and at most 1: 2/3, 0.7, 1"})]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
MAX_EXPRESSION_LENGTH = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignKind(StrEnum):
    REGULAR = "regular"
    THEMATIC = "thematic"
    AD_HOC = "ad_hoc"
    CONTRIBUTION = "contribution"
    LENGTH_OF_SERVICE = "length_of_service"
    FOREIGN = "foreign"


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


class AttributeType(StrEnum):
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    STRING = "string"


class Period(Strict):
    starts: date
    ends: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.ends < self.starts:
            raise ValueError("ngày kết thúc phải sau ngày bắt đầu (ends must not precede starts)")
        return self


class Window(Strict):
    opens: date
    closes: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.closes < self.opens:
            raise ValueError("ngày đóng phải sau ngày mở (closes must not precede opens)")
        return self


class EscalationStep(Strict):
    at: Annotated[int, Field(ge=-30, le=60)]
    action: Literal["remind", "escalate", "auto_withdraw"]
    to: Literal["assignee", "board_head", "council_secretary", "unit_clerk"] = "assignee"
    reassign: bool = False
    applies_to: list[Literal["review", "council", "resubmission"]] = ["review"]


class EligibilityRule(Strict):
    rule: Annotated[str, Field(min_length=1, max_length=MAX_EXPRESSION_LENGTH)]
    message: Annotated[str, Field(min_length=1)]
    severity: Severity = Severity.BLOCKING


class PriorTitleRule(Strict):
    title: Code
    consecutive_years: Annotated[int, Field(ge=1, le=20)]
    message: str | None = None


class CouncilVote(Strict):
    threshold: Ratio
    denominator: Literal["all_members", "present_members"] = "all_members"
    quorum: Ratio = Fraction(1, 2)
    written_opinions_count: bool = True


class QuotaShare(Strict):
    """At most `share` of the unit's nominees for another form of the same campaign, rounded
    down: e.g. Chiến sĩ thi đua cơ sở for at most 15/100 of those proposed for Lao động
    tiên tiến."""

    of: Code
    share: Ratio


class AwardRule(Strict):
    form: Code
    nominee: list[Literal["individual", "collective", "household"]] = Field(min_length=1)
    quota_per_unit: Annotated[int, Field(ge=0)] | None = None
    quota_share: QuotaShare | None = None
    required_documents: list[Code] = []
    eligibility: list[EligibilityRule] = []
    prior_titles: list[PriorTitleRule] = []
    council: CouncilVote
    public_notice_working_days: Annotated[int, Field(ge=0, le=60)] = 0
    # When the list is published: before the sitting votes, or after it and before the decision.
    public_notice_stage: Literal["before_council", "before_decision"] = "before_decision"


class DecisionRules(Strict):
    """How this campaign's decisions are numbered and signed."""

    issuing_body: Code = "UBND"
    # {seq} the running number per issuing body and year, {year}, {body}.
    number_format: Annotated[str, Field(min_length=5, max_length=60,
                                        pattern=r"\{seq\}")] = "{seq}/QĐ-UBND"
    issuer: Annotated[str, Field(min_length=1)] = "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN"
    place: Annotated[str, Field(min_length=1)] = "Lạng Sơn"
    signer_title: Annotated[str, Field(min_length=1)] = "CHỦ TỊCH"


class RuleSet(Strict):
    campaign: Code
    title: Annotated[str, Field(min_length=1)]
    legal_basis: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    kind: CampaignKind
    period: Period
    award_year: Annotated[int, Field(ge=2000, le=2100)]
    submission: Window
    review_sla_working_days: PositiveInt
    council_sla_working_days: PositiveInt
    resubmission_working_days: PositiveInt
    escalation: list[EscalationStep] = []
    nominee_attributes: dict[str, AttributeType] = {}
    awards: list[AwardRule] = Field(min_length=1)
    decision: DecisionRules = DecisionRules()

    def award(self, form: str) -> AwardRule | None:
        for award in self.awards:  # a handful of forms: a loop beats building a lookup
            if award.form == form:
                return award
        return None
