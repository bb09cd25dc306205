"""Server-rendered SVG charts for the dashboard. Pure code: no Django, every label escaped."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from html import escape


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]
    colour: str


def _nice_max(value: int) -> int:
    # Round the axis up to 1, 2 or 5 times a power of ten so the top tick reads as a round number.
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def daily_bars_svg(
    *, title: str, days: list[date], series: list[Series], width: int = 640, height: int = 200
) -> str:
    """Grouped bars, one group per day, one bar per series, with a legend and per-bar tooltips."""
    if any(len(s.values) != len(days) for s in series):
        raise ValueError("every series needs one value per day")
    left, right, top, bottom = 40, 10, 28, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for s in series for v in s.values), default=0))
    group_w = plot_w / max(len(days), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{top_value}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    legend_x = left
    for s in series:
        parts.append(f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{escape(s.colour)}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="15" font-size="11">{escape(s.name)}</text>')
        legend_x += 24 + 7 * len(s.name)
    for i, day in enumerate(days):
        x0 = left + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{escape(s.colour)}"><title>{escape(s.name)} on '
                f"{day.isoformat()}: {value}</title></rect>"
            )
    if days:
        parts.append(f'<text x="{left}" y="{height - 6}" font-size="10">{days[0].isoformat()}</text>')
        parts.append(
            f'<text x="{left + plot_w}" y="{height - 6}" text-anchor="end" font-size="10">'
            f"{days[-1].isoformat()}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def ranking_bars_svg(
    *, title: str, rows: list[tuple[str, int]], width: int = 640, colour: str = "#417690"
) -> str:
    """Horizontal bars, one per labelled row, largest first as given."""
    row_h, label_w, top = 20, 200, 6
    height = top + row_h * max(len(rows), 1) + 6
    top_value = max((v for _, v in rows), default=0) or 1
    plot_w = width - label_w - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 14}" font-size="12">Nothing yet</text>')
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * value / top_value
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{escape(colour)}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
