"""Charts of the public pages as inline SVG, built on the server: pure functions, no JavaScript.

A factsheet with every chart drawn is then plain HTML (tens of kilobytes), renders at once,
works in an iframe, in print and without scripts, and carries its own text alternative
(``<title>`` and ``<desc>``, referenced by ``aria-labelledby``). Colours pass WCAG 1.4.11 (3:1
for graphics) on white; the second series is dashed as well, so colour is never the only cue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

COLOURS = ("#332288", "#117733", "#882255")  # Tol: 12.6, 5.6 and 8.6 to 1 on white
INK, MUTED, GRID = "#1f2328", "#4a5360", "#d0d7de"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``: 0.83 -> 1, 1234 -> 1500, 0 -> 1."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _svg_open(width: int, height: int, title: str, desc: str, chart_id: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart-svg" role="img" focusable="false" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive published points: a suppressed month leaves a gap in the line."""
    runs, run = [], []
    for p in points:
        if p is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(p)
    if run:
        runs.append(run)
    return runs


def line_chart(labels: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str,
               desc: str, tick: Callable[[float], str], width: int = 640, height: int = 300
               ) -> Markup:
    """A line chart from zero over periods named by ``labels`` (already in the page's locale);
    ``tick`` formats a y value."""
    left, right, top, bottom = 64, 16, 36 if len(series) > 1 else 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for s in series for v in s.values if v is not None]
    y_max = nice_max(max(known) if known else 0)
    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    out = _svg_open(width, height, title, desc, chart_id)
    for k in range(5):  # gridlines and y labels
        v = y_max * k / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end" '
                   f'font-size="12" fill="{MUTED}">{escape(tick(v))}</text>')
    step = max(1, math.ceil(n / 6))
    for i in range(0, n, step):  # x labels: about six months named
        out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                   f'font-size="12" fill="{MUTED}">'
                   f'{escape(labels[i])}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
               f'stroke="{MUTED}" stroke-width="1"/>')
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        dash = ' stroke-dasharray="7 4"' if k % 2 else ""
        points = [(x(i), y(v)) if v is not None else None for i, v in enumerate(s.values)]
        for run in _segments(points):
            if len(run) == 1:
                continue
            d = " ".join(f"{'M' if j == 0 else 'L'}{px:.1f},{py:.1f}"
                         for j, (px, py) in enumerate(run))
            out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"'
                       f'{dash} stroke-linejoin="round"/>')
        for p in points:
            if p is not None:
                out.append(f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="2.5" fill="{colour}"/>')
        if len(series) > 1:  # legend: a line sample and the name, left to right
            lx = left + k * (plot_w // len(series))
            out.append(f'<line x1="{lx}" x2="{lx + 28}" y1="14" y2="14" stroke="{colour}" '
                       f'stroke-width="2.5"{dash}/>')
            out.append(f'<text x="{lx + 34}" y="18" font-size="13" fill="{INK}">'
                       f'{escape(s.name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(items: Sequence[tuple[str, float]], *, chart_id: str, title: str, desc: str,
              tick: Callable[[float], str], width: int = 640) -> Markup:
    """Horizontal bars, largest first, each with its label above it and its value after it."""
    row, top = 44, 8
    height = top + row * max(1, len(items)) + 8
    left, right = 8, 72
    x_max = nice_max(max((v for _, v in items), default=0))
    out = _svg_open(width, height, title, desc, chart_id)
    for i, (label, value) in enumerate(items):
        y0 = top + i * row
        bar_w = (width - left - right) * value / x_max
        out.append(f'<text x="{left}" y="{y0 + 14}" font-size="13" fill="{INK}">'
                   f'{escape(label)}</text>')
        out.append(f'<rect x="{left}" y="{y0 + 20}" width="{max(bar_w, 1):.1f}" height="16" '
                   f'fill="{COLOURS[0]}"/>')
        out.append(f'<text x="{left + bar_w + 6:.1f}" y="{y0 + 33}" font-size="13" '
                   f'fill="{INK}">{escape(tick(value))}</text>')
    out.append("</svg>")
    return Markup("".join(out))
