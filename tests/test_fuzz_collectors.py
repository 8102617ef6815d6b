from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandpulse.collectors import appstore, feed, googleplay, mastodon, reddit, twitter
from brandpulse.collectors.base import CollectorError, MalformedItem, Mention

# What each collector's loop catches to skip one bad item with its reason (anything else fails the whole run,
# and the same poison item would fail every later run too).
SKIPPED = (MalformedItem, KeyError, TypeError, ValueError)
SKIPPED_REVIEWS = (*SKIPPED, AttributeError)
FUZZ = settings(max_examples=150, deadline=None)

KEYS = ["id", "text", "created_at", "author_id", "lang", "public_metrics", "retweet_count", "quote_count",
        "referenced_tweets", "type", "users", "tweets", "username", "created_utc", "title", "selftext", "body",
        "permalink", "score", "num_comments", "author", "subreddit", "content", "account", "url", "acct",
        "reblogs_count", "favourites_count", "published", "updated", "summary", "link", "label", "im:rating",
        "im:version", "name", "uri", "rating", "reviewId", "at", "userName"]
leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
                 st.text(max_size=30), st.sampled_from(["2026-03-01T10:00:00Z", "2026-03-01T10:00:00", "not a date",
                                                        "1" * 40, "-5", "1e400", "\ud83d", "\u202e", "<b>x</b>"]))
payload = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=8), max_leaves=25)
item = st.one_of(payload, st.dictionaries(st.sampled_from(KEYS), payload, max_size=10))


def _outcome(parse, data, skipped):
    try:
        result = parse(data)
    except skipped as exc:
        return str(exc)
    assert result is None or isinstance(result, Mention)
    return result


PARSERS = {
    "twitter": (lambda d: twitter.TwitterCollector._mention(None, d, d if isinstance(d, dict) else {}, "Acme"),
                (*SKIPPED, AttributeError, OverflowError)),
    "twitter-flat": (lambda d: twitter.tweet_to_mention(d, {}, "Acme"), SKIPPED),
    "reddit-submission": (lambda d: reddit.submission_to_mention(d, "Acme"), SKIPPED),
    "reddit-comment": (lambda d: reddit.comment_to_mention(d, "Acme"), SKIPPED),
    "mastodon": (lambda d: mastodon.status_to_mention(d, "mastodon.social"), SKIPPED),
    "appstore": (lambda d: appstore.entry_to_mention(d, "123", "us"), SKIPPED_REVIEWS),
    "googleplay": (lambda d: googleplay.review_to_mention(d, "com.acme", "en"), SKIPPED_REVIEWS),
    "feed": (lambda d: feed.entry_to_mention(d, "feed:acme"), SKIPPED_REVIEWS),
}


@pytest.mark.parametrize("name", PARSERS)
def test_each_collector_payload_parser_returns_a_mention_or_a_skippable_reason(name):
    parse, skipped = PARSERS[name]

    @FUZZ
    @given(item)
    def check(data):
        _outcome(parse, data, skipped)

    check()


@FUZZ
@given(st.one_of(st.text(max_size=300), st.sampled_from([")]}'\n[[", ")]}'\n" + "[" * 5000, ")]}'\n[[null, 1]]"])))
def test_the_google_play_page_parser_rejects_garbage_with_a_reason(body):
    try:
        items, token = googleplay.parse_page(body)
    except CollectorError as exc:  # the whole page is unusable: the run fails with this reason and retries later
        assert "googleplay: malformed reviews payload" in str(exc)
    else:
        assert isinstance(items, list)


def test_tweets_with_emoji_rtl_and_zero_width_text_keep_it_exactly():
    text = "👩‍👩‍👧 שירות \u202eגרוע zero\u200bwidth"

    mention = twitter.tweet_to_mention({"id": "1500000000000000000", "text": text, "created_at": "2026-03-01T10:00:00Z"},
                                       {}, "Acme")

    assert mention.text == text and mention.created_at == datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
