"""`sentiment train` on a tiny labelled set: the recipe runs end to end and its output loads."""

import json

import pytest

from brandpulse.sentiment import network
from brandpulse.sentiment.training import Recipe, train

TEXTS = ["I love it, thank you!", "Great service, so happy", "The parcel comes on Tuesday.", "Opening hours are 9-5.",
         "Worst service ever, refund now", "This is awful and broken"] * 6
LABELS = [2, 2, 1, 1, 0, 0] * 6


@pytest.mark.slow
def test_training_writes_weights_that_load_with_the_recorded_layer_count(tmp_path):
    (tmp_path / "train_text.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    (tmp_path / "train_labels.txt").write_text("\n".join(map(str, LABELS)) + "\n", encoding="utf-8")
    out = tmp_path / "w" / "tiny.safetensors"

    meta = train(tmp_path, out, Recipe(layers=1, batch_size=8, epochs=1, eval_every=2, dev_fraction=0.25), progress=str)

    assert json.loads(out.with_suffix(".json").read_text())["recipe"]["layers"] == 1
    assert meta["best_step"] >= 2 and 0 <= meta["dev_macro_recall"] <= 100
    model = network.load(out)
    assert len(model.encoder.encoder.layer) == 1
    assert not list(out.parent.glob("*.partial"))
