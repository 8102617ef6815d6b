import os
import time

import numpy as np
import pytest

from brandpulse.sentiment import accel

KEY = "tiny-mean-pool"


def tiny_network():
    """A randomly initialised 1-layer MeanPoolClassifier: exported to ONNX in about a second, as the bundled one is."""
    import torch
    from transformers import BertConfig, BertModel

    from brandpulse.sentiment.network import MeanPoolClassifier

    torch.manual_seed(0)
    config = BertConfig(vocab_size=6000, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, attn_implementation="eager")
    return MeanPoolClassifier(BertModel(config, add_pooling_layer=False)).eval()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BRANDPULSE_CACHE", str(tmp_path))
    return tmp_path / "sentiment"


def _cached_files(cache) -> list[str]:
    return sorted(os.listdir(cache))


def test_a_second_process_exporting_the_same_model_meanwhile_fails_neither(cache, monkeypatch):
    from onnxruntime import quantization

    quantize, model = quantization.quantize_dynamic, tiny_network()
    paths = {p: cache / f"{KEY}.{accel.EXPORT_FORMAT}.{p}.onnx" for p in accel.PRECISIONS}
    others = []

    def another_export_meanwhile(*args, **kwargs):
        # The service and `brandpulse classify` started on an empty cache: the other one exports from start to end
        # while this one is half-way.
        if not others:
            others.append(True)
            accel.export(model, paths["int8"], paths["fp32"])
        return quantize(*args, **kwargs)

    monkeypatch.setattr(quantization, "quantize_dynamic", another_export_meanwhile)
    accel.export(model, paths["int8"], paths["fp32"])

    assert others and _cached_files(cache) == sorted(p.name for p in paths.values())  # no half-made file left


def test_an_export_removes_what_an_export_killed_half_way_left(cache):
    paths = {p: cache / f"{KEY}.{accel.EXPORT_FORMAT}.{p}.onnx" for p in accel.PRECISIONS}
    killed, running = cache / f"{paths['int8'].name}.x1.partial", cache / f"{paths['int8'].name}.x2.partial"
    for folder in (killed, running):
        folder.mkdir(parents=True)
        (folder / "plain.onnx").write_bytes(b"half")
    old = time.time() - accel.ABANDONED_AFTER_S - 60
    os.utime(killed, (old, old))

    accel.export(tiny_network(), paths["int8"], paths["fp32"])

    assert not killed.exists() and running.exists()  # another process may be exporting in the newer one


def _damage_json(path):
    path.write_text('{"chosen": "int8", "texts_per', encoding="utf-8")  # cut short


def _damage_onnx(path):
    path.write_bytes(path.read_bytes()[:5000])


@pytest.mark.parametrize("damage, which", [(_damage_json, "json"), (_damage_onnx, "int8.onnx"),
                                           (_damage_onnx, "fp32.onnx")])
def test_a_damaged_cached_export_is_exported_again(cache, caplog, damage, which):
    first = accel.onnx_forward(tiny_network, KEY, threads=1)
    ids = np.array([[101, 1200, 1500, 102]], dtype=np.int64)
    good = first(ids, np.ones_like(ids))
    (cache / f"{KEY}.{accel.EXPORT_FORMAT}.json").write_text('{"chosen": "%s"}' % which.split(".")[0])
    damage(cache / f"{KEY}.{accel.EXPORT_FORMAT}.{which}")

    again = accel.onnx_forward(tiny_network, KEY, threads=1)

    assert np.allclose(again(ids, np.ones_like(ids)), good, atol=0.05)
    assert f"cached ONNX export in {cache} cannot be read" in caplog.text and "exporting it again" in caplog.text
    assert _cached_files(cache) == sorted(f"{KEY}.{accel.EXPORT_FORMAT}.{name}"
                                          for name in ("int8.onnx", "fp32.onnx", "json"))
