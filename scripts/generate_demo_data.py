"""Generate the synthetic demo recording `collectors/data/demo_mentions.jsonl`.

Five weekdays of posts about the fictional brand Pinebrook Coffee (a coffee subscription with an
app) across Twitter/X, Reddit, App Store and Trustpilot, with a day-night rhythm and, on the last
afternoon, a storm of complaints about double charges. Deterministic: `python scripts/generate_demo_data.py`.
"""

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "collectors" / "data" / "demo_mentions.jsonl"
START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday
DAYS = 5
SPIKE_HOURS = (14, 15, 16)  # on the last day

PRODUCTS = ["Highland Roast", "cold brew kit", "Morning Blend", "decaf pods", "oat latte box", "espresso beans"]
POSITIVE = [
    "Just got my {p} from @PinebrookCoffee and wow, best coffee I've had all year ☕️",
    "Pinebrook's {p} is so smooth. Subscription totally worth it!",
    "Shoutout to Pinebrook support, they fixed my order in 5 minutes. Amazing service 🙌",
    "Honestly obsessed with the Pinebrook {p}. Ordering again!",
    "The new Pinebrook app update is slick, reordering takes two taps now. Love it",
    "Pinebrook Coffee never disappoints. {p} + rainy morning = perfect",
    "Tried the {p} from Pinebrook, fantastic flavour and it arrived early. Thank you!",
]
NEUTRAL = [
    "Does anyone know if Pinebrook ships the {p} to Canada?",
    "Pinebrook Coffee is changing its delivery days to Tuesday and Friday starting next month.",
    "Switching my Pinebrook subscription from {p} to whole beans, any tips?",
    "Pinebrook {p} arrives on Thursday according to the tracking page.",
    "Comparing Pinebrook and two other subscriptions for a blog post https://example.com/coffee-subs",
    "Is the Pinebrook {p} the same as the one they sell in stores?",
]
NEGATIVE = [
    "My Pinebrook {p} arrived stale again. Not impressed.",
    "Pinebrook support hasn't answered my email in a week. Frustrating.",
    "The {p} from Pinebrook tastes burnt, disappointed this time",
    "Pinebrook app keeps logging me out, so annoying",
]
SPIKE = [
    "@PinebrookCoffee you charged me TWICE for my subscription this month?! I want a refund now",
    "Pinebrook double charged my card. Worst service ever, cancelling.",
    "Anyone else got billed twice by Pinebrook today? Support line is dead. Unacceptable.",
    "Pinebrook took my money twice and the app won't let me cancel. Scam.",
    "Just checked my bank: Pinebrook charged me two times. Furious. #pinebrook",
    "Pinebrook Coffee billing is a disaster today, double charges everywhere and zero response",
    "Disputing the duplicate Pinebrook charge with my bank. Never ordering again.",
    "@PinebrookCoffee fix your billing!!! Double charged and no reply for hours",
]
UNRELATED = [
    "Great round of golf at Pinebrook Park this morning",
    "Pinebrook Park trail was muddy today but beautiful",
]
AUTHORS = ["maya_k", "jtorres", "coffeegeek42", "lena.b", "sam_writes", "dev_ops_dan", "priya", "oli_w", "nora", "beanlover"]
SOURCES = [("twitter", 0.6), ("reddit", 0.2), ("appstore", 0.1), ("trustpilot", 0.1)]
RATING = {"positive": [5, 5, 4], "neutral": [4, 3], "negative": [1, 2, 3]}


def hourly_rate(hour: int) -> float:
    """Mentions per hour: quiet at night, busy at breakfast and in the evening."""
    return 0.6 if hour < 7 else 5.5 if hour in (7, 8, 9, 18, 19, 20) else 3.5


def make_record(rng: random.Random, serial: int, moment: datetime, tone: str, text: str) -> dict:
    source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
    record = {
        "source": source,
        "id": f"{source}-{serial:05d}",
        "text": text,
        "created_at": moment.isoformat().replace("+00:00", "Z"),
        "author": rng.choice(AUTHORS),
        "url": f"https://{source}.example.com/p/{serial}",
        "lang": "en",
    }
    if source in ("appstore", "trustpilot"):
        record["rating"] = rng.choice(RATING[tone])
    return record


def generate() -> list[dict]:
    rng = random.Random(7)
    records, serial = [], 0
    for day in range(DAYS):
        last_day = day == DAYS - 1
        for hour in range(24 if not last_day else 18):
            base = START + timedelta(days=day, hours=hour)
            count = sum(rng.random() < hourly_rate(hour) / 6 for _ in range(6))
            storm = 15 + rng.randint(0, 6) if last_day and hour in SPIKE_HOURS else 0
            for index in range(count + storm):
                serial += 1
                moment = base + timedelta(minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
                if index >= count:
                    tone, text = "negative", rng.choice(SPIKE)
                else:
                    tone = rng.choices(["positive", "neutral", "negative"], [0.45, 0.37, 0.18])[0]
                    pool = {"positive": POSITIVE, "neutral": NEUTRAL, "negative": NEGATIVE}[tone]
                    text = rng.choice(pool).format(p=rng.choice(PRODUCTS))
                records.append(make_record(rng, serial, moment, tone, text))
        serial += 1
        records.append(make_record(rng, serial, START + timedelta(days=day, hours=12), "neutral", rng.choice(UNRELATED)))
    return sorted(records, key=lambda r: r["created_at"])


if __name__ == "__main__":
    rows = generate()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} mentions to {OUT}")
