"""A first configuration for one brand (`brandpulse init`): rendered from a commented template, validated, written."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from brandpulse.config import Config, ConfigError, load_config
from brandpulse.factory import CREDENTIALS

TEMPLATE = "config.yaml.j2"


@dataclass(frozen=True)
class Starter:
    """What `init` was told: the brand, its keywords, the sources to collect and who gets the emails."""

    brand: str
    keywords: tuple[str, ...]
    twitter: bool = False
    reddit: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


def render(starter: Starter) -> str:
    """The commented YAML configuration for `starter`."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("brandpulse", "templates"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    # A JSON string or list is also a YAML scalar or flow sequence: quotes, colons and `#` in names stay data.
    env.filters["yaml"] = lambda value: json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    return env.get_template(TEMPLATE).render(
        brand=starter.brand, keywords=starter.keywords, twitter=starter.twitter, reddit=starter.reddit,
        feeds=starter.feeds, emails=starter.emails,
    )


def required_environment(config: Config) -> dict[str, list[str]]:
    """The environment variables each configured collector needs, by collector name."""
    return {c.name: list(CREDENTIALS[c.type]) for c in config.collectors if c.type in CREDENTIALS}


def write_config(path: Path, text: str, force: bool = False) -> Config:
    """Write `text` to `path` in one step once it loads as a configuration; an existing file is kept unless `force`."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it, or --config PATH to write another file")
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist")
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        config = load_config(partial)  # beside the target, so relative paths resolve as they will
        os.replace(partial, path)  # a crash leaves the old file or the new one, never half of one
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return config
