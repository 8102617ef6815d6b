"""Sentiment: classify mention texts as negative / neutral / positive and map them to NPS categories."""

from brandpulse.sentiment.base import LABELS, Classification, SentimentError
from brandpulse.sentiment.classifier import load_classifier
from brandpulse.sentiment.nps import CATEGORIES, NpsPolicy, categorize, net_sentiment_score

__all__ = [
    "CATEGORIES",
    "LABELS",
    "Classification",
    "NpsPolicy",
    "SentimentError",
    "categorize",
    "load_classifier",
    "net_sentiment_score",
]
