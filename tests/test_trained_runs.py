"""Finished trainings are reused only for exactly their recipe, and a killed one is trained again."""

import json
from dataclasses import asdict, replace

from brandpulse.sentiment.trained_runs import ensure_trained, finished_with
from brandpulse.sentiment.training import Recipe


def _run(path, recipe, **extra):
    """A weights file and its metadata; `recipe` as recorded (a Recipe, or the dict an older version wrote)."""
    path.write_bytes(b"weights")
    recorded = recipe if isinstance(recipe, dict) else asdict(recipe)
    path.with_suffix(".json").write_text(json.dumps({"recipe": recorded, **extra}))
    return path


def test_an_unfinished_or_different_training_is_not_reused(tmp_path):
    recipe = Recipe(layers=6)
    weights = _run(tmp_path / "teacher.safetensors", recipe)
    assert not finished_with(weights, recipe)  # killed: no "minutes" yet

    _run(weights, recipe, minutes=1.0)
    assert finished_with(weights, recipe)
    assert not finished_with(weights, replace(recipe, seed=14))
    assert not finished_with(weights, replace(recipe, order_seed=21))
    assert finished_with(weights, replace(recipe, threads=1))  # how it ran, not what it is


def test_no_order_seed_and_the_seed_as_order_seed_are_one_training(tmp_path):
    recipe = Recipe(seed=13)
    plain = _run(tmp_path / "plain.safetensors", recipe, minutes=1.0)
    ordered = _run(tmp_path / "ordered.safetensors", replace(recipe, order_seed=13), minutes=1.0)

    assert finished_with(plain, replace(recipe, order_seed=13)) and finished_with(ordered, recipe)
    assert not finished_with(plain, replace(recipe, order_seed=14))


def test_a_run_recorded_before_an_option_existed_had_its_default(tmp_path):
    recipe = Recipe(layers=6)
    recorded = {name: value for name, value in asdict(recipe).items() if name != "order_seed"}
    weights = _run(tmp_path / "old.safetensors", recorded, minutes=30.0)

    assert finished_with(weights, recipe)
    assert not finished_with(weights, replace(recipe, order_seed=21))


def test_only_the_runs_not_yet_finished_are_trained(tmp_path):
    done, recipe = _run(tmp_path / "done.safetensors", Recipe(seed=1), minutes=1.0), Recipe(seed=2)
    trained, lines = [], []

    paths = ensure_trained([(Recipe(seed=1), done), (recipe, tmp_path / "new.safetensors")],
                           lambda run, path: trained.append((run, path)), lines.append)

    assert paths == [done, tmp_path / "new.safetensors"]
    assert trained == [(recipe, tmp_path / "new.safetensors")]
    assert lines == ["done.safetensors: already trained", "new.safetensors: training"]
