"""The workflow diagram as SVG, drawn from the machine's own transitions (no JS, no CDN).

States are laid out in columns by their distance from the initial state; the current
state is highlighted.
"""

from __future__ import annotations

from collections import deque
from html import escape

from web.labels import STATES
from workflow import machine

BOX_W, BOX_H, COL_W, ROW_H, PAD = 150, 40, 200, 70, 20


def _columns() -> dict[str, tuple[int, int]]:
    depth = {machine.INITIAL: 0}
    queue = deque([machine.INITIAL])
    while queue:
        state = queue.popleft()
        for spec in machine.TRIGGERS:
            if state in spec.sources:
                for dest in spec.dests:
                    if dest not in depth:
                        depth[dest] = depth[state] + 1
                        queue.append(dest)
    rows: dict[int, int] = {}
    places = {}
    for state in machine.STATES:
        col = depth.get(state, 0)
        places[state] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return places


def workflow_svg(current: str | None = None) -> str:
    places = _columns()
    width = PAD * 2 + COL_W * (max(c for c, _ in places.values()) + 1)
    height = PAD * 2 + ROW_H * (max(r for _, r in places.values()) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'class="workflow-diagram" role="img" aria-label="workflow">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#6c757d"/></marker></defs>']
    parts += _edges(places)
    parts += [_box(state, col, row, state == current) for state, (col, row) in places.items()]
    parts.append("</svg>")
    return "".join(parts)


def _center(col: int, row: int) -> tuple[int, int]:
    return PAD + col * COL_W + BOX_W // 2, PAD + row * ROW_H + BOX_H // 2


def _edges(places: dict[str, tuple[int, int]]) -> list[str]:
    out = []
    for spec in machine.TRIGGERS:
        for source in spec.sources:
            for dest in spec.dests:
                if source == dest:
                    continue
                (x1, y1), (x2, y2) = _center(*places[source]), _center(*places[dest])
                x1 += BOX_W // 2 if x2 > x1 else (-BOX_W // 2 if x2 < x1 else 0)
                x2 -= BOX_W // 2 if x2 > x1 else (-BOX_W // 2 if x2 < x1 else 0)
                out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#adb5bd" '
                           f'stroke-width="1.5" marker-end="url(#arrow)">'
                           f'<title>{escape(spec.name)}</title></line>')
    return out


def _box(state: str, col: int, row: int, current: bool) -> str:
    x, y = PAD + col * COL_W, PAD + row * ROW_H
    fill, stroke, weight = ("#ffe08a", "#b8860b", "bold") if current else ("#f8f9fa", "#6c757d",
                                                                          "normal")
    label = escape(str(STATES.get(state, state)))
    return (f'<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2 if current else 1}"/>'
            f'<text x="{x + BOX_W // 2}" y="{y + BOX_H // 2 + 5}" text-anchor="middle" '
            f'font-size="13" font-weight="{weight}" font-family="sans-serif">{label}</text></g>')
