"""Training on another encoder (`--base`, for a larger teacher), in bfloat16, and learning from such a teacher's
weights file (`--teacher-weights`)."""

import json
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer

from brandpulse.sentiment import distillation, network
from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.training import predict_logits, train
from tests.test_sentiment_training import TINY, _tiny_data

EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"


def _other_base(folder):
    """A Hugging Face model folder unlike the bundled MiniLM: two layers, and word embeddings of its own."""
    encoder = AutoModel.from_pretrained(network.base_path())
    encoder.encoder.layer = encoder.encoder.layer[:2]
    encoder.config.num_hidden_layers = 2
    with torch.no_grad():
        encoder.embeddings.word_embeddings.weight.mul_(-1.0)
    encoder.save_pretrained(folder)
    AutoTokenizer.from_pretrained(network.base_path()).save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_a_training_on_another_encoder_records_it_and_loads_back_on_it(tmp_path):
    base, out = _other_base(tmp_path / "base"), tmp_path / "teacher.safetensors"

    train(_tiny_data(tmp_path), out, replace(TINY, base=str(base), layers=2), progress=str)

    assert json.loads(out.with_suffix(".json").read_text())["recipe"]["base"] == str(base)
    model = network.load(out)
    assert len(model.encoder.encoder.layer) == 2
    # The frozen word embeddings come from that folder, not from MiniLM; the trained layers from the file.
    own = AutoModel.from_pretrained(base).embeddings.word_embeddings.weight
    assert torch.equal(model.state_dict()[EMBEDDINGS], own)
    layer = "encoder.encoder.layer.1.output.dense.weight"
    assert torch.equal(model.state_dict()[layer], load_file(str(out))[layer].float())


def test_bfloat16_predictions_are_close_to_fp32_but_computed_otherwise():
    model = network.build(layers=1).eval()
    ids = AutoTokenizer.from_pretrained(network.base_path())(["great game", "worst delivery ever", "ok"])["input_ids"]

    fp32, bf16 = predict_logits(model, ids, [0, 1, 2]), predict_logits(model, ids, [0, 1, 2], bf16=True)

    assert torch.allclose(fp32, bf16, atol=0.1) and not torch.equal(fp32, bf16)


@pytest.mark.slow
def test_a_student_learns_from_a_teacher_file_of_another_encoder(tmp_path):
    data, teacher = _tiny_data(tmp_path), tmp_path / "teacher.safetensors"
    train(data, teacher, replace(TINY, base=str(_other_base(tmp_path / "base")), layers=2, bf16=True), progress=str)
    lines = []

    meta = train(data, tmp_path / "student.safetensors", replace(TINY, teacher_files=(str(teacher),), distill=0.5),
                 progress=lines.append)
    alone = train(data, tmp_path / "alone.safetensors", TINY, progress=str)

    assert meta["recipe"]["teacher_files"] == (str(teacher),)
    assert any("labelling" in line and teacher.name in line for line in lines)
    assert (load_file(str(tmp_path / "student.safetensors"))["head.weight"]
            != load_file(str(tmp_path / "alone.safetensors"))["head.weight"]).any()
    assert alone["recipe"]["teacher_files"] == ()


def test_a_teacher_file_must_be_a_finished_training(tmp_path):
    weights = tmp_path / "stopped.safetensors"
    with pytest.raises(SentimentError, match="no such training"):
        distillation.finished_teacher(weights)
    weights.write_bytes(b"")
    weights.with_suffix(".json").write_text(json.dumps({"recipe": {}, "best_step": 300}))
    with pytest.raises(SentimentError, match="not a finished training"):
        distillation.finished_teacher(weights)
    weights.with_suffix(".json").write_text("{")
    with pytest.raises(SentimentError, match="cannot read stopped.json"):
        distillation.finished_teacher(weights)


def test_the_cli_refuses_a_base_without_a_model_and_more_layers_than_there_are(invoke, tmp_path):
    data, out = _tiny_data(tmp_path), tmp_path / "w.safetensors"
    (tmp_path / "empty").mkdir()

    no_model = invoke("sentiment", "train", "--data", data, "--base", tmp_path / "empty", "--out", out)
    too_deep = invoke("sentiment", "train", "--data", data, "--layers", 7, "--out", out)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{")
    broken = invoke("sentiment", "train", "--data", data, "--base", tmp_path / "broken", "--out", out)

    assert no_model.exit_code == 2 and "--base" in no_model.output and "config.json" in no_model.output
    assert broken.exit_code == 2 and "not valid JSON" in broken.output
    assert too_deep.exit_code == 2 and "7 is more than the 6 layers of MiniLM" in too_deep.output
    assert not out.exists()


def test_the_cli_names_an_unfinished_teacher_file(invoke, tmp_path):
    teacher = tmp_path / "stopped.safetensors"
    teacher.write_bytes(b"")
    teacher.with_suffix(".json").write_text(json.dumps({"recipe": {}}))

    result = invoke("sentiment", "train", "--data", _tiny_data(tmp_path), "--teacher-weights", teacher,
                    "--out", tmp_path / "w.safetensors")

    assert result.exit_code != 0
    assert "not a finished training" in result.output and "Traceback" not in result.output


def test_the_cli_refuses_a_device_this_torch_cannot_reach(invoke, tmp_path):
    data, out = _tiny_data(tmp_path), tmp_path / "w.safetensors"
    unknown = invoke("sentiment", "train", "--data", data, "--device", "banana", "--out", out)
    assert unknown.exit_code == 2 and "--device" in unknown.output and "cannot train on 'banana'" in unknown.output
    if not torch.cuda.is_available():  # the CPU build CI installs
        no_gpu = invoke("sentiment", "train", "--data", data, "--device", "cuda", "--out", out)
        assert no_gpu.exit_code == 2 and "cannot train on 'cuda' here" in no_gpu.output
    assert not out.exists()

