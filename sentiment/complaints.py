"""The complaint head: a logistic regression over the sentiment encoder's pooled vector, and its evaluation.

Complaints in the sense of Preotiuc-Pietro et al. (ACL 2019): the author states a breach of expectations (a late
order, a defect, a charge, being ignored), whatever the tone. The head reads the pooled vector the sentiment head
reads, so classifying a mention still costs one forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from brandpulse.sentiment.base import SentimentError
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
    """Hyper-parameters of the head (chosen among 18 by the mean leave-one-domain-out result, see the README)."""

    c: float = 0.03  # inverse L2 strength on standardised features
    company_negative_weight: float = 2.0  # non-complaints sent to companies look most like complaints: weigh them up
    general_weight: float = 0.3  # general tweets are many and easy: weigh them down
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


def fit_head(features: Any, examples: Sequence[Example], recipe: HeadRecipe) -> tuple[Any, float]:
    """Weighted L2 logistic regression on standardised features, returned as (weight vector, bias) on raw ones."""
    import torch

    x = torch.as_tensor(features, dtype=torch.float64)
    y = torch.tensor([float(e.complaint) for e in examples], dtype=torch.float64)
    w = torch.tensor(_weights(examples, recipe), dtype=torch.float64)
    mean, scale = x.mean(0), x.std(0).clamp(min=1e-6)
    z = (x - mean) / scale
    coef = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([coef, bias], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = (w * torch.nn.functional.binary_cross_entropy_with_logits(z @ coef + bias, y, reduction="none")).sum()
        loss = loss + coef.pow(2).sum() / (2 * recipe.c)
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        raw = coef / scale
        return raw.numpy(), float(bias - (raw * mean).sum())


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


def pick_threshold(probs: Sequence[float], gold: Sequence[bool], recipe: HeadRecipe) -> float:
    """The threshold that maximises macro-F1 of `probs` against `gold` (the lowest among ties)."""
    return max(recipe.thresholds, key=lambda t: (macro_f1(gold, [p >= t for p in probs]), -t))


def company_domains(examples: Sequence[Example]) -> list[str]:
    """The domains of tweets sent to companies, in file order."""
    return list(dict.fromkeys(e.domain for e in examples if e.domain not in GENERAL_DOMAINS))


def cross_validated_threshold(features: Any, examples: Sequence[Example], domains: Sequence[str],
                              recipe: HeadRecipe) -> float:
    """Leave each of `domains` out in turn, and pick the threshold on the pooled out-of-domain probabilities."""
    probs, gold = [], []
    for held in domains:
        train = [i for i, e in enumerate(examples) if e.domain != held and (e.domain in domains or e.domain in GENERAL_DOMAINS)]
        test = [i for i, e in enumerate(examples) if e.domain == held]
        head = fit_head(features[train], [examples[i] for i in train], recipe)
        probs += list(probabilities(features[test], head))
        gold += [examples[i].complaint for i in test]
    return pick_threshold(probs, gold, recipe)


def shift_to_half(head: tuple[Any, float], threshold: float) -> tuple[Any, float]:
    """The same head with its bias moved so that 0.5 is the decision threshold `threshold` was."""
    return head[0], head[1] - math.log(threshold / (1 - threshold))


@dataclass(frozen=True)
class DomainReport:
    """Leave-one-domain-out result for one held-out domain (percentages)."""

    domain: str
    tweets: int
    threshold: float
    macro_f1: float
    complaints_detractors: float
    others_detractors: float


def leave_one_domain_out(features: Any, examples: Sequence[Example], sentiment: Sequence[tuple[str, float]],
                         recipe: HeadRecipe = HeadRecipe()) -> list[DomainReport]:
    """Hold out each company domain in turn: fit on the rest (threshold by CV inside them), score the held-out one.

    Whether a held-out tweet counts as a detractor is the NPS mapping's answer, with `complaints_are_detractors: true`,
    from its (label, confidence) in `sentiment` and the head's verdict.
    """
    domains = company_domains(examples)
    reports = []
    for held in domains:
        rest = [d for d in domains if d != held]
        threshold = cross_validated_threshold(features, examples, rest, recipe)
        train = [i for i, e in enumerate(examples) if e.domain != held]
        test = [i for i, e in enumerate(examples) if e.domain == held]
        head = fit_head(features[train], [examples[i] for i in train], recipe)
        predicted = [p >= threshold for p in probabilities(features[test], head)]
        gold = [examples[i].complaint for i in test]
        detractor = [is_detractor(*sentiment[i], complaint=p) for p, i in zip(predicted, test)]
        reports.append(DomainReport(held, len(test), threshold, macro_f1(gold, predicted),
                                    _share(detractor, gold, True), _share(detractor, gold, False)))
    return reports


def is_detractor(label: str, confidence: float, complaint: bool | None = None, policy: NpsPolicy = NpsPolicy()) -> bool:
    """Whether the NPS mapping makes a text with this label (and complaint verdict, if any) a detractor."""
    return categorize(label, confidence, None, policy, None if complaint is None else float(complaint)) == "detractor"


def _share(flags: Sequence[bool], gold: Sequence[bool], cls: bool) -> float:
    chosen = [f for f, g in zip(flags, gold) if g == cls]
    return 100 * sum(chosen) / len(chosen) if chosen else 0.0


def recipe_dict(recipe: HeadRecipe) -> dict[str, Any]:
    """The recipe for the metadata file, without the threshold grid."""
    out = asdict(recipe)
    out.pop("thresholds")
    return out
