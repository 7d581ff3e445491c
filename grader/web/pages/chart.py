"""Attempts over time as an inline SVG bar chart: no JavaScript, no chart library."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from html import escape


def attempts_per_day(
    moments: Iterable[datetime], *, days: int = 14, today: date | None = None
) -> list[tuple[date, int]]:
    """Submissions counted per calendar day (UTC) over the last ``days`` days, oldest first."""
    counts = Counter(moment.date() for moment in moments)
    last = today or (max(counts) if counts else date.today())
    return [
        (last - timedelta(days=offset), counts.get(last - timedelta(days=offset), 0))
        for offset in range(days - 1, -1, -1)
    ]


def bar_chart_svg(series: list[tuple[date, int]], *, width: int = 560, height: int = 200) -> str:
    top, bottom, left, right = 16, 28, 34, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((count for _, count in series), default=0) or 1
    slot = plot_w / max(len(series), 1)
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Submissions per day</title>',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
        f'y2="{top + plot_h}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for index, (day, count) in enumerate(series):
        bar_h = plot_h * count / peak
        x = left + index * slot + slot * 0.15
        y = top + plot_h - bar_h
        label = escape(f"{day.isoformat()}: {count} submissions")
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_h:.1f}"><title>{label}</title></rect>'
        )
        if index % max(1, len(series) // 7) == 0 or index == len(series) - 1:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - 10}" text-anchor="middle">'
                f"{day.strftime('%m-%d')}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
