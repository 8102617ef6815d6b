"""Training the complaint head on the committed encoder: pooled features once, leave-one-domain-out report, fit of
both halves (network and words)."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from brandpulse.sentiment import complaint_words
from brandpulse.sentiment.base import LABELS
from brandpulse.sentiment.complaints import (
    HeadRecipe, company_domains, cross_validated_threshold, fit_both, leave_one_domain_out, read_examples, recipe_dict,
)
from brandpulse.sentiment.normalize import normalize

log = logging.getLogger(__name__)


def encode(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int = 128) -> tuple[Any, Any]:
    """Pooled vectors and sentiment probabilities of `texts` (normalised here), in length-sorted batches."""
    import numpy as np
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    pooled = np.zeros((len(texts), model.encoder.config.hidden_size), dtype=np.float32)
    probs = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), 64):
            batch = order[start : start + 64]
            encoded = tokenizer([normalize(texts[i]) or "." for i in batch], padding=True, truncation=True,
                                max_length=max_length, return_tensors="pt")
            vectors = model.pool(encoded["input_ids"], encoded["attention_mask"])
            pooled[batch] = vectors.numpy()
            probs[batch] = torch.softmax(model.head(vectors), -1).numpy()
    return pooled, probs


def labels_of(probs: Any) -> list[tuple[str, float]]:
    """Each text's sentiment label and its probability."""
    return [(LABELS[int(row.argmax())], float(row.max())) for row in probs]


def train_head(data: Path, weights: Path, recipe: HeadRecipe = HeadRecipe(), threads: int = 0,
               progress: Callable[[str], None] = log.info) -> dict:
    """Fit the complaint head for the encoder of `weights` on `data`, report leave-one-domain-out, write the head."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from brandpulse.sentiment import network
    from brandpulse.sentiment.base import offline

    offline()
    if threads:
        torch.set_num_threads(threads)
    started = time.time()
    examples = read_examples(data)
    model = network.load(weights)
    tokenizer = AutoTokenizer.from_pretrained(network.base_path())
    progress(f"encoding {len(examples)} tweets with {weights.name}")
    features, probs = encode(model, tokenizer, [e.text for e in examples])
    texts = [normalize(e.text) or "." for e in examples]  # for the word half, normalised as the classifier does
    sentiment = labels_of(probs)
    reports = leave_one_domain_out(features, texts, examples, sentiment, recipe)
    for r in reports:
        progress(f"held out {r.domain}: macro-F1 {r.macro_f1:.1f}, complaints as detractors "
                 f"{r.complaints_detractors:.0f}%, others {r.others_detractors:.0f}% (threshold {r.threshold:.2f})")
    threshold = cross_validated_threshold(features, texts, examples, company_domains(examples), sentiment, recipe)
    fitted = fit_both(features, texts, examples, recipe)
    # The shift puts the decision threshold at 0.5 (sentiment.nps.COMPLAINT_THRESHOLD).
    words = replace(fitted.words, shift=math.log(threshold / (1 - threshold)))
    mean = {key: round(float(np.mean([getattr(r, key) for r in reports])), 1)
            for key in ("macro_f1", "complaints_detractors", "others_detractors")}
    meta = {"name": "complaint-head", "version": "2", "vocabulary": len(words.vocabulary), "data": data.name,
            "encoder_sha256": hashlib.sha256(weights.read_bytes()).hexdigest()[:12],
            "recipe": recipe_dict(recipe), "threshold_before_shift": threshold,
            "leave_one_domain_out": {"mean": mean, "domains": [asdict(r) for r in reports]},
            "minutes": round((time.time() - started) / 60, 1)}
    complaint_words.save(network.complaint_head_path(weights), *fitted.network, words, meta)
    return meta
