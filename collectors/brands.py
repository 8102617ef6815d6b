"""Assigning mentions to brands by keyword, honouring each brand's exclusions."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from brandpulse.collectors.base import BrandQuery, Mention


# A letter or digit that makes a keyword part of a longer word ("lumo" in "columbo"): not one of the scripts written
# without spaces (Thai, Lao, Myanmar, Khmer, kana, Chinese characters), where the next word follows with no break
# ("Pinebrookのコーヒー", "ใช้ทรูมูฟมา") and a boundary would match no brand in such a post.
_WORD = "[^\\W\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"

# Korean writes its particles against the word they follow ("파인브룩에서", at Pinebrook; "Pinebrook의", Pinebrook's): a
# keyword may be followed by up to three of them, then a word boundary ("파인브룩스" is another word).
_PARTICLES = ("(?:에서|에게|한테|께서|으로|까지|부터|처럼|보다|이랑|하고|이나|마다|밖에|조차|이에요|예요|입니다|이야|"
              "이다|이고|인데|이라|라고|이|가|을|를|은|는|의|에|도|만|와|과|로|랑|나|요|께|야){0,3}")


def folded(text: str) -> str:
    """`text` as brands are matched in it: NFKC, so that full-width "ＡＣＭＥ" and "１２３" are "ACME" and "123"."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    # Word boundaries so that "lumo" does not match "columbo"; keywords may start with @ or #.
    parts = [rf"(?<!{_WORD})" + re.escape(folded(p.strip())) + rf"{_PARTICLES}(?!{_WORD})" for p in phrases
             if p.strip()]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def handle(name: str) -> str:
    """An account name as compared: without its leading @, case folded ("@NimbusHelp" is "nimbushelp")."""
    return name.strip().lstrip("@").casefold()


TWITTER_USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")  # what Twitter allows, and so what its `from:` reads


def twitter_username(name: str) -> str | None:
    """The Twitter username a configured account names ("@NimbusHelp" is "nimbushelp"), or None when it cannot be
    one: a Mastodon name@host, a Reddit u/name, or a name holding a space, which `-from:` would misread."""
    name = name.strip().removeprefix("@")
    return name.casefold() if TWITTER_USERNAME.fullmatch(name) else None


_QUALIFIED = re.compile(r"[^@\s]+@[^@\s]+")  # name@host: how a Mastodon author is given
_REDDIT_PREFIXES = ("/u/", "u/")  # how Reddit writes a username: u/pinebrookhelp
REDDIT = "reddit"  # the source whose authors a configured u/name names


@dataclass(frozen=True)
class OwnAccounts:
    """A brand's own accounts as compared: a bare name on every source and server, u/name on Reddit, name@host on
    that server."""

    anywhere: frozenset[str]
    qualified: frozenset[str]
    reddit: frozenset[str] = frozenset()

    def posted(self, author: str, source: str) -> bool:
        """Whether `author`, as `source` gives it, is one of these accounts."""
        if source == REDDIT:
            name = reddit_name(author) or handle(author)
            return name in self.reddit or name in self.anywhere
        name = handle(author)
        if name in self.anywhere or name in self.qualified:
            return True
        # A bare name says no server: it is the brand's on whichever server the post comes from.
        return _QUALIFIED.fullmatch(name) is not None and name.split("@")[0] in self.anywhere


def reddit_name(name: str) -> str | None:
    """The username of a Reddit-style u/name or /u/name, case folded (Reddit's are case-insensitive), else None."""
    folded = name.strip().casefold()
    prefix = next((p for p in _REDDIT_PREFIXES if folded.startswith(p)), None)
    return folded.removeprefix(prefix) or None if prefix else None


@functools.lru_cache(maxsize=64)
def own_handles(accounts: tuple[str, ...]) -> OwnAccounts:
    """The brand's own accounts as compared, folded once per configuration, not once per mention."""
    reddit = {name for name in map(reddit_name, accounts) if name}
    names = {handle(a) for a in accounts if reddit_name(a) is None} - {""}
    return OwnAccounts(frozenset(n for n in names if "@" not in n), frozenset(n for n in names if "@" in n),
                       frozenset(reddit))


def by_own_account(mention: Mention, query: BrandQuery) -> bool:
    """Whether `mention` was posted by one of the brand's own accounts (its support desk answering a storm, its
    announcements): not what others say of it, and no post to answer."""
    return mention.author is not None and own_handles(query.own_accounts).posted(mention.author, mention.source)


class BrandMatcher:
    """Finds the brands whose keywords occur in a text and whose exclusions do not."""

    def __init__(self, queries: Iterable[BrandQuery]):
        self._rules = [
            (q.brand, _phrase_pattern(q.keywords), _phrase_pattern(q.exclusions)) for q in queries
        ]

    def matches(self, brand: str, text: str) -> bool:
        """True when `text` mentions `brand` and none of its exclusions."""
        text = folded(text)
        return any(name == brand and self._hit(inc, exc, text) for name, inc, exc in self._rules)

    def brands_for(self, text: str) -> list[str]:
        """Every configured brand that `text` mentions, in the config's order ("left Acme for Bolt": both)."""
        text = folded(text)  # once, not once per brand
        return [name for name, include, exclude in self._rules if self._hit(include, exclude, text)]

    @staticmethod
    def _hit(include: re.Pattern[str] | None, exclude: re.Pattern[str] | None, text: str) -> bool:
        """Whether the folded `text` holds a keyword and no exclusion."""
        return bool(include and include.search(text)) and not (exclude and exclude.search(text))
