"""Pydantic validation errors said in Vietnamese, for every place that validates input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def problem(error: Mapping[str, Any]) -> str:
    """What is wrong with a value, in Vietnamese, from one pydantic error."""
    ctx = error.get("ctx") or {}
    shortest = ctx.get("min_length")
    kind = error["type"]
    if kind == "string_type" and error.get("input") is None:
        return "bắt buộc, không được để trống"
    if kind == "string_too_short":
        return "không được để trống" if shortest == 1 else f"cần ít nhất {shortest} ký tự"
    if kind == "too_short":
        return f"cần ít nhất {shortest} mục"
    if kind in ("string_too_long", "too_long"):
        return f"tối đa {ctx.get('max_length')} ký tự"
    if kind in ("greater_than_equal", "greater_than"):
        return f"không được nhỏ hơn {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"không được lớn hơn {ctx.get('le', ctx.get('lt'))}"
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])  # the schema's own validators say it in Vietnamese
    return _FIXED.get(kind, "giá trị không hợp lệ")


def labelled(error: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """`label: problem`, the label being the field's user-facing name when known."""
    loc = [str(part) for part in error["loc"]]
    label = labels.get(loc[0], ".".join(loc)) if loc else ""
    return f"{label}: {problem(error)}" if label else problem(error)


_FIXED = {
    "missing": "bắt buộc",
    "extra_forbidden": "không được phép (không có trong lược đồ)",
    "int_parsing": "phải là số nguyên", "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số", "float_type": "phải là số",
    "bool_parsing": "phải là true/false", "bool_type": "phải là true/false",
    "date_from_datetime_parsing": "phải là ngày hợp lệ (YYYY-MM-DD)",
    "date_parsing": "phải là ngày hợp lệ (YYYY-MM-DD)",
    "date_type": "phải là ngày hợp lệ (YYYY-MM-DD)",
    "enum": "giá trị không hợp lệ", "literal_error": "giá trị không hợp lệ",
    "string_type": "phải là chuỗi", "list_type": "phải là danh sách",
    "dict_type": "phải là ánh xạ", "model_type": "phải là ánh xạ",
    "string_pattern_mismatch": "chỉ gồm chữ không dấu, số, '_' và '-'",
}
