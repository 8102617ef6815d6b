"""Loading a sentiment model and classifying batches of texts with it."""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from brandpulse.sentiment import complaint_words
from brandpulse.sentiment.base import (HF_LOADING, LABELS, Classification, SentimentError, offline,
                                       quiet_transformers)
from brandpulse.sentiment.files import base_path, complaint_head_path
from brandpulse.sentiment.label_map import Groups, label_groups
from brandpulse.sentiment.normalize import normalize
from brandpulse.sentiment.tokenizer import WindowTokenizer
from brandpulse.sentiment.windows import combine_windows, read_windows

log = logging.getLogger(__name__)

BUNDLED = "bundled"
BUNDLED_NAME = "brandpulse-minilm-tweeteval"
WEIGHTS_FILE = "minilm-tweeteval.safetensors"
BACKENDS = ("auto", "onnx", "torch")
# Consecutive windows of a long text share this many tokens, so a sentence cut at a boundary is seen whole once.
WINDOW_OVERLAP = 16

# (input_ids, attention_mask) as int64 numpy arrays -> logits in LABELS order, then the complaint logit if any; a
# forward with a `parallel` attribute (accel.SessionPool) is given that many batches at once
Forward = Callable[[Any, Any], Any]


def _no_nvidia_device() -> bool:
    # Without NVIDIA device nodes CUDA cannot be there: answer without importing torch (about 1 s).
    return os.name == "posix" and not glob.glob("/dev/nvidia[0-9]*")


def _device(requested: str) -> str:
    if requested == "auto" and _no_nvidia_device():
        return "cpu"
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    kind, _, index = requested.partition(":")
    if kind != "cpu":
        backend = {"cuda": torch.cuda, "xpu": getattr(torch, "xpu", None), "mps": torch.backends.mps}[kind]
        if backend is None or not backend.is_available():
            raise SentimentError(f"sentiment.device is {requested!r} but no {kind.upper()} device is visible to this "
                                 "torch build; use 'auto' or 'cpu'")
        if index and int(index) >= backend.device_count():
            raise SentimentError(f"sentiment.device is {requested!r} but this machine has "
                                 f"{backend.device_count()} {kind.upper()} device(s); use 'auto' or 'cpu'")
    return requested


def _softmax(logits: Any) -> Any:
    import numpy as np

    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class TransformerClassifier:
    """A tokenizer and a forward function, applied to normalised texts in length-sorted, dynamically padded batches.

    A text longer than `max_length` tokens is cut into overlapping windows (its last `max_windows`, the beginning
    of a longer text is ignored); its probabilities are their mean weighted by tokens and polarity (sentiment.windows).
    """

    def __init__(self, tokenizer: Any, forward: Forward, name: str, version: str, batch_size: int = 32,
                 max_length: int = 128, max_windows: int = 8, complaint_head: bool = False, complaint_words: Any = None):
        self.complaint_head = complaint_head  # whether results carry a complaint probability
        self._complaint_words = complaint_words  # the head's word half (WordHead), applied after the network
        self._tokenizer = tokenizer
        self._forward = forward
        self.name = name
        self.version = version
        self._batch_size = batch_size
        self._max_length = min(max_length, getattr(tokenizer, "model_max_length", max_length) or max_length)
        self._max_windows = max_windows

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        encoded = self._tokenizer(texts, truncation=True, max_length=self._max_length, return_overflowing_tokens=True,
                                  stride=min(WINDOW_OVERLAP, self._max_length // 4))
        owners = encoded.get("overflow_to_sample_mapping", list(range(len(texts))))
        read = read_windows(owners, self._max_windows)
        windows = [ids for ids, keep in zip(encoded["input_ids"], read) if keep]
        return windows, [owner for owner, keep in zip(owners, read) if keep]

    def _probabilities(self, windows: list[list[int]]) -> Any:
        """Per window: the three sentiment probabilities, then the complaint probability (NaN without a head)."""
        import numpy as np

        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        batches = [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]
        probs = np.full((len(windows), len(LABELS) + 1), np.nan, dtype=np.float64)
        for batch, logits in zip(batches, self._logits(windows, batches)):
            probs[batch, : len(LABELS)] = _softmax(logits[:, : len(LABELS)])
            if logits.shape[1] > len(LABELS):
                probs[batch, len(LABELS)] = 1.0 / (1.0 + np.exp(-logits[:, len(LABELS)]))
        return probs

    def _logits(self, windows: list[list[int]], batches: list[list[int]]) -> Iterator[Any]:
        """The forward's logits of each batch of windows, in order; a forward that serves several calls at once
        (`parallel`, as the ONNX session pool does) gets that many batches at a time."""
        import numpy as np

        pad = self._tokenizer.pad_token_id or 0

        def run(batch: list[int]) -> Any:
            width = max(len(windows[i]) for i in batch)
            ids = np.full((len(batch), width), pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : len(windows[i])] = windows[i]
                mask[row, : len(windows[i])] = 1
            return np.asarray(self._forward(ids, mask), dtype=np.float64)

        parallel = getattr(self._forward, "parallel", 1)
        if parallel < 2 or len(batches) < 2:
            yield from map(run, batches)
            return
        with ThreadPoolExecutor(min(parallel, len(batches))) as pool:
            yield from pool.map(run, batches)

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """Classify `texts`, returning one `Classification` per text, in order."""
        if not texts:
            return []
        # Identical texts (retweets, bots, copy-paste campaigns) are read once.
        unique: dict[str, int] = {}
        slots = [unique.setdefault(normalize(t) or ".", len(unique)) for t in texts]
        windows, owners = self._windows(list(unique))
        probs = self._probabilities(windows)
        totals = combine_windows(probs, [len(w) for w in windows], owners, len(unique))
        if self._complaint_words is not None:
            totals[:, len(LABELS)] = self._complaint_words.complaint(totals[:, len(LABELS)], list(unique))
        distinct = [self._result(row) for row in totals]
        return [distinct[slot] for slot in slots]

    def _result(self, row: Any) -> Classification:
        import numpy as np

        sentiment = row[: len(LABELS)] / row[: len(LABELS)].sum()
        complaint = None if np.isnan(row[len(LABELS)]) else float(row[len(LABELS)])
        return Classification(LABELS[int(np.argmax(sentiment))], (float(sentiment[0]), float(sentiment[1]),
                              float(sentiment[2])), self.name, self.version, complaint)


# The logit of a label no output feeds (neutral, for a two-class model): probability 0 after the softmax, and finite.
_ABSENT_LOGIT = -1e4


def _torch_forward(network: Any, device: str, groups: Groups | None = None) -> Forward:
    import torch

    def forward(input_ids: Any, attention_mask: Any) -> Any:
        with torch.inference_mode():
            ids = torch.from_numpy(input_ids).to(device)
            mask = torch.from_numpy(attention_mask).to(device)
            out = network(input_ids=ids, attention_mask=mask)
            logits = (out if isinstance(out, torch.Tensor) else out.logits).float()
            if groups is not None:
                # log of the summed probabilities of each group: its softmax adds the model's own probabilities
                logits = torch.stack([logits[:, list(g)].logsumexp(-1) if g
                                      else torch.full_like(logits[:, 0], _ABSENT_LOGIT) for g in groups], -1)
            return logits.cpu().numpy()

    return forward


def bundled_weights() -> Path:
    """The committed fine-tuned parameters (their metadata is the .json next to them)."""
    return Path(str(resources.files("brandpulse.sentiment") / "weights" / WEIGHTS_FILE))


def _complaint_head(weights: Path, encoder_digest: str) -> Path | None:
    """The complaint head trained on exactly these weights (whose sha256 is `encoder_digest`), or None (then
    mentions get no complaint probability)."""
    head = complaint_head_path(weights)
    if not head.exists():
        return None
    trained_on = json.loads(head.with_suffix(".json").read_text(encoding="utf-8")).get("encoder_sha256")
    if trained_on != encoder_digest[:12]:
        log.warning("the complaint head %s was trained on other weights; run `brandpulse sentiment train-complaints`",
                    head)
        return None
    return head


def _weights_meta(weights: Path) -> dict:
    """The metadata written beside a weights file, once the file is known to be one (a safetensors header)."""
    from safetensors import safe_open

    try:
        with safe_open(str(weights), "np") as f:
            f.keys()
    except Exception as exc:  # safetensors raises its own error type, and OSError for an unreadable file
        raise SentimentError(f"{weights} is not a weights file (safetensors, as `sentiment train` writes): "
                             f"{str(exc).splitlines()[0]}") from None
    meta = weights.with_suffix(".json")
    try:
        return json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SentimentError(f"{weights} has no readable metadata {meta.name} beside it, which `sentiment train` "
                             f"writes with the weights: {exc}") from None


def _load_bundled(device: str, backend: str, batch_size: int, max_length: int, max_windows: int,
                  weights: Path | None = None) -> TransformerClassifier:
    weights = weights or bundled_weights()
    if not weights.exists():
        raise SentimentError(f"sentiment weights {weights} are missing; run `brandpulse sentiment train`")
    meta = _weights_meta(weights)
    hashed = hashlib.sha256(weights.read_bytes())
    head = _complaint_head(weights, hashed.hexdigest())
    words = complaint_words.load(head) if head is not None else None  # first: a damaged head is a clear error
    # The digest makes the stored version change whenever the weights (or the complaint head) do, even if nobody
    # bumps "version"; so rows classified before the head existed are stale for `rescore`.
    if head is not None:
        hashed.update(head.read_bytes())
    digest = hashed.hexdigest()[:12]
    version = f"{meta.get('version', '0')}+{digest}"
    tokenizer = WindowTokenizer(Path(base_path()))
    if backend == "onnx" or (backend == "auto" and device == "cpu"):
        from brandpulse.sentiment.accel import onnx_forward

        def build() -> Any:  # only when the export is not cached yet: torch is imported then
            from brandpulse.sentiment import network

            return network.load(weights, "eager", head)

        forward = onnx_forward(build, f"{BUNDLED_NAME}-{digest}")
    else:
        from brandpulse.sentiment import network

        forward = _torch_forward(network.load(weights, complaint_head=head).to(device), device)
    return TransformerClassifier(tokenizer, forward, meta.get("name", BUNDLED_NAME), version, batch_size,
                                 max_length, max_windows, complaint_head=head is not None,
                                 complaint_words=words)


def _names_a_folder(model: str) -> bool:
    """Whether `model` is written as a path ("/models/de", "./de", "~/de") or names something on disk, not a
    Hugging Face id ("namespace/name")."""
    return model.startswith((".", "/", "~")) or Path(model).expanduser().exists()


def _load_hf(model: str, device: str, batch_size: int, max_length: int, max_windows: int) -> TransformerClassifier:
    folder = Path(model).expanduser()
    if _names_a_folder(model) and not (folder / "config.json").is_file():
        what = "a folder without config.json" if folder.is_dir() else "not a folder"
        raise SentimentError(f"sentiment model {model!r}: {what} (a local model is a folder holding "
                             "config.json and the weights, as save_pretrained writes it)")
    try:
        tokenizer, network = _from_pretrained(model, device, not _names_a_folder(model) and _hub_unreachable(model))
    except (OSError, ValueError) as exc:
        raise SentimentError(
            f"cannot load sentiment model {model!r} offline: {str(exc).rstrip('.')}. Give a local directory, or a "
            "model id already in the Hugging Face cache, or use 'bundled'"
        ) from exc
    except Exception as exc:  # a damaged weights file, an architecture this transformers cannot build, ...
        raise SentimentError(f"cannot load sentiment model {model!r}: {type(exc).__name__}: {exc}") from exc
    if not _knows_words(tokenizer):
        raise SentimentError(f"sentiment model {model!r}: its tokenizer reads every word as unknown, so every text "
                             "would get the same label; its files lack the tokenizer's (tokenizer.json, or "
                             "vocab.txt, vocab.json, a sentencepiece .model), which save_pretrained writes beside "
                             "the weights")
    groups = label_groups(network.config.id2label)
    version = str(getattr(network.config, "_commit_hash", None) or _folder_digest(Path(model).expanduser())
                  or getattr(network.config, "transformers_version", ""))
    return TransformerClassifier(tokenizer, _torch_forward(network, device, groups), model, version, batch_size,
                                 min(max_length, _positions(network.config)), max_windows)


def _hub_unreachable(model: str) -> bool:
    """Whether `model` (a Hugging Face id) is to be read from the cache alone: downloads are allowed
    (HF_HUB_OFFLINE=0) but the Hub does not answer. Asked for a file it has no copy of, huggingface_hub asks five
    more times, waiting 1 to 8 s between: a model not in the cache failed after about 49 s, and one in it took
    minutes (each optional file it lacks asked again). One request tells: a model not in the cache fails at once,
    naming the setting."""
    offline()  # before huggingface_hub reads the environment: unset, HF_HUB_OFFLINE is 1
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url, try_to_load_from_cache

    if constants.HF_HUB_OFFLINE:
        return False  # nothing is asked of the network; transformers says at once that the cache lacks it
    try:
        cached = isinstance(try_to_load_from_cache(model, "config.json"), str)
    except ValueError:  # not a valid model id: transformers' own error says so
        return False
    try:  # one request, without retries
        get_hf_file_metadata(hf_hub_url(model, "config.json"), timeout=constants.HF_HUB_ETAG_TIMEOUT)
    except Exception as exc:  # refused, DNS, TLS, a timeout, 404: what the download would end in, after its retries
        reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        if cached:
            log.warning("sentiment model %s: the Hugging Face Hub (%s) cannot be reached (%s); reading the cached "
                        "copy", model, constants.ENDPOINT, reason)
            return True
        raise SentimentError(
            f"sentiment model {model!r} is not in the Hugging Face cache ({constants.HF_HUB_CACHE}), and downloading "
            f"it (HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE', '')} in the environment) failed: asking "
            f"{constants.ENDPOINT} for it: {reason}. Download it into that cache on a host that can reach the Hub "
            f"(`hf download {model}`), give a local directory, or use 'bundled'"
        ) from exc
    return False


def _positions(config: Any) -> int:
    """How many tokens a window may hold for the network to place them all: its position embeddings, less two, which
    RoBERTa-style models reserve (their positions start after the padding index). Its tokenizer's model_max_length
    often says the same, but one saved without it reads as unlimited, and a longer window fails in the forward."""
    positions = getattr(config, "max_position_embeddings", None)
    return positions - 2 if isinstance(positions, int) and positions > 2 else 1 << 30


def _knows_words(tokenizer: Any) -> bool:
    """Whether the tokenizer reads some common words as other than its unknown token: transformers builds one with
    an empty vocabulary, without a word of warning, for a folder whose tokenizer files are missing."""
    ids = tokenizer("the good and the bad", add_special_tokens=False)["input_ids"]
    return any(i != tokenizer.unk_token_id for i in ids)


def _folder_digest(folder: Path) -> str | None:
    """The sha256 prefix of a local model folder's config and weights, None when `folder` is not one: a folder has no
    commit hash, and retrained in place it must read as another version (transformers' own version would not)."""
    if not folder.is_dir():
        return None
    hashed = hashlib.sha256()
    for path in sorted(folder.glob("*.json")) + sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                hashed.update(chunk)
    return hashed.hexdigest()[:12]


def _from_pretrained(model: str, device: str, cached_only: bool = False) -> tuple[Any, Any]:
    """The tokenizer and the network of a Hugging Face model (from the cache alone: `cached_only`), built by one
    thread at a time (HF_LOADING)."""
    with HF_LOADING:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        quiet_transformers()
        tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=cached_only)
        network = AutoModelForSequenceClassification.from_pretrained(model, local_files_only=cached_only)
        return tokenizer, network.to(device).eval()


def load_classifier(model: str = BUNDLED, device: str = "auto", batch_size: int = 32, max_length: int = 128,
                    backend: str = "auto", max_windows: int = 8, weights: Path | None = None) -> TransformerClassifier:
    """Load the bundled model, or any Hugging Face sequence-classification model id or local path, offline.

    `backend` "auto" runs the bundled model through ONNX Runtime (int8) on CPU and through torch on a GPU;
    other models always run through torch. `weights` replaces the bundled network's committed parameters (and
    complaint head) with another training's, as benchmarks comparing two versions do.
    """
    if backend not in BACKENDS:
        raise SentimentError(f"sentiment backend {backend!r} is unknown; use one of {', '.join(BACKENDS)}")
    offline()
    resolved = _device(device)
    log.info("loading sentiment model %s on %s", model, resolved)
    if model == BUNDLED:
        return _load_bundled(resolved, backend, batch_size, max_length, max_windows, weights)
    return _load_hf(model, resolved, batch_size, max_length, max_windows)
