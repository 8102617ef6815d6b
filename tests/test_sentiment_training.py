"""`sentiment train` on a tiny labelled set: the recipe runs end to end and its output loads."""

import json
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file

from brandpulse.sentiment import network
from brandpulse.sentiment.training import Recipe, build_optimizer, initial_model, symmetric_kl, train

EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"

TEXTS = ["I love it, thank you!", "Great service, so happy", "The parcel comes on Tuesday.", "Opening hours are 9-5.",
         "Worst service ever, refund now", "This is awful and broken"] * 6
LABELS = [2, 2, 1, 1, 0, 0] * 6


TINY = Recipe(layers=1, batch_size=8, epochs=1, eval_every=2, dev_fraction=0.25)


def _tiny_data(folder):
    (folder / "train_text.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    (folder / "train_labels.txt").write_text("\n".join(map(str, LABELS)) + "\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_training_writes_weights_that_load_with_the_recorded_layer_count(tmp_path):
    out = tmp_path / "w" / "tiny.safetensors"

    meta = train(_tiny_data(tmp_path), out, TINY, progress=str)

    assert json.loads(out.with_suffix(".json").read_text())["recipe"]["layers"] == 1
    assert meta["best_step"] >= 2 and 0 <= meta["dev_macro_recall"] <= 100
    model = network.load(out)
    assert len(model.encoder.encoder.layer) == 1
    assert not list(out.parent.glob("*.partial"))
    assert EMBEDDINGS not in load_file(str(out))  # frozen: read from the package, not committed


@pytest.mark.slow
def test_trained_word_embeddings_are_saved_and_loaded_back(tmp_path):
    out = tmp_path / "tiny.safetensors"

    train(_tiny_data(tmp_path), out, replace(TINY, train_embeddings=True, ema=0.0), progress=str)

    saved = load_file(str(out))[EMBEDDINGS].float()
    loaded = network.load(out).state_dict()[EMBEDDINGS]
    pristine = network.build(layers=1).state_dict()[EMBEDDINGS]
    assert torch.equal(loaded, saved)
    assert not torch.equal(saved, pristine.half().float())  # training moved them, and the file carries that


def _linear(weight: float):
    layer = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(weight)
    return layer


def test_weight_average_warms_up_then_moves_by_the_decay():
    from brandpulse.sentiment.training import WeightAverage

    model = _linear(0.0)
    average = WeightAverage(model, decay=0.5)
    assert average.current_decay() == pytest.approx(0.1)  # (1 + 0) / (10 + 0): the first update mostly copies
    with torch.no_grad():
        model.weight.fill_(10.0)
    average.update(model)
    assert average.state["weight"].item() == pytest.approx(9.0)
    average.updates = 1000  # long past the warm-up: the configured decay caps it
    assert average.current_decay() == 0.5
    average.update(model)
    assert average.state["weight"].item() == pytest.approx(9.5)


def test_weight_average_is_swapped_in_and_the_models_own_weights_come_back():
    from brandpulse.sentiment.training import WeightAverage

    model = _linear(1.0)
    average = WeightAverage(model, decay=0.9)
    with torch.no_grad():
        model.weight.fill_(5.0)
    with average.swapped_in(model) as averaged:
        assert averaged.weight.item() == 1.0
    assert model.weight.item() == 5.0


def test_weight_average_leaves_frozen_parameters_out():
    from brandpulse.sentiment.training import WeightAverage

    model = torch.nn.Sequential(_linear(1.0), _linear(2.0))
    model[0].weight.requires_grad_(False)

    assert set(WeightAverage(model, decay=0.9).state) == {"1.weight"}


def test_the_order_seed_leaves_the_initial_head_to_the_seed():
    head = initial_model(TINY).head.weight

    assert torch.equal(initial_model(replace(TINY, order_seed=TINY.seed + 5)).head.weight, head)
    assert not torch.equal(initial_model(replace(TINY, seed=TINY.seed + 5)).head.weight, head)


@pytest.mark.slow
def test_an_order_seed_changes_the_run_unless_it_is_the_seed(tmp_path):
    data = _tiny_data(tmp_path)

    def trained(recipe, name):
        train(data, tmp_path / name, recipe, progress=str)
        return load_file(str(tmp_path / name))["head.weight"]

    plain = trained(TINY, "plain.safetensors")

    assert torch.equal(trained(replace(TINY, order_seed=TINY.seed), "same.safetensors"), plain)
    assert not torch.equal(trained(replace(TINY, order_seed=TINY.seed + 1), "other.safetensors"), plain)


def test_symmetric_kl_is_zero_for_equal_predictions_and_grows_as_they_part():
    a = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])

    assert symmetric_kl(a, a.clone()).item() == pytest.approx(0.0, abs=1e-7)
    assert symmetric_kl(a, a + 5.0).item() == pytest.approx(0.0, abs=1e-6)  # logits, not probabilities
    near, far = symmetric_kl(a, a.flip(-1) * 0.1), symmetric_kl(a, a.flip(-1))
    assert 0 < near.item() < far.item()
    assert symmetric_kl(a, a.flip(-1)).item() == pytest.approx(symmetric_kl(a.flip(-1), a).item())


def test_layer_decay_slows_each_layer_below_the_top_by_its_factor():
    model = initial_model(replace(TINY, layers=3))
    lrs = {}
    for group in build_optimizer(model, replace(TINY, layers=3, lr=1.0, layer_decay=0.5)).param_groups:
        for parameter in group["params"]:
            lrs[id(parameter)] = group["lr"]
    named = dict(model.named_parameters())

    assert lrs[id(named["encoder.encoder.layer.2.attention.self.query.weight"])] == 1.0
    assert lrs[id(named["encoder.encoder.layer.0.output.dense.bias"])] == 0.25
    assert lrs[id(named["encoder.embeddings.LayerNorm.weight"])] == 0.125
    assert lrs[id(named["head.weight"])] == TINY.head_lr_factor
    assert id(named["encoder.embeddings.word_embeddings.weight"]) not in lrs  # frozen
    plain = build_optimizer(model, replace(TINY, layers=3, lr=1.0)).param_groups
    assert {group["lr"] for group in plain[:-1]} == {1.0}


@pytest.mark.slow
def test_rdrop_is_recorded_and_changes_the_run(tmp_path):
    data = _tiny_data(tmp_path)
    train(data, tmp_path / "plain.safetensors", TINY, progress=str)
    meta = train(data, tmp_path / "rdrop.safetensors", replace(TINY, rdrop=1.0), progress=str)

    assert meta["recipe"]["rdrop"] == 1.0
    assert not torch.equal(load_file(str(tmp_path / "rdrop.safetensors"))["head.weight"],
                           load_file(str(tmp_path / "plain.safetensors"))["head.weight"])
