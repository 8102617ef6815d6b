"""A transfer set (`sentiment train --transfer`): unlabelled tweets that the teachers label for the student."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.training import gold_loss, read_transfer, train, training_texts
from tests.test_sentiment_training import LABELS, TINY, _tiny_data

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "transfer_tweets.py"
UNLABELLED = ["@someone the new update broke my playlists", "what a lovely morning at the beach", "",
              "meeting moved to 3pm http://t.co/x"]


def _transfer_file(folder, *more):
    path = folder / "transfer.txt"
    path.write_text("\n".join(UNLABELLED + list(more)) + "\n", encoding="utf-8")
    return path


def test_the_transfer_tweets_follow_the_labelled_ones_unlabelled_and_are_drawn_but_never_in_dev(tmp_path):
    data = _tiny_data(tmp_path)
    alone = training_texts(data, TINY)
    dev_tweet = alone.texts[alone.dev_idx[0]]  # left out: no teacher may label a dev tweet

    both = training_texts(data, replace(TINY, transfer=str(_transfer_file(tmp_path, dev_tweet))))

    n = len(LABELS)
    assert both.texts[n:] == ["@user the new update broke my playlists", "what a lovely morning at the beach",
                              "meeting moved to 3pm http"]  # normalised; the blank line and the dev tweet dropped
    assert both.labels == LABELS + [-100] * 3
    assert (both.train_idx, both.dev_idx) == (alone.train_idx, alone.dev_idx)
    assert both.fit_idx == alone.train_idx + [n, n + 1, n + 2]


def test_an_unreadable_or_empty_transfer_set_is_named(tmp_path):
    with pytest.raises(SentimentError, match="missing.txt"):
        read_transfer(tmp_path / "missing.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(SentimentError, match="latin1.txt.*UTF-8"):
        read_transfer(tmp_path / "latin1.txt")
    (tmp_path / "blank.txt").write_text("\n \n", encoding="utf-8")
    with pytest.raises(SentimentError, match="blank.txt has no tweets"):
        read_transfer(tmp_path / "blank.txt")


def test_the_gold_loss_counts_the_labelled_rows_only_and_is_zero_without_them():
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor([2.0, 1.0, 1.5]))
    logits = torch.randn(4, 3, requires_grad=True)

    mixed = gold_loss(loss_fn, logits, torch.tensor([2, -100, 0, -100]))
    unlabelled = gold_loss(loss_fn, logits, torch.tensor([-100, -100, -100, -100]))

    assert torch.allclose(mixed, loss_fn(logits[[0, 2]], torch.tensor([2, 0])))
    assert unlabelled.item() == 0.0
    unlabelled.backward()  # a batch of transfer tweets alone still steps on the teachers' loss
    assert torch.equal(logits.grad, torch.zeros(4, 3))


def test_a_transfer_set_without_a_teacher_is_refused(tmp_path, invoke):
    recipe = replace(TINY, transfer=str(_transfer_file(tmp_path)))
    with pytest.raises(SentimentError, match="needs a teacher"):
        train(_tiny_data(tmp_path), tmp_path / "w.safetensors", recipe, progress=str)

    result = invoke("sentiment", "train", "--data", tmp_path, "--transfer", tmp_path / "transfer.txt",
                    "--out", tmp_path / "w.safetensors")

    assert result.exit_code == 2
    assert "--transfer" in result.output and "needs a teacher" in result.output


@pytest.mark.slow
def test_a_student_learns_from_its_teachers_labels_of_the_transfer_set(tmp_path):
    data, teacher = _tiny_data(tmp_path), tmp_path / "teacher.safetensors"
    train(data, teacher, TINY, progress=str)
    taught = replace(TINY, teacher_files=(str(teacher),), distill=0.5)
    lines = []

    meta = train(data, tmp_path / "with.safetensors", replace(taught, transfer=str(_transfer_file(tmp_path))),
                 progress=lines.append)
    train(data, tmp_path / "without.safetensors", taught, progress=str)

    fit = training_texts(data, TINY).fit_idx
    assert any(f"labelling {len(fit) + 3} tweets" in line for line in lines)
    assert meta["recipe"]["transfer"] == str(tmp_path / "transfer.txt")
    assert (load_file(str(tmp_path / "with.safetensors"))["head.weight"]
            != load_file(str(tmp_path / "without.safetensors"))["head.weight"]).any()


def test_the_script_keeps_new_tweets_of_three_words_or_more_once(tmp_path):
    csv = tmp_path / "tweets.csv"
    csv.write_text('id,text\n1,"@ann Loving the new phone, really"\n2,"@bob loving the NEW phone really!!"\n'
                   '3,too short\n4,"Seen this one in val already"\n5,"a fresh tweet here"\n', encoding="utf-8")
    (tmp_path / "val.txt").write_text("seen this one in VAL already\n", encoding="utf-8")
    out = tmp_path / "transfer.txt"

    subprocess.run([sys.executable, SCRIPT, out, f"{csv}:1", "--exclude", tmp_path / "val.txt"], check=True,
                   capture_output=True)

    assert out.read_text(encoding="utf-8").splitlines() == ["@user Loving the new phone, really", "a fresh tweet here"]
