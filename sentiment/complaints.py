"""The complaint head: two logistic regressions whose logits are averaged, how they are fitted, and their evaluation.

Complaints in the sense of Preotiuc-Pietro et al. (ACL 2019): the author states a breach of expectations (a late
order, a defect, a charge, being ignored), whatever the tone. One half reads the pooled vector the sentiment head
reads, so classifying a mention still costs one forward pass; the other reads the words (sentiment.complaint_words).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.complaint_words import WordHead, tfidf, vocabulary_of
from brandpulse.sentiment.nps import NpsPolicy, categorize

# Tweets to no company, which the data set adds as non-complaints.
GENERAL_DOMAINS = ("random_reply", "random_tweet")


@dataclass(frozen=True)
class Example:
    """One labeled tweet of the complaints file."""

    complaint: bool
    domain: str
    text: str


@dataclass(frozen=True)
class HeadRecipe:
    """Hyper-parameters of the head (chosen by the mean leave-one-domain-out result, see the README)."""

    c: float = 0.01  # the network half: inverse L2 strength on standardised pooled vectors
    word_c: float = 2.0  # the word half: inverse L2 strength on TF-IDF rows
    min_df: int = 2  # a word (pair) seen in fewer tweets is left out of the word half's vocabulary
    company_negative_weight: float = 2.0  # non-complaints sent to companies look most like complaints: weigh them up
    general_weight: float = 0.3  # general tweets are many and easy: weigh them down
    # The threshold is the one that counts most complaints as detractors while counting at most this share of the
    # non-complaints sent to companies (cross-validated across domains); the bar is 15%, this leaves a margin.
    others_cap: float = 0.13
    thresholds: tuple[float, ...] = field(default_factory=lambda: tuple(round(0.05 + 0.01 * i, 2) for i in range(91)))


def read_examples(path: Path) -> list[Example]:
    """The tab-separated complaints file: a header, then `label, domain, tweet_id, text` (label 1 = complaint)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SentimentError(f"cannot read the complaints file {path}: {exc}") from exc
    examples = []
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        if len(parts) != 4 or parts[0] not in ("0", "1"):
            raise SentimentError(f"{path}:{number}: expected label (0/1), domain, tweet_id, text separated by tabs")
        examples.append(Example(parts[0] == "1", parts[1], parts[3]))
    return examples


def _weights(examples: Sequence[Example], recipe: HeadRecipe) -> list[float]:
    out = []
    for e in examples:
        if e.domain in GENERAL_DOMAINS:
            out.append(recipe.general_weight)
        else:
            out.append(1.0 if e.complaint else recipe.company_negative_weight)
    return out


def _logistic(x: Any, examples: Sequence[Example], recipe: HeadRecipe, c: float, standardise: bool) -> tuple[Any, float]:
    """Weighted L2 logistic regression (standardised features if asked), returned as (weights, bias) on raw ones."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.tensor([float(e.complaint) for e in examples], dtype=torch.float64)
    w = torch.tensor(_weights(examples, recipe), dtype=torch.float64)
    mean, scale = (x.mean(0), x.std(0).clamp(min=1e-6)) if standardise else (torch.zeros(x.shape[1]), torch.ones(x.shape[1]))
    z = (x - mean) / scale
    coef = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([coef, bias], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = (w * torch.nn.functional.binary_cross_entropy_with_logits(z @ coef + bias, y, reduction="none")).sum()
        loss = loss + coef.pow(2).sum() / (2 * c)
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        raw = coef / scale
        return raw.numpy(), float(bias - (raw * mean).sum())


def fit_head(features: Any, examples: Sequence[Example], recipe: HeadRecipe) -> tuple[Any, float]:
    """The network half: a logistic regression over the pooled vectors, as (weight vector, bias)."""
    return _logistic(features, examples, recipe, recipe.c, standardise=True)


def fit_words(texts: Sequence[str], examples: Sequence[Example], recipe: HeadRecipe) -> WordHead:
    """The word half: a logistic regression over the TF-IDF rows of `texts` (normalised, as the classifier reads them)."""
    vocabulary, idf = vocabulary_of(texts, recipe.min_df)
    coef, bias = _logistic(tfidf(texts, vocabulary, idf), examples, recipe, recipe.word_c, standardise=False)
    return WordHead(vocabulary, idf, coef, bias)


def probabilities(features: Any, head: tuple[Any, float]) -> Any:
    """The head's complaint probability for each row of `features`."""
    import numpy as np

    logits = np.asarray(features, dtype=np.float64) @ head[0] + head[1]
    return 1.0 / (1.0 + np.exp(-logits))


def macro_f1(gold: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Mean of the complaint and non-complaint F1, in percent."""
    f1s = []
    for cls in (True, False):
        tp = sum(g == cls and p == cls for g, p in zip(gold, predicted))
        actual, chosen = sum(g == cls for g in gold), sum(p == cls for p in predicted)
        f1s.append(2 * tp / (actual + chosen) if actual + chosen else 0.0)
    return 100 * sum(f1s) / 2


def company_domains(examples: Sequence[Example]) -> list[str]:
    """The domains of tweets sent to companies, in file order."""
    return list(dict.fromkeys(e.domain for e in examples if e.domain not in GENERAL_DOMAINS))


@dataclass(frozen=True)
class Fitted:
    """Both halves of the head, fitted on some examples."""

    network: tuple[Any, float]
    words: WordHead

    def probabilities(self, features: Any, texts: Sequence[str]) -> Any:
        """The combined complaint probability (threshold not applied) of each text."""
        return self.words.complaint(probabilities(features, self.network), texts)


def fit_both(features: Any, texts: Sequence[str], examples: Sequence[Example], recipe: HeadRecipe) -> Fitted:
    """Fit the network half and the word half on the same examples."""
    return Fitted(fit_head(features, examples, recipe), fit_words(texts, examples, recipe))


def _detractor_shares(probs: Any, threshold: float, indices: Sequence[int], examples: Sequence[Example],
                      sentiment: Sequence[tuple[str, float]]) -> tuple[float, float]:
    """Of the texts at `indices`: the share of complaints and the share of the others that count as detractors."""
    flags = [is_detractor(*sentiment[i], complaint=float(p) >= threshold) for p, i in zip(probs, indices)]
    gold = [examples[i].complaint for i in indices]
    return share_of(flags, gold, True), share_of(flags, gold, False)


def pick_operating_threshold(probs: Any, indices: Sequence[int], examples: Sequence[Example],
                             sentiment: Sequence[tuple[str, float]], recipe: HeadRecipe) -> float:
    """The threshold that counts most complaints as detractors while, averaged over the domains of `indices`,
    at most `recipe.others_cap` of the non-complaints; when none keeps under the cap, the one that counts fewest."""
    by_domain: dict[str, list[int]] = {}
    for k, i in enumerate(indices):
        by_domain.setdefault(examples[i].domain, []).append(k)

    def key(threshold: float) -> tuple:
        shares = [_detractor_shares([probs[k] for k in ks], threshold, [indices[k] for k in ks], examples, sentiment)
                  for ks in by_domain.values()]
        complaints = sum(s[0] for s in shares) / len(shares)
        others = sum(s[1] for s in shares) / len(shares)
        within = others <= 100 * recipe.others_cap
        return within, complaints if within else -others, -threshold

    return max(recipe.thresholds, key=key)


def cross_validated_threshold(features: Any, texts: Sequence[str], examples: Sequence[Example], domains: Sequence[str],
                              sentiment: Sequence[tuple[str, float]], recipe: HeadRecipe) -> float:
    """Leave each of `domains` out in turn, and pick the operating threshold on the out-of-domain probabilities."""
    probs, held_out = [], []
    for held in domains:
        train = [i for i, e in enumerate(examples)
                 if e.domain != held and (e.domain in domains or e.domain in GENERAL_DOMAINS)]
        test = [i for i, e in enumerate(examples) if e.domain == held]
        fitted = fit_both(features[train], [texts[i] for i in train], [examples[i] for i in train], recipe)
        probs += list(fitted.probabilities(features[test], [texts[i] for i in test]))
        held_out += test
    return pick_operating_threshold(probs, held_out, examples, sentiment, recipe)


@dataclass(frozen=True)
class DomainReport:
    """Leave-one-domain-out result for one held-out domain (percentages)."""

    domain: str
    tweets: int
    threshold: float
    macro_f1: float
    complaints_detractors: float
    others_detractors: float


def leave_one_domain_out(features: Any, texts: Sequence[str], examples: Sequence[Example],
                         sentiment: Sequence[tuple[str, float]], recipe: HeadRecipe = HeadRecipe()) -> list[DomainReport]:
    """Hold out each company domain in turn: fit on the rest (threshold by CV inside them), score the held-out one.
    `features` are the pooled vectors of the examples, `texts` their normalised texts (for the word half).

    Whether a held-out tweet counts as a detractor is the NPS mapping's answer, with `complaints_are_detractors: true`,
    from its (label, confidence) in `sentiment` and the head's verdict.
    """
    domains = company_domains(examples)
    reports = []
    for held in domains:
        rest = [d for d in domains if d != held]
        threshold = cross_validated_threshold(features, texts, examples, rest, sentiment, recipe)
        train = [i for i, e in enumerate(examples) if e.domain != held]
        test = [i for i, e in enumerate(examples) if e.domain == held]
        fitted = fit_both(features[train], [texts[i] for i in train], [examples[i] for i in train], recipe)
        probs = fitted.probabilities(features[test], [texts[i] for i in test])
        gold = [examples[i].complaint for i in test]
        complaints, others = _detractor_shares(probs, threshold, test, examples, sentiment)
        reports.append(DomainReport(held, len(test), threshold, macro_f1(gold, [p >= threshold for p in probs]),
                                    complaints, others))
    return reports


def is_detractor(label: str, confidence: float, complaint: bool | None = None, policy: NpsPolicy = NpsPolicy()) -> bool:
    """Whether the NPS mapping makes a text with this label (and complaint verdict, if any) a detractor."""
    return categorize(label, confidence, None, policy, None if complaint is None else float(complaint)) == "detractor"


def share_of(flags: Sequence[bool], gold: Sequence[bool], cls: bool) -> float:
    """Of the texts whose gold label is `cls`, the percentage flagged."""
    chosen = [f for f, g in zip(flags, gold) if g == cls]
    return 100 * sum(chosen) / len(chosen) if chosen else 0.0


def recipe_dict(recipe: HeadRecipe) -> dict[str, Any]:
    """The recipe for the metadata file, without the threshold grid."""
    out = asdict(recipe)
    out.pop("thresholds")
    return out
