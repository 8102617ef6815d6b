"""Small PNG charts for emails, drawn with matplotlib's Agg backend (imported only when a chart is drawn)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from brandpulse.alerts.base import Bucket

SIZE_INCHES = (6.4, 2.4)
DPI = 100
COLORS = {"detractors": "#b00020", "passives": "#9e9e9e", "promoters": "#2e7d32", "others": "#90a4ae"}


def _figure(height: float = SIZE_INCHES[1]):
    # The object API with the Agg canvas, not pyplot: no global state, safe on the scheduler's threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(SIZE_INCHES[0], height), dpi=DPI)
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


def trend_chart(days: Sequence[date], volumes: Sequence[int], scores: Sequence[float | None], title: str) -> bytes:
    """Mentions per day as bars and the daily net sentiment score as a line on its own axis (-100..100)."""
    figure, axes = _figure()
    axes.bar(days, volumes, width=0.8, color=COLORS["others"], label="mentions")
    axes.set_ylabel("mentions", fontsize=7)
    score_axes = axes.twinx()
    points = [(d, s) for d, s in zip(days, scores) if s is not None]
    if points:
        score_axes.plot([d for d, _ in points], [s for _, s in points], color=COLORS["promoters"], marker="o",
                        markersize=2.5, linewidth=1.5, label="net score")
    score_axes.axhline(0, color="#616161", linewidth=0.6, linestyle=":")
    score_axes.set_ylim(-100, 100)
    score_axes.set_ylabel("net score", fontsize=7, color=COLORS["promoters"])
    for each in (axes, score_axes):
        each.tick_params(labelsize=7)
    axes.set_title(title, fontsize=9)
    axes.xaxis.set_major_formatter(_day_format())
    figure.autofmt_xdate()
    return _png(figure)


def _day_format():
    from matplotlib.dates import DateFormatter

    return DateFormatter("%d %b")


def share_chart(brands: Sequence[str], shares: dict[str, Sequence[float | None]], title: str) -> bytes:
    """Each brand's share (%) of all, positive and negative mentions as grouped horizontal bars."""
    figure, axes = _figure(height=max(1.6, 0.55 * len(brands) + 0.9))
    height = 0.8 / max(len(shares), 1)
    colors = {"all": COLORS["others"], "positive": COLORS["promoters"], "negative": COLORS["detractors"]}
    for k, (name, values) in enumerate(shares.items()):
        positions = [i + (k - (len(shares) - 1) / 2) * height for i in range(len(brands))]
        axes.barh(positions, [v or 0 for v in values], height=height, color=colors.get(name), label=name)
    axes.set_yticks(range(len(brands)), labels=brands)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of the configured brands' mentions", fontsize=7)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="lower right")
    axes.tick_params(labelsize=7)
    return _png(figure)
