"""Loading and validating `config.yaml`: every value is checked at start-up, secrets come from the environment."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Hashable, Mapping
from datetime import timedelta
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
    model_validator,
)

from brandpulse.collectors.brands import reddit_name, twitter_username
from brandpulse.collectors.countries import COMMON_MISTAKES, country_code, region_subtag
from brandpulse.sentiment.classifier import BUNDLED
from brandpulse.sentiment.language import ISO_639_1, WITHDRAWN_CODES, language_tag
from brandpulse.sentiment.router import OTHER_LANGUAGES
from brandpulse.store.backend import has_password
from brandpulse.store.folding import name_key
from brandpulse.timeparse import parse_duration

DEFAULT_CONFIG = "config.yaml"


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid."""


def _no_password(value: str) -> str:
    if has_password(value):  # it would sit in the file, the logs, `status` and the store
        raise ValueError("must not contain a password: credentials never go in config.yaml")
    return value


# What no host name holds: spaces, and the characters that end a host or belong to a URL's other parts.
_NOT_IN_HOST = re.compile(r"[\s/\\?#@%<>\"'`{}|^,;!$&()*+=~]")


def _fetchable(value: str) -> str:
    """`value` if it is a URL `requests` can fetch; a ValueError naming what is wrong in it, which otherwise surfaced
    at every run as urllib3's 'Failed to parse'. The URL itself is not quoted: it may hold a key."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it checks it: "Port out of range 0-65535"
    except ValueError as exc:
        raise ValueError(f"is not a URL that can be fetched: {exc}; write it as the browser shows it") from None
    host = parts.hostname or ""
    if any(char in value for char in "\t\r\n"):  # urlsplit drops them unsaid; requests sends them
        raise ValueError("holds a tab or a line break; write the address on one line, as the browser shows it")
    if not host:
        raise ValueError("names no host; write it as https://host/path")
    bad = _NOT_IN_HOST.search(host) if ":" not in host else None  # an IPv6 address: urlsplit checked it
    if bad or ".." in host or host.startswith("."):
        what = ("a space" if bad.group().isspace() else repr(bad.group())) if bad else "an empty label"
        raise ValueError(f"its host {host!r} holds {what}, which no host name does; write the address as the "
                         "browser shows it")
    return _requests_read(value)


def _requests_read(value: str) -> str:
    """`value` if `requests` reads it as it would fetch it (an international host's IDNA encoding included)."""
    import requests

    try:
        requests.Request("GET", value).prepare()
    except requests.RequestException as exc:
        raise ValueError(f"is not a URL that can be fetched ({str(exc).replace(value, 'the url')}); write it as the "
                         "browser shows it") from None
    return value


HttpUrl = Annotated[str, Field(pattern=r"^https?://"), AfterValidator(_fetchable), AfterValidator(_no_password)]


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, timedelta):
        return value
    # A bare 15 could mean seconds or minutes (and -5 would schedule a job without end): the unit is required.
    raise ValueError(f"{value!r} is not a duration: write it with its unit, such as 30s, 15m, 1h, 7d or 2w")


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must fail at launch, not be ignored."""

    # allow_inf_nan: `.nan` in a threshold was refused as "less than or equal to 1", `.inf` in a timeout accepted.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _address(value: str) -> str:
    several = getaddresses([value])
    if len(several) > 1:  # parseaddr read the first alone: 'a@x.com, b@y.com' mailed a@x.com only
        raise ValueError(f"{value!r} holds {len(several)} email addresses: write each as its own item "
                         f"([{', '.join(address for _, address in several)}])")
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not (local and at and domain) or any(c.isspace() for c in address):
        raise ValueError(f"{value!r} is not an email address (name@example.com)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank: a blank keyword matches nothing")
    return value


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# How variables are named (SLACK_WEBHOOK_URL, smtp_password): a value in lower case with digits ('hunter2'), in mixed
# case, or holding ':' or '/' looks like the password or token itself, typed where its variable's name goes.
_LIKELY_NAME = re.compile(r"[A-Z_][A-Z0-9_]*|[a-z_]+")


def looks_like_secret(name: str) -> bool:
    """Whether an `*_env` value looks like a secret typed in place of an environment variable's name."""
    return not _LIKELY_NAME.fullmatch(name)


def variable_label(name: str) -> str:
    """How a message names the variable an `*_env` key gives: as written, or by its length alone where it looks like
    a secret typed in place of the name (a secret is never shown)."""
    return f"a value of {len(name)} characters (not shown)" if looks_like_secret(name) else name


def unset_variable(key: str, name: str, example: str) -> str:
    """Why `key`'s variable gives nothing: it names a variable that is not set, or holds what looks like a secret."""
    if looks_like_secret(name):
        return (f"{key} holds {len(name)} characters (not shown) that look like a secret typed in place of an "
                f"environment variable's name; write the variable's name there (such as {example}) and set the "
                "secret in that variable")
    return f"{key} names the environment variable {name}, which is not set"


def _env_name(value: str) -> str:
    # Never quote the value: a password or token typed here instead of a variable's name is the secret itself.
    if not ENV_NAME.fullmatch(value):
        raise ValueError(f"must name an environment variable (letters, digits and _, not starting with a digit) "
                         f"that holds the secret; these {len(value)} characters (not shown) look like a secret typed "
                         "in place of its name, and the secret itself never goes in the config file")
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]
def _brand_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank: the brand's name labels its mentions, alerts and digests")
    return value


def one_or_more(value: Any) -> Any:
    """A list key written as one string (`hashtags: coffee`) as the list of it, as the operator meant it: pydantic said
    'Input should be a valid list'. 'coffee, tea' stays one item, which the item's own check refuses (no hashtag,
    subreddit or address holds a comma), saying to write each as its own."""
    return [value] if isinstance(value, str) else value


def _refuse_a_comma(value: Any, or_one: bool) -> None:
    """ValueError for a lone string holding a comma, saying to write the list of its parts (`or_one`: or the list of
    it alone, for keys whose items may hold a comma)."""
    if isinstance(value, str) and "," in value:
        several = ", ".join(part.strip() for part in value.split(",") if part.strip())
        one = f" for several, or [{value!r}] for one" if or_one else ""
        raise ValueError(f"{value!r} is one string holding a comma: write the list, [{several}]{one}")


def one_or_more_text(value: Any) -> Any:
    """`one_or_more` for keys of free text (keywords, exclusions, own accounts), where an item may hold a comma ('Acme,
    Inc.'): a lone string holding one could be one item or several, so it is refused saying how to write either."""
    _refuse_a_comma(value, or_one=True)
    return one_or_more(value)


def one_or_more_names(value: Any) -> Any:
    """`one_or_more` for keys of fixed names (a channel's kinds), none holding a comma: a lone string holding one
    ('alerts, digest') is refused saying to write the list, where pydantic named the names it takes at item 0."""
    _refuse_a_comma(value, or_one=False)
    return one_or_more(value)


Address = Annotated[str, AfterValidator(_address)]
Keyword = Annotated[str, AfterValidator(_not_blank)]
Addresses = Annotated[list[Address], BeforeValidator(one_or_more)]
Texts = Annotated[list[str], BeforeValidator(one_or_more_text)]


class Recipients(Strict):
    """Who receives which kind of email."""

    alerts: Addresses = []
    digest: Addresses = []


class BrandConfig(Strict):
    """A brand to listen for."""

    name: Annotated[str, AfterValidator(_brand_name)]
    keywords: Annotated[list[Keyword], BeforeValidator(one_or_more_text)] = Field(min_length=1)
    exclusions: Texts = []
    own_accounts: Texts = []  # the brand's own handles (@NimbusHelp): their posts are not collected as mentions
    recipients: Recipients | None = None


class ReplayCollectorConfig(Strict):
    """Plays a JSON Lines recording; `demo` is the bundled synthetic data."""

    type: Literal["replay"]
    name: str = "replay"
    path: str = "demo"
    interval: Duration = timedelta(minutes=15)


# Languages without an ISO 639-1 code that the services take by their three letters: Filipino (Google Play's hl=fil,
# Android's locale) and Sorani Kurdish (Twitter's lang:ckb); configs naming them worked before tags were checked.
SERVICE_LANGUAGES = frozenset({"fil", "ckb"})


def _collector_language(tag: str | None) -> str | None:
    """A collector's language filter as its API takes it (en, pt-BR, pt_BR, Twitter's iw, Google Play's fil), refused
    unless it names an ISO 639-1 language as a collected mention's tag must (`sentiment.language.language_tag`), or
    one of SERVICE_LANGUAGES: `lang: xx` reached the API, which found nothing or everything."""
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0] if tag is not None else None
    if tag is not None and language_tag(tag) is None and primary not in SERVICE_LANGUAGES:
        raise ValueError(f"{tag!r} is not a language: use an ISO 639-1 code (two letters, such as en, de or ja), "
                         "with a region if the service takes one (pt-BR)")
    return tag


CollectorLanguage = Annotated[str, AfterValidator(_collector_language)]


def _play_language(tag: str) -> str:
    """Google Play's hl: a language, and the region after it a country's two letters (en-GB), a UN M.49 area (es-419)
    or a script (zh-Hant); a ValueError saying what to write for `en-USA`, which Google took as English anywhere."""
    language, _, region = tag.strip().replace("_", "-").partition("-")
    wrong = next((subtag for subtag in region.split("-") if not region_subtag(subtag)), None) if region else None
    if wrong is not None:
        meant = COMMON_MISTAKES.get(wrong.lower())
        hint = f"{language}-{meant.upper()}" if meant else f"{language}-GB (a language, then a country's two letters)"
        raise ValueError(f"{tag!r}: {wrong!r} is not a region Google Play takes; write {hint}, or {language} alone")
    return tag


PlayLanguage = Annotated[CollectorLanguage, AfterValidator(_play_language)]
Country = Annotated[str, AfterValidator(country_code)]


def _twitter_query(value: str) -> str:
    # The collector took a blank query for none and searched with the one built from the keywords, saying nothing.
    if not value.strip():
        raise ValueError("is empty: write the search to run for this brand (as '(acme OR @acme) -is:retweet'), or "
                         "remove the entry to search with the query built from the brand's keywords and exclusions")
    return value


class TwitterCollectorConfig(Strict):
    """Twitter/X recent search; the bearer token comes from TWITTER_BEARER_TOKEN."""

    type: Literal["twitter"]
    name: str = "twitter"
    interval: Duration = timedelta(minutes=15)
    lang: CollectorLanguage | None = "en"  # the search's lang: operator; null for every language
    include_retweets: bool = False
    # brand name -> boolean query replacing the one built from its keywords; `Acme:` alone (YAML's null) is empty too
    queries: dict[str, Annotated[str, BeforeValidator(lambda v: "" if v is None else v),
                                 AfterValidator(_twitter_query)]] = {}
    page_size: int = Field(default=100, ge=10, le=100)
    max_pages: int = Field(default=10, ge=1)
    max_wait: Duration = timedelta(minutes=15)  # longest wait for a rate-limit reset before stopping the run
    timeout: float = Field(default=30.0, gt=0)


SUBREDDIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}")  # a subreddit's name, as Reddit allows it


def subreddit_name(given: str) -> str | None:
    """The subreddit `given` names ("coffee", "r/coffee" as Reddit writes it), or None when it names none: a blank
    name would search all of Reddit, "coffee espresso" no subreddit."""
    name = given.strip().removeprefix("/").removeprefix("r/")
    return name if SUBREDDIT.fullmatch(name) else None


class RedditCollectorConfig(Strict):
    """Reddit search (read-only); credentials come from REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET / REDDIT_USER_AGENT."""

    type: Literal["reddit"]
    name: str = "reddit"
    interval: Duration = timedelta(minutes=15)
    subreddits: Annotated[list[str], BeforeValidator(one_or_more)] = Field(default=["all"], min_length=1)
    comments: bool = True
    limit: int = Field(default=100, ge=1, le=1000)
    timeout: int = Field(default=30, ge=1)

    @field_validator("subreddits")
    @classmethod
    def _subreddit_names(cls, value: list[str]) -> list[str]:
        names = [subreddit_name(given) for given in value]
        for given, name in zip(value, names):
            if name is None:
                raise ValueError(f"{given!r} is not a subreddit name (letters, digits and _, 2-21 of them; one per "
                                 "list item, as [coffee, espresso])")
        return names


APP_STORE_ID = re.compile(r"\d+")
# An Android package name, as Google Play's id= gives it: two or more segments, each starting with a letter.
PLAY_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")


def app_store_id(value: Any) -> Any:
    """An App Store app id as text (YAML reads 1234567890 unquoted as a number); a ValueError saying what to write
    for one that is not its digits ('id1234567890', the app's address)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or APP_STORE_ID.fullmatch(value):
        return value
    digits = re.search(r"\bid(\d+)", value)
    hint = (f": write its digits, {digits.group(1)}" if digits
            else " (the digits after id in its apps.apple.com address)")
    raise ValueError(f"{value!r} is not an App Store app id{hint}")


def play_id(value: str) -> str:
    """A Google Play app id; a ValueError saying what to write for one that is no package name (the app's address)."""
    if PLAY_ID.fullmatch(value):
        return value
    found = re.search(r"[?&]id=([A-Za-z][\w.]*)", value)
    hint = (f": write the id= of its address, {found.group(1)}" if found
            else " (the id= of its Play Store address, such as com.pinebrook.app)")
    raise ValueError(f"{value!r} is not a Google Play app id{hint}")


class AppStoreCollectorConfig(Strict):
    """Apple App Store reviews of one app in one country."""

    type: Literal["appstore"]
    name: str = "appstore"
    interval: Duration = timedelta(hours=1)
    app_id: Annotated[str, BeforeValidator(app_store_id)] = Field(pattern=r"^\d+$")
    country: Country = "us"  # the storefront: ISO 3166-1 alpha-2
    brand: str | None = None
    max_pages: int = Field(default=10, ge=1, le=10)
    base_url: HttpUrl = "https://itunes.apple.com"
    timeout: float = Field(default=30.0, gt=0)


class GooglePlayCollectorConfig(Strict):
    """Google Play reviews of one app in one language and country."""

    type: Literal["googleplay"]
    name: str = "googleplay"
    interval: Duration = timedelta(hours=1)
    app_id: Annotated[str, AfterValidator(play_id)]
    lang: PlayLanguage = "en"  # the reviews' language (Google's hl)
    country: Country = "us"  # Google's gl: ISO 3166-1 alpha-2
    brand: str | None = None
    page_size: int = Field(default=100, ge=1, le=200)
    max_pages: int = Field(default=5, ge=1)
    base_url: HttpUrl = "https://play.google.com"
    timeout: float = Field(default=30.0, gt=0)


class FeedCollectorConfig(Strict):
    """Any RSS or Atom feed; `source` names its mentions in the store."""

    type: Literal["feed"]
    name: str = "feed"
    interval: Duration = timedelta(minutes=30)
    url: HttpUrl
    source: str = Field(default="feed", min_length=1)
    brand: str | None = None
    rating_field: str | None = None
    max_pages: int = Field(default=5, ge=1)
    timeout: float = Field(default=30.0, gt=0)


# A hashtag as Mastodon reads one: letters, digits, _ (any script, as in #café), not digits alone (#2026 is no tag).
HASHTAG = re.compile(r"\w*[^\W\d]\w*")


def hashtag(given: str) -> str:
    """The hashtag `given` names, its leading # left out as the timeline's address wants it, in Mastodon's NFKC (a
    decomposed 'café' is the same tag); a ValueError saying what to write for one that names no tag."""
    tag = unicodedata.normalize("NFKC", given.strip()).removeprefix("#")
    if HASHTAG.fullmatch(tag):
        return tag
    words = [word for word in re.split(r"\W+", tag) if word]
    hint = (f"; write each word as its own item ([{', '.join(words)}]) or join them ({''.join(words)})"
            if len(words) > 1
            else "" if words else "; delete the empty item, or the key, to follow the brand's one-word keywords")
    raise ValueError(f"{given!r} is not a Mastodon hashtag (one word of letters, digits and _, not digits alone, with "
                     f"or without its #){hint}")


def distinct_hashtags(tags: list[str]) -> list[str]:
    """`tags` with each tag once, by its first spelling: Mastodon reads a tag in any case (#Coffee is #coffee) and
    `hashtag` made both spellings of 'café' one, so each repeat read the same timeline again."""
    first: dict[str, str] = {}
    for tag in tags:  # lower, as Mastodon and the collector read a tag: casefold would make #straße #strasse
        first.setdefault(tag.lower(), tag)
    return list(first.values())


def mastodon_instance(value: str) -> str:
    """A Mastodon server's address alone; a ValueError saying what to write for a page of it (a profile, a tag's
    page), whose path the timeline's address would be put after."""
    parts = urlsplit(value)
    if parts.path.strip("/") or parts.query or parts.fragment:
        server = f"{parts.scheme}://{parts.netloc}"
        raise ValueError(f"{value!r} is a page of a server, not its address: write {server} (Mastodon serves its API "
                         "at the root of its own domain)")
    return value


class MastodonCollectorConfig(Strict):
    """Public hashtag timelines of one Mastodon server; MASTODON_ACCESS_TOKEN is used when set (optional)."""

    type: Literal["mastodon"]
    name: str = "mastodon"
    interval: Duration = timedelta(minutes=15)
    instance: Annotated[HttpUrl, AfterValidator(mastodon_instance)] = "https://mastodon.social"
    # Default: the brand's one-word keywords. Checked here: 'coffee/beans' or 'pine brook' went into the timeline's
    # address as written, and read another path or nothing.
    hashtags: Annotated[list[Annotated[str, AfterValidator(hashtag)]], BeforeValidator(one_or_more),
                        AfterValidator(distinct_hashtags)] = []
    max_pages: int = Field(default=5, ge=1)
    timeout: float = Field(default=30.0, gt=0)


COLLECTOR_TYPES = ("replay", "twitter", "reddit", "appstore", "googleplay", "feed", "mastodon")

CollectorConfig = Annotated[
    ReplayCollectorConfig | TwitterCollectorConfig | RedditCollectorConfig | AppStoreCollectorConfig
    | GooglePlayCollectorConfig | FeedCollectorConfig | MastodonCollectorConfig,
    Field(discriminator="type"),
]


_DEVICE = re.compile(r"auto|cpu|mps|(cuda|xpu)(:\d+)?")


def _iso_639_1(code: str) -> str:
    if len(code) != 2 or not code.isascii() or not code.isalpha() or not code.islower():
        raise ValueError(f"{code!r} is not an ISO 639-1 language code (two lower-case letters, such as en or de)")
    if code in WITHDRAWN_CODES:
        raise ValueError(f"{code!r} is a withdrawn ISO 639-1 code; use {WITHDRAWN_CODES[code]!r} (tags that carry "
                         f"{code!r} are read as {WITHDRAWN_CODES[code]!r})")
    if code not in ISO_639_1:
        raise ValueError(f"{code!r} is not an ISO 639-1 language code (such as en, de or ja)")
    return code


class SentimentConfig(Strict):
    """Which model classifies mentions and how labels become NPS categories."""

    model: str = "bundled"
    device: str = "auto"  # auto, or torch's name: cpu, cuda, cuda:1, mps...
    backend: Literal["auto", "onnx", "torch"] = "auto"  # auto: ONNX Runtime int8 on CPU, torch on a GPU
    batch_size: int = Field(default=32, ge=1, le=4096)
    max_length: int = Field(default=128, ge=8, le=512)  # tokens per window; longer texts are cut into windows
    max_windows: int = Field(default=8, ge=1, le=64)  # windows read per text: its last ones
    confidence_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    rating_takes_precedence: bool = True
    complaints_are_detractors: bool = True  # a complaint (complaint >= 0.5) counts as a detractor, whatever its tone
    # With a complaint head and complaints_are_detractors, a negative label the head does not back needs this
    # confidence to count as a detractor.
    uncorroborated_negative_confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    # Language (ISO 639-1, or "*" for every language not listed) -> model ('bundled', a Hugging Face id or a local
    # path); default {default_language: model}.
    models: dict[str, str] | None = None
    default_language: str = "en"  # what a short or ambiguous text is taken to be written in
    interval: Duration = timedelta(minutes=1)

    @field_validator("models")
    @classmethod
    def _iso_codes(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one language, for example {en: bundled}")
            for lang, model in value.items():
                if lang != OTHER_LANGUAGES:
                    _iso_639_1(lang)
                if not model.strip():
                    raise ValueError(f"the model for {lang!r} is empty; use 'bundled', a Hugging Face id or a path")
        return value

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        # An empty path would name the config's own folder, and load as "a folder without config.json" much later.
        if not value.strip():
            raise ValueError("the model is empty; use 'bundled', a Hugging Face id or a path")
        return value

    @field_validator("device")
    @classmethod
    def _torch_device(cls, value: str) -> str:
        if not _DEVICE.fullmatch(value):
            raise ValueError(f"{value!r} is not a device: use auto (a GPU when there is one), cpu, cuda, cuda:N, mps, "
                             "xpu or xpu:N")
        return value

    @field_validator("default_language")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        return _iso_639_1(value)

    def model_map(self) -> dict[str, str]:
        """Which model reads which language."""
        return dict(self.models) if self.models is not None else {self.default_language: self.model}

    def model_notes(self) -> list[str]:
        """Settings that load but are likely mistakes: a default language no model reads, the English model named for
        another language, a sentiment.model that sentiment.models leaves unused."""
        models, notes = self.model_map(), []
        if self.models is not None and self.model != BUNDLED and self.model not in models.values():
            notes.append(f"sentiment.model ({self.model}) is not used: sentiment.models names the model of each "
                         "language; add it there (for example {en: ..., \"*\": ...}) or remove it")
        if self.default_language not in models and OTHER_LANGUAGES not in models:
            notes.append(f"sentiment.default_language is {self.default_language!r}, which no model in "
                         "sentiment.models reads: short posts and those of an unsure language count as it, and will "
                         "be stored unscored")
        misread = sorted(lang for lang, model in models.items()
                         if model == BUNDLED and lang not in ("en", OTHER_LANGUAGES))
        if misread:
            notes.append(f"sentiment has the bundled model read {', '.join(misread)}, but it reads English only: "
                         "its labels there will mean little; name a model of that language (a Hugging Face id or "
                         "folder)")
        return notes


class SpikeConfig(Strict):
    """Negative-spike rule."""

    bucket: Duration = timedelta(hours=1)
    min_count: int = Field(default=6, ge=1)
    min_ratio: float = Field(default=2.0, ge=1.0)
    min_share: float = Field(default=0.4, ge=0.0, le=1.0)
    warmup_days: int = Field(default=2, ge=1)
    cooldown: Duration = timedelta(hours=6)
    lookback: Duration = timedelta(hours=24)
    max_p_value: float = Field(default=0.001, gt=0.0, le=1.0)
    history_days: int = Field(default=28, ge=1, le=365)
    growth: float = Field(default=2.0, gt=1.0)
    per_source: bool = False
    # Volume alerts for a brand's mentions in a language no model scores (alerts/unscored.py): in no detractor count,
    # a storm written in it raised no alert at all.
    unscored: bool = True

    @field_validator("bucket")
    @classmethod
    def _divides_a_day(cls, value: timedelta) -> timedelta:
        if timedelta(days=1) % value:
            raise ValueError(f"bucket {value} must divide a day evenly (for example 15m, 30m, 1h, 2h)")
        return value


class HealthConfig(Strict):
    """Collector-health alerts: a usually busy source gone silent, or a collector failing since its last success."""

    enabled: bool = True
    silence: Duration = timedelta(hours=6)
    min_expected: float = Field(default=5.0, gt=0.0)
    max_p_value: float = Field(default=0.001, gt=0.0, le=1.0)
    history_days: int = Field(default=7, ge=3, le=90)  # the silence test needs 3 days to compare with
    failing_for: Duration = timedelta(hours=1)
    cooldown: Duration = timedelta(hours=24)


class AlertsConfig(Strict):
    """Alert rules and how often they run."""

    interval: Duration = timedelta(minutes=5)
    spike: SpikeConfig = SpikeConfig()
    health: HealthConfig = HealthConfig()

    @model_validator(mode="after")
    def _silence_in_whole_buckets(self) -> "AlertsConfig":
        # Silence is measured on the spike buckets' counts, so it must cover whole buckets.
        if self.health.silence % self.spike.bucket:
            raise ValueError(f"health.silence ({self.health.silence}) must be a whole number of spike.bucket "
                             f"({self.spike.bucket})")
        return self


class DigestConfig(Strict):
    """The daily digest: when it is sent (cron expression in `timezone`) and what it shows."""

    enabled: bool = True
    cron: str = "0 8 * * *"
    timezone: str = "UTC"
    top_mentions: int = Field(default=3, ge=0, le=20)
    top_terms: int = Field(default=5, ge=0, le=50)  # themes of the day listed

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Paris or UTC") from None
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from brandpulse.crontab import cron_trigger, ever_fires

        try:
            trigger = cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"cron {value!r} is not a 5-field crontab expression such as '0 8 * * *': {exc}") from None
        if not ever_fires(trigger):
            raise ValueError(f"cron {value!r} never fires: no date has its day of the month, month and day of the week "
                             "together (31 February, say), so the digest would never be sent")
        return value


class SmtpConfig(Strict):
    """An SMTP server; the login comes from the environment variables named here."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: EnvName = "BRANDPULSE_SMTP_USERNAME"
    password_env: EnvName = "BRANDPULSE_SMTP_PASSWORD"
    timeout: float = Field(default=30.0, gt=0)
    ca_file: Path | None = None


class EmailConfig(Strict):
    """Sender, default recipients, and the transport: SMTP when configured, else `.eml` files."""

    sender: Address = "brandpulse@localhost"
    recipients: Recipients = Recipients()
    smtp: SmtpConfig | None = None
    outbox_dir: Path = Path("outbox")
    interval: Duration = timedelta(minutes=1)


ChannelKind = Literal["alerts", "health", "digest"]


class ChannelConfig(Strict):
    """A chat or webhook channel; its apprise URL (which holds a token) comes from the variable `url_env`."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    url_env: str
    kinds: Annotated[list[ChannelKind], BeforeValidator(one_or_more_names)] = Field(default=["alerts"], min_length=1)
    # default (left out): every brand
    brands: Annotated[list[str] | None, BeforeValidator(one_or_more_text)] = Field(default=None, min_length=1)

    @field_validator("url_env")
    @classmethod
    def _variable_name(cls, value: str) -> str:
        # Never quote the value: a URL pasted here is the secret itself.
        if not ENV_NAME.fullmatch(value):
            raise ValueError(f"must name an environment variable (such as SLACK_WEBHOOK_URL) that holds the URL; "
                             f"these {len(value)} characters (not shown) look like a secret typed in place of its "
                             "name, and the URL itself never goes in the config file")
        return value

    @field_validator("name")
    @classmethod
    def _not_email(cls, value: str) -> str:
        if value == "email":
            raise ValueError("the name 'email' is taken by the email channel; choose another one")
        return value

    @model_validator(mode="after")
    def _url_parses(self, info: ValidationInfo) -> "ChannelConfig":
        # The URL lives in the environment, read at start-up so that a typo fails at launch; it is never quoted.
        env = (info.context or {}).get("env", {})
        url = env.get(self.url_env)
        if url:
            from brandpulse.alerts.channels import is_valid_url

            if not is_valid_url(url):
                raise ValueError(f"channel {self.name}: the URL in {self.url_env} is not an apprise URL it can use "
                                 "(check its scheme, tokens and fields; https://github.com/caronc/apprise/wiki)")
        return self


class StoreConfig(Strict):
    """Where the mention store lives: a SQLite file (`path`), or a PostgreSQL database (`url`, which wins)."""

    path: Path = Path("brandpulse.db")
    url: str | None = None

    @field_validator("path")
    @classmethod
    def _a_file(cls, value: Path) -> Path:
        if str(value) in ("", ".") or str(value).endswith("/"):
            raise ValueError("must name the store's file, such as brandpulse.db")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"{parts.scheme or value!r} is not a store URL scheme; use postgresql://host/database")
        if has_password(value):
            # Secrets stay out of config files: libpq reads PGPASSWORD (or ~/.pgpass); BRANDPULSE_DB may hold a URL.
            raise ValueError("must not contain a password; set PGPASSWORD (or BRANDPULSE_DB) in the environment")
        return value

    def target(self) -> str | Path:
        """The URL when one is configured, else the file path."""
        return self.url or self.path


# The sources the built-in collectors write (their SOURCE constants, each its collector's type); a feed writes its own.
BUILT_IN_SOURCES = ("appstore", "googleplay", "mastodon", "reddit", "twitter")


class Config(Strict):
    """The whole configuration; relative paths are resolved against the config file's folder."""

    brands: list[BrandConfig] = Field(min_length=1)
    collectors: list[CollectorConfig] = []
    sentiment: SentimentConfig = SentimentConfig()
    alerts: AlertsConfig = AlertsConfig()
    email: EmailConfig = EmailConfig()
    digest: DigestConfig = DigestConfig()
    channels: list[ChannelConfig] = []
    store: StoreConfig = StoreConfig()

    @field_validator("brands", "collectors", "channels")
    @classmethod
    def _unique_names(cls, items: list[Any], info: Any) -> list[Any]:
        names, how = [item.name for item in items], ""
        if info.field_name == "brands":
            # Brands are one ignoring case and width (an import's 'acme' or 'ＡＣＭＥ' is stored as Acme, `--brand acme`
            # reads Acme): Acme and ACME side by side would split one brand's mentions by whichever the store met last.
            keys = [name_key(name) for name in names]
            names = [" and ".join(sorted({n for n in names if name_key(n) == key})) for key in keys]
            how = " ignoring case and width"
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"{info.field_name} names must be unique{how}; repeated: {', '.join(repeated)}")
        return items

    @model_validator(mode="after")
    def _sources_one_spelling(self) -> Config:
        # A source is one ignoring case (ingest and replay store 'Trustpilot' as a feed configured 'trustpilot' writes
        # it): two spellings side by side would leave which one the store gets to whichever collector is listed last.
        names = [*BUILT_IN_SOURCES, *(item.source for item in self.collectors if isinstance(item, FeedCollectorConfig))]
        clashes = sorted({" and ".join(sorted({n for n in names if name_key(n) == name_key(name)})) for name in names
                          if any(name_key(other) == name_key(name) and other != name for other in names)})
        if clashes:
            raise ValueError(f"feed sources must differ from each other and from the built-in sources "
                             f"({', '.join(BUILT_IN_SOURCES)}) in more than case and width; spelled two ways: "
                             f"{', '.join(clashes)}")
        return self

    @model_validator(mode="after")
    def _collector_brands_exist(self) -> Config:
        brands = {b.name for b in self.brands}
        # A model check has no key of its own to report (it read '(top level)'): the message names the entry.
        for number, item in enumerate(self.collectors):
            named = [getattr(item, "brand", None)] + list(getattr(item, "queries", {}))
            unknown = sorted({n for n in named if n is not None and n not in brands})
            if unknown:
                raise ValueError(f"collectors.{number}: collector {item.name} names unknown brand(s): "
                                 f"{', '.join(unknown)}")
        for number, channel in enumerate(self.channels):
            unknown = sorted(set(channel.brands or ()) - brands)
            if unknown:
                raise ValueError(f"channels.{number}.brands: channel {channel.name} names unknown brand(s): "
                                 f"{', '.join(unknown)}")
        return self

    def notes(self) -> list[str]:
        """Settings that load but are likely mistakes, for `check` and the start-up log."""
        return self.language_notes() + self.account_notes() + self.store_notes()

    def store_notes(self) -> list[str]:
        """A store.path written beside store.url, which the URL overrides."""
        if self.store.url and "path" in self.store.model_fields_set:
            return [f"store.path ({self.store.path}) is not used: store.url names the PostgreSQL store, which wins; "
                    "remove store.path (or store.url, to keep the SQLite file)"]
        return []

    def collected_languages(self) -> set[str]:
        """The languages the collectors' filters ask for (a Twitter search's lang:, a Google Play app's lang)."""
        return {lang for item in self.collectors if (lang := language_tag(getattr(item, "lang", None)))}

    def language_notes(self) -> list[str]:
        """Where a Twitter search's language filter and the sentiment models disagree: mentions in a language a
        model reads that are never collected, or collected only to stay unscored."""
        models, brands = self.sentiment.model_map(), {b.name for b in self.brands}
        notes = self.sentiment.model_notes()
        for item in self.collectors:
            # No language filter, or every brand's query is the operator's own: nothing to compare.
            if not isinstance(item, TwitterCollectorConfig) or not item.lang or set(item.queries) >= brands:
                continue
            lang = language_tag(item.lang)
            others = sorted(set(models) - {lang, OTHER_LANGUAGES})
            # Only languages the operator listed: the default model alone says nothing about what to collect.
            if self.sentiment.models is not None and (others or OTHER_LANGUAGES in models):
                notes.append(f"collector {item.name} searches lang:{item.lang} only, while sentiment.models reads "
                             f"{', '.join(others) or 'every language'} too; set its lang: null to collect them")
            if lang not in models and OTHER_LANGUAGES not in models:
                notes.append(f"collector {item.name} searches lang:{item.lang}, which no model in sentiment.models "
                             "reads: its mentions will be stored unscored")
        return notes

    def account_notes(self) -> list[str]:
        """The brands' own accounts that a Twitter collector cannot leave out of its search, as they can be no
        Twitter username ("acme support", a typo for acme_support): their tweets would be collected as mentions."""
        searches = [item.name for item in self.collectors if isinstance(item, TwitterCollectorConfig)]
        return [f"brand {brand.name}'s own account {account!r} is no Twitter username (1-15 letters, digits or _), "
                f"so {', '.join(searches)} neither leaves it out of its search nor drops a tweet as its post"
                for brand in self.brands for account in brand.own_accounts
                if searches and twitter_username(account) is None and _meant_for_twitter(account)]

    def recipients(self, brand: str | None, kind: Literal["alerts", "digest"]) -> list[str]:
        """The brand's own recipients of `kind` when it has any, else the defaults."""
        for item in self.brands:
            if item.name == brand and item.recipients and getattr(item.recipients, kind):
                return getattr(item.recipients, kind)
        return getattr(self.email.recipients, kind)


def _meant_for_twitter(account: str) -> bool:
    """Whether a configured account is written as a bare name, not as another network's (name@host, u/name)."""
    return "@" not in account.strip().removeprefix("@") and reddit_name(account) is None


def _location(error: dict[str, Any]) -> str:
    parts = [str(p) for p in error["loc"] if not (isinstance(p, str) and p in COLLECTOR_TYPES)]
    return ".".join(parts)


# Keys where a secret (or the login) was written instead of the variable that holds it, by section: the variable
# and the key naming it. Their value is never quoted: it is the secret itself.
_SMTP_LOGIN = {**dict.fromkeys(("password", "pass", "passwd", "secret", "token"), "password"),
               **dict.fromkeys(("username", "user", "login"), "username")}
_CHANNEL_SECRETS = frozenset({"url", "apprise_url", "webhook", "webhook_url", "token", "secret", "password"})
_SECRET_KEYS = {
    "twitter": {"token": "TWITTER_BEARER_TOKEN", "bearer_token": "TWITTER_BEARER_TOKEN"},
    "reddit": {"client_id": "REDDIT_CLIENT_ID", "client_secret": "REDDIT_CLIENT_SECRET",
               "secret": "REDDIT_CLIENT_SECRET", "user_agent": "REDDIT_USER_AGENT"},
    "mastodon": {"token": "MASTODON_ACCESS_TOKEN", "access_token": "MASTODON_ACCESS_TOKEN"},
}
# Where each collector takes its secrets from, for any other key of its section named like a secret.
_SECTION_SECRETS = {"twitter": "TWITTER_BEARER_TOKEN", "reddit": "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET",
                    "mastodon": "MASTODON_ACCESS_TOKEN"}
_SECRET_KEY = re.compile(r"token|secret|password|passwd|api_?key|bearer|client_id|credential", re.IGNORECASE)
_NEVER_HERE = "never goes in the config file"


def _named(data: Any, *keys: Any) -> Any:
    """The value at `keys` in the file's data, None where a level is missing or not a mapping or list."""
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _secret_hint(loc: tuple[Any, ...], data: Any) -> str:
    """What to write instead of a secret typed under its own key (`password: ...` in email.smtp), or ''."""
    *parent, key = loc
    key = str(key).lower()
    if parent == ["email", "smtp"] and key in _SMTP_LOGIN:
        which = _SMTP_LOGIN[key]
        given = _named(data, "email", "smtp", f"{which}_env")
        variable = given if isinstance(given, str) else SmtpConfig.model_fields[f"{which}_env"].default
        return (f": the SMTP {which.replace('username', 'user name')} {_NEVER_HERE}; delete this line and set it in "
                f"the environment variable {variable} (or write {which}_env: NAME to read it from another one)")
    if len(parent) == 2 and parent[0] == "channels" and key in _CHANNEL_SECRETS:
        given = _named(data, *parent, "url_env")
        variable = given if isinstance(given, str) else "SLACK_WEBHOOK_URL"
        return (f": a channel's URL holds its token and {_NEVER_HERE}; delete this line, write url_env: {variable} "
                "and set that environment variable to the apprise URL")
    kind = str(parent[2]) if len(parent) == 3 and parent[0] == "collectors" else ""
    if kind in _SECTION_SECRETS and (key in _SECRET_KEYS[kind] or _SECRET_KEY.search(key)):
        variable = _SECRET_KEYS[kind].get(key, _SECTION_SECRETS[kind])
        return (f": {kind}'s credentials never go in the config file; delete this line and set the environment "
                f"variable {variable}")
    if parent == ["store"] and key == "password":
        return f": the store's password {_NEVER_HERE}; delete this line and set PGPASSWORD (or BRANDPULSE_DB)"
    return ""


def _replaced(errors: list[Any]) -> set[tuple[Any, ...]]:
    """The `url_env` keys missing where a channel's URL was written in their place: its hint says to write url_env,
    and a 'Field required' line beside it only repeats that."""
    return {(*error["loc"][:-1], "url_env") for error in errors if error["type"] == "extra_forbidden"
            and len(error["loc"]) == 3 and error["loc"][0] == "channels"
            and str(error["loc"][-1]).lower() in _CHANNEL_SECRETS}


def _describe(exc: ValidationError, path: Path, data: Any = None) -> str:
    lines = [f"invalid configuration in {path}:"]
    errors = exc.errors()
    replaced = _replaced(errors)
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"]) in replaced:
            continue
        message = (f"unknown key{_secret_hint(error['loc'], data)}" if error["type"] == "extra_forbidden"
                   else error["msg"].removeprefix("Value error, "))
        # A check of the whole file (brands named across sections) names its key in its message.
        lines.append(f"  {_location(error)}: {message}" if _location(error) else f"  {message}")
    return "\n".join(lines)


def _model_path(value: str, base: Path) -> str:
    """A model written as a path (`./de-model`, `../models/de`, or a folder beside the config) against the config's
    folder; `bundled`, a Hugging Face id (`org/name`) and absolute paths as they are."""
    if value.startswith(("./", "../")) or (not Path(value).is_absolute() and (base / value).is_dir()):
        return str(base / value)
    return value


def home(path: str | Path) -> Path:
    """`path` with a leading `~` or `~user` as that home folder: no shell reads a YAML value, an env file (systemd's
    EnvironmentFile) or a quoted --db, and '~/brandpulse.db' made a folder named '~' in the working directory."""
    return Path(os.path.expanduser(path))  # unlike Path.expanduser, leaves it as is where no home is known


def _resolve(config: Config, base: Path) -> Config:
    # Built, not copied with an update: which keys the file wrote stays known (store_notes), the default path too.
    store = StoreConfig.model_construct(config.store.model_fields_set, path=base / home(config.store.path),
                                        url=config.store.url)
    email = config.email.model_copy(update={"outbox_dir": base / home(config.email.outbox_dir)})
    if email.smtp is not None and email.smtp.ca_file is not None:
        email = email.model_copy(update={"smtp": email.smtp.model_copy(update={"ca_file": base / email.smtp.ca_file})})
    settings = config.sentiment
    models = {lang: _model_path(model, base) for lang, model in settings.models.items()} if settings.models else None
    sentiment = settings.model_copy(update={"model": _model_path(settings.model, base), "models": models})
    return config.model_copy(update={"store": store, "email": email, "sentiment": sentiment})


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice: its message names the key, which is a setting's name, not a value."""


# PyYAML quotes some values of the document in its message (an alias, an anchor, a tag): one may be a secret typed
# in, so they are masked; a token's kind ('<scalar>') or a single character ('\\t', ':') says what was wrong.
_QUOTED = re.compile(r"'[^']*'")


def _masked(text: str) -> str:
    return _QUOTED.sub(lambda m: m[0] if len(m[0]) <= 4 or re.fullmatch(r"'<[a-z ]+>'", m[0]) else "'***'", text)


def _at(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _yaml_error(exc: yaml.YAMLError, path: Path) -> str:
    """Where the file is not valid YAML and why, never quoting its line: a token pasted into the file would be
    shown back in the terminal, the service's log and the journal."""
    where = f"configuration file {path} is not valid YAML"
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"{where}: {exc}"  # a reader error names a character by its code and position
    problem, context = exc.problem or "", exc.context or ""
    if not isinstance(exc, _DuplicateKey):  # the key of a key given twice is a setting's name
        problem, context = _masked(problem), _masked(context)
    mark = exc.problem_mark or exc.context_mark
    message = f"{where}" + (f" at {_at(mark)}" if mark else "") + f": {problem or context}"
    if problem and context:
        since = exc.context_mark
        message += f" ({context}" + (f" from {_at(since)}" if since else "") + ")"
    return message


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error: PyYAML would keep the last silently,
    and the first (a second `store:` block, say) is what the operator may be reading."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` may be overridden key by key
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base loader reports an unhashable key itself
            if key in seen:
                raise _DuplicateKey(None, None, f"found the key {key!r} twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and resolve the configuration at `path` (channel URLs from `env`, by default the process's),
    or raise `ConfigError` saying what and where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found; pass --config PATH or set BRANDPULSE_CONFIG") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file {path} cannot be read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader that refuses duplicate keys
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error(exc, path)) from None
    except RecursionError:
        raise ConfigError(f"configuration file {path} is nested too deeply to be a brandpulse configuration") from None
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {path} must be a mapping of sections (brands, collectors, ...)")
    try:
        config = Config.model_validate(data, context={"env": os.environ if env is None else env})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, data)) from None
    return _resolve(config, path.resolve().parent)
