"""Distillation: teachers are trained once and reused, their probabilities label the training tweets, and the
student's soft loss is a cross-entropy against them."""

import json
from dataclasses import replace

import pytest
import torch

from brandpulse.sentiment import distillation
from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.training import Recipe, train
from tests.test_sentiment_training import TINY, _tiny_data


def test_soft_cross_entropy_is_the_cross_entropy_for_one_hot_targets_and_least_at_the_targets():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    one_hot = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert distillation.soft_cross_entropy(logits, one_hot).item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2])).item())

    targets = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    at_targets = distillation.soft_cross_entropy(targets.log(), targets)
    assert at_targets < distillation.soft_cross_entropy(logits, targets)


@pytest.mark.parametrize("spec", ["6", "a:13", "7:13", "0:1", "4:13:2"])
def test_a_teacher_must_be_layers_colon_seed(spec):
    with pytest.raises(SentimentError, match="teacher"):
        distillation.parse_teacher(spec)


def test_a_teacher_is_the_students_recipe_with_its_own_depth_and_seed_and_no_teachers():
    student = Recipe(lr=5e-5, teachers=((6, 13), (4, 14)), teacher_files=("big.safetensors",), distill=0.5,
                     transfer="tweets.txt", extra=("reviews.jsonl",))

    teacher = distillation.teacher_recipe(student, 6, 13)

    assert (teacher.layers, teacher.seed, teacher.lr, teacher.teachers, teacher.teacher_files, teacher.distill) == (
        6, 13, 5e-5, (), (), 0.0)
    # It learns from the labelled texts the student has, and labels the transfer set rather than training on it
    # (a transfer set without a teacher would be refused).
    assert (teacher.extra, teacher.transfer) == (("reviews.jsonl",), None)


@pytest.mark.slow
def test_a_student_trains_its_teachers_once_and_learns_from_their_probabilities(tmp_path):
    data, teachers, lines = _tiny_data(tmp_path), tmp_path / "teachers", []
    student = replace(TINY, teachers=((1, 1), (1, 2)), distill=0.5)

    meta = train(data, tmp_path / "student.safetensors", student, progress=lines.append, teacher_dir=teachers)

    files = sorted(path.name for path in teachers.glob("teacher-*.safetensors"))
    assert files == ["teacher-1-layers-seed-1.safetensors", "teacher-1-layers-seed-2.safetensors"]
    assert meta["recipe"]["teachers"] == ((1, 1), (1, 2)) and meta["recipe"]["distill"] == 0.5
    assert sum("labelling" in line for line in lines) == 2
    made = {path: path.stat().st_mtime_ns for path in teachers.iterdir()}

    lines.clear()
    train(data, tmp_path / "again.safetensors", student, progress=lines.append, teacher_dir=teachers)

    assert sum("already trained" in line for line in lines) == 2
    assert not any("labelling" in line for line in lines)  # their labels were kept too
    assert {path: path.stat().st_mtime_ns for path in teachers.iterdir()} == made


@pytest.mark.slow
def test_soft_labels_are_the_teachers_mean_probabilities_on_the_chosen_rows(tmp_path):
    data, teachers = _tiny_data(tmp_path), tmp_path / "teachers"
    paths = distillation.ensure_teachers(replace(TINY, teachers=((1, 1), (1, 2))), teachers,
                                         lambda recipe, path: train(data, path, recipe, progress=str), str)
    texts = ["great", "terrible service", ""]

    soft = distillation.soft_labels(paths, texts, [0, 2], 64, str)

    assert soft[1].tolist() == [0.0, 0.0, 0.0]
    assert soft[[0, 2]].sum(-1).tolist() == pytest.approx([1.0, 1.0])
    alone = distillation.soft_labels(paths[:1], texts, [0, 2], 64, str)
    assert not torch.allclose(alone, soft)  # the second teacher counts
    other_rows = distillation.soft_labels(paths, texts, [0, 1], 64, str)
    assert other_rows[2].tolist() == [0.0, 0.0, 0.0]  # not the labels kept for rows 0 and 2
    assert torch.equal(distillation.soft_labels(paths, texts, [0, 2], 64, str), soft)


def test_the_cli_names_a_malformed_teacher(invoke, tmp_path):
    result = invoke("sentiment", "train", "--data", _tiny_data(tmp_path), "--teacher", "six:13",
                    "--out", tmp_path / "w.safetensors")

    assert result.exit_code == 2
    assert "--teacher" in result.output and "LAYERS:SEED" in result.output


@pytest.mark.slow
def test_the_cli_distills_from_the_teachers_it_is_given(invoke, tmp_path):
    out, teachers = tmp_path / "student.safetensors", tmp_path / "teachers"

    result = invoke("sentiment", "train", "--data", _tiny_data(tmp_path), "--layers", 1, "--epochs", 0.5,
                    "--teacher", "1:7", "--distill", 0.8, "--teacher-dir", teachers, "--out", out)

    assert result.exit_code == 0, result.output
    recipe = json.loads(out.with_suffix(".json").read_text())["recipe"]
    assert (recipe["teachers"], recipe["distill"]) == ([[1, 7]], 0.8)
    teacher = json.loads((teachers / "teacher-1-layers-seed-7.json").read_text())["recipe"]
    assert (teacher["teachers"], teacher["distill"], teacher["seed"], teacher["epochs"]) == ([], 0.0, 7, 0.5)
