"""A "model soup" (Wortsman et al., ICML 2022): the mean of the weights of trainings that differ only in the order of
their batches (and their dropout).

Fine-tuned from the same pre-trained MiniLM and the same initial head, such runs stay in one basin of the loss, so
their mean is a working model that often generalises better than each of them, at the inference cost of one. Runs
whose heads start apart do not: the mean of seeds 13 and 14 scored below both.
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
                                 "share layers and options, only their order seeds may differ")
    return {name: (sum(state[name].float() for state in states) / len(states)).to(tensor.dtype)
            for name, tensor in first.items()}


def run_path(folder: Path, recipe: Recipe) -> Path:
    """Where the run of `recipe` (its depth, seed and order seed) is kept; its recipe is in the JSON beside it."""
    return folder / f"run-{recipe.layers}-layers-seed-{recipe.seed}-order-{recipe.order_seed}.safetensors"


def make_soup(data_dir: Path, out: Path, recipe: Recipe, order_seeds: Sequence[int], runs_dir: Path,
              progress: Callable[[str], None]) -> dict:
    """Train `recipe` once per order seed into `runs_dir` (reusing finished runs), write the mean of their weights to
    `out` and return its metadata, with each run's and the soup's macro-recall on the dev split."""
    from brandpulse.sentiment import network, trained_runs, training

    if len(set(order_seeds)) < 2:
        raise SentimentError("a soup needs at least two different order seeds")
    started = time.time()
    recipes = [replace(recipe, order_seed=seed) for seed in order_seeds]
    runs = trained_runs.ensure_trained([(run, run_path(runs_dir, run)) for run in recipes],
                                       lambda run, path: training.train(data_dir, path, run, progress), progress)
    meta = training.describe(data_dir, recipe)
    network.save_state(average_weights(runs), out, meta)  # the metadata first: loading the soup reads its layers
    *each, together = training.dev_macro_recalls([*runs, out], data_dir, recipe)
    meta.update(soup_of=[{"order_seed": seed, "dev_macro_recall": recall} for seed, recall in zip(order_seeds, each)],
                dev_macro_recall=together, minutes=round((time.time() - started) / 60, 1))
    network.write_meta(out, meta)
    return meta
