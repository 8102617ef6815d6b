"""CPU inference through ONNX Runtime: the bundled network exported once, in int8 and fp32, cached on disk, and
the faster of the two on this machine chosen by a one-time calibration cached with them."""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from brandpulse.sentiment.base import SentimentError

log = logging.getLogger(__name__)

# Part of the cache file name: changing how the export is made must not reuse an old export.
EXPORT_FORMAT = "v4"
PRECISIONS = ("int8", "fp32")
# Each session holds its own copy of the weights (about 25 MB in int8): past this many, more cores give a session
# more threads instead of adding sessions.
MAX_SESSIONS = 4
# An export's temporary folder untouched this long belongs to a process killed half-way.
ABANDONED_AFTER_S = 3600


def import_onnxruntime() -> Any:
    """onnxruntime, imported with its telemetry off unless ORT_DISABLE_TELEMETRY says otherwise."""
    # From 1.2x on Linux it keeps a device id under ~/.cache/Microsoft and reports usage to Microsoft's collector:
    # brandpulse sends nothing anywhere, and a service user without a home got an unlogged, coloured warning.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    return onnxruntime


def cache_dir() -> Path:
    """Where exported models live: $BRANDPULSE_CACHE, else $XDG_CACHE_HOME/brandpulse, else ~/.cache/brandpulse."""
    explicit = os.environ.get("BRANDPULSE_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "brandpulse"


class _DropMessage(logging.Filter):
    """Drops log records whose message starts with `prefix`."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


def export(model: Any, target: Path, fp32_target: Path) -> None:
    """Export `model` (MeanPoolClassifier, eager attention) to ONNX, fuse BERT ops, keep that as `fp32_target` and
    quantize its weights to int8 as `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target)
    # Its own folder: another process exporting the same model at once (the service and `classify` started on an
    # empty cache) must not overwrite or move away this one's files half-way.
    work = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".partial", dir=target.parent))
    try:
        _export_in(model, work, target, fp32_target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_abandoned(target: Path) -> None:
    """Remove the folders of exports of `target` killed half-way (about 100 MB each): untouched for an hour, while an
    export takes about 20 s."""
    for folder in target.parent.glob(f"{target.name}.*.partial"):
        try:
            if time.time() - folder.stat().st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # removed by another process meanwhile
            continue


def _export_in(model: Any, work: Path, target: Path, fp32_target: Path) -> None:
    import onnx
    import torch

    import_onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    plain, fused, partial = work / "plain.onnx", work / "fused.onnx", work / "int8.onnx"
    ids = torch.randint(1000, 2000, (2, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (ids, torch.ones_like(ids)), str(plain), input_names=["input_ids", "attention_mask"],
            output_names=["logits"], opset_version=17, dynamo=False,
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "logits": {0: "batch"}},
        )
    config = model.encoder.config
    # Fusing LayerNorm and GELU saves memory passes; fused attention is left out because its int8 form
    # (QAttention) ran slower than plain int8 MatMuls on this 2-core AVX2 machine. SkipLayerNormalization (residual
    # Add + LayerNorm + the dense bias in one node) is left out too: profiles gave it a fifth of int8 inference time,
    # while ONNX Runtime's own Add + LayerNorm fusion, applied at load instead, costs a sixth of that.
    fusions = FusionOptions("bert")
    fusions.enable_attention = False
    fusions.enable_skip_layer_norm = False
    fusions.enable_bias_skip_layer_norm = False
    optimize_model(str(plain), model_type="bert", num_heads=config.num_attention_heads,
                   hidden_size=config.hidden_size, optimization_options=fusions).save_model_to_file(str(fused))
    # Activations are quantized per batch: on TweetEval val this cost 0.25 point of macro-recall at batch 32.
    # onnxruntime advises pre-processing on the root logger; that is for static quantization, not ours.
    advice = _DropMessage("Please consider to run pre-processing before quantization")
    logging.getLogger().addFilter(advice)
    try:
        quantize_dynamic(str(fused), str(partial), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        logging.getLogger().removeFilter(advice)
    os.replace(partial, target)  # atomic, so a concurrent loader never sees half a file
    os.replace(fused, fp32_target)


def _session(onnxruntime: Any, path: Path, threads: int) -> Any:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def calibrate(onnxruntime: Any, paths: dict[str, Path], threads: int, rounds: int = 3) -> dict[str, Any]:
    """Time each precision on a batch of 32 tweet-sized inputs, alternating, best of `rounds`; the faster wins.

    int8 is 2-3x faster than fp32 on some CPUs (AVX2 with VNNI-like dot products) and gains little on others.
    """
    import numpy as np

    ids = np.random.default_rng(0).integers(1000, 5000, (32, 40), dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    sessions = {name: _session(onnxruntime, path, threads) for name, path in paths.items()}
    best = {name: 0.0 for name in paths}
    for _ in range(rounds):
        for name, session in sessions.items():
            session.run(None, feed)  # warm-up: the first run allocates
            started = time.perf_counter()
            for _ in range(3):
                session.run(None, feed)
            best[name] = max(best[name], 3 * 32 / (time.perf_counter() - started))
    chosen = max(best, key=best.get)
    log.info("ONNX calibration: %s", ", ".join(f"{n} {v:.0f} texts/s" for n, v in best.items()))
    return {"chosen": chosen, "texts_per_s": {n: round(v) for n, v in best.items()}, "threads": threads}


def _write_choice(path: Path, choice: dict[str, Any]) -> None:
    # A temporary file of its own, as for the export: two processes may calibrate at once.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=path.name + ".",
                                     suffix=".partial", delete=False) as f:
        f.write(json.dumps(choice) + "\n")
    os.replace(f.name, path)


class SessionPool:
    """A numpy forward (input_ids, attention_mask) -> logits over `parallel` sessions of one model.

    Callers run up to `parallel` batches at once (the classifier does): each call takes a free session. Whole
    batches on separate cores beat one session splitting every small operator across threads, which pays a
    synchronisation per operator: 3,000 tweets took 7-10% less time on 2 cores with two single-threaded sessions.
    """

    def __init__(self, sessions: list[Any]) -> None:
        self.parallel = len(sessions)
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for session in sessions:
            self._free.put(session)

    def __call__(self, input_ids: Any, attention_mask: Any) -> Any:
        session = self._free.get()
        try:
            return session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        finally:
            self._free.put(session)


class _DamagedCache(Exception):
    """A cached export or calibration choice that cannot be read (a full disk, a killed copy, a hand edit)."""


def onnx_forward(build_model: Any, key: str, threads: int | None = None) -> SessionPool:
    """A forward over `threads` threads (default: one per core), as one single-threaded session per thread up to
    MAX_SESSIONS sessions, exporting and calibrating on first use under `key`; a damaged cached copy is made again."""
    try:
        onnxruntime = import_onnxruntime()
    except ImportError as exc:
        raise SentimentError("onnxruntime is not installed; `pip install onnxruntime` or set sentiment.backend: torch") from exc
    paths = {precision: cache_dir() / "sentiment" / f"{key}.{EXPORT_FORMAT}.{precision}.onnx" for precision in PRECISIONS}
    choice = cache_dir() / "sentiment" / f"{key}.{EXPORT_FORMAT}.json"
    threads = threads or os.cpu_count() or 1
    try:
        return _cached_forward(onnxruntime, build_model, paths, choice, threads)
    except _DamagedCache as exc:
        log.warning("the cached ONNX export in %s cannot be read (%s); exporting it again", choice.parent, exc)
    try:
        for path in (*paths.values(), choice):
            path.unlink(missing_ok=True)
        return _cached_forward(onnxruntime, build_model, paths, choice, threads)
    except (_DamagedCache, OSError) as exc:
        raise SentimentError(f"the ONNX export in {choice.parent} cannot be read even after exporting it again "
                             f"({exc}); delete that folder, or set sentiment.backend: torch") from None


def _cached_forward(onnxruntime: Any, build_model: Any, paths: dict[str, Path], choice: Path,
                    threads: int) -> SessionPool:
    """The session pool of the cached export, exported and calibrated first where missing; _DamagedCache when a
    cached file cannot be read."""
    sessions = min(threads, MAX_SESSIONS)
    per_session = threads // sessions
    try:
        if not all(path.exists() for path in paths.values()):
            log.warning("exporting the sentiment model to %s (once, about 15 s)", paths["int8"].parent)
            export(build_model(), paths["int8"], paths["fp32"])
        if not choice.exists():
            timed = _readable(lambda: calibrate(onnxruntime, paths, per_session))  # as the sessions will run
            _write_choice(choice, timed)
    except OSError as exc:
        raise SentimentError(f"cannot write the ONNX cache {choice.parent}: {exc}; set BRANDPULSE_CACHE to a writable folder") from exc
    try:
        chosen = paths[json.loads(choice.read_text(encoding="utf-8"))["chosen"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise _DamagedCache(f"{choice.name}: {type(exc).__name__}: {exc}") from None
    return _readable(lambda: SessionPool([_session(onnxruntime, chosen, per_session) for _ in range(sessions)]))


def _readable(load: Any) -> Any:
    """`load()`, whose ONNX Runtime errors (they derive from Exception alone) mean a cached file it cannot load."""
    try:
        return load()
    except Exception as exc:
        raise _DamagedCache(f"{type(exc).__name__}: {exc}") from exc
