"""Eligibility expressions: the `rule-engine` language, type-checked and compiled once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rule_engine

from rules.schema import AttributeType

BUILTIN_SYMBOLS: dict[str, rule_engine.DataType] = {
    "kind": rule_engine.DataType.STRING,
    "award_form": rule_engine.DataType.STRING,
    "position": rule_engine.DataType.STRING,
    "work_unit": rule_engine.DataType.STRING,
    "years_in_service": rule_engine.DataType.FLOAT,
    "disciplined": rule_engine.DataType.BOOLEAN,
}

_TYPES = {
    AttributeType.INTEGER: rule_engine.DataType.FLOAT,
    AttributeType.FLOAT: rule_engine.DataType.FLOAT,
    AttributeType.BOOLEAN: rule_engine.DataType.BOOLEAN,
    AttributeType.STRING: rule_engine.DataType.STRING,
}


class ExpressionError(ValueError):
    """An expression that does not compile, names an unknown symbol or is not a yes/no test."""


def make_context(attributes: Mapping[str, AttributeType | None]) -> rule_engine.Context:
    """Builtin symbols plus the declared attributes; a None type is left undefined."""
    symbols = dict(BUILTIN_SYMBOLS)
    symbols.update({name: _TYPES[kind] if kind else rule_engine.DataType.UNDEFINED
                    for name, kind in attributes.items()})
    return rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(symbols))


def compile_expression(text: str, context: rule_engine.Context) -> rule_engine.Rule:
    try:
        rule = rule_engine.Rule(text, context=context)
    except rule_engine.errors.EngineError as exc:
        raise ExpressionError(_describe(exc)) from exc
    except RecursionError as exc:
        raise ExpressionError("biểu thức lồng quá sâu (expression nested too deeply)") from exc
    result_type = rule.statement.expression.result_type
    if result_type not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise ExpressionError(
            f"biểu thức phải cho kết quả đúng/sai, không phải {result_type.name} "
            f"(expression must be a yes/no test)"
        )
    return rule


def evaluate(rule: rule_engine.Rule, facts: Mapping[str, Any]) -> bool:
    """True when the facts satisfy the rule; ExpressionError when facts are missing."""
    try:
        return bool(rule.matches(facts))
    except rule_engine.errors.EngineError as exc:
        raise ExpressionError(_describe(exc)) from exc


def _describe(exc: rule_engine.errors.EngineError) -> str:
    if isinstance(exc, rule_engine.errors.SymbolResolutionError):
        return f"tên không xác định (unknown symbol): {exc.symbol_name!r}"
    if isinstance(exc, rule_engine.errors.RuleSyntaxError):
        return f"lỗi cú pháp biểu thức (syntax error): {exc.message}"
    return f"biểu thức không hợp lệ (invalid expression): {exc.message}"
