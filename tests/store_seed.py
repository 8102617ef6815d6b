"""Seeding a real store with labelled mentions for the analyst-tool tests."""

from datetime import datetime, timezone

from brandpulse.store import mentions as store_mentions
from brandpulse.collectors.base import Mention
from brandpulse.sentiment.nps import NpsPolicy, categorize
from brandpulse.store import open_db

POLICY = NpsPolicy()


def category_of(label, rating):
    return categorize(label, None, rating, POLICY)


def mention(external_id, text, created_at, label, brand="Pinebrook Coffee", source="twitter", rating=None, lang=None):
    return Mention(source=source, external_id=str(external_id), text=text, created_at=created_at, brand=brand,
                   url=f"https://{source}.example.com/p/{external_id}", rating=rating, label=label, lang=lang)


def seed(path, mentions, now=None):
    db = open_db(path)
    store_mentions.save_mentions(db, mentions, now or datetime.now(timezone.utc), category_of=category_of)
    db.close()
    return path
