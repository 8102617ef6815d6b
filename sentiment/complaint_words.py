"""The complaint head's word half: a logistic regression over a tweet's words and word pairs (TF-IDF).

The network's pooled vector reads tone well and misses some cues that are plain words ("refund", "still waiting",
"wrong size"); averaging the two readers' logits separates complaints from other tweets to companies better than
either alone (see the README's complaint figures). Scoring needs numpy only: no torch at run time. Every function here takes texts already normalised.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.files import write_meta

_WORD = re.compile(r"(?u)\b\w\w+\b")


def terms(text: str) -> list[str]:
    """The words (two letters or more, lower-cased) of a text already normalised (sentiment.normalize, as the
    classifier reads it), then its pairs of adjacent words."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def vocabulary_of(texts: Sequence[str], min_df: int = 2) -> tuple[dict[str, int], Any]:
    """The terms found in at least `min_df` texts, numbered, and their smoothed inverse document frequencies."""
    import numpy as np

    df = Counter(term for text in texts for term in set(terms(text)))
    kept = sorted(term for term, count in df.items() if count >= min_df)
    idf = np.array([math.log((1 + len(texts)) / (1 + df[t])) + 1 for t in kept], dtype=np.float64)
    return {term: i for i, term in enumerate(kept)}, idf


def tfidf(texts: Sequence[str], vocabulary: dict[str, int], idf: Any) -> Any:
    """Rows of (1 + log tf) x idf over `vocabulary`, each scaled to unit length (a text with no known term: zeros)."""
    import numpy as np

    rows = np.zeros((len(texts), len(vocabulary)), dtype=np.float64)
    for row, text in enumerate(texts):
        for term, count in Counter(t for t in terms(text) if t in vocabulary).items():
            rows[row, vocabulary[term]] = (1 + math.log(count)) * idf[vocabulary[term]]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


@dataclass(frozen=True)
class WordHead:
    """A fitted word reader, and the shift that puts the combined head's decision threshold at 0.5."""

    vocabulary: dict[str, int]
    idf: Any
    coef: Any
    bias: float
    shift: float = 0.0

    def logits(self, texts: Sequence[str]) -> Any:
        """The word reader's complaint logit of each text: `tfidf` rows times the weights, one text at a time (a
        dense row per text would cost 40 KB each)."""
        import numpy as np

        out = np.full(len(texts), self.bias, dtype=np.float64)
        for row, text in enumerate(texts):
            counts = Counter(self.vocabulary[t] for t in terms(text) if t in self.vocabulary)
            if counts:
                index = np.fromiter(counts, dtype=np.int64, count=len(counts))
                values = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[index]
                out[row] += values @ self.coef[index] / np.linalg.norm(values)
        return out

    def complaint(self, network_probs: Any, texts: Sequence[str]) -> Any:
        """The complaint probability of each text: the mean of the network's and the words' logits, shifted."""
        import numpy as np

        p = np.clip(np.asarray(network_probs, dtype=np.float64), 1e-7, 1 - 1e-7)
        z = (np.log(p / (1 - p)) + self.logits(texts)) / 2 - self.shift
        return 1.0 / (1.0 + np.exp(-z))


def save(path: Path, network_weight: Any, network_bias: float, words: WordHead, meta: dict[str, Any]) -> None:
    """Write the whole complaint head (the network's linear layer, the word reader, the shift) and its metadata."""
    import numpy as np
    from safetensors.numpy import save_file

    tensors = {
        "weight": np.asarray(network_weight, dtype=np.float32).reshape(1, -1),
        "bias": np.array([network_bias], dtype=np.float32),
        "words.idf": np.asarray(words.idf, dtype=np.float32),
        "words.coef": np.asarray(words.coef, dtype=np.float32),
        "words.bias_shift": np.array([words.bias, words.shift], dtype=np.float32),
    }
    order = sorted(words.vocabulary, key=words.vocabulary.get)
    # Each file is replaced whole, so a loader never sees half a head.
    partial = path.with_suffix(".partial")
    save_file(tensors, str(partial), metadata={"vocabulary": json.dumps(order, ensure_ascii=False)})
    os.replace(partial, path)
    write_meta(path, meta)


def load(path: Path) -> WordHead | None:
    """The word reader stored in a complaint head file, None for a head that has none (network only)."""
    import numpy as np
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            if "words.coef" not in f.keys():
                return None
            order = json.loads((f.metadata() or {})["vocabulary"])
            bias, shift = (float(v) for v in f.get_tensor("words.bias_shift"))
            idf, coef = f.get_tensor("words.idf").astype(np.float64), f.get_tensor("words.coef").astype(np.float64)
    except Exception as exc:  # safetensors raises its own error type for a damaged file
        raise SentimentError(f"the complaint head {path} is unreadable ({exc}); rebuild it with "
                             "`brandpulse sentiment train-complaints`") from exc
    if not len(order) == len(idf) == len(coef):
        raise SentimentError(f"the complaint head {path} is inconsistent: {len(order)} terms for {len(coef)} weights; "
                             "rebuild it with `brandpulse sentiment train-complaints`")
    return WordHead({term: i for i, term in enumerate(order)}, idf, coef, bias, shift)
