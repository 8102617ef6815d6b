"""`brandpulse sentiment train|eval|rescore`: reproduce, measure and re-apply the sentiment model."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from dataclasses import replace
from pathlib import Path

import click

from brandpulse.commands.options import LOCAL_MOMENT, command_zone, in_zone, zone_option
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.sentiment.training import Recipe

DEFAULT_DATA = Path("../shared/data/tweeteval")
DEFAULT_COMPLAINTS = Path("../shared/data/complaints/train.tsv")
RECIPE = Recipe()  # the bundled model's: the options' defaults


@click.group()
def sentiment() -> None:
    """Train, evaluate and re-apply the sentiment model."""


@sentiment.command()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA, show_default=True,
              help="Folder with TweetEval train_text.txt and train_labels.txt.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Weights file to write (default: the bundled one, sentiment/weights/minilm-tweeteval.safetensors).")
@click.option("--epochs", type=click.FloatRange(min=0.001), default=RECIPE.epochs, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0.0, min_open=True), default=RECIPE.lr, show_default=True,
              help="Peak learning rate of the encoder (the head's is 10x).")
@click.option("--ema", type=click.FloatRange(min=0.0, max=1.0, max_open=True), default=RECIPE.ema, show_default=True,
              help="Decay of the moving average of the weights that is evaluated and kept (0: the raw weights).")
@click.option("--train-embeddings", is_flag=True,
              help="Fine-tune the word embeddings too (frozen by default; the weights file then holds them, +23 MB).")
@click.option("--seed", type=int, default=RECIPE.seed, show_default=True,
              help="Draws the head's initial weights (and the batch order and dropout, unless --order-seed).")
@click.option("--order-seed", type=int, default=None, help="Draws the batch order and dropout (default: --seed).")
@click.option("--threads", type=click.IntRange(min=0), default=0, help="Torch threads (0: all cores).")
@click.option("--layers", type=click.IntRange(min=1), default=RECIPE.layers, show_default=True,
              help="How many of MiniLM's 6 layers (or of --base's) to keep (fewer: faster, less accurate).")
@click.option("--base", type=click.Path(exists=True, file_okay=False, resolve_path=True), default=None,
              help="Fine-tune the encoder in this Hugging Face model folder instead of the bundled MiniLM (to train "
                   "a larger teacher for --teacher-weights).")
@click.option("--bf16", is_flag=True,
              help="Run the matrix products in bfloat16: about 3x faster on CPUs with AVX512-BF16 (weights stay fp32).")
@click.option("--device", default="cpu", show_default=True,
              help="Where to train: torch's device name, such as cuda for a GPU (with a CUDA build of torch).")
@click.option("--teacher", "teachers", multiple=True, metavar="LAYERS:SEED",
              help="Also learn from this training's probabilities (trained first with the same recipe, unless "
                   "--teacher-dir holds it); repeat for an ensemble. Default: none, the gold labels alone.")
@click.option("--teacher-weights", "teacher_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, resolve_path=True),
              help="Also learn from this finished training (a weights file of any encoder, a larger --base's say); "
                   "repeatable, and combinable with --teacher.")
@click.option("--distill", type=click.FloatRange(min=0.0, max=1.0), default=RECIPE.distill or 0.5, show_default=True,
              help="Weight of the teachers' probabilities in the loss (the gold labels get the rest).")
@click.option("--transfer", type=click.Path(exists=True, dir_okay=False, resolve_path=True), default=None,
              help="Unlabelled tweets, one per line, that the teachers label too, for the student to learn from "
                   "(scripts/transfer_tweets.py makes such a file from CSV columns). Needs a teacher.")
@click.option("--extra", multiple=True, type=click.Path(exists=True, dir_okay=False, resolve_path=True),
              help="Labelled texts to train on beside TweetEval's, never in the dev split: a .jsonl, .csv or .tsv "
                   "with `text` and `label` (negative/neutral/positive) or `rating` (1-5 stars), such as "
                   "`brandpulse query --source appstore --columns text,rating --format jsonl` writes. Repeatable.")
@click.option("--teacher-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where teachers' weights are kept and reused (default: teachers/ in the brandpulse cache).")
@click.option("--adapt-epochs", type=click.FloatRange(min=0.0), default=RECIPE.adapt_epochs, show_default=True,
              help="First train the encoder this many epochs by masked-language modelling on the training tweets.")
@click.option("--rdrop", type=click.FloatRange(min=0.0), default=RECIPE.rdrop, show_default=True,
              help="R-Drop: pass each batch twice (different dropout) and add this weight times the symmetric KL "
                   "divergence of the two predictions to the loss (about 2x the training time).")
@click.option("--layer-decay", type=click.FloatRange(min=0.0, max=1.0, min_open=True), default=RECIPE.layer_decay,
              show_default=True, help="Layer-wise learning-rate decay: each layer learns this times as fast as the "
                                      "one above it (1: one rate for all).")
@click.option("--complaints", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Then fit the complaint head on this complaints file too (as `train-complaints` does).")
def train(data: Path, out: Path | None, epochs: float, lr: float, ema: float, train_embeddings: bool, seed: int,
          order_seed: int | None, threads: int, layers: int, base: str | None, bf16: bool, device: str,
          teachers: tuple[str, ...],
          teacher_files: tuple[str, ...], distill: float, transfer: str | None, extra: tuple[str, ...],
          teacher_dir: Path | None, adapt_epochs: float, rdrop: float, layer_decay: float,
          complaints: Path | None) -> None:
    """Fine-tune MiniLM (or --base) on TweetEval train (early stopping on a 5% dev split of it; val is never used)."""
    from brandpulse.sentiment.classifier import bundled_weights
    from brandpulse.sentiment.training import train as run_training

    with domain_errors():
        _require_tweeteval(data)
        pairs = _teachers(teachers) if teachers else RECIPE.teachers
        _check_layers(layers, base)
        _check_device(device)
        if transfer and not (pairs or teacher_files):
            raise click.BadParameter("a transfer set needs a teacher to label it: add --teacher or --teacher-weights",
                                     param_hint="--transfer")
        recipe = replace(RECIPE, epochs=epochs, lr=lr, ema=ema, train_embeddings=train_embeddings, seed=seed,
                         order_seed=order_seed, threads=threads, layers=layers, base=base, bf16=bf16, teachers=pairs,
                         teacher_files=teacher_files, distill=distill if pairs or teacher_files else 0.0,
                         transfer=transfer, extra=extra, adapt_epochs=adapt_epochs, rdrop=rdrop,
                         layer_decay=layer_decay)
        meta = run_training(data, out or bundled_weights(), recipe, progress=lambda line: click.echo(line, err=True),
                            teacher_dir=teacher_dir, device=device)
    click.echo(f"best dev macro-recall {meta['dev_macro_recall']} at step {meta['best_step']}; "
               f"{meta['minutes']} min; wrote {out or bundled_weights()}")
    if complaints is not None:
        _fit_complaint_head(complaints, out or bundled_weights(), threads)


def _require_tweeteval(data: Path) -> None:
    if not (data / "train_text.txt").exists():
        raise click.BadParameter(f"{data} has no train_text.txt; point --data at the TweetEval folder")


def _check_device(device: str) -> None:
    import torch

    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:  # an unknown name, or a device this torch build cannot reach
        raise click.BadParameter(f"cannot train on {device!r} here: {str(exc).splitlines()[0]}",
                                 param_hint="--device") from None


def _check_layers(layers: int, base: str | None) -> None:
    import json

    from brandpulse.sentiment.files import base_path

    config = Path(base or base_path()) / "config.json"
    if not config.exists():
        raise click.BadParameter(f"{base} has no config.json: point it at a Hugging Face model folder",
                                 param_hint="--base")
    try:
        most = json.loads(config.read_text(encoding="utf-8")).get("num_hidden_layers", 0)
    except ValueError as exc:
        raise click.BadParameter(f"{config} is not valid JSON ({exc})", param_hint="--base") from None
    if layers > most:
        raise click.BadParameter(f"{layers} is more than the {most} layers of {base or 'MiniLM'}", param_hint="--layers")


def _teachers(specs: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    from brandpulse.sentiment.base import SentimentError
    from brandpulse.sentiment.distillation import parse_teacher

    try:
        return tuple(parse_teacher(spec) for spec in specs)
    except SentimentError as exc:
        raise click.BadParameter(str(exc), param_hint="--teacher") from None


def _fit_complaint_head(data: Path, weights: Path, threads: int) -> None:
    from brandpulse.sentiment.complaint_training import train_head

    with domain_errors():
        meta = train_head(data, weights, threads=threads, progress=lambda line: click.echo(line, err=True))
    mean = meta["leave_one_domain_out"]["mean"]
    click.echo(f"leave-one-domain-out mean: macro-F1 {mean['macro_f1']}, complaints as detractors "
               f"{mean['complaints_detractors']}%, non-complaints as detractors {mean['others_detractors']}%; "
               f"threshold {meta['threshold_before_shift']} (moved to 0.5); wrote the head beside {weights}")


@sentiment.command()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA, show_default=True,
              help="Folder with TweetEval train_text.txt and train_labels.txt.")
@click.option("--order-seed", "order_seeds", type=int, multiple=True, required=True,
              help="Order seed of one training to average (at least two; each trained with `train`'s recipe unless "
                   "--runs-dir holds it).")
@click.option("--seed", type=int, default=RECIPE.seed, show_default=True,
              help="The seed of the head's initial weights, which all the trainings share.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Weights file to write (default: the bundled one, sentiment/weights/minilm-tweeteval.safetensors).")
@click.option("--layers", type=click.IntRange(min=1, max=6), default=RECIPE.layers, show_default=True)
@click.option("--threads", type=click.IntRange(min=0), default=0, help="Torch threads (0: all cores).")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the trainings are kept and reused (default: runs/ in the brandpulse cache).")
@click.option("--complaints", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Then fit the complaint head on this complaints file too (as `train-complaints` does).")
def soup(data: Path, order_seeds: tuple[int, ...], seed: int, out: Path | None, layers: int, threads: int,
         runs_dir: Path | None, complaints: Path | None) -> None:
    """Average the weights of trainings that differ only in the order of their batches (a model soup); print each
    one's and the soup's macro-recall on the dev split."""
    from brandpulse.sentiment.accel import cache_dir
    from brandpulse.sentiment.classifier import bundled_weights
    from brandpulse.sentiment.soup import make_soup

    out = out or bundled_weights()
    with domain_errors():
        _require_tweeteval(data)
        recipe = replace(RECIPE, seed=seed, layers=layers, threads=threads)
        meta = make_soup(data, out, recipe, order_seeds, runs_dir or cache_dir() / "runs",
                         progress=lambda line: click.echo(line, err=True))
    runs = ", ".join(f"order seed {run['order_seed']} {run['dev_macro_recall']}" for run in meta["soup_of"])
    click.echo(f"dev macro-recall: {runs}; the soup {meta['dev_macro_recall']}; wrote {out}")
    if complaints is not None:
        _fit_complaint_head(complaints, out, threads)


@sentiment.command("train-complaints")
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_COMPLAINTS, show_default=True,
              help="Complaints file: label, domain, tweet_id, text, tab-separated, with a header.")
@click.option("--weights", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Encoder weights the head reads (default: the bundled ones); the head is written beside them.")
@click.option("--threads", type=click.IntRange(min=0), default=0, help="Torch threads (0: all cores).")
def train_complaints(data: Path, weights: Path | None, threads: int) -> None:
    """Fit the complaint head on the encoder's pooled vectors; print the leave-one-domain-out figures."""
    from brandpulse.sentiment.classifier import bundled_weights

    if not data.exists():
        raise click.BadParameter(f"{data} does not exist; point --data at the complaints train.tsv", param_hint="--data")
    _fit_complaint_head(data, weights or bundled_weights(), threads)


@sentiment.command("eval")
@click.option("--text", "text_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="One text per line.")
@click.option("--labels", "label_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="One label per line: 0 negative, 1 neutral, 2 positive.")
@click.option("--model", default=None, help="Model to evaluate (default: sentiment.model from the config).")
@click.option("--weights", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Evaluate this training of the bundled network (a `sentiment train --out` file, with the complaint "
                   "head fitted beside it if any) instead of the committed weights.")
@pass_app
def evaluate(app: AppContext, text_file: Path, label_file: Path, model: str | None, weights: Path | None) -> None:
    """Macro-averaged recall, macro-F1, accuracy, confusion matrix and throughput on a labelled file."""
    from brandpulse import factory
    from brandpulse.sentiment.base import LABELS
    from brandpulse.sentiment.classifier import BUNDLED
    from brandpulse.sentiment.evaluation import format_scores, read_split, score

    if weights is not None and (model or app.sentiment.model) != BUNDLED:
        raise click.BadParameter("weights replace the bundled model's; they do not fit another model",
                                 param_hint="--weights")
    with domain_errors():
        texts, gold = read_split(text_file, label_file)
        started = time.perf_counter()
        classifier = factory.classifier(app.sentiment, model, weights)
        loaded = time.perf_counter()
        results = classifier.classify(texts)
        done = time.perf_counter()
        scores = score(gold, [LABELS.index(r.label) for r in results])
    click.echo(f"model {classifier.name} {classifier.version} on {len(texts)} texts")
    click.echo(format_scores(scores))
    click.echo(f"throughput {len(texts) / (done - loaded):.0f} texts/s; load {loaded - started:.2f} s")


@sentiment.command()
@click.option("--since", type=LOCAL_MOMENT,
              help="Only mentions published at or after: ISO 8601 (in --tz when it names no offset) or a duration ago "
                   "(30d).")
@zone_option(None, reads="a --since naming no offset is")
@pass_app
def rescore(app: AppContext, since: datetime | None, zone: str | None) -> None:
    """Re-classify stored mentions that an older or other model classified, that lack a complaint probability, or
    that are unscored in a language a model now reads (imported labels are kept)."""
    from brandpulse.sentiment.router import PartlyClassified

    since = in_zone(since, command_zone(app, zone))
    partly = None
    with domain_errors():
        due = app.pipeline.count_stale(since) + app.pipeline.count_per_brand(since)
        with click.progressbar(length=due, label="rescoring", file=sys.stderr) as bar:
            try:
                done = app.pipeline.rescore(since, bar.update)  # advanced once a page is saved
            except PartlyClassified as exc:  # the other languages' mentions are re-classified and saved
                done, partly = exc.done, exc
            except KeyboardInterrupt:
                # Each page is saved as it is read: say how far it got, and that a second run goes on from there.
                click.echo(f"\nStopped: {bar.pos} mention(s) re-classified and saved; `brandpulse sentiment "
                           "rescore` goes on with the rest", err=True)
                sys.exit(130)
        names = ", ".join(f"{lang}: {c.name} {c.version}" for lang, c in app.pipeline.router().each_classifier()
                          if not isinstance(c, Exception))
    click.echo(f"{done} mention(s) re-classified with {names}")
    if partly is not None:
        with domain_errors():
            raise partly
