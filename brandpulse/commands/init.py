"""`brandpulse init`: write a commented config.yaml for one brand and say which credentials to set."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import click

from brandpulse.config import SUBREDDIT, ConfigError
from brandpulse.context import AppContext, pass_app
from brandpulse.store.backend import has_password

_EMAIL = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")


def _one_line(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise click.BadParameter(f"{what} must not be empty")
    if any(c in value for c in "\r\n\t"):
        raise click.BadParameter(f"{what} {value!r} must be one line")
    return value


def _brand(ctx, param, value: str) -> str:
    return _one_line(value, "the brand name")


def _keywords(ctx, param, value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    words = tuple(_one_line(k, "a keyword") for k in value.split(",") if k.strip())
    if not words:
        raise click.BadParameter(f"{value!r} holds no keyword; give comma-separated words, e.g. \"acme,@acme\"")
    return words


def _subreddits(ctx, param, value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    names = tuple(s.strip().removeprefix("r/") for s in value.split(",") if s.strip())
    bad = [n for n in names if not SUBREDDIT.fullmatch(n)]
    if not names or bad:
        raise click.BadParameter(f"{', '.join(bad) or repr(value)}: not a subreddit name; give comma-separated "
                                 "names such as \"coffee,espresso\", or \"all\"")
    return names


def _feeds(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    for url in values:
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:  # a malformed host ("[::1" without its bracket)
            hostname = None
        if not hostname or parts.scheme not in ("http", "https") or any(c.isspace() for c in url):
            raise click.BadParameter(f"{url!r} is not an http(s) URL of a feed, such as https://example.com/feed.atom")
        if has_password(url):  # never quoted: it is the secret itself
            raise click.BadParameter("a feed URL must not contain a password; secrets come from the environment only")
    return values


def _emails(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    for address in values:
        if not _EMAIL.fullmatch(address):
            raise click.BadParameter(f"{address!r} is not an email address")
    return values


@click.command()
@click.option("--brand", required=True, callback=_brand, help="The brand's name, as reports show it.")
@click.option("--keywords", callback=_keywords, help='Comma-separated words that mean the brand (default: its name).')
@click.option("--twitter", is_flag=True, help="Collect Twitter/X recent search (needs TWITTER_BEARER_TOKEN).")
@click.option("--reddit", "subreddits", metavar="SUBS", callback=_subreddits,
              help='Collect Reddit: comma-separated subreddits, or "all" (needs REDDIT_* credentials).')
@click.option("--feed", "feeds", metavar="URL", multiple=True, callback=_feeds,
              help="Collect an RSS/Atom feed (repeatable).")
@click.option("--email", "emails", metavar="ADDR", multiple=True, callback=_emails,
              help="Who receives alerts and the daily digest (repeatable).")
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@pass_app
def init(app: AppContext, brand: str, keywords: tuple[str, ...], twitter: bool, subreddits: tuple[str, ...],
         feeds: tuple[str, ...], emails: tuple[str, ...], force: bool) -> None:
    """Write a commented configuration for one brand (to --config, default ./config.yaml)."""
    from brandpulse.starter import Starter, render, required_environment, write_config

    starter = Starter(brand, keywords or (brand,), twitter, subreddits, feeds, emails)
    path = app.config_path
    try:
        config = write_config(path, render(starter), force)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    chosen = ", ".join(c.name for c in config.collectors) or "none yet"
    click.echo(f"Wrote {path} for {brand} (collectors: {chosen}).")
    needed = required_environment(config)
    if needed:
        click.echo("Set these environment variables (secrets never go in the file):")
        for name, variables in needed.items():
            for variable in variables:
                click.echo(f"  export {variable}=...   # {name}")
    if emails:
        click.echo(f"Emails are written to {config.email.outbox_dir}/ until you configure email.smtp "
                   "(its login comes from BRANDPULSE_SMTP_USERNAME / BRANDPULSE_SMTP_PASSWORD).")
    click.echo("Next: brandpulse check, then brandpulse run --once (or brandpulse run for the service).")
