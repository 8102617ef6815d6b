"""A "model soup" (Wortsman et al., ICML 2022): the mean of the weights of trainings that differ only in their seed.

Fine-tuned from the same pre-trained MiniLM, such runs stay in one basin of the loss, so their mean is a working
model that often generalises better than each of them, at the inference cost of one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from brandpulse.sentiment.base import SentimentError

if TYPE_CHECKING:
    import torch

    from brandpulse.sentiment.training import Recipe


def average_weights(files: Sequence[Path]) -> dict[str, torch.Tensor]:
    """The element-wise mean of the tensors in `files` (safetensors), in the first file's dtypes."""
    from safetensors.torch import load_file

    if len(files) < 2:
        raise SentimentError("a soup needs at least two weights files")
    states = [load_file(str(path)) for path in files]
    first = states[0]
    for path, state in zip(files[1:], states[1:]):
        misfits = sorted(set(state) ^ set(first)) or [name for name in first if state[name].shape != first[name].shape]
        if misfits:
            raise SentimentError(f"{path} does not fit {files[0]} ({misfits[0]} differs): a soup's trainings must "
                                 "share layers and options, only their seeds may differ")
    return {name: (sum(state[name].float() for state in states) / len(states)).to(tensor.dtype)
            for name, tensor in first.items()}


def make_soup(data_dir: Path, out: Path, recipe: Recipe, seeds: Sequence[int], runs_dir: Path,
              progress: Callable[[str], None]) -> dict:
    """Train `recipe` once per seed into `runs_dir` (reusing finished runs), write the mean of their weights to `out`
    and return its metadata, with each run's and the soup's macro-recall on the dev split."""
    from brandpulse.sentiment import distillation, network, training

    if len(set(seeds)) < 2:
        raise SentimentError("a soup needs at least two different seeds")
    started = time.time()
    # A run of the soup is trained exactly as a distillation teacher of this depth and seed: the same cache serves.
    runs = distillation.ensure_teachers(replace(recipe, teachers=tuple((recipe.layers, s) for s in seeds)), runs_dir,
                                        lambda r, path: training.train(data_dir, path, r, progress), progress)
    meta = training.describe(data_dir, recipe)
    network.save_state(average_weights(runs), out, meta)  # the metadata first: loading the soup reads its layers
    *each, together = training.dev_macro_recalls([*runs, out], data_dir, recipe)
    meta.update(soup_of=[{"seed": seed, "dev_macro_recall": recall} for seed, recall in zip(seeds, each)],
                dev_macro_recall=together, minutes=round((time.time() - started) / 60, 1))
    network.write_meta(out, meta)
    return meta
