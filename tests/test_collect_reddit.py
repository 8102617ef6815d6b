import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import praw
import pytest
import vcr

from brandpulse.collectors.base import BrandQuery, CollectorError, MalformedPayload, RetryLater
from brandpulse.collectors.reddit import RedditCollector, search_query
from brandpulse.collectors.reddit_pacing import RedditPacer
from tests.local_http import silent_proxy

HERE = Path(__file__).resolve().parent
# Copies of praw's own recordings (cassettes/shared/PROVENANCE.md): the tests need nothing beside the clone.
RECORDED = HERE / "cassettes" / "shared"
OURS = HERE / "cassettes"
BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook", "@pinebrookcoffee"), ("pinebrook park",))
# What the recorded search of r/all (cassettes/shared) finds; the derived_* cassettes edit that recording.
PRAW = BrandQuery("PRAW", ("praw", "reddit"))
SECRETS = {"<ACCESS_TOKEN>": "test-access-token", "<BASIC_AUTH>": "dGVzdDp0ZXN0", "<USER_AGENT>": "brandpulse-tests"}

replay = vcr.VCR(record_mode="none", match_on=["method", "path"], serializer="json",
                 filter_headers=["authorization"])


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """prawcore sleeps between retries and to respect rate limits; tests do not wait."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def cassette(tmp_path: Path, *parts: Path) -> Path:
    """One cassette from the interactions of several files, with the placeholders for secrets filled in."""
    interactions = []
    for path in parts:
        interactions += json.loads(path.read_text(encoding="utf-8"))["interactions"]
    text = json.dumps({"interactions": interactions, "version": 1})
    for placeholder, value in SECRETS.items():
        text = text.replace(placeholder, value)
    merged = tmp_path / "cassette.json"
    merged.write_text(text, encoding="utf-8")
    return merged


def reddit(**config) -> praw.Reddit:
    return praw.Reddit(client_id="test", client_secret="test", user_agent=SECRETS["<USER_AGENT>"],
                       check_for_updates=False, **config)


def run(path: Path, query=BRAND, cursor=None, subreddits=("coffee",), **options):
    with replay.use_cassette(str(path)) as cass:
        result = RedditCollector("reddit", reddit(), subreddits, **options).collect(query, cursor)
    assert cass.all_played, f"{path.name}: not every recorded response was requested"
    return result


def test_search_query_quotes_keywords_and_excludes():
    assert search_query(BRAND) == '("pinebrook" OR "pinebrookcoffee") NOT "pinebrook park"'


def test_a_double_quote_in_a_keyword_or_exclusion_is_left_out_of_its_quoted_search_phrase():
    query = BrandQuery("Acme", ("acme", 'the "acme" shop', 'back\\slash'), ('say "hi"', '"', 'a \\"b'))

    # Was: '("acme" OR "the "acme" shop") NOT "say "hi"" NOT """': phrases cut short, stray terms searched.
    assert search_query(query) == '("acme" OR "the acme shop" OR "back slash") NOT "say hi" NOT "a b"'
    with pytest.raises(CollectorError, match=r'reddit: no keyword of Acme has a word to search for'):
        search_query(BrandQuery("Acme", ('""',)))


def test_praw_recordings_give_matching_submissions_and_comments_and_a_rerun_gives_nothing_new(tmp_path):
    recorded = cassette(tmp_path, RECORDED / "praw_subreddit_search.json", RECORDED / "praw_subreddit_comments.json")
    query = BrandQuery("PRAW", ("praw", "reddit"))
    first = run(recorded, query, subreddits=("all",))
    posts = [m for m in first.mentions if m.external_id.startswith("t3_")]
    comments = [m for m in first.mentions if m.external_id.startswith("t1_")]
    assert {"t3_3gpbiu", "t3_1qvzkd"} <= {m.external_id for m in posts}
    assert comments and len(comments) < 100  # the 100 newest comments, only those that mention the brand
    assert all("reddit" in m.text.lower() or "praw" in m.text.lower() for m in first.mentions)
    praw_page = next(m for m in posts if m.external_id == "t3_1qvzkd")
    assert praw_page.created_at == datetime.fromtimestamp(1384770349, timezone.utc)
    assert praw_page.url.startswith("https://www.reddit.com/r/redditdev/comments/1qvzkd")
    assert praw_page.source == "reddit" and praw_page.brand == "PRAW" and praw_page.author

    again = run(recorded, query, cursor=json.loads(json.dumps(first.cursor)), subreddits=("all",))
    # Only what the search lists within SEARCH_LAG of the newest is read again (the store keeps one copy of each).
    assert {m.external_id for m in again.mentions} < {m.external_id for m in first.mentions}
    assert again.cursor == first.cursor


def test_pagination_follows_after_and_keeps_matching_comments():
    result = run(OURS / "reddit_pagination.json", limit=150)
    ids = sorted(m.external_id for m in result.mentions)
    assert ids == ["t1_c1", "t1_c3", "t3_p1", "t3_p2", "t3_p3"]
    assert result.cursor["submissions"]["ids"] == ["t3_p1"] and result.cursor["comments"]["ids"] == ["t1_c1"]


def test_cursor_returns_items_after_it_and_those_the_search_listed_late_but_no_older_ones():
    at = datetime.fromtimestamp(1795000000 - 60, timezone.utc)
    result = run(OURS / "reddit_late_and_old.json", cursor={"submissions": {"at": at.isoformat(), "ids": []}})
    assert sorted(m.external_id for m in result.mentions) == ["t3_p1", "t3_p6"]  # p6 30 min behind, p7 2 hours
    assert result.cursor["submissions"] == {"at": datetime.fromtimestamp(1795000000, timezone.utc).isoformat(),
                                            "ids": ["t3_p1"]}


def test_a_later_search_page_failing_keeps_the_first_and_leaves_the_watermark(no_sleep):
    cursor = {"submissions": {"at": datetime.fromtimestamp(1795000000 - 3600, timezone.utc).isoformat(), "ids": []}}
    result = run(OURS / "reddit_page2_fails.json", cursor=cursor, limit=150)
    assert sorted(m.external_id for m in result.mentions) == ["t3_p1", "t3_p2"] and "server error" in result.error
    assert result.cursor["submissions"] == cursor["submissions"]  # p3, on the failed page, is older than p1 and p2


def test_the_comments_listing_failing_keeps_the_submissions_read_and_their_watermark(no_sleep):
    comments = {"at": "2026-11-01T00:00:00+00:00", "ids": []}
    result = run(OURS / "reddit_comments_fail.json", cursor={"comments": comments})
    assert [m.external_id for m in result.mentions] == ["t3_p3"] and "server error" in result.error
    assert result.cursor == {"submissions": {"at": datetime.fromtimestamp(1795000000 - 120, timezone.utc).isoformat(),
                                             "ids": ["t3_p3"]},
                             "comments": {"at": "2026-11-01T00:00:00+00:00", "ids": []}}


def test_handles_without_their_at_cross_posts_titled_with_the_brand_and_a_post_dated_ahead():
    result = run(OURS / "reddit_odd_posts.json")
    texts = {m.external_id: m.text for m in result.mentions}
    assert texts == {"t3_p10": "pinebrook from the future", "t3_p11": "u/pinebrookcoffee charged me twice",
                     "t3_p12": "Look what pinebrook fans made"}
    # The post dated five years ahead is kept (stored as collected now) but does not move the watermark.
    assert result.cursor["submissions"]["at"] == datetime.fromtimestamp(1795000000, timezone.utc).isoformat()


def test_a_position_frozen_in_the_future_by_an_earlier_version_is_read_afresh(caplog):
    frozen = {"submissions": {"at": "2031-01-01T00:00:00+00:00", "ids": []}}
    result = run(OURS / "reddit_pagination.json", cursor=frozen, limit=150)

    posts = sorted(m.external_id for m in result.mentions if m.external_id.startswith("t3_"))
    assert posts == ["t3_p1", "t3_p2", "t3_p3"]
    assert result.cursor["submissions"]["at"].startswith("2026-") and "in the future" in caplog.text


def test_subreddits_are_names_as_reddit_writes_them(tmp_path):
    from brandpulse.config import ConfigError, load_config
    from tests.conftest import write_config

    def subreddits(value):
        text = f"brands: [{{name: Acme, keywords: [acme]}}]\ncollectors:\n  - {{type: reddit, subreddits: {value}}}\n"
        return load_config(write_config(tmp_path / "config.yaml", text)).collectors[0].subreddits

    assert subreddits('["r/coffee", "/r/espresso", tea]') == ["coffee", "espresso", "tea"]
    for wrong in ('[""]', '["coffee espresso"]', '["r/"]'):
        with pytest.raises(ConfigError, match="is not a subreddit name"):
            subreddits(wrong)


def test_empty_result_keeps_the_cursor_empty():
    result = run(OURS / "reddit_empty.json")
    assert result.mentions == [] and result.cursor == {"submissions": None, "comments": None}


def test_rate_limit_raises_a_collector_error_and_moves_nothing():
    with pytest.raises(CollectorError, match="reddit: rate limited"):
        run(OURS / "reddit_429.json")


def test_server_error_is_retried_by_prawcore_then_raises_a_collector_error(no_sleep):
    with pytest.raises(CollectorError, match="reddit: server error"):
        run(OURS / "reddit_503.json")
    assert len(no_sleep) >= 2


def test_malformed_payload_raises_a_collector_error():
    with pytest.raises(CollectorError, match="reddit: malformed payload"):
        run(OURS / "reddit_malformed_payload.json")


def test_malformed_item_is_skipped_and_a_crosspost_counts_as_its_original(caplog):
    result = run(OURS / "reddit_malformed_item.json")
    ids = sorted(m.external_id for m in result.mentions)
    assert ids == ["t3_p3", "t3_p4"] and "skipping malformed item" in caplog.text
    original = next(m for m in result.mentions if m.external_id == "t3_p4")
    assert original.amplification == 5 and original.text.startswith("Pinebrook winter roast review")
    assert result.cursor["submissions"]["ids"] == ["t3_p9"]  # the cross-post's own place in the listing


def test_timeout_raises_a_collector_error(monkeypatch):
    client = reddit(timeout=1, requestor_kwargs={"timeout": 0.2})
    with silent_proxy(monkeypatch), pytest.raises(CollectorError, match="reddit: request failed .*Timeout"):
        RedditCollector("reddit", client, ("coffee",)).collect(BRAND, None)


def test_a_removed_or_deleted_posts_marker_is_not_taken_as_its_text():
    result = run(OURS / "reddit_removed.json")

    assert {m.external_id: (m.text, m.author) for m in result.mentions} == {
        "t3_p14": ("Pinebrook charged me twice", "user14"), "t3_p15": ("pinebrook refund story", None)}


def test_an_exclusion_written_with_at_or_hash_excludes_on_reddit_as_a_keyword_so_written_matches(tmp_path):
    query = BrandQuery("Pinebrook Coffee", ("pinebrook",), ("@sunday", "#oat"))

    result = run(cassette(tmp_path, OURS / "reddit_pagination.json"), query, limit=150)

    # Was kept: "@sunday" and "#oat" were looked for as written, which nobody writes on Reddit (u/sunday, r/oat).
    assert search_query(query) == '("pinebrook") NOT "sunday" NOT "oat"'
    assert not any("Sunday" in m.text or "oat" in m.text for m in result.mentions) and result.mentions


def test_a_later_page_failing_with_502_keeps_the_recorded_first_page_and_the_watermark(no_sleep):
    cursor = {"submissions": {"at": "2015-01-01T00:00:00+00:00", "ids": []}}
    result = run(OURS / "derived_reddit_page2_502.json", PRAW, cursor, ("all",), limit=150)

    assert sorted(m.external_id for m in result.mentions) == ["t3_3b4erh", "t3_3gpbiu", "t3_3x4kt2"]
    assert result.error == "reddit: server error (received 502 HTTP response); the next run retries"
    assert result.cursor["submissions"] == cursor["submissions"] and result.retry is None


def test_a_401_without_www_authenticate_is_an_authentication_failure_naming_the_variables_not_a_malformed_payload():
    with pytest.raises(CollectorError) as raised:
        run(OURS / "derived_reddit_401_no_www_authenticate.json", PRAW, subreddits=("all",))

    # Was MalformedPayload 'reddit: malformed payload (KeyError: 401)': prawcore maps a 401 by that header alone.
    assert not isinstance(raised.value, MalformedPayload)
    assert str(raised.value) == ("reddit: authentication failed (received 401 HTTP response); check REDDIT_CLIENT_ID "
                                 "and REDDIT_CLIENT_SECRET")


def test_a_429_with_reddits_x_ratelimit_reset_asks_the_service_to_wait_those_seconds():
    with pytest.raises(RetryLater) as raised:
        run(OURS / "derived_reddit_429_ratelimit_reset.json", PRAW, subreddits=("all",))

    # Was no wait (Reddit sends no Retry-After): the next brand's search went out at once, prawcore sleeping 412 s
    # before it (its limiter read the 429's headers) to be refused again, and the next run did the same.
    assert raised.value.delay == timedelta(seconds=412) and raised.value.until is None
    assert "x-ratelimit-reset 412 s); the next run after then resumes" in str(raised.value)


def _two_brand_pipeline(tmp_path, monkeypatch, options=""):
    """A pipeline of brands PRAW and Other with one Reddit collector on r/all (and its YAML `options`), at 13:00."""
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline
    from tests.conftest import write_config

    for name in ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"):
        monkeypatch.setenv(name, "test")
    config = write_config(tmp_path / "c.yaml", "brands: [{name: PRAW, keywords: [praw]}, {name: Other, keywords: [x]}]"
                          f"\ncollectors: [{{type: reddit, subreddits: [all]{options}}}]\n")
    now = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    return now, Pipeline(load_config(config), tmp_path / "db.sqlite", clock=lambda: now)


def test_a_429_with_x_ratelimit_reset_defers_reddit_for_every_brand_without_sleeping(tmp_path, monkeypatch, no_sleep):
    now, pipeline = _two_brand_pipeline(tmp_path, monkeypatch)
    with replay.use_cassette(str(OURS / "derived_reddit_429_ratelimit_reset.json"), allow_playback_repeats=True):
        report = pipeline.collect(now)

    assert report.deferred == {"reddit": now + timedelta(seconds=412)}
    assert list(report.failures) == ["reddit:PRAW"] and no_sleep == []  # was: slept 412 s, then Other refused too


def test_a_429_whose_retry_after_is_a_date_asks_to_wait_until_then_not_a_malformed_payload():
    with pytest.raises(RetryLater) as raised:
        run(OURS / "derived_reddit_429_retry_after_date.json", PRAW, subreddits=("all",))

    # Was "reddit: malformed payload (ValueError: could not convert string to float: 'Fri, ...')", no wait asked:
    # prawcore reads Retry-After as seconds only.
    assert raised.value.until == datetime(2026, 11, 20, 13, 10, tzinfo=timezone.utc)
    assert str(raised.value).startswith("reddit: rate limited (received 429 HTTP response)")


def test_a_cross_post_of_a_deleted_post_counts_as_its_original_without_the_deleted_marker_as_author():
    result = run(OURS / "derived_reddit_crosspost_of_deleted.json", PRAW, subreddits=("all",))

    original = next(m for m in result.mentions if m.external_id.startswith("t3_"))
    assert (original.external_id, original.text) == ("t3_1qvzkd", "Praw, opening a user page.")
    assert original.amplification == 3
    # Was '[deleted]': the original comes as Reddit's raw JSON, where praw makes a listed post's '[deleted]' None.
    assert original.author is None


def test_a_search_answered_with_a_json_array_is_a_malformed_payload_naming_reddit():
    with pytest.raises(MalformedPayload) as raised:
        run(OURS / "derived_reddit_search_array.json", PRAW, subreddits=("all",))

    # Was a bare IndexError 'list index out of range', which named no source and logged a traceback.
    assert str(raised.value) == "reddit: malformed payload (IndexError: list index out of range)"


def test_an_access_token_answer_cut_short_is_a_malformed_payload_naming_the_token_request():
    with pytest.raises(MalformedPayload) as raised:
        run(OURS / "derived_reddit_token_truncated.json", PRAW, subreddits=("all",))

    # Was 'reddit: JSONDecodeError: Unterminated string starting at: line 1 column 18 (char 17)', naming no request.
    assert str(raised.value) == "reddit: malformed payload (not JSON) from https://www.reddit.com/api/v1/access_token"


def test_an_access_token_refused_with_403_names_the_credentials_not_the_subreddits():
    with pytest.raises(CollectorError) as raised:
        run(OURS / "derived_reddit_token_403.json", PRAW, subreddits=("all",))

    # Was 'reddit: HTTP error (received 403 HTTP response); check the configured subreddits', which no token asks for.
    assert str(raised.value) == ("reddit: authentication failed (received 403 HTTP response); check REDDIT_CLIENT_ID "
                                 "and REDDIT_CLIENT_SECRET, and that REDDIT_USER_AGENT names the app")


def test_a_post_repeated_on_the_next_page_is_kept_once_and_removed_deleted_and_nsfw_posts_as_reddit_lists_them():
    result = run(OURS / "derived_reddit_duplicates_across_pages.json", PRAW, subreddits=("all",))

    posts = {m.external_id: m for m in result.mentions if m.external_id.startswith("t3_")}
    assert sorted(posts) == ["t3_1qvzkd", "t3_3b4erh", "t3_3gpbiu", "t3_3qc02b", "t3_3x4kt2", "t3_4at068"]
    assert len([m for m in result.mentions if m.external_id == "t3_3b4erh"]) == 1
    assert posts["t3_3gpbiu"].text == "[PRAW][OAuth2Util] Problem using get_banned() : raise Forbidden(_raw=response)"
    assert posts["t3_3x4kt2"].author is None and posts["t3_3b4erh"].raw["over_18"] is True
    assert result.cursor["submissions"]["ids"] == ["t3_4at068"] and result.error is None


@pytest.mark.parametrize("headers", [
    None, {"x-ratelimit-remaining": ["598"]}, {"x-ratelimit-remaining": ["598.0"], "x-ratelimit-used": ["2.0"],
                                               "x-ratelimit-reset": ["412"]},
    {"x-ratelimit-remaining": ["598"], "x-ratelimit-used": ["2"], "x-ratelimit-reset": ["soon"]},
])
def test_an_answer_with_partial_or_odd_x_ratelimit_headers_is_read_as_usual(tmp_path, headers):
    shared = (RECORDED / "praw_subreddit_search.json", RECORDED / "praw_subreddit_comments.json")
    recorded = run(cassette(tmp_path, *shared), PRAW, subreddits=("all",))
    derived = json.loads((OURS / "derived_reddit_ratelimit_without_used.json").read_text(encoding="utf-8"))
    if headers is not None:  # None: the derived cassette as made, -remaining and -reset without -used
        answer = derived["interactions"][1]["response"]
        answer["headers"] = {k: v for k, v in answer["headers"].items() if not k.startswith("x-ratelimit")} | headers
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(derived), encoding="utf-8")

    result = run(cassette(tmp_path, edited), PRAW, subreddits=("all",))

    # Was 'reddit: malformed payload (KeyError: 'x-ratelimit-used')' (or ValueError: invalid literal for int()):
    # prawcore reads the three headers as whole numbers, unguarded, once x-ratelimit-remaining is there.
    assert result.error is None and result.mentions == recorded.mentions


class FakeMonotonic:
    def __init__(self):
        self.now, self.slept = 1000.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_page_using_up_reddits_window_keeps_what_was_read_and_asks_to_wait_instead_of_sleeping(no_sleep):
    fake = FakeMonotonic()
    pacer = RedditPacer(window_size=600, sleep=fake.sleep, clock=fake.clock)
    cursor = {"submissions": {"at": "2015-01-01T00:00:00+00:00", "ids": []}}
    with replay.use_cassette(str(OURS / "derived_reddit_ratelimit_used_up.json")) as cass:
        result = RedditCollector("reddit", reddit(), ("all",), limit=150, pacer=pacer).collect(PRAW, cursor)

    # Was: prawcore slept 412 s (time.sleep, for real) before the second page, blocking the run and every collector.
    assert no_sleep == [] and fake.slept == [] and cass.play_count == 2  # the token and the first page
    assert sorted(m.external_id for m in result.mentions) == ["t3_3b4erh", "t3_3gpbiu", "t3_3x4kt2"]
    assert result.retry.delay == timedelta(seconds=412) and result.cursor["submissions"] == cursor["submissions"]
    assert result.error == ("reddit: rate limit used up (x-ratelimit-remaining 0, Reddit's window resets in 412 s); "
                            "the next run after then resumes from the saved cursor")


def test_reddits_window_used_up_defers_reddit_for_every_brand_without_sleeping(tmp_path, monkeypatch, no_sleep):
    now, pipeline = _two_brand_pipeline(tmp_path, monkeypatch, ", limit: 150")
    with replay.use_cassette(str(OURS / "derived_reddit_ratelimit_used_up.json")) as cass:
        report = pipeline.collect(now)

    assert no_sleep == [] and cass.play_count == 2 and report.new > 0  # the first page is stored
    assert report.deferred == {"reddit": now + timedelta(seconds=412)} and "reddit:Other" not in report.failures


def test_a_short_pause_between_requests_goes_through_the_injected_sleep():
    fake = FakeMonotonic()
    pacer = RedditPacer(window_size=600, sleep=fake.sleep, clock=fake.clock)

    pacer.update(response_headers={"x-ratelimit-remaining": "10", "x-ratelimit-used": "590", "x-ratelimit-reset": "20"})
    pacer.delay()
    pacer.delay()

    assert fake.slept == [10.0]  # prawcore's pacing, at most 10 s, once: the clock has moved past it


def serve_reddit(server, *search_replies) -> praw.Reddit:
    """A praw client whose token and search requests go to `server` (a real HTTP server on 127.0.0.1), the token
    answered as recorded (cassettes/shared), the searches with `search_replies`."""
    from tests.local_http import Reply

    token, search = json.loads((RECORDED / "praw_subreddit_search.json").read_text(encoding="utf-8"))["interactions"]
    token_body = token["response"]["body"]["string"].replace("<ACCESS_TOKEN>", SECRETS["<ACCESS_TOKEN>"])
    server.route("/api/v1/access_token", Reply(200, token_body.encode(), {"Content-Type": "application/json"}))
    server.route("/r/all/search/", *search_replies)
    return reddit(oauth_url=server.url, reddit_url=server.url)


def recorded_search() -> bytes:
    interactions = json.loads((RECORDED / "praw_subreddit_search.json").read_text(encoding="utf-8"))["interactions"]
    return interactions[1]["response"]["body"]["string"].encode()


def test_a_search_answer_cut_short_says_so_naming_reddit_and_the_address(server):
    from tests.local_http import Reply

    body = recorded_search()
    client = serve_reddit(server, Reply(200, body[:20], {"Content-Type": "application/json"}, length=len(body)))
    with pytest.raises(CollectorError) as raised:
        RedditCollector("reddit", client, ("all",)).collect(PRAW, None)
    # Was: "reddit: request failed (ChunkedEncodingError: error with request ('Connection broken: IncompleteRead(20
    # bytes read, 79587 more expected)', IncompleteRead(20 bytes read, 79587 more expected))); the next run retries".
    assert str(raised.value) == (f"reddit: answer cut short (20 of {len(body)} bytes) from {server.url}/r/all/search/, "
                                 "each time prawcore asked; the next run retries")


def test_prawcores_retries_after_a_5xx_pause_through_the_injected_sleep_not_the_wall_clock(server, no_sleep):
    from tests.local_http import Reply

    fake = FakeMonotonic()
    pacer = RedditPacer(window_size=600, sleep=fake.sleep, clock=fake.clock)
    client = serve_reddit(server, Reply(503, b"<html>busy</html>", {"Content-Type": "text/html"}))
    with pytest.raises(CollectorError, match="reddit: server error"):
        RedditCollector("reddit", client, ("all",), pacer=pacer).collect(PRAW, None)

    # Was: two sleeps on time.sleep (0-2 s, then 2-4 s) before prawcore's two retries, the injected sleep not called.
    assert no_sleep == [] and len(fake.slept) == 2 and 0 <= fake.slept[0] <= 2 <= fake.slept[1] <= 4
    assert len([path for _, path, _ in server.requests if path.startswith("/r/all/search/")]) == 3


def test_a_private_subreddit_among_others_is_named_with_reddits_reason_and_the_others_read():
    result = run(OURS / "derived_reddit_private_subreddit.json", PRAW, subreddits=("coffee", "secretbeans"))

    # Was: CollectorError 'reddit: HTTP error (received 403 HTTP response); check the configured subreddits', nothing
    # read from r/coffee.
    assert {"t3_3gpbiu", "t3_1qvzkd"} <= {m.external_id for m in result.mentions}
    assert result.cursor["submissions"] and result.cursor["comments"]
    assert result.error == ("reddit: Reddit refuses r/secretbeans (HTTP 403: private); remove it from the collector's "
                            "subreddits; the others (r/coffee) were read")


def test_a_banned_subreddit_configured_alone_is_named_with_reddits_reason():
    with pytest.raises(CollectorError) as raised:
        run(OURS / "derived_reddit_banned_subreddit.json", PRAW, subreddits=("beanbanned",))

    assert str(raised.value) == ("reddit: Reddit refuses r/beanbanned (HTTP 404: banned); remove it from the "
                                 "collector's subreddits")
