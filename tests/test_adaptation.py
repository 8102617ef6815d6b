"""Task-adaptive pre-training: masked-language modelling on the training tweets before fine-tuning."""

import json

import pytest
import torch
from transformers import AutoTokenizer, DataCollatorForLanguageModeling

from brandpulse.sentiment import adaptation, network

TEXTS = ["the parcel comes on tuesday", "my flight was delayed again", "thank you for the quick refund"] * 8


def _masked_lm_loss(encoder, head, tokenizer, ids) -> float:
    torch.manual_seed(0)  # the same masks for every model compared
    batch = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.3)([{"input_ids": i} for i in ids])
    encoder.eval()
    head.eval()
    with torch.no_grad():
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        chosen = batch["labels"] != -100
        return torch.nn.functional.cross_entropy(head(hidden[chosen]), batch["labels"][chosen]).item()


def test_the_masked_lm_head_predicts_into_the_word_embeddings():
    encoder = network.build(layers=1).encoder

    head = adaptation.masked_lm_head(encoder)

    assert head.predictions.decoder.weight is encoder.embeddings.word_embeddings.weight


@pytest.mark.slow
def test_adaptation_learns_to_fill_in_the_tweets_and_leaves_frozen_embeddings_alone():
    tokenizer = AutoTokenizer.from_pretrained(network.base_path())
    ids = tokenizer(TEXTS)["input_ids"]
    torch.manual_seed(1)
    encoder = network.build(layers=1).encoder
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    words = encoder.embeddings.word_embeddings.weight.clone()
    before = _masked_lm_loss(encoder, adaptation.masked_lm_head(encoder), tokenizer, ids)
    lines = []

    head = adaptation.adapt(encoder, tokenizer, ids, list(range(len(ids))), epochs=15, lr=1e-3, batch_size=8,
                            seed=3, progress=lines.append)

    after = _masked_lm_loss(encoder, head, tokenizer, ids)
    assert after < before / 2, (before, after)
    assert torch.equal(encoder.embeddings.word_embeddings.weight, words)
    assert lines[0].startswith("adapting the encoder to 24 tweets") and "masked-LM loss" in lines[-1]


@pytest.mark.slow
def test_the_cli_adapts_before_fine_tuning_and_records_it(invoke, tmp_path):
    from tests.test_sentiment_training import _tiny_data

    out = tmp_path / "adapted.safetensors"

    result = invoke("sentiment", "train", "--data", _tiny_data(tmp_path), "--layers", 1, "--epochs", 0.5,
                    "--adapt-epochs", 1, "--out", out)

    assert result.exit_code == 0, result.output
    assert "adapting the encoder to" in result.output
    assert json.loads(out.with_suffix(".json").read_text())["recipe"]["adapt_epochs"] == 1.0


def test_texts_with_nothing_to_mask_end_the_adaptation_without_a_change():
    tokenizer = AutoTokenizer.from_pretrained(network.base_path())
    ids = tokenizer([""] * 4)["input_ids"]  # [CLS] [SEP] only: special tokens are never masked
    encoder = network.build(layers=1).encoder
    before = {name: t.clone() for name, t in encoder.state_dict().items()}

    adaptation.adapt(encoder, tokenizer, ids, [0, 1, 2, 3], epochs=2, lr=1e-3, batch_size=2, seed=0, progress=str)

    assert all(torch.equal(before[name], t) for name, t in encoder.state_dict().items())
