"""Finished trainings kept on disk (distillation's teachers, a soup's runs): trained once, reused while their recipe
is the one asked for."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brandpulse.sentiment.training import Recipe


def is_finished(recorded: dict) -> bool:
    """Whether a run's metadata is that of a finished training (a killed one has no "minutes" yet)."""
    return "minutes" in recorded


def finished_with(weights: Path, recipe: Recipe) -> bool:
    """Whether `weights` holds a finished training of exactly `recipe`."""
    meta = weights.with_suffix(".json")
    if not (weights.exists() and meta.exists()):
        return False
    recorded = json.loads(meta.read_text(encoding="utf-8"))
    return is_finished(recorded) and _comparable(recorded.get("recipe", {})) == _comparable(asdict(recipe))


def _comparable(recipe: dict) -> dict:
    from brandpulse.sentiment.training import Recipe

    # Options added since a run was recorded had their defaults then. Through JSON, so that tuples and lists compare
    # equal; the thread count is how a training ran, not what it is.
    recipe = json.loads(json.dumps({**asdict(Recipe()), **recipe}))
    # No order seed means the seed's own order: the two are one training (training.order_seed).
    recipe["order_seed"] = recipe["seed"] if recipe["order_seed"] is None else recipe["order_seed"]
    return {name: value for name, value in recipe.items() if name != "threads"}


def ensure_trained(runs: Sequence[tuple[Recipe, Path]], train_one: Callable[[Recipe, Path], dict],
                   progress: Callable[[str], None]) -> list[Path]:
    """The weights of each (recipe, path) run: trained by `train_one` unless a finished one is at that path."""
    for recipe, path in runs:
        if finished_with(path, recipe):
            progress(f"{path.name}: already trained")
        else:
            progress(f"{path.name}: training")
            train_one(recipe, path)
    return [path for _, path in runs]
