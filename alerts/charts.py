"""Small PNG charts for emails, drawn with matplotlib's Agg backend (imported only when a chart is drawn)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from brandpulse.alerts.base import Bucket

SIZE_INCHES = (6.4, 2.4)
DPI = 100
COLORS = {"detractors": "#b00020", "passives": "#9e9e9e", "promoters": "#2e7d32", "others": "#90a4ae"}


def _figure():
    # The object API with the Agg canvas, not pyplot: no global state, safe on the scheduler's threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def buckets_chart(buckets: Sequence[Bucket], title: str, highlight: Sequence[Bucket] = ()) -> bytes:
    """Detractors and other mentions per bucket as stacked bars, alerting buckets outlined."""
    figure, axes = _figure()
    starts = [b.start for b in buckets]
    width = (starts[1] - starts[0]) * 0.9 if len(starts) > 1 else 0.03
    detractors = [b.detractors for b in buckets]
    axes.bar(starts, detractors, width=width, color=COLORS["detractors"], label="detractors")
    axes.bar(starts, [b.total - b.detractors for b in buckets], width=width, bottom=detractors,
             color=COLORS["others"], label="other mentions")
    for bucket in highlight:
        axes.bar([bucket.start], [bucket.total], width=width, fill=False, edgecolor="black", linewidth=1.2)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="upper left")
    axes.tick_params(labelsize=7)
    figure.autofmt_xdate()
    return _png(figure)


def daily_chart(days: Sequence[date], promoters: Sequence[int], passives: Sequence[int], detractors: Sequence[int], title: str) -> bytes:
    """Mentions per day stacked by category."""
    figure, axes = _figure()
    labels = [d.strftime("%a %d") for d in days]
    axes.bar(labels, detractors, color=COLORS["detractors"], label="detractors")
    axes.bar(labels, passives, bottom=detractors, color=COLORS["passives"], label="passives")
    axes.bar(labels, promoters, bottom=[a + b for a, b in zip(detractors, passives)], color=COLORS["promoters"],
             label="promoters")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="upper left")
    axes.tick_params(labelsize=7)
    return _png(figure)
