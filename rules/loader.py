"""Load a rule set from YAML: all or nothing, every error as FILE:LINE: field: message."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import rule_engine
import yaml
from pydantic import ValidationError

from rules.catalogue import Catalogue, load_catalogue
from rules.expressions import ExpressionError, compile_expression, make_context
from rules.schema import RuleSet

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class RuleError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class RuleSetError(ValueError):
    """A rule set that cannot be loaded; `errors` lists every fault found."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class CompiledRuleSet:
    """A validated rule set with its eligibility expressions compiled once."""

    rules: RuleSet
    expressions: dict[tuple[str, int], rule_engine.Rule] = field(default_factory=dict)

    @cached_property
    def awards(self) -> dict[str, Any]:
        return {a.form: a for a in self.rules.awards}


def load_file(path: str | Path, catalogue: Catalogue | None = None) -> CompiledRuleSet:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError([RuleError(str(p), 0, "-", f"không đọc được tệp: {exc}")]) from exc
    return load_text(text, str(p), catalogue)


def load_text(text: str, filename: str = "<rules>", catalogue: Catalogue | None = None
              ) -> CompiledRuleSet:
    node, data = _parse_yaml(text, filename)
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as exc:
        raise RuleSetError([
            RuleError(filename, _line_of(node, tuple(e["loc"])), _dotted(e["loc"]), _message(e))
            for e in exc.errors()
        ]) from None
    compiled, problems = _check_semantics(rules, catalogue or load_catalogue())
    if problems:
        raise RuleSetError(
            [RuleError(filename, _line_of(node, loc), _dotted(loc), msg) for loc, msg in problems]
        )
    return compiled


def compile_parsed(data: dict[str, Any]) -> CompiledRuleSet:
    """Rebuild a compiled rule set from the stored parsed form of a version."""
    rules = RuleSet.model_validate(data)
    compiled, problems = _check_semantics(rules, load_catalogue())
    if problems:
        raise RuleSetError([RuleError("<stored>", 0, _dotted(loc), m) for loc, m in problems])
    return compiled


def _parse_yaml(text: str, filename: str) -> tuple[yaml.Node | None, Any]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise RuleSetError(
            [RuleError(filename, line, "yaml", f"lỗi cú pháp YAML: {exc.problem}")]
        ) from None
    except yaml.YAMLError as exc:
        raise RuleSetError([RuleError(filename, 0, "yaml", f"lỗi YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise RuleSetError([RuleError(filename, 1, "-", "tệp quy tắc phải là một ánh xạ YAML")])
    return node, data


def _check_semantics(rules: RuleSet, catalogue: Catalogue
                     ) -> tuple[CompiledRuleSet, list[tuple[Loc, str]]]:
    problems: list[tuple[Loc, str]] = []
    context = make_context(rules.nominee_attributes)
    compiled = CompiledRuleSet(rules)
    seen: set[str] = set()
    for i, award in enumerate(rules.awards):
        base: Loc = ("awards", i)
        info = catalogue.award_forms.get(award.form)
        if info is None:
            problems.append(
                ((*base, "form"), f"hình thức khen thưởng không có trong danh mục: {award.form}"))
        elif not set(award.nominee) <= set(info.nominee_kinds):
            problems.append(((*base, "nominee"),
                             f"{award.form} chỉ dành cho: {', '.join(info.nominee_kinds)}"))
        if award.form in seen:
            problems.append(((*base, "form"), f"hình thức {award.form} khai báo hai lần"))
        seen.add(award.form)
        for j, doc in enumerate(award.required_documents):
            if doc not in catalogue.document_types:
                problems.append(((*base, "required_documents", j),
                                 f"loại tài liệu không có trong danh mục: {doc}"))
        for j, prior in enumerate(award.prior_titles):
            if prior.title not in catalogue.award_forms:
                problems.append(((*base, "prior_titles", j, "title"),
                                 f"danh hiệu không có trong danh mục: {prior.title}"))
        for j, rule in enumerate(award.eligibility):
            try:
                compiled.expressions[(award.form, j)] = compile_expression(rule.rule, context)
            except ExpressionError as exc:
                problems.append(((*base, "eligibility", j, "rule"), str(exc)))
    return compiled, problems


_PYDANTIC_VI = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép (không có trong lược đồ)",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "float_parsing": "phải là số",
    "bool_parsing": "phải là true/false",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_type": "phải là ngày dạng YYYY-MM-DD",
    "enum": "giá trị không hợp lệ",
    "literal_error": "giá trị không hợp lệ",
    "string_type": "phải là chuỗi",
    "list_type": "phải là danh sách",
    "dict_type": "phải là ánh xạ",
    "too_short": "quá ít phần tử hoặc ký tự",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "string_pattern_mismatch": "chỉ gồm chữ không dấu, số, '_' và '-'",
    "greater_than": "quá nhỏ",
    "greater_than_equal": "quá nhỏ",
    "less_than_equal": "quá lớn",
}


def _message(error: Any) -> str:
    vi = _PYDANTIC_VI.get(error["type"])
    return f"{vi} ({error['msg']})" if vi else error["msg"]


def _dotted(loc: Any) -> str:
    return ".".join(str(part) for part in loc) or "-"


def _line_of(node: yaml.Node | None, loc: Loc) -> int:
    """The 1-based line of the deepest YAML node the location reaches."""
    if node is None:
        return 1
    current = node
    for part in loc:
        child = _child(current, part)
        if child is None:
            break
        current = child
    return current.start_mark.line + 1


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
