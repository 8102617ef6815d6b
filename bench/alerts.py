"""Spike-detection benchmark: synthetic streams with daily and weekly seasonality, noise and injected spikes.

Run by hand: `python bench/alerts.py [--brands 40] [--weeks 6] [--seed 1]`. Prints, for the shipped rule, the
unscored-volume rule (`alerts/unscored.py`: the same streams' detractor counts read as the whole volume of a language
no model scores, so without the share guard; and at the spike rule's p-value) and for the skeleton's same-hour
median rule (the baseline, measured in the same run on the same streams):
recall on spikes of >= 3x baseline with >= 10 detractors in the onset bucket, false alerts per brand-week on
spike-free streams and on spike streams outside the spikes, and detection delay in buckets.

`--zone Europe/Berlin --start 2026-03-09` gives the streams the daily and weekly rhythm of that zone's wall clock,
from that Monday (across the change to summer time on 29 March), and compares the shipped rule's baseline counted
in UTC hours and days with the same rule counting them on the zone's wall clock, and prints the time the zone's
count took as a ratio to UTC's in the same run (`--repeat 5`: the median of 5 timings of each, run in turn).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandpulse.alerts.base import Bucket  # noqa: E402
from brandpulse.alerts.spike import SpikeRule, detect_spikes  # noqa: E402

try:  # absent from a checkout before unscored-volume alerts: the bench then measures the spike rules alone
    from brandpulse.alerts.unscored import detect_unscored, volume_rule  # noqa: E402
except ImportError:
    detect_unscored = None

HOUR = timedelta(hours=1)
START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday
WARMUP_WEEKS = 2
DAILY = [0.25, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.5,
         1.6, 1.5, 1.4, 1.4, 1.5, 1.6, 1.7, 1.6, 1.3, 1.0, 0.7, 0.4]
WEEKLY = [1.3, 1.1, 1.0, 1.0, 1.1, 0.7, 0.6]  # Monday .. Sunday
RATIOS = (3.0, 4.0, 6.0)


@dataclass(frozen=True)
class Spike:
    """An injected spike: onset bucket index, duration in buckets, size as a multiple of the expected rate."""

    onset: int
    length: int
    ratio: float
    onset_count: int
    onset_rate: float  # the stream's expected detractors in the onset bucket without the spike

    @property
    def in_target(self) -> bool:
        """The target population: the onset bucket holds >= 10 detractors and >= 3x the usual rate."""
        return self.onset_count >= 10 and self.onset_count >= 3 * self.onset_rate


def rates(base: float, weeks: int, zone: tzinfo = timezone.utc) -> np.ndarray:
    """Expected detractors per hour with the daily and weekly pattern of `zone`'s wall clock."""
    local = [(START + i * HOUR).astimezone(zone) for i in range(weeks * 7 * 24)]
    return base * np.array([DAILY[t.hour] * WEEKLY[t.weekday()] for t in local])


def stream(rng: np.random.Generator, base: float, weeks: int, spikes: int,
           zone: tzinfo = timezone.utc) -> tuple[list[Bucket], list[Spike]]:
    """Hourly buckets (overdispersed Poisson noise) and the spikes injected into them after the warm-up weeks."""
    lam = rates(base, weeks, zone)
    noisy = lam * rng.gamma(20.0, 1 / 20.0, size=lam.size)  # day-to-day variation beyond Poisson
    detractors = rng.poisson(noisy)
    others = rng.poisson(3.0 * lam)
    injected: list[Spike] = []
    first = WARMUP_WEEKS * 7 * 24
    candidates = sorted(rng.choice(np.arange(first, lam.size - 4, 12), size=spikes, replace=False)) if spikes else []
    for onset in candidates:
        ratio, length = float(rng.choice(RATIOS)), int(rng.integers(1, 4))
        for k in range(length):
            detractors[onset + k] = rng.poisson(ratio * lam[onset + k])
        injected.append(Spike(int(onset), length, ratio, int(detractors[onset]), float(lam[onset])))
    buckets = [Bucket(START + i * HOUR, int(d + o), int(d)) for i, (d, o) in enumerate(zip(detractors, others))]
    return buckets, injected


def skeleton_rule(buckets: list[Bucket], evaluate_from: datetime) -> list[datetime]:
    """The skeleton's rule: same-hour median, >= max(6, 3 x median), share >= 0.4, 2 days warm-up, 6 h cooldown."""
    fired, last_end = [], None
    for index, bucket in enumerate(buckets):
        if bucket.start < evaluate_from:
            continue
        same = [b.detractors for b in buckets[max(0, index - 28 * 24):index] if b.start.hour == bucket.start.hour]
        if len(same) < 2:
            continue
        threshold = max(6.0, 3.0 * max(float(median(same)), 1.0))
        share = bucket.detractors / bucket.total if bucket.total else 0.0
        if bucket.detractors < threshold or share < 0.4:
            continue
        if last_end is None or bucket.start >= last_end + timedelta(hours=6):
            fired.append(bucket.start)
        last_end = bucket.start + HOUR
    return fired


def shipped_rule(buckets: list[Bucket], evaluate_from: datetime, zone: tzinfo = timezone.utc) -> list[datetime]:
    """The shipped rule with its default settings; updates of a growing storm count as alerts too."""
    alerts, _ = detect_spikes("bench", buckets, evaluate_from, HOUR, SpikeRule(), None, zone)
    return [a.window_start for a in alerts]


def unscored_rule(buckets: list[Bucket], evaluate_from: datetime, zone: tzinfo = timezone.utc,
                  rule: SpikeRule | None = None) -> list[datetime]:
    """The unscored-volume rule with its default settings on the stream's detractor counts as a language's whole
    volume (no model scores them: no share is known); updates count as alerts too."""
    volume = [Bucket(b.start, b.detractors, b.detractors) for b in buckets]
    alerts, _ = detect_unscored("bench", "hi", volume, evaluate_from, HOUR, rule or volume_rule(SpikeRule()), None,
                                zone)
    return [a.window_start for a in alerts]


def score(fired: list[datetime], spikes: list[Spike], cooldown: timedelta = timedelta(hours=6)) -> dict[str, float]:
    """Detected eligible spikes, their delays, and alerts that match no spike."""
    found = {"eligible": 0, "detected": 0, "injected": 0, "injected_detected": 0, "delays": []}
    matched: set[datetime] = set()
    for spike in spikes:
        onset = START + spike.onset * HOUR
        window = [t for t in fired if onset <= t < onset + spike.length * HOUR + cooldown]
        matched.update(window)
        early = [t for t in window if t <= onset + HOUR]
        if spike.onset_count >= 10:  # every injected spike (all are >= 3x the rate) with >= 10 in the onset bucket
            found["injected"] += 1
            found["injected_detected"] += bool(early)
        if spike.in_target:
            found["eligible"] += 1
            if early:
                found["detected"] += 1
                found["delays"].append((min(early) - onset) / HOUR)
    return {**found, "false": len(set(fired) - matched)}


def run(rule, streams) -> dict[str, float]:
    """Aggregate figures of one rule over every stream."""
    totals = {"eligible": 0, "detected": 0, "injected": 0, "injected_detected": 0, "delays": [],
              "false_free": 0, "false_spiky": 0}
    for buckets, spikes, weeks in streams:
        result = score(rule(buckets, START + WARMUP_WEEKS * 7 * 24 * HOUR), spikes)
        for key in ("eligible", "detected", "injected", "injected_detected", "delays"):
            totals[key] += result[key]
        totals["false_free" if not spikes else "false_spiky"] += result["false"]
    return totals


def main() -> None:
    """Generate the streams, run both rules, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=40, help="streams of each kind (spike-free and with spikes)")
    parser.add_argument("--weeks", type=int, default=6, help="weeks per stream, the first 2 as history only")
    parser.add_argument("--spikes", type=int, default=8, help="spikes injected per spiky stream")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zone", default=None, help="the streams' rhythm on this IANA zone's wall clock")
    parser.add_argument("--start", default=None, help="the streams' first Monday (ISO date, UTC midnight)")
    parser.add_argument("--rule-zone", default=None, help="the zone of the compared rule's days (default: --zone)")
    parser.add_argument("--repeat", type=int, default=1, help="time each rule this many times, in turn; the median")
    args = parser.parse_args()
    global START
    if args.start:
        START = datetime.fromisoformat(args.start).replace(tzinfo=timezone.utc)
    zone = ZoneInfo(args.zone) if args.zone else timezone.utc
    rng = np.random.default_rng(args.seed)
    streams = []
    for _ in range(args.brands):
        base = float(rng.uniform(1.0, 6.0))
        streams.append((*stream(rng, base, args.weeks, 0, zone), args.weeks))
        streams.append((*stream(rng, base, args.weeks, args.spikes, zone), args.weeks))
    brand_weeks = args.brands * (args.weeks - WARMUP_WEEKS)
    print(f"{args.brands} spike-free + {args.brands} spiky streams, {args.weeks} weeks each "
          f"({WARMUP_WEEKS} of history) from {START:%Y-%m-%d}, hourly buckets, rhythm in {args.zone or 'UTC'}, "
          f"seed {args.seed}")
    print("recall: onset bucket >= 10 detractors and >= 3x the usual rate, found within 1 bucket; "
          "all >=10: every injected 3-6x spike with >= 10 in the onset bucket")
    print(f"{'rule':<26}{'recall':>8}{'(n)':>6}{'all>=10':>9}{'(n)':>6}{'false/brand-wk':>16}{'false/brand-wk':>16}"
          f"{'delay mean':>12}{'max':>5}{'CPU s':>7}")
    print(f"{'':<55}{'spike-free':>16}{'spiky, outside':>16}{'buckets':>12}")
    rules = [("shipped (weekday+Poisson)", shipped_rule), ("skeleton same-hour median", skeleton_rule)]
    if detect_unscored is not None:
        rules.insert(1, ("unscored volume, no share", unscored_rule))
        rules.insert(2, ("  the same at p<=0.001", lambda b, f: unscored_rule(
            b, f, rule=SpikeRule(min_share=0.0))))
    if args.zone or args.rule_zone:
        days = args.rule_zone or args.zone
        rules.insert(1, (f"shipped, {days} days", lambda b, f: shipped_rule(b, f, ZoneInfo(days))))
    timings, figures = {name: [] for name, _ in rules}, {}
    for _ in range(max(1, args.repeat)):
        for name, rule in rules:
            began = time.process_time()  # CPU time: the wall clock of a shared machine measures its neighbours
            figures[name] = run(rule, streams)
            timings[name].append(time.process_time() - began)
    for name, _ in rules:
        t, elapsed = figures[name], median(timings[name])
        recall = t["detected"] / t["eligible"] if t["eligible"] else math.nan
        delays = t["delays"] or [math.nan]
        overall = t["injected_detected"] / t["injected"] if t["injected"] else math.nan
        print(f"{name:<26}{recall:>8.1%}{t['eligible']:>6}{overall:>9.1%}{t['injected']:>6}"
              f"{t['false_free'] / brand_weeks:>16.2f}{t['false_spiky'] / brand_weeks:>16.2f}"
              f"{sum(delays) / len(delays):>12.2f}{max(delays):>5.0f}{elapsed:>7.2f}")
    if len(rules) > 2:
        ratio = median(timings[rules[1][0]]) / median(timings[rules[0][0]])
        print(f"time of {rules[1][0]} / shipped in UTC days: {ratio:.2f}x (median of {len(timings[rules[0][0]])})")


if __name__ == "__main__":
    main()
