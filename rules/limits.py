"""Limits on a rule set's YAML source, checked before it is built into Python objects: its
size, how deeply it nests and how far its aliases expand ("billion laughs"). A real rule set
is a few KB, nests about 5 levels and uses no alias at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class SourceLimits:
    max_chars: int = 200_000
    max_depth: int = 20
    max_nodes: int = 20_000   # counting every alias as the nodes it stands for


LIMITS = SourceLimits()


class SourceTooLarge(ValueError):
    """The source breaks a limit; `line` is where (1-based; 0 for the whole file)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def check_source(text: str, limits: SourceLimits = LIMITS) -> None:
    """Stream the parser's events (no recursion, nothing built) and stop at the first
    limit broken; syntax errors are left for the loader to report."""
    if len(text) > limits.max_chars:
        raise SourceTooLarge(0, f"tệp quy tắc quá lớn ({len(text):,} ký tự; tối đa "
                                f"{limits.max_chars:,})")
    sizes: dict[str, int] = {}        # anchor -> nodes it expands to
    open_: list[list[Any]] = []       # [anchor, nodes so far] per open collection
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.CollectionStartEvent):
            open_.append([event.anchor, 1])
            if len(open_) > limits.max_depth:
                raise SourceTooLarge(line, f"lồng quá sâu (quá {limits.max_depth} cấp)")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes = open_.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, nodes = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, nodes = None, sizes.get(event.anchor or "", 1)
        else:
            continue
        if anchor:
            sizes[anchor] = nodes
        if open_:
            open_[-1][1] += nodes
        else:
            total += nodes
        if total + sum(n for _, n in open_) > limits.max_nodes:
            raise SourceTooLarge(line, f"quá nhiều phần tử (quá {limits.max_nodes:,}, kể cả "
                                       f"phần được lặp lại qua bí danh YAML *alias)")
