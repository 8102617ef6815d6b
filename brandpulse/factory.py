"""Building collectors, the classifier policy and the email transport from the configuration."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote

from brandpulse.alerts.health import HealthRule
from brandpulse.alerts.spike import SpikeRule
from brandpulse.alerts.transports import FileTransport, SmtpTransport
from brandpulse.config import (
    BUILT_IN_SOURCES,
    AppStoreCollectorConfig,
    CollectorConfig,
    Config,
    FeedCollectorConfig,
    GooglePlayCollectorConfig,
    MastodonCollectorConfig,
    RedditCollectorConfig,
    ReplayCollectorConfig,
    SentimentConfig,
    TwitterCollectorConfig,
    looks_like_secret,
    unset_variable,
    variable_label,
)
from brandpulse.collectors.base import BrandQuery, Collector
from brandpulse.collectors.replay import ReplayCollector
from brandpulse.logging_setup import add_secrets
from brandpulse.sentiment.nps import NpsPolicy
from brandpulse.store.folding import name_key

log = logging.getLogger(__name__)


def brand_queries(config: Config) -> list[BrandQuery]:
    """One query per configured brand."""
    return [BrandQuery(b.name, tuple(b.keywords), tuple(b.exclusions), tuple(b.own_accounts)) for b in config.brands]


# The environment variables each collector type needs; secrets never live in the config file.
CREDENTIALS = {
    "twitter": ("TWITTER_BEARER_TOKEN",),
    "reddit": ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"),
}


def collector_sources(config: Config) -> dict[str, str]:
    """Each source the configured collectors may write, by its `name_key`: the built-in ones' and each feed's."""
    feeds = [settings.source for settings in config.collectors if settings.type == "feed"]
    return {name_key(name): name for name in (*BUILT_IN_SOURCES, *feeds)}


def credential(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value without surrounding whitespace (an env file's stray newline or CR would otherwise reach
    the request header, whose error quotes it), None when unset or blank."""
    return (env.get(name) or "").strip() or None


def missing_credentials(settings: CollectorConfig, env: Mapping[str, str] = os.environ) -> list[str]:
    """The environment variables the collector needs and does not have, or has blank (for `brandpulse status` too)."""
    return [name for name in CREDENTIALS.get(settings.type, ()) if credential(env, name) is None]


def smtp_login_unset(config: Config, env: Mapping[str, str] = os.environ) -> list[str]:
    """Which login key names which unset variable, when the other one is set (a login is both or neither) or when it
    looks like a secret typed in place of a variable's name; never a variable's value."""
    smtp = config.email.smtp
    if smtp is None:
        return []
    keys = {"email.smtp.username_env": smtp.username_env, "email.smtp.password_env": smtp.password_env}
    unset = {key: name for key, name in keys.items() if credential(env, name) is None}
    if len(unset) != 1:
        unset = {key: name for key, name in unset.items() if looks_like_secret(name)}
    return [unset_variable(key, name, key.removeprefix("email.").replace(".", "_").removesuffix("_env").upper())
            for key, name in unset.items()]


def disabled_collectors(config: Config, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Collectors whose credentials are missing, with why (the pipeline logs each once, at start-up)."""
    return {settings.name: f"set {', '.join(missing)} in the environment to enable it"
            for settings in config.collectors if (missing := missing_credentials(settings, env))}


# A query parameter named like a credential (`?apikey=`, `&token=`, `&sig=`): a feed's URL has no other place for one.
_SECRET_PARAMETER = re.compile(r"key|token|secret|pass|sig|auth|code", re.IGNORECASE)
_REQUOTE_SAFE = "!#$%&'()*+,/:;=?@[]~"  # requests.utils.requote_uri's


def _mask_url_credentials(url: str | None) -> None:
    """Mask the values of credential-like query parameters of a collector's URL in every log line and stored error."""
    if url:
        query = url.partition("?")[2].partition("#")[0]  # by hand: urlsplit raises on a malformed host
        written = [value for name, _, value in (pair.partition("=") for pair in query.split("&"))
                   if _SECRET_PARAMETER.search(name)]
        decoded = [value for name, value in parse_qsl(query) if _SECRET_PARAMETER.search(name)]
        # As written (quoted in errors), decoded (`+` a space, `%2F` a slash) and as requests re-quotes it on the wire
        # (a space as %20, `é` as %C3%A9), which its connection errors quote.
        add_secrets(written + decoded + [quote(value, safe=_REQUOTE_SAFE) for value in written + decoded])


def build_collector(settings: CollectorConfig, now: datetime, env: Mapping[str, str] = os.environ) -> Collector:
    """The collector a config entry describes; credentials come from `env`."""
    _mask_url_credentials(getattr(settings, "url", None) or getattr(settings, "base_url", None))
    if isinstance(settings, ReplayCollectorConfig):
        return ReplayCollector(settings.name, settings.path, now)
    if isinstance(settings, TwitterCollectorConfig):
        return _twitter(settings, env)
    if isinstance(settings, RedditCollectorConfig):
        return _reddit(settings, env)
    if isinstance(settings, AppStoreCollectorConfig):
        from brandpulse.collectors.appstore import AppStoreCollector
        from brandpulse.collectors.http import new_session

        return AppStoreCollector(settings.name, settings.app_id, settings.country, settings.brand, settings.base_url,
                                 settings.max_pages, new_session(settings.timeout), now)
    if isinstance(settings, GooglePlayCollectorConfig):
        from brandpulse.collectors.googleplay import GooglePlayCollector
        from brandpulse.collectors.http import new_session

        return GooglePlayCollector(settings.name, settings.app_id, settings.lang, settings.country, settings.brand,
                                   settings.base_url, settings.page_size, settings.max_pages,
                                   new_session(settings.timeout), now)
    if isinstance(settings, FeedCollectorConfig):
        from brandpulse.collectors.feed import FeedCollector
        from brandpulse.collectors.http import new_session

        return FeedCollector(settings.name, settings.url, settings.source, settings.brand, settings.rating_field,
                             settings.max_pages, new_session(settings.timeout), now)
    if isinstance(settings, MastodonCollectorConfig):
        from brandpulse.collectors.http import new_session
        from brandpulse.collectors.mastodon import TOKEN_VARIABLE, MastodonCollector

        return MastodonCollector(settings.name, settings.instance, settings.hashtags, settings.max_pages,
                                 credential(env, TOKEN_VARIABLE), new_session(settings.timeout))
    raise TypeError(f"no collector for {type(settings).__name__}")


def _twitter(settings: TwitterCollectorConfig, env: Mapping[str, str]) -> Collector:
    import tweepy

    from brandpulse.collectors.http import with_timeout
    from brandpulse.collectors.twitter import TwitterCollector

    # tweepy logs each request's headers at DEBUG, bearer token included: never let `-vv` print it.
    logging.getLogger("tweepy.client").setLevel(max(logging.getLogger("tweepy.client").level, logging.INFO))
    client = tweepy.Client(bearer_token=credential(env, "TWITTER_BEARER_TOKEN"), return_type=dict,
                           wait_on_rate_limit=False)
    with_timeout(client.session, settings.timeout)
    return TwitterCollector(
        settings.name, client, lang=settings.lang, include_retweets=settings.include_retweets,
        queries=settings.queries, page_size=settings.page_size, max_pages=settings.max_pages,
        max_wait=settings.max_wait.total_seconds(),
    )


def _reddit(settings: RedditCollectorConfig, env: Mapping[str, str]) -> Collector:
    import praw

    from brandpulse.collectors.reddit import RedditCollector

    reddit = praw.Reddit(
        client_id=credential(env, "REDDIT_CLIENT_ID"), client_secret=credential(env, "REDDIT_CLIENT_SECRET"),
        user_agent=credential(env, "REDDIT_USER_AGENT"), check_for_updates=False, timeout=settings.timeout,
        # The token request ignores `timeout` and waits 16 s unless the requestor is told too.
        requestor_kwargs={"timeout": settings.timeout},
    )
    return RedditCollector(settings.name, reddit, settings.subreddits, settings.limit, settings.comments)


def nps_policy(settings: SentimentConfig) -> NpsPolicy:
    """The NPS mapping a sentiment section asks for."""
    return NpsPolicy(settings.confidence_threshold, settings.rating_takes_precedence, settings.complaints_are_detractors,
                     settings.uncorroborated_negative_confidence)


def classifier(settings: SentimentConfig, model: str | None = None, weights: Path | None = None):
    """The sentiment model a sentiment section asks for (or `model` instead of its own; the bundled network with
    `weights` instead of the committed ones), loaded offline."""
    from brandpulse.sentiment.classifier import load_classifier

    return load_classifier(model or settings.model, settings.device, settings.batch_size, settings.max_length,
                           settings.backend, settings.max_windows, weights)


def spike_rule(config: Config) -> SpikeRule:
    """The spike rule the config asks for."""
    spike = config.alerts.spike
    return SpikeRule(
        spike.min_count, spike.min_ratio, spike.min_share, spike.warmup_days, spike.cooldown,
        spike.max_p_value, spike.history_days, spike.growth,
    )


def health_rule(config: Config) -> HealthRule:
    """The collector-health rule the config asks for."""
    health = config.alerts.health
    return HealthRule(health.silence, health.min_expected, health.max_p_value, 3, health.failing_for, health.cooldown)


def email_transport(config: Config, env: Mapping[str, str] = os.environ) -> FileTransport | SmtpTransport:
    """SMTP when configured (login from the environment, without the stray newline or space a secrets file leaves),
    else `.eml` files in the outbox folder."""
    smtp = config.email.smtp
    if smtp is None:
        return FileTransport(config.email.outbox_dir)
    return SmtpTransport(
        smtp.host, smtp.port, smtp.security,
        credential(env, smtp.username_env), credential(env, smtp.password_env), smtp.timeout, smtp.ca_file,
        (variable_label(smtp.username_env), variable_label(smtp.password_env)),
    )


def sentiment_router(settings: SentimentConfig, collected: Iterable[str] = ()):
    """The models a sentiment section configures, one per language, behind a language detector that takes their
    languages and the `collected` ones (the collectors' language filters) for likely; each model loads on first
    use."""
    from brandpulse.sentiment.language import LanguageDetector
    from brandpulse.sentiment.router import OTHER_LANGUAGES, LanguageRouter

    likely = (set(settings.model_map()) | set(collected)) - {OTHER_LANGUAGES}
    return LanguageRouter(settings.model_map(), lambda model: classifier(settings, model),
                          LanguageDetector(settings.default_language, likely=likely))
