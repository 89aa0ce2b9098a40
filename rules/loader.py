"""Load a rule set from YAML: all or nothing, every error as FILE:LINE: field: message."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rules.catalogue import Catalogue, load_catalogue
from rules.expressions import Expression, ExpressionError, compile_expression, make_context
from rules.limits import SourceTooLarge, check_source
from rules.schema import MAX_EXPRESSION_LENGTH, AttributeType, RuleSet

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
Expressions = dict[tuple[str, int], Expression]


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
    expressions: Expressions = field(default_factory=dict)

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
    """Validate the whole document and report every fault at once, or return it compiled."""
    node, data = _parse_yaml(text, filename)
    errors = _duplicate_keys(node, filename)
    rules, problems = _validate_schema(data)
    expressions, semantic = _check_semantics(data, catalogue or load_catalogue())
    problems += [p for p in semantic if not _reported(p[0], problems)]
    errors += [RuleError(filename, _line_of(node, loc), _dotted(loc), msg)
               for loc, msg in problems]
    if errors or rules is None:
        raise RuleSetError(sorted(errors, key=lambda e: e.line))
    return CompiledRuleSet(rules, expressions)


def compile_parsed(data: dict[str, Any]) -> CompiledRuleSet:
    """Rebuild a compiled rule set from the stored parsed form of a version."""
    rules = RuleSet.model_validate(data)
    expressions, problems = _check_semantics(data, load_catalogue())
    if problems:
        raise RuleSetError([RuleError("<stored>", 0, _dotted(loc), m) for loc, m in problems])
    return CompiledRuleSet(rules, expressions)


def _parse_yaml(text: str, filename: str) -> tuple[yaml.Node | None, Any]:
    """Size, nesting and alias expansion are checked on the event stream first, so that a
    hostile document is refused before anything recursive or exponential runs on it."""
    try:
        check_source(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except SourceTooLarge as exc:
        raise RuleSetError([RuleError(filename, exc.line, "yaml", exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise RuleSetError([_syntax_error(exc, filename)]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise RuleSetError([RuleError(filename, 0, "yaml", f"lỗi YAML: {exc}")]) from None
    except (ValueError, OverflowError) as exc:   # e.g. a date like 2026-13-01
        raise RuleSetError([RuleError(filename, _bad_scalar_line(text), "yaml",
                                      f"giá trị không hợp lệ: {exc}")]) from None
    if not isinstance(data, dict):
        raise RuleSetError([RuleError(filename, 1, "-", "tệp quy tắc phải là một ánh xạ YAML")])
    return node, data


def _bad_scalar_line(text: str) -> int:
    """The line of the first scalar that YAML cannot build (a date with month 13...)."""
    constructor = yaml.SafeLoader("")
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if not isinstance(event, yaml.ScalarEvent) or event.style:
            continue
        tag = constructor.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value)
        try:
            constructor.construct_object(node)
        except (ValueError, OverflowError):
            return event.start_mark.line + 1 if event.start_mark else 0
    return 0


def _syntax_error(exc: yaml.MarkedYAMLError, filename: str) -> RuleError:
    """At the line where the parser stopped, naming the construct it was reading."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    message = f"lỗi cú pháp YAML: {exc.problem}"
    if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
        message += f" ({exc.context}, từ dòng {exc.context_mark.line + 1})"
    return RuleError(filename, line, "yaml", message)


def _duplicate_keys(node: yaml.Node | None, filename: str, loc: Loc = ()) -> list[RuleError]:
    """A key given twice in one mapping: YAML would silently keep only the last value."""
    errors: list[RuleError] = []
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            errors += _duplicate_keys(item, filename, (*loc, index))
    if not isinstance(node, yaml.MappingNode):
        return errors
    seen: set[str] = set()
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        path = (*loc, key.value)
        if key.value in seen:
            errors.append(RuleError(filename, key.start_mark.line + 1, _dotted(path),
                                    "khóa bị khai báo hai lần (duplicate key)"))
        seen.add(key.value)
        errors += _duplicate_keys(value, filename, path)
    return errors


def _validate_schema(data: Mapping[str, Any]) -> tuple[RuleSet | None, list[Problem]]:
    try:
        return RuleSet.model_validate(data), []
    except ValidationError as exc:
        return None, [(tuple(e["loc"]), _message(e)) for e in exc.errors()]


def _reported(loc: Loc, problems: list[Problem]) -> bool:
    """True when the schema already found a fault at `loc` or inside one of its parents."""
    return any(loc[:len(seen)] == seen for seen, _ in problems)


def _check_semantics(data: Mapping[str, Any], catalogue: Catalogue
                     ) -> tuple[Expressions, list[Problem]]:
    """Catalogue codes and eligibility expressions, checked on the raw data so that they are
    reported even when the schema finds other faults in the same document."""
    problems: list[Problem] = []
    expressions: Expressions = {}
    context = make_context(_attribute_types(data.get("nominee_attributes")))
    seen: set[str] = set()
    offered = {a.get("form") for _, a in _entries(data.get("awards"))}
    for i, award in _entries(data.get("awards")):
        base: Loc = ("awards", i)
        form = award.get("form")
        problems += _award_codes(award, base, catalogue, seen)
        share = award.get("quota_share")
        if isinstance(share, dict) and isinstance(share.get("of"), str) and (
                share["of"] not in offered or share["of"] == form):
            problems.append(((*base, "quota_share", "of"),
                             f"phải là một hình thức khác của phong trào này: {share['of']}"))
        for j, rule in _entries(award.get("eligibility")):
            text = rule.get("rule")
            if not isinstance(text, str) or not text or len(text) > MAX_EXPRESSION_LENGTH:
                continue   # the schema reports it; a huge text is never compiled
            try:
                expressions[(str(form), j)] = compile_expression(text, context)
            except ExpressionError as exc:
                problems.append(((*base, "eligibility", j, "rule"), str(exc)))
    return expressions, problems


def _award_codes(award: Mapping[str, Any], base: Loc, catalogue: Catalogue,
                 seen: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    form = award.get("form")
    info = catalogue.award_forms.get(form) if isinstance(form, str) else None
    if isinstance(form, str) and info is None:
        problems.append(((*base, "form"), f"hình thức khen thưởng không có trong danh mục: {form}"))
    kinds = award.get("nominee")
    if info is not None and isinstance(kinds, list) and not set(kinds) <= set(info.nominee_kinds):
        problems.append(((*base, "nominee"),
                         f"{form} chỉ dành cho: {', '.join(info.nominee_kinds)}"))
    if isinstance(form, str) and form in seen:
        problems.append(((*base, "form"), f"hình thức {form} khai báo hai lần"))
    seen.add(str(form))
    docs = award.get("required_documents")
    for j, doc in enumerate(docs if isinstance(docs, list) else []):
        if isinstance(doc, str) and doc not in catalogue.document_types:
            problems.append(((*base, "required_documents", j),
                             f"loại tài liệu không có trong danh mục: {doc}"))
    for j, prior in _entries(award.get("prior_titles")):
        title = prior.get("title")
        if isinstance(title, str) and title not in catalogue.award_forms:
            problems.append(((*base, "prior_titles", j, "title"),
                             f"danh hiệu không có trong danh mục: {title}"))
    return problems


def _entries(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The (index, mapping) items of a YAML list; anything else the schema reports."""
    if isinstance(value, list):
        yield from ((i, item) for i, item in enumerate(value) if isinstance(item, dict))


def _attribute_types(value: Any) -> dict[str, AttributeType | None]:
    """Declared nominee attributes; a bad type (reported by the schema) becomes None."""
    if not isinstance(value, dict):
        return {}
    valid = {t.value for t in AttributeType}
    return {str(name): AttributeType(kind) if kind in valid else None
            for name, kind in value.items()}


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
    if error["type"] == "value_error" and (error.get("ctx") or {}).get("error") is not None:
        return str(error["ctx"]["error"])  # the schema's own validators say it in Vietnamese
    vi = _PYDANTIC_VI.get(error["type"])
    return f"{vi} ({error['msg']})" if vi else error["msg"]


def _dotted(loc: Any) -> str:
    return ".".join(str(part) for part in loc) or "-"


def _line_of(node: yaml.Node | None, loc: Loc) -> int:
    """The 1-based line of the deepest key or list item the location reaches."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    current = node
    for part in loc:
        step = _child(current, part)
        if step is None:
            break
        marker, current = step
        line = marker.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node that marks the step's line, the node to descend into)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key, value
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    if isinstance(part, int) and 0 <= part < len(items):
        return items[part], items[part]
    return None
