"""The bundled model's tokenizer read straight from its tokenizer.json with `tokenizers`: no torch, no transformers.

Loading transformers and torch takes about 2 s, longer than classifying a few hundred tweets; the ONNX path needs
neither once the model is exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class WindowTokenizer:
    """Answers the one call the classifier makes of a Hugging Face fast tokenizer: windows with overflow."""

    def __init__(self, folder: Path, model_max_length: int = 512):
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self.pad_token_id = self._tokenizer.token_to_id("[PAD]") or 0
        self.model_max_length = model_max_length

    def __call__(self, texts: Sequence[str], truncation: bool = True, max_length: int = 128,
                 return_overflowing_tokens: bool = True, stride: int = 0) -> dict[str, Any]:
        """Token ids of every window (a text and its overflow) and the text each window belongs to."""
        self._tokenizer.enable_truncation(max_length, stride=stride)
        ids, owners = [], []
        for owner, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
            for window in [encoding, *encoding.overflowing]:
                ids.append(window.ids)
                owners.append(owner)
        return {"input_ids": ids, "overflow_to_sample_mapping": owners}
