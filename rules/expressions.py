"""Eligibility expressions: the `rule-engine` language, type-checked and compiled once."""

from __future__ import annotations

import re
import re._constants as re_constants  # re's own parser: private, stable since 3.11
import re._parser as re_parser
from collections.abc import Iterator, Mapping
from typing import Any

import rule_engine
from rule_engine.ast import (
    ExpressionBase,
    FuzzyComparisonExpression,
    StringExpression,
    SymbolExpression,
)

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


_MISSING = object()
MEMO_SIZE = 4_096   # distinct fact combinations remembered per expression


class Expression:
    """A compiled rule with the answers it already gave.

    A rule's answer depends only on the facts it names, and eligibility rules name a few
    facts of few values (kind, years in service, a yes/no attribute), so a list of
    nominees is mostly decided by looking an answer up rather than walking the rule's tree
    again. A rule that reads a builtin ($now, $today …) depends on more than the facts and
    is evaluated every time.
    """

    __slots__ = ("memo", "rule", "symbols")

    def __init__(self, rule: rule_engine.Rule) -> None:
        self.rule = rule
        names = [node for node, _ in _walk(rule.statement.expression)
                 if isinstance(node, SymbolExpression)]
        # `$` anywhere (a builtin such as $now, even one this walk could miss): no memo.
        pure = all(node.scope is None for node in names) and "$" not in rule.text
        self.symbols: tuple[str, ...] | None = (
            tuple(sorted({node.name for node in names})) if pure else None)
        self.memo: dict[tuple[Any, ...], bool] = {}

    def forget(self) -> None:
        """Drop the remembered answers (a benchmark starting cold)."""
        self.memo.clear()

    def matches(self, facts: Mapping[str, Any]) -> bool:
        if self.symbols is None:
            return bool(self.rule.matches(facts))
        values = tuple([facts.get(name, _MISSING) for name in self.symbols])
        # The types are part of the key: True == 1 for a dict, not for a rule's type check.
        key = (values, tuple(map(type, values)))
        try:
            return self.memo[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key (a list in the attributes)
            return bool(self.rule.matches(facts))
        answer = bool(self.rule.matches(facts))  # errors are raised, never remembered
        if len(self.memo) >= MEMO_SIZE:
            self.memo.clear()
        self.memo[key] = answer
        return answer


def compile_expression(text: str, context: rule_engine.Context) -> Expression:
    try:
        rule = rule_engine.Rule(text, context=context)
    except rule_engine.errors.EngineError as exc:
        raise ExpressionError(_describe(exc)) from exc
    except RecursionError as exc:
        raise ExpressionError("biểu thức lồng quá sâu (expression nested too deeply)") from exc
    _check_shape(rule.statement.expression)
    result_type = rule.statement.expression.result_type
    if result_type not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise ExpressionError(
            f"biểu thức phải cho kết quả đúng/sai, không phải {result_type.name} "
            f"(expression must be a yes/no test)"
        )
    return Expression(rule)


MAX_REGEX_LENGTH = 100
MAX_EXPRESSION_DEPTH = 40   # real rules nest 3-5 levels; evaluation recurses per level


def _risky(pattern: str) -> bool:
    """A repetition that contains another unbounded repetition or an alternation ("(a+)+",
    "(a|a)*"), or a backreference: the patterns whose matching time can grow exponentially
    with the text. Judged on the parsed pattern (re's own parser), not its spelling."""
    try:
        parsed = re_parser.parse(pattern)
    except re.error:
        return False   # rule-engine reports the syntax error itself
    return _risky_items(list(parsed), inside_repeat=False)


_REPEATS = {re_constants.MAX_REPEAT, re_constants.MIN_REPEAT,
            getattr(re_constants, "POSSESSIVE_REPEAT", re_constants.MAX_REPEAT)}
_BACKREFERENCES = {re_constants.GROUPREF, re_constants.GROUPREF_EXISTS}


def _risky_items(items: list[Any], inside_repeat: bool) -> bool:
    for op, arg in items:
        if op in _BACKREFERENCES:
            return True
        if op in _REPEATS:
            _low, high, sub = arg
            if inside_repeat and (high == re_constants.MAXREPEAT or high > 100):
                return True
            parts = [list(sub)]
            inside = inside_repeat or high > 1
        elif op == re_constants.BRANCH:
            if inside_repeat:
                return True
            parts, inside = [list(b) for b in arg[1]], inside_repeat
        elif op in (re_constants.SUBPATTERN, re_constants.ASSERT, re_constants.ASSERT_NOT):
            parts, inside = [list(arg[-1])], inside_repeat
        else:
            continue
        if any(_risky_items(part, inside) for part in parts):
            return True
    return False


def _check_shape(root: ExpressionBase) -> None:
    """No deeper than MAX_EXPRESSION_DEPTH; regex tests (=~, =~~, !~, !~~) only against a
    short, fixed pattern without nested repetition, so that no rule and no nominee's data
    can make a check run for minutes."""
    for node, depth in _walk(root):
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(f"biểu thức lồng quá sâu (quá {MAX_EXPRESSION_DEPTH} cấp) "
                                  f"(expression nested too deeply)")
        if not isinstance(node, FuzzyComparisonExpression):
            continue
        if not isinstance(node.right, StringExpression):
            raise ExpressionError("biểu thức chính quy phải là một chuỗi cố định "
                                  "(regex must be a string literal)")
        pattern = node.right.value
        if len(pattern) > MAX_REGEX_LENGTH:
            raise ExpressionError(f"biểu thức chính quy quá dài (tối đa {MAX_REGEX_LENGTH} "
                                  f"ký tự) (regex too long)")
        if _risky(pattern):
            raise ExpressionError(f"biểu thức chính quy có thể chạy rất lâu: {pattern!r} "
                                  f"(nested repetition or backreference)")


def _walk(root: ExpressionBase) -> Iterator[tuple[ExpressionBase, int]]:
    """Every expression node under root with its depth (root = 1), without recursion."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend((item, depth) for item in node)
        elif isinstance(node, ExpressionBase):
            yield node, depth
            stack.extend((child, depth + 1) for child in _children(node))


def _children(node: ExpressionBase) -> Iterator[Any]:
    """The values a node holds, in its __dict__ and in its classes' __slots__: rule-engine
    keeps the operands of `in`, `.attr`, `[i]`, `??` and function calls in slots only."""
    names = set(getattr(node, "__dict__", {}))
    for cls in type(node).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        names.update((slots,) if isinstance(slots, str) else slots)
    names.discard("context")  # the shared symbol table, not a child
    for name in sorted(names):
        yield getattr(node, name, None)


def evaluate(expression: Expression, facts: Mapping[str, Any]) -> bool:
    """True when the facts satisfy the rule; ExpressionError when facts are missing."""
    try:
        return expression.matches(facts)
    except rule_engine.errors.EngineError as exc:
        raise ExpressionError(_describe(exc)) from exc


def _describe(exc: rule_engine.errors.EngineError) -> str:
    if isinstance(exc, rule_engine.errors.SymbolResolutionError):
        return f"tên không xác định (unknown symbol): {exc.symbol_name!r}"
    if isinstance(exc, rule_engine.errors.RuleSyntaxError):
        return f"lỗi cú pháp biểu thức (syntax error): {exc.message}"
    return f"biểu thức không hợp lệ (invalid expression): {exc.message}"
