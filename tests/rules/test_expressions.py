"""Eligibility expressions remember their answers: the answer for facts seen before must be
the answer rule-engine gives, and anything rule-engine refuses must still be refused."""

from __future__ import annotations

import pytest

from rules.expressions import ExpressionError, compile_expression, evaluate, make_context
from rules.schema import AttributeType

CONTEXT = make_context({"on_schedule": AttributeType.BOOLEAN,
                        "hectares_cleared": AttributeType.FLOAT})


def outcomes(text: str, facts_list: list[dict]) -> list[bool | str]:
    """The answer for each facts in turn, through one compiled expression; 'error' when
    the expression cannot be judged on those facts."""
    expression = compile_expression(text, CONTEXT)
    answers: list[bool | str] = []
    for facts in facts_list:
        try:
            answers.append(evaluate(expression, facts))
        except ExpressionError:
            answers.append("error")
    return answers


def test_nominees_seen_again_get_the_same_answer_as_the_first_time():
    rule = "kind == 'collective' or years_in_service >= 2"
    people = [{"kind": "individual", "years_in_service": 1},
              {"kind": "individual", "years_in_service": 8},
              {"kind": "collective", "years_in_service": None}]
    assert outcomes(rule, people * 3) == [False, True, True] * 3


def test_facts_the_rule_does_not_name_do_not_change_the_answer():
    rule = "on_schedule and hectares_cleared >= 10"
    assert outcomes(rule, [
        {"on_schedule": True, "hectares_cleared": 12.0, "position": "Chủ tịch"},
        {"on_schedule": True, "hectares_cleared": 12.0, "position": "Phó chủ tịch"},
        {"on_schedule": True, "hectares_cleared": 9.5, "position": "Chủ tịch"},
    ]) == [True, True, False]


def test_a_missing_fact_is_still_refused_after_an_answer_for_an_empty_one():
    # rule-engine reads an empty value as false, but a fact that is not there at all is
    # an error: the first answer must not stand in for the second.
    assert outcomes("not on_schedule", [{"on_schedule": None}, {}, {"on_schedule": None}]
                    ) == [True, "error", True]


@pytest.mark.parametrize(("first", "second"), [
    ({"on_schedule": False}, {"on_schedule": 0}),
    ({"on_schedule": True}, {"on_schedule": 1.0}),
])
def test_a_value_of_the_wrong_type_is_refused_even_when_it_compares_equal(first, second):
    assert outcomes("not on_schedule", [first, second]) == [not first["on_schedule"], "error"]


def test_a_refused_value_is_refused_every_time_and_does_not_block_good_ones():
    rule = "years_in_service >= 2"
    assert outcomes(rule, [{"years_in_service": True}, {"years_in_service": True},
                           {"years_in_service": 3}]) == ["error", "error", True]


@pytest.mark.parametrize(("rule", "facts", "expected"), [
    # Facts named only inside `in`, `.length`, `[i]` and comprehensions count as well.
    ("position in ['Chủ tịch', 'Phó chủ tịch'] or years_in_service >= 5",
     [{"position": "Chủ tịch", "years_in_service": 1},
      {"position": "Chuyên viên", "years_in_service": 1}], [True, False]),
    ("work_unit.length > 3", [{"work_unit": "Sở Tài chính"}, {"work_unit": "Sở"}],
     [True, False]),
    ("position[0] == 'C'", [{"position": "Chủ tịch"}, {"position": "Phó chủ tịch"}],
     [True, False]),
    ("[y for y in [1, 10] if y > years_in_service].length == 2",
     [{"years_in_service": 0}, {"years_in_service": 5}], [True, False]),
])
def test_facts_inside_operators_decide_the_answer_too(rule, facts, expected):
    assert outcomes(rule, facts * 2) == expected * 2


def test_a_rule_reading_the_date_is_judged_every_time():
    # $now changes while the facts do not: an answer must never be reused for it.
    expression = compile_expression("$now.year > 2000 and kind == 'individual'", CONTEXT)
    facts = {"kind": "individual"}
    assert evaluate(expression, facts) is True
    assert expression.memo == {}
