"""Distillation: teachers (other trainings of the same network, deeper or of other seeds, or finished trainings of
another encoder) label the training tweets with probabilities, and the student learns from those as well as from the
gold labels.

An ensemble's probabilities say how ambiguous each tweet is, which one gold label cannot; the student gains
accuracy without the teachers' cost at inference.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from brandpulse.sentiment import trained_runs
from brandpulse.sentiment.base import SentimentError

if TYPE_CHECKING:
    import torch

    from brandpulse.sentiment.training import Recipe


def parse_teacher(spec: str) -> tuple[int, int]:
    """"LAYERS:SEED" (for example "6:13") as a (layers, seed) pair."""
    try:
        layers, seed = (int(part) for part in spec.split(":"))
    except ValueError:
        raise SentimentError(f"teacher {spec!r} must be LAYERS:SEED, for example 6:13") from None
    if not 1 <= layers <= 6:
        raise SentimentError(f"teacher {spec!r}: layers must be between 1 and 6")
    return layers, seed


def teacher_recipe(student: Recipe, layers: int, seed: int) -> Recipe:
    """A teacher is trained as the student is, with its own depth and seed, from the gold labels alone (the labelled
    texts, not the transfer set, which it is to label)."""
    return replace(student, layers=layers, seed=seed, teachers=(), teacher_files=(), distill=0.0, transfer=None)


def teacher_path(folder: Path, layers: int, seed: int) -> Path:
    """Where the teacher of that depth and seed is kept (its recipe is in the JSON beside it)."""
    return folder / f"teacher-{layers}-layers-seed-{seed}.safetensors"


def ensure_teachers(student: Recipe, folder: Path, train_one: Callable[[Recipe, Path], dict],
                    progress: Callable[[str], None]) -> list[Path]:
    """The student's teachers' weights: each (layers, seed) one in `folder`, trained (by `train_one`) unless already
    there, then the finished trainings named by `teacher_files`."""
    trained = trained_runs.ensure_trained([(teacher_recipe(student, layers, seed), teacher_path(folder, layers, seed))
                                           for layers, seed in student.teachers], train_one, progress)
    return trained + [finished_teacher(Path(name)) for name in student.teacher_files]


def finished_teacher(weights: Path) -> Path:
    """`weights`, checked to be a finished training (of any encoder) that can teach."""
    meta = weights.with_suffix(".json")
    if not (weights.exists() and meta.exists()):
        raise SentimentError(f"teacher {weights}: no such training (its .safetensors and the .json beside it)")
    try:
        finished = trained_runs.is_finished(json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise SentimentError(f"teacher {weights}: cannot read {meta.name} ({exc})") from None
    if not finished:
        raise SentimentError(f"teacher {weights} is not a finished training: its run stopped before the end")
    return weights


def soft_labels(teachers: Sequence[Path], texts: Sequence[str], indices: list[int], max_length: int,
                progress: Callable[[str], None]) -> torch.Tensor:
    """The teachers' mean probabilities (negative, neutral, positive) for the (normalised) `texts` at `indices`: a
    (len(texts), 3) tensor, zero in the rows of other texts. Each teacher reads them with its own encoder's tokenizer.
    Kept beside the first teacher, keyed by the teachers' weights and the texts, so that students of other recipes
    skip the labelling (minutes per teacher)."""
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    from brandpulse.sentiment import network
    from brandpulse.sentiment.training import predict_logits

    key = hashlib.sha256(json.dumps([max_length] + [texts[i] for i in indices]).encode())
    for path in teachers:
        key.update(hashlib.sha256(path.read_bytes()).digest())
    kept = teachers[0].parent / f"soft-labels-{key.hexdigest()[:16]}.safetensors"
    if kept.exists():
        progress(f"teachers' labels: {kept.name}")
        return load_file(str(kept))["probabilities"]
    total = torch.zeros(len(texts), 3)
    for path in teachers:
        progress(f"labelling {len(indices)} tweets with teacher {path.name}")
        recipe = network.recipe_of(path)
        tokenizer = AutoTokenizer.from_pretrained(network.encoder_path(recipe.get("base")))
        ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
        logits = predict_logits(network.load(path), ids, indices, bool(recipe.get("bf16")))
        total[indices] += logits.softmax(-1)
    mean = total / len(teachers)
    partial = kept.with_suffix(".partial")
    save_file({"probabilities": mean}, str(partial))
    os.replace(partial, kept)  # whole or absent, even if killed
    return mean


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the student's logits against probability targets (KL divergence plus a constant)."""
    return -(targets * logits.log_softmax(-1)).sum(-1).mean()
