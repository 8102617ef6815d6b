"""What every CLI command gets: the validated configuration, the store (a path or a URL) and the pipeline."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brandpulse.config import Config, ConfigError, SentimentConfig, home, load_config
from brandpulse.store.backend import is_url, label

if TYPE_CHECKING:
    from brandpulse.pipeline import Pipeline


@dataclass
class AppContext:
    """Global options, with the config loaded on first use so that `--help` never reads it."""

    config_path: Path
    db_override: str | None
    extras: dict[str, object] = field(default_factory=dict)
    config_named: bool = False  # --config or BRANDPULSE_CONFIG was given, so a missing file is an error
    # --outbox-dir / BRANDPULSE_OUTBOX_DIR: relative to the working directory, as --db is, not to the config's folder
    # (which a service may only read).
    outbox_override: Path | None = None

    @cached_property
    def config(self) -> Config:
        """The validated config; an invalid one ends the program with exit code 2."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        if self.outbox_override is None:
            return config
        email = config.email.model_copy(update={"outbox_dir": home(self.outbox_override).absolute()})
        return config.model_copy(update={"email": email})

    @cached_property
    def optional_config(self) -> Config | None:
        """The validated config when there is one to read (a named one must exist), else None."""
        if not self.config_named and not self.config_path.exists():
            return None
        return self.config

    @property
    def sentiment(self) -> SentimentConfig:
        """The config's sentiment section; the bundled model's defaults when there is no config file to read.

        Classifying text needs no brands or collectors, so a new user can try it before writing a config.
        """
        return self.optional_config.sentiment if self.optional_config else SentimentConfig()

    @property
    def db_path(self) -> str | Path:
        """--db / BRANDPULSE_DB when given (a file path or a postgresql:// URL), else the config's store."""
        if self.db_override:
            return self.db_override if is_url(self.db_override) else home(self.db_override)
        return self.config.store.target()

    def command(self, *words: str) -> str:
        """The brandpulse command line of `words` on this config and store (their --config and --db as given), for a
        message to suggest; a URL's password is left out."""
        given = ["--config", str(self.config_path)] * self.config_named
        given += ["--db", label(self.db_override)] * bool(self.db_override)
        return shlex.join(["brandpulse", *given, *words])

    @cached_property
    def pipeline(self) -> Pipeline:
        """The stages wired to this config and database (imported on first use: `classify` needs none of it), for a
        command other than `run`: what the config leaves disabled or half set is logged at INFO (-v) only, so that
        `status`, `ingest` or a digest in a script print no start-up warnings (`run` and `check` say them)."""
        return self.service_pipeline(quiet=True)

    def service_pipeline(self, quiet: bool = False) -> Pipeline:
        """A new pipeline on this config and database, which logs what the config leaves disabled or half set as
        warnings unless `quiet`."""
        from brandpulse.pipeline import Pipeline

        return Pipeline(self.config, self.db_path, quiet=quiet)


pass_app = click.make_pass_decorator(AppContext)
