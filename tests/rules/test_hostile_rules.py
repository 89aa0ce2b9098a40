"""Hostile rule sets are refused, each with the file, line and field at fault: YAML that is
huge, nests deeply or expands through aliases ("billion laughs"), and eligibility
expressions that are huge, deeply nested or use regexes that can run for minutes.

The documents are loaded in a child process so that a regression hangs no test run: its
timeout is only a guard, the assertions are on the refusal and its message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rules.loader import RuleSetError, load_text

DATA = Path(__file__).parents[1] / "data" / "rules"
VALID = (DATA / "demo-valid.yaml").read_text(encoding="utf-8")
RULE = "kind == 'collective' or years_in_service >= 2"   # line 19 of demo-valid.yaml


def laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return VALID + "\n".join(lines) + "\n"


def with_rule(text: str) -> str:
    return VALID.replace(RULE, text.replace('"', '\\"'))


HOSTILE = {
    # name: (document, line, field, words in the message)
    "billion-laughs": (laughs(), 34, "yaml", "quá nhiều phần tử"),
    "laughs-inside-a-field": (VALID.replace("legal_basis: [Kế hoạch số 1/KH-UBND ngày 02/01/2024]",
                                            "legal_basis: &x [a, b, c, d, e, f, g, h]\n"
                                            + "".join(f"x{i}: &x{i} [" + ", ".join(
                                                [f"*x{i - 1}" if i else "*x"] * 8) + "]\n"
                                                for i in range(8))),
                              7, "yaml", "quá nhiều phần tử"),
    "deep-list": ("awards: " + "[" * 50_000 + "]" * 50_000 + "\n", 1, "yaml",
                  "lồng quá sâu"),
    "deep-mapping": ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), 21,
                     "yaml", "lồng quá sâu"),
    "ten-megabytes": (VALID + "# " + "x" * 10_000_000 + "\n", 0, "yaml",
                      "tệp quy tắc quá lớn"),
    "many-nodes": (VALID + "junk: [" + ", ".join(["1"] * 30_000) + "]\n", 30, "yaml",
                   "quá nhiều phần tử"),
    "huge-expression": (with_rule(" or ".join(["years_in_service >= 2"] * 2_000)), 19,
                        "awards.0.eligibility.0.rule", "quá dài"),
    "deep-expression": (with_rule("not " * 120 + "disciplined"), 19,
                        "awards.0.eligibility.0.rule", "lồng quá sâu"),
    "exponential-regex": (with_rule("position =~ '(a+)+$'"), 19,
                          "awards.0.eligibility.0.rule", "có thể chạy rất lâu"),
    # The same regex inside an array, behind `[i]`, or in a comprehension.
    "regex-in-an-index": (with_rule("[position =~ '(a+)+$'][0]"), 19,
                          "awards.0.eligibility.0.rule", "có thể chạy rất lâu"),
    "regex-in-a-comprehension": (with_rule("[v for v in [position] if v =~ '(a+)+$'].length "
                                           "> 0"), 19,
                                 "awards.0.eligibility.0.rule", "có thể chạy rất lâu"),
    "alternation-regex": (with_rule("position =~~ '(giám đốc|giám đốc sở)*x'"), 19,
                          "awards.0.eligibility.0.rule", "có thể chạy rất lâu"),
    "backreference": (with_rule("position =~ '(?P<x>a*)(?P=x)b'"), 19,
                      "awards.0.eligibility.0.rule", "có thể chạy rất lâu"),
    "regex-from-data": (with_rule("position =~ work_unit"), 19,
                        "awards.0.eligibility.0.rule", "phải là một chuỗi cố định"),
    "giant-regex": (with_rule("position =~ '" + "a" * 400 + "'"), 19,
                    "awards.0.eligibility.0.rule", "quá dài"),
}
ACCEPTED = {
    "plain-alternation": with_rule("position =~~ '^(chuyên viên|giáo viên)( chính)?$'"),
    "bounded-repeat": with_rule("position =~ '^[a-z]{1,3}(-[0-9]{3})*$'"),
    "one-anchor": VALID.replace("council: {threshold: 0.7}", "council: &c {threshold: 0.7}")
                       .replace("council: {threshold: 0.9}", "council: *c"),
}

CHILD = """
import json, sys
from rules.loader import RuleSetError, load_text
results = {}
for name, text in json.load(sys.stdin).items():
    try:
        load_text(text, "hostile.yaml")
        results[name] = None
    except RuleSetError as exc:
        results[name] = [[e.file, e.line, e.field, e.message] for e in exc.errors]
json.dump(results, sys.stdout)
"""


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[list] | None]:
    documents = {name: case[0] for name, case in HOSTILE.items()} | ACCEPTED
    run = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(documents),
                         capture_output=True, text=True, timeout=120,   # a hang guard only
                         cwd=Path(__file__).parents[2])
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_a_hostile_rule_set_is_refused_naming_line_and_field(outcomes, case):
    _text, line, field, words = HOSTILE[case]
    errors = outcomes[case]
    assert errors, f"{case} was loaded"
    assert [e[:3] for e in errors] == [["hostile.yaml", line, field]], errors
    assert words in errors[0][3], errors


@pytest.mark.parametrize("case", ACCEPTED, ids=str)
def test_safe_regexes_and_a_plain_alias_are_still_accepted(outcomes, case):
    assert outcomes[case] is None


def test_the_stored_rule_sets_pass_the_same_checks():
    """compile_parsed (stored versions) runs the expression checks too, so a shipped rule
    set that a later check would refuse is caught here rather than in production."""
    from rules.loader import load_file
    from workflow.campaigns.rulesets import shipped_ruleset_files
    for path in shipped_ruleset_files():
        load_file(path)


@pytest.mark.parametrize("bad", ["2026-13-01", "2024-02-30"])
def test_a_date_yaml_cannot_build_is_refused_at_its_line(bad):
    """Found by fuzzing the admin's form: YAML reads 2026-13-01 as a date and fails with a
    ValueError, which was a 500."""
    with pytest.raises(RuleSetError) as caught:
        load_text(VALID.replace("starts: 2024-01-02", f"starts: {bad}"), "x.yaml")
    [error] = caught.value.errors
    assert (error.line, error.field) == (5, "yaml") and "giá trị không hợp lệ" in error.message
