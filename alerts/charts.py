"""Small PNG charts for emails, drawn with matplotlib's Agg backend (imported only when a chart is drawn)."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from brandpulse.alerts.base import Bucket

SIZE_INCHES = (6.4, 2.4)
DPI = 100
SCORE_MARGIN = 12  # net-score points drawn beyond -100 and +100
COLORS = {"detractors": "#b00020", "passives": "#9e9e9e", "promoters": "#2e7d32", "others": "#90a4ae",
          "unscored": "#5c6bc0"}


def _figure(height: float = SIZE_INCHES[1]):
    # The object API with the Agg canvas, not pyplot: no global state, safe on the scheduler's threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(SIZE_INCHES[0], height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def _png(figure, margins: dict[str, float] | None = None) -> bytes:
    buffer = io.BytesIO()
    # Fixed margins where the layout is known: tight_layout draws the figure once more (half the time of a chart).
    if margins:
        figure.subplots_adjust(**margins)
    else:
        figure.tight_layout()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# Tried after DejaVu Sans, glyph by glyph, where installed: matplotlib draws a character its font lacks as an empty
# box (a brand "咖啡" became two boxes, two such brands were indistinguishable in the share-of-voice chart).
FALLBACK_FONTS = (
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK KR", "WenQuanYi Zen Hei", "Droid Sans Fallback", "Noto Sans",
    "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Devanagari",
    "Noto Sans Thai",
)
MISSING = "?"  # for a character none of the installed fonts has


@functools.cache
def fonts() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The font family names the charts use, DejaVu Sans (matplotlib's own) first, and their FreeType faces."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    names = ("DejaVu Sans", *(name for name in FALLBACK_FONTS if name in installed))
    faces = tuple(font_manager.get_font(font_manager.findfont(name, fallback_to_default=False)) for name in names)
    return names, faces


def _drawable(char: str) -> bool:
    return char.isspace() or any(face.get_char_index(ord(char)) for face in fonts()[1])


def _literal(text: str) -> str:
    r"""`text` as the chart can show it: a character no installed font has as "?" (not an empty box, with a warning on
    stderr for each); "$" as "\$", since matplotlib reads "$...$" as math (a brand called "Buy$$Now" failed the
    chart, and the digest with it)."""
    return "".join(char if _drawable(char) else MISSING for char in text).replace("$", r"\$")


def _labels(names: Sequence[str]) -> list[str]:
    """`names` as `_literal` shows them, each made unique by its position (1-based, the table's order) where two
    read the same ("咖啡" and "茶叶" both "??" without a CJK font)."""
    shown = [_literal(name) for name in names]
    return [f"{label} ({n})" if shown.count(label) > 1 else label for n, label in enumerate(shown, 1)]


def _use_fonts(*texts) -> None:
    # Per text, not rcParams: the charts are drawn on the scheduler's threads.
    for text in texts:
        text.set_fontfamily(list(fonts()[0]))


def _compact(count: float, _position: object = None) -> str:
    """A count as a tick label: 800, 250k, 1.4M."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= scale:
            return f"{count / scale:.3g}{suffix}"
    return f"{count:.0f}"


def _count_axis(axis) -> None:
    """Whole mentions on `axis`: a day of 1 mention had ticks at 0.2, 0.4, ..., and a day of 1.4 million read '1.4'
    under a '1e6' by the title."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(_compact))


def buckets_chart(buckets: Sequence[Bucket], title: str, highlight: Sequence[Bucket] = (), zone: str = "UTC") -> bytes:
    """Detractors and other mentions per bucket as stacked bars, alerting buckets outlined, the time axis on the wall
    clock of the IANA zone `zone` (the email's)."""
    detractors = [b.detractors for b in buckets]
    layers = [("detractors", COLORS["detractors"], detractors),
              ("other mentions", COLORS["others"], [b.total - b.detractors for b in buckets])]
    return _bucket_bars(buckets, layers, title, highlight, zone)


def unscored_chart(buckets: Sequence[Bucket], title: str, highlight: Sequence[Bucket] = (), zone: str = "UTC") -> bytes:
    """One language's unscored mentions per bucket (each bucket's `total`, as `unscored_bucket_counts` gives them) as
    bars, alerting buckets outlined, the time axis as `buckets_chart` draws it."""
    return _bucket_bars(buckets, [("unscored mentions", COLORS["unscored"], [b.total for b in buckets])], title,
                        highlight, zone)


def _bucket_bars(buckets: Sequence[Bucket], layers: Sequence[tuple[str, str, Sequence[int]]], title: str,
                 highlight: Sequence[Bucket], zone: str) -> bytes:
    """`layers` (label, colour, count per bucket) stacked per bucket, the buckets in `highlight` outlined."""
    from zoneinfo import ZoneInfo

    figure, axes = _figure()
    # Before the bars: matplotlib labels dates in UTC unless the axis is given its zone first.
    axes.xaxis_date(ZoneInfo(zone))
    starts = [b.start for b in buckets]
    width = (starts[1] - starts[0]) * 0.9 if len(starts) > 1 else 0.03
    bottom = [0] * len(buckets)
    for label, color, counts in layers:
        axes.bar(starts, counts, width=width, bottom=bottom, color=color, label=label)
        bottom = [below + count for below, count in zip(bottom, counts)]
    for bucket in highlight:
        axes.bar([bucket.start], [bucket.total], width=width, fill=False, edgecolor="black", linewidth=1.2)
    _count_axis(axes.yaxis)
    _use_fonts(axes.set_title(_literal(title), fontsize=9))
    axes.legend(fontsize=7, loc="upper left")
    axes.tick_params(labelsize=7)
    figure.autofmt_xdate()
    return _png(figure)


def trend_chart(days: Sequence[date], volumes: Sequence[int], scores: Sequence[float | None], title: str) -> bytes:
    """Mentions per day as bars and the daily net sentiment score as a line on its own axis (-100..100)."""
    figure, axes = _figure()
    axes.bar(days, volumes, width=0.8, color=COLORS["others"], label="mentions")
    axes.set_ylabel("mentions", fontsize=7)
    _count_axis(axes.yaxis)
    # From 0, and to 1 at least: a month without a mention (a new or quiet brand) had an axis around 0 that read
    # "0 0 0 0 -0 -0 -0", negative mentions included.
    axes.set_ylim(bottom=0)
    if not any(volumes):
        axes.set_ylim(0, 1)
    score_axes = axes.twinx()
    if any(s is not None for s in scores):
        # NaN for a day without a score: the line breaks there instead of joining its neighbours across it.
        score_axes.plot(list(days), [float("nan") if s is None else s for s in scores], color=COLORS["promoters"],
                        marker="o", markersize=2.5, linewidth=1.5, label="net score")
    score_axes.axhline(0, color="#616161", linewidth=0.6, linestyle=":")
    # A margin beyond -100..100: a day at +100 (a new or quiet brand's, often) sat on the frame, its marker cut in
    # half and its line hidden under the top edge.
    score_axes.set_ylim(-100 - SCORE_MARGIN, 100 + SCORE_MARGIN)
    score_axes.set_yticks(range(-100, 101, 50))
    score_axes.set_ylabel("net score", fontsize=7, color=COLORS["promoters"])
    for each in (axes, score_axes):
        each.tick_params(labelsize=7)
    _use_fonts(axes.set_title(_literal(title), fontsize=9))
    axes.xaxis.set_major_formatter(_day_format())
    axes.tick_params(axis="x", labelrotation=30)
    return _png(figure, {"left": 0.1, "right": 0.9, "top": 0.88, "bottom": 0.2})


def _day_format():
    from matplotlib.dates import DateFormatter

    return DateFormatter("%d %b")


def share_chart(brands: Sequence[str], shares: dict[str, Sequence[float | None]], title: str) -> bytes:
    """Each brand's share (%) of all, positive and negative mentions as grouped horizontal bars."""
    height = max(1.8, 0.45 * len(brands) + 1.0)
    figure, axes = _figure(height=height)
    bar = 0.8 / max(len(shares), 1)
    colors = {"all": COLORS["others"], "positive": COLORS["promoters"], "negative": COLORS["detractors"]}
    for k, (name, values) in enumerate(shares.items()):
        positions = [i + (k - (len(shares) - 1) / 2) * bar for i in range(len(brands))]
        axes.barh(positions, [v or 0 for v in values], height=bar, color=colors.get(name), label=name)
    axes.set_yticks(range(len(brands)), labels=_labels(brands))
    _use_fonts(*axes.get_yticklabels())
    axes.invert_yaxis()
    top = max((v or 0 for values in shares.values() for v in values), default=0)
    axes.set_xlim(0, min(100, max(10, 10 * math.ceil(top * 1.15 / 10))))
    axes.set_xlabel("% of the configured brands' mentions", fontsize=7)
    _use_fonts(axes.set_title(_literal(title), fontsize=9, loc="left"))
    # Above the bars, right of the title: inside the axes it would hide a long bar.
    axes.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(shares), frameon=False)
    axes.tick_params(labelsize=7)
    longest = max((len(b) for b in brands), default=1)
    return _png(figure, {"left": min(0.35, 0.04 + 0.012 * longest), "right": 0.97, "top": 1 - 0.3 / height,
                         "bottom": 0.5 / height})
