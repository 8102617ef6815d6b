"""Stored categories follow the NPS mapping in force: changing it recategorises what is stored, without the model."""

import itertools
import logging
from datetime import datetime, timezone

import pytest

from brandpulse.collectors.base import Mention
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.sentiment.base import Classification
from brandpulse.sentiment.nps import NpsPolicy, categorize_result, stored_category
from brandpulse.store import mentions as store_mentions
from brandpulse.store import open_db
from tests.conftest import write_config

NOW = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)


def _read(label, probs, complaint=None):
    return Classification(label, probs, "bundled", "v1", complaint)


# (text, stars, classification): None is a text in a language no model reads.
POSTS = [
    ("any update on my order? it was due on the 15th", None, _read("neutral", (0.2, 0.7, 0.1), 0.8)),
    ("it was an order problem she helped me with", None, _read("negative", (0.55, 0.4, 0.05), 0.2)),
    ("4 stars, but my last order never came", 4, _read("neutral", (0.3, 0.6, 0.1), 0.9)),
    ("lovely coffee", None, _read("positive", (0.02, 0.08, 0.9), 0.01)),
    ("sehr lecker", 5, None),
]
MAPPINGS = {
    "default": "",
    "labels only": "  complaints_are_detractors: false\n  rating_takes_precedence: false\n",
    "strict": "  confidence_threshold: 0.95\n",
}


@pytest.mark.parametrize("policy", [NpsPolicy(), NpsPolicy(0.8, False, False, 0.5), NpsPolicy(0.3, True, True, 0.9)])
def test_a_stored_classification_gets_the_category_classifying_it_again_would(policy):
    for (_, stars, classification), rating in itertools.product(POSTS, (None, 2, 4, 5)):
        probs = classification.probs if classification else (None, None, None)
        label = classification.label if classification else None
        complaint = classification.complaint if classification else None

        assert stored_category(label, probs, complaint, rating, policy) == categorize_result(classification, rating,
                                                                                             policy)
    assert stored_category("negative", (None, None, None), None, None, policy) == "detractor"  # imported


def _pipeline(tmp_path, store_target, mapping):
    text = f"brands: [{{name: Acme, keywords: [acme]}}]\nsentiment:\n  models: {{en: bundled}}\n{MAPPINGS[mapping]}"
    return Pipeline(load_config(write_config(tmp_path / f"{mapping}.yaml", text)), store_target)


def _store_classified(store_target):
    db = open_db(store_target)
    posts = [Mention(source="x", external_id=str(n), text=text, created_at=NOW, brand="Acme", rating=stars)
             for n, (text, stars, _) in enumerate(POSTS)]
    imported = Mention(source="x", external_id="imported", text="acme is awful", created_at=NOW, brand="Acme",
                       label="negative")
    store_mentions.save_mentions(db, posts, NOW)
    store_mentions.save_mentions(db, [imported], NOW, category_of=lambda label, rating: "detractor")
    pending = store_mentions.pending_classification(db, 100)
    store_mentions.save_classifications(db, [
        store_mentions.ClassifiedMention(p.id, "en", c, categorize_result(c, stars, NpsPolicy()))
        for p, (_, stars, c) in zip(pending, POSTS)], NOW)
    return db


def _categories(db):
    return db.execute("SELECT category FROM mentions ORDER BY id").fetchall()


def test_a_changed_mapping_recategorises_every_stored_mention_once_and_changing_it_back_restores_them(
        tmp_path, store_target, caplog):
    db = _store_classified(store_target)
    default = _pipeline(tmp_path, store_target, "default")
    assert default.classify(NOW) == 0
    before = _categories(db)
    assert [c for (c,) in before] == ["detractor", "passive", "passive", "promoter", "promoter", "detractor"]

    labels_only = _pipeline(tmp_path, store_target, "labels only")
    with caplog.at_level(logging.WARNING):
        assert labels_only.classify(NOW) == 0  # nothing to classify: only the categories change

    # The polite complaint is the neutral it reads as, the mild negative a detractor again (no complaint head to
    # overrule it); stars no longer decide: the German 5-star review is unscored (no model read it), the 4-star
    # complaint passive for its label; the imported label stays a detractor.
    assert [c for (c,) in _categories(db)] == ["passive", "detractor", "passive", "promoter", "unscored", "detractor"]
    assert "the NPS mapping changed: 3 stored mention(s) recategorised" in caplog.text
    assert labels_only.follow_mapping(db) == 0  # done once per change, not per pass
    assert _pipeline(tmp_path, store_target, "strict").follow_mapping(db) == 4
    # 0.9 positive is unsure under 0.95: passive.
    assert [c for (c,) in _categories(db)] == ["detractor", "passive", "passive", "passive", "promoter", "detractor"]
    default.classify(NOW)
    assert _categories(db) == before
    db.close()
