"""A model soup: the mean of the weights of trainings that differ only in their order seed."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from brandpulse.sentiment import network
from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.soup import average_weights
from tests.test_sentiment_training import _tiny_data


def _weights(path, **tensors):
    save_file({name: torch.tensor(values, dtype=torch.float16) for name, values in tensors.items()}, str(path))
    return path


def test_the_soup_is_the_mean_of_each_tensor_in_the_files_dtype(tmp_path):
    one = _weights(tmp_path / "one.safetensors", a=[1.0, 2.0], b=[[0.5]])
    two = _weights(tmp_path / "two.safetensors", a=[3.0, 6.0], b=[[1.5]])
    three = _weights(tmp_path / "three.safetensors", a=[2.0, 1.0], b=[[1.0]])

    soup = average_weights([one, two, three])

    assert soup["a"].tolist() == [2.0, 3.0] and soup["b"].tolist() == [[1.0]]
    assert soup["a"].dtype == torch.float16


@pytest.mark.parametrize("other", [{"a": [1.0, 2.0]}, {"a": [1.0, 2.0], "b": [[1.0]], "c": [0.0]},
                                   {"a": [1.0, 2.0, 3.0], "b": [[1.0]]}])
def test_trainings_of_other_shapes_do_not_mix(tmp_path, other):
    one = _weights(tmp_path / "one.safetensors", a=[1.0, 2.0], b=[[0.5]])
    misfit = _weights(tmp_path / "misfit.safetensors", **other)

    with pytest.raises(SentimentError, match="misfit.safetensors does not fit .*only their order seeds may differ"):
        average_weights([one, misfit])


def test_one_training_is_no_soup(tmp_path):
    with pytest.raises(SentimentError, match="at least two"):
        average_weights([_weights(tmp_path / "one.safetensors", a=[1.0])])


def test_the_cli_wants_two_different_order_seeds(invoke, tmp_path):
    result = invoke("sentiment", "soup", "--data", _tiny_data(tmp_path), "--order-seed", 3, "--order-seed", 3,
                    "--out", tmp_path / "soup.safetensors")

    assert result.exit_code != 0 and "two different order seeds" in result.output
    assert not (tmp_path / "soup.safetensors").exists()


@pytest.mark.slow
def test_the_cli_trains_each_order_seed_once_from_one_head_and_writes_their_mean(invoke, tmp_path):
    data, runs, out = _tiny_data(tmp_path), tmp_path / "runs", tmp_path / "soup.safetensors"

    arguments = ["--data", data, "--layers", 1, "--seed", 5, "--order-seed", 1, "--order-seed", 2, "--runs-dir", runs,
                 "--out", out]

    result = invoke("sentiment", "soup", *arguments)

    assert result.exit_code == 0, result.output
    files = [runs / "run-1-layers-seed-5-order-1.safetensors", runs / "run-1-layers-seed-5-order-2.safetensors"]
    first, second, soup = (load_file(str(path)) for path in [*files, out])
    assert not torch.equal(first["head.weight"], second["head.weight"])
    assert torch.allclose(soup["head.weight"].float(), (first["head.weight"].float() + second["head.weight"].float()) / 2,
                          atol=1e-3)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert [run["order_seed"] for run in meta["soup_of"]] == [1, 2]
    assert meta["recipe"]["layers"] == 1 and meta["recipe"]["seed"] == 5
    assert f"the soup {meta['dev_macro_recall']}" in result.output
    assert len(network.load(out).encoder.encoder.layer) == 1
    made = {path: path.stat().st_mtime_ns for path in files}

    again = invoke("sentiment", "soup", *arguments)

    assert again.exit_code == 0 and again.output.count("already trained") == 2
    assert {path: path.stat().st_mtime_ns for path in files} == made
