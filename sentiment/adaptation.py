"""Task-adaptive pre-training: before fine-tuning, the encoder goes on with masked-language modelling on the training
tweets themselves (Gururangan et al., ACL 2020).

MiniLM was pre-trained on web sentences, not tweets; a few epochs of filling in masked words of the tweets to be
classified teach its layers their vocabulary and style, which the labels alone (45k tweets) teach slowly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

MASK_PROBABILITY = 0.15  # BERT's: of the tokens, 80% become [MASK], 10% a random token, 10% stay
HEAD_LR_FACTOR = 10.0


def masked_lm_head(encoder: Any) -> Any:
    """BERT's masked-LM head over `encoder`, its output matrix the (frozen) word embeddings, as in pre-training.

    all-MiniLM-L6-v2 ships without its pre-training head, so the head's transform layer starts from random weights.
    """
    from transformers.models.bert.modeling_bert import BertOnlyMLMHead

    head = BertOnlyMLMHead(encoder.config)
    head.predictions.decoder.weight = encoder.embeddings.word_embeddings.weight
    return head


def adapt(encoder: Any, tokenizer: Any, ids: Sequence[Sequence[int]], indices: list[int], epochs: float, lr: float,
          batch_size: int, seed: int, progress: Callable[[str], None]) -> Any:
    """Train `encoder` in place by masked-language modelling on the texts at `indices` (token ids from `tokenizer`);
    return the masked-LM head it was trained with.

    Only parameters that require gradients move; the word embeddings stay as they are when frozen.
    """
    import torch
    from transformers import DataCollatorForLanguageModeling

    from brandpulse.sentiment.training import device_of, length_batches, warmup_then_linear_decay

    device = device_of(encoder)
    head = masked_lm_head(encoder).to(device)
    collate = DataCollatorForLanguageModeling(tokenizer, mlm_probability=MASK_PROBABILITY, return_tensors="pt")
    layers = [p for p in encoder.parameters() if p.requires_grad]
    owned = {id(p) for p in layers}
    fresh = [p for p in head.parameters() if p.requires_grad and id(p) not in owned]  # not the tied embeddings
    trainable = layers + fresh
    # The fresh head learns 10x faster, as the sentiment head does in fine-tuning: it starts from nothing.
    optimizer = torch.optim.AdamW([{"params": layers, "lr": lr}, {"params": fresh, "lr": lr * HEAD_LR_FACTOR}],
                                  weight_decay=0.01)
    base_lrs = [lr, lr * HEAD_LR_FACTOR]
    rng = random.Random(seed)
    total = int(math.ceil(len(indices) / batch_size) * epochs)
    warm = max(1, int(total * 0.06))  # as fine-tuning's default warm-up
    encoder.train()
    head.train()
    step, running = 0, 0.0
    progress(f"adapting the encoder to {len(indices)} tweets by masked-language modelling; {total} steps")
    while step < total:
        for batch in length_batches(ids, indices, batch_size, rng):
            factor = warmup_then_linear_decay(step, warm, total)
            for group, base in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base * factor
            masked = {k: v.to(device) for k, v in collate([{"input_ids": list(ids[i])} for i in batch]).items()}
            hidden = encoder(input_ids=masked["input_ids"], attention_mask=masked["attention_mask"]).last_hidden_state
            chosen = masked["labels"] != -100
            if chosen.any():  # a batch of a few short texts can draw no mask at all: it only counts as a step
                # The vocabulary projection (30k columns) only for the masked positions: most of its cost otherwise.
                loss = torch.nn.functional.cross_entropy(head(hidden[chosen]), masked["labels"][chosen])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                running = 0.98 * running + 0.02 * loss.item() if running else loss.item()
            step += 1
            if step % 300 == 0 or step == total:
                progress(f"adaptation step {step}/{total} masked-LM loss {running:.3f}")
            if step >= total:
                break
    return head
