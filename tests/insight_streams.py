"""Streams with planted topics and near-duplicate floods, for the themes and grouping tests."""

import json
import random
from datetime import timedelta

from tests.alert_streams import HOUR, START

FILLER = ("the app keeps asking me to log in again and the support chat is useless today honestly tried twice "
          "since monday waiting on hold for ages nobody calls back my account page is blank after the update "
          "cannot find the settings menu delivery was late store staff were rude prices went up again").split()
# Always present, in the baseline as in the window: never a theme of a storm.
GENERIC = ["worst customer service ever", "still waiting for my refund", "terrible customer service again"]
TOPIC = "battery overheating while charging"
OTHER_TOPIC = "login code never arrives"
FLOOD = "RT @{who}: @acme your battery overheating while charging burned my desk {n} times #fail https://t.co/{n}"


def complaint(rng, topic=None):
    """A detractor text: a generic complaint, random filler, sometimes a planted topic, a tag and a link."""
    words = rng.sample(FILLER, rng.randint(4, 9))
    parts = [rng.choice(GENERIC), " ".join(words)] + ([topic] if topic else [])
    rng.shuffle(parts)
    return f"@acme {', '.join(parts)} #{rng.randrange(10_000)} https://t.co/{rng.randrange(10**6)}"


def praise(rng):
    """A promoter text with some variety."""
    return f"acme {' '.join(rng.sample(FILLER, 5))} but the new roast is lovely {rng.randrange(1000)}"


def window_texts(rng, count, topic_share=0.35, flood=0, topic=TOPIC):
    """`count` detractor texts, a share about `topic`, then `flood` retweets of one complaint about the topic."""
    texts = [complaint(rng, topic if rng.random() < topic_share else None) for _ in range(count)]
    return texts + [FLOOD.format(who=f"bot{k}", n=k) for k in range(flood)]


def planted_stream(seed=1, days=5, per_hour=(3, 2), storms=None, brand="Acme", source="twitter", start=START):
    """JSON lines: `per_hour` = (promoters, detractors) each hour; `storms` maps an hour index to
    (extra detractors about the topic, flood retweets, topic)."""
    rng = random.Random(seed)
    storms = storms or {}
    lines, n = [], 0
    for hour in range(days * 24):
        promoters, detractors = per_hour
        texts = [(praise(rng), "positive") for _ in range(promoters)]
        texts += [(complaint(rng), "negative") for _ in range(detractors)]
        if hour in storms:
            extra, flood, topic = storms[hour]
            texts += [(t, "negative") for t in window_texts(rng, extra, 0.6, flood, topic)]
        for k, (text, label) in enumerate(texts):
            n += 1
            lines.append(json.dumps({
                "source": source, "id": f"{source}-{brand}-{n}", "brand": brand, "text": text, "label": label,
                "created_at": (start + hour * HOUR + timedelta(seconds=k * 7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "author": f"user{n}", "url": f"https://example.test/{n}",
            }))
    return "\n".join(lines) + "\n"
