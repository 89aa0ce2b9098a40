"""Charts as SVG drawn on the server (the CSP allows no inline script): horizontal bars,
one per row, and stacked bars for the deadlines. Presentation attributes only, no style."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, LABEL_W, VALUE_W, BAR_H, GAP, PAD = 640, 230, 70, 18, 8, 6
BAR_W = WIDTH - LABEL_W - VALUE_W - 2 * PAD
COLOR = "#0d6efd"


def _svg(height: int, aria: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'class="stats-chart" role="img" aria-label="{escape(aria)}">'
            + "".join(body) + "</svg>")


def _label(text: str, y: int) -> str:
    short = text if len(text) <= 34 else text[:33] + "…"
    return (f'<text x="{LABEL_W - 4}" y="{y + BAR_H - 5}" text-anchor="end" font-size="12" '
            f'fill="#212529"><title>{escape(text)}</title>{escape(short)}</text>')


def bar_chart(aria: str, items: Sequence[tuple[str, float | None, str]],
              scale_max: float | None = None) -> str:
    """One bar per (label, value, value as shown); None draws no bar."""
    top = scale_max or max((v or 0 for _, v, _ in items), default=0) or 1
    body = []
    for i, (label, value, shown) in enumerate(items):
        y = PAD + i * (BAR_H + GAP)
        width = round(BAR_W * (value or 0) / top)
        body += [_label(label, y),
                 f'<rect x="{LABEL_W}" y="{y}" width="{BAR_W}" height="{BAR_H}" '
                 f'fill="#f1f3f5"/>',
                 f'<rect x="{LABEL_W}" y="{y}" width="{width}" height="{BAR_H}" '
                 f'fill="{COLOR}"><title>{escape(label)}: {escape(shown)}</title></rect>',
                 f'<text x="{LABEL_W + BAR_W + 6}" y="{y + BAR_H - 5}" font-size="12" '
                 f'fill="#212529">{escape(shown)}</text>']
    return _svg(PAD * 2 + max(1, len(items)) * (BAR_H + GAP), aria, body)


def stacked_chart(aria: str, items: Sequence[tuple[str, Sequence[int]]],
                  series: Sequence[tuple[str, str]]) -> str:
    """One bar per label, split into `series` (name, colour), with a legend below."""
    top = max((sum(parts) for _, parts in items), default=0) or 1
    body = []
    for i, (label, parts) in enumerate(items):
        y, x = PAD + i * (BAR_H + GAP), LABEL_W
        body.append(_label(label, y))
        for (name, color), part in zip(series, parts, strict=True):
            width = round(BAR_W * part / top)
            if width:
                body.append(f'<rect x="{x}" y="{y}" width="{width}" height="{BAR_H}" '
                            f'fill="{color}"><title>{escape(label)} — {escape(name)}: '
                            f'{part}</title></rect>')
            x += width
        body.append(f'<text x="{LABEL_W + BAR_W + 6}" y="{y + BAR_H - 5}" font-size="12" '
                    f'fill="#212529">{sum(parts)}</text>')
    legend_y = PAD + max(1, len(items)) * (BAR_H + GAP) + 4
    x = PAD
    for name, color in series:
        body += [f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{color}"/>',
                 f'<text x="{x + 16}" y="{legend_y + 11}" font-size="11" fill="#495057">'
                 f'{escape(name)}</text>']
        x += 28 + 7 * len(name)
    return _svg(legend_y + 20, aria, body)
