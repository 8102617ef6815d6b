import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import tweepy
import vcr
import yaml

from brandpulse.collectors.base import BrandQuery, CollectorError, HttpStatusError, MalformedPayload
from brandpulse.collectors.http import with_timeout
from brandpulse.collectors.twitter import TwitterCollector, build_query
from brandpulse.store.mentions import save_mentions
from brandpulse.store.state import collector_cursor
from tests.local_http import silent_proxy

HERE = Path(__file__).resolve().parent
# A copy of tweepy's own recording (cassettes/shared/PROVENANCE.md): the tests need nothing beside the clone.
RECORDED = HERE / "cassettes" / "shared"
OURS = HERE / "cassettes"
RESET = 1795000000
BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook", "@pinebrookcoffee", "#pinebrook"), ("pinebrook park",))
# What the recorded search (cassettes/shared) finds; the derived_* cassettes edit that recording.
TWEEPY = BrandQuery("Tweepy", ("tweepy",))
NEWEST, OLDEST = "1578516068309794817", "1578511538419212288"  # of the recorded page of 10



def replaying(sent: list[dict[str, str]]) -> vcr.VCR:
    """Replays cassettes; `sent` receives the query of every distinct request the client made."""

    def note(request):
        query = dict(request.query)
        if query not in sent:
            sent.append(query)
        return request

    return vcr.VCR(record_mode="none", match_on=["method", "path"], filter_headers=["authorization"],
                   before_record_request=note)


replay = replaying([])


class FakeTime:
    def __init__(self, now: float):
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def collector(clock: FakeTime | None = None, **options) -> TwitterCollector:
    clock = clock or FakeTime(RESET - 60)
    client = tweepy.Client(bearer_token="test-token", return_type=dict)
    return TwitterCollector("twitter", client, sleep=clock.sleep, clock=clock.clock, **options)


def run(cassette: Path, cursor=None, query: BrandQuery = BRAND, **options):
    sent: list[dict[str, str]] = []
    with replaying(sent).use_cassette(str(cassette)) as cass:
        sent.clear()  # loading the cassette passed its recorded requests through the hook
        result = collector(**options).collect(query, cursor)
    assert cass.all_played, f"{cassette.name}: not every recorded response was requested"
    return result, sent


def test_query_has_keywords_exclusions_no_retweets_and_language():
    assert build_query(BRAND) == '(pinebrook OR @pinebrookcoffee OR #pinebrook) -"pinebrook park" -is:retweet lang:en'


def test_query_override_from_config_replaces_the_built_query():
    assert collector(queries={"Pinebrook Coffee": "pinebrook has:media"}).search_query(BRAND) == "pinebrook has:media"


def test_too_long_query_is_refused_with_the_brand_named():
    long_brand = BrandQuery("Long", tuple(f"keyword{i}" for i in range(80)))
    with pytest.raises(CollectorError, match="query for Long is .* characters"):
        collector().search_query(long_brand)


def test_recorded_page_stops_at_page_budget_and_keeps_a_resumable_sweep():
    result, requests = run(RECORDED / "tweepy_search_recent_tweets.yaml", max_pages=1)
    assert len(result.mentions) == 10
    first = result.mentions[0]
    # Those tweets carry no created_at: it comes from the snowflake id; the text holds the posting time.
    posted = datetime.fromisoformat(first.text.split(" tweepy")[0]).replace(tzinfo=timezone.utc)
    assert abs((first.created_at - posted).total_seconds()) < 5
    assert result.cursor == {"since_id": None, "sweep": {"newest_id": "1578516068309794817", "until_id": "1578511538419212288"}}
    sent = requests[0]
    assert sent["query"] == build_query(BRAND) and "since_id" not in sent
    assert sent["expansions"] == "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
    assert {"created_at", "lang", "public_metrics"} <= set(sent["tweet.fields"].split(","))


def test_pages_are_followed_with_next_token_and_usernames_resolved():
    result, requests = run(OURS / "twitter_pagination.yaml", cursor={"since_id": "1"})
    assert requests[1]["next_token"] == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"
    assert all(r["since_id"] == "1" for r in requests)
    texts = {m.text for m in result.mentions}
    assert "pinebrook queue was 20 minutes again" in texts and "best latte in town, #pinebrook" in texts
    charged = next(m for m in result.mentions if "charged" in m.text)
    assert charged.author == "ada_drinks" and charged.url.endswith(f"/ada_drinks/status/{charged.external_id}")
    assert charged.created_at == datetime(2026, 11, 20, 12, tzinfo=timezone.utc) and charged.lang == "en"
    newest = max((m.external_id for m in result.mentions), key=int)
    assert result.cursor == {"since_id": newest}


def test_retweet_counts_once_as_its_original_with_amplification():
    result, _ = run(OURS / "twitter_pagination.yaml")
    assert not any(m.text.startswith("RT @") for m in result.mentions)
    original = next(m for m in result.mentions if "winter roast" in m.text)
    assert original.author == "pinebrookcoffee" and original.amplification == 43


def test_amplification_is_stored_and_only_grows(fresh_db):
    result, _ = run(OURS / "twitter_pagination.yaml")
    now = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    save_mentions(fresh_db, result.mentions, now, "twitter:Pinebrook Coffee", result.cursor)
    save_mentions(fresh_db, result.mentions, now, "twitter:Pinebrook Coffee", result.cursor)
    rows = fresh_db.execute("SELECT external_id, amplification FROM mentions WHERE amplification > 0").fetchall()
    assert rows == [(next(m.external_id for m in result.mentions if m.amplification), 43)]
    assert fresh_db.execute("SELECT count(*) FROM mentions").fetchone()[0] == len(result.mentions)


def test_empty_result_keeps_the_cursor():
    result, _ = run(OURS / "twitter_empty.yaml", cursor={"since_id": "1855000000000000000"})
    assert result.mentions == [] and result.cursor == {"since_id": "1855000000000000000"}


def test_rate_limit_is_waited_out_until_the_reset_through_the_injected_sleep():
    clock = FakeTime(RESET - 120)
    with replay.use_cassette(str(OURS / "twitter_429_then_ok.yaml")):
        result = collector(clock).collect(BRAND, None)
    assert clock.slept == [121] and len(result.mentions) == 2


def test_rate_limit_longer_than_max_wait_stops_and_the_next_run_loses_nothing(fresh_db):
    clock = FakeTime(RESET - 3600)
    state = "twitter:Pinebrook Coffee"
    now = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    with replay.use_cassette(str(OURS / "twitter_429_midway.yaml")):
        first = collector(clock, max_wait=600).collect(BRAND, {"since_id": "5"})
    assert clock.slept == [] and len(first.mentions) == 2
    assert first.cursor["since_id"] == "5" and first.cursor["sweep"]["until_id"] == min((m.external_id for m in first.mentions), key=int)
    save_mentions(fresh_db, first.mentions, now, state, first.cursor)

    second, requests = run(OURS / "twitter_resume.yaml", cursor=collector_cursor(fresh_db, state))
    sent = requests[0]
    assert sent["since_id"] == "5" and sent["until_id"] == first.cursor["sweep"]["until_id"]
    assert len(second.mentions) == 2
    assert second.cursor == {"since_id": first.cursor["sweep"]["newest_id"]}


def test_a_503_without_retry_after_says_its_status_once_not_the_words_repeated():
    with pytest.raises(CollectorError) as raised:
        run(OURS / "twitter_503.yaml")

    # Was: 'twitter: server error 503 Service Unavailable Service Unavailable; ...' (tweepy's status, then its detail).
    assert str(raised.value) == ("twitter: server error (HTTP 503 Service Unavailable); the next run retries from the "
                                 "saved cursor")


def test_a_page_answered_in_html_is_named_a_web_page_not_a_json_error():
    with pytest.raises(MalformedPayload, match=r"twitter: https://api.twitter.com/2/tweets/search/recent answered "
                       r"HTTP 200 with a web page \(untitled\), not the API's JSON"):
        run(OURS / "twitter_malformed_payload.yaml")


def test_a_captive_portals_page_on_a_later_page_is_named_with_its_title_and_address_and_the_page_before_kept():
    result, _ = run(OURS / "derived_twitter_page2_portal.yaml", {"since_id": "1"}, TWEEPY)

    assert len(result.mentions) == 10 and result.cursor["sweep"]["until_id"] == OLDEST
    # Was: 'twitter: the API returned a malformed payload (Expecting value: line 1 column 1 (char 0))'.
    assert result.error == (
        "twitter: https://api.twitter.com/2/tweets/search/recent answered HTTP 200 with a web page (titled 'Pinebrook "
        "Guest Wi-Fi – Sign in'), not the API's JSON: a proxy or captive portal on the way? Check that this machine "
        "reaches api.twitter.com directly (or through the proxy HTTPS_PROXY names); the next run retries from the "
        "saved cursor")


def test_malformed_tweet_is_skipped_and_the_rest_kept(caplog):
    result, _ = run(OURS / "twitter_malformed_item.yaml")
    assert len(result.mentions) == 2 and "skipping malformed tweet" in caplog.text
    # The bad tweet is still behind the cursor: it would fail the same way next time.
    assert int(result.cursor["since_id"]) > max(int(m.external_id) for m in result.mentions)


def test_timeout_raises_a_collector_error(monkeypatch):
    client = tweepy.Client(bearer_token="test-token", return_type=dict)
    with_timeout(client.session, 0.2)
    with silent_proxy(monkeypatch), pytest.raises(CollectorError, match="twitter: the search request timed out"):
        TwitterCollector("twitter", client).collect(BRAND, None)


def test_cursor_older_than_the_search_window_restarts_without_since_id(caplog):
    result, requests = run(OURS / "twitter_stale_cursor.yaml", cursor={"since_id": "1"})
    assert requests[0]["since_id"] == "1" and "since_id" not in requests[1]
    assert len(result.mentions) == 2 and "older than the 7-day search window" in caplog.text


def test_factory_keeps_the_bearer_token_out_of_debug_logs():
    import logging

    from brandpulse import factory
    from brandpulse.config import TwitterCollectorConfig

    factory.build_collector(TwitterCollectorConfig(type="twitter"), datetime.now(timezone.utc), {"TWITTER_BEARER_TOKEN": "t"})
    assert not logging.getLogger("tweepy.client").isEnabledFor(logging.DEBUG)


def test_text_is_unescaped_and_a_long_post_is_read_whole_from_note_tweet():
    result, sent = run(OURS / "twitter_escaped_and_long.yaml")
    escaped, long = result.mentions
    assert escaped.text == "pinebrook & AT&T both down <3 -> nobody answers"
    assert len(long.text) > 280 and long.text.endswith("so I left without my coffee.")
    assert "note_tweet" in sent[0]["tweet.fields"].split(",")


def test_a_later_page_failing_keeps_the_pages_read_and_says_why(fresh_db):
    first, _ = run(OURS / "twitter_503_midway.yaml", cursor={"since_id": "5"})
    assert len(first.mentions) == 2 and "server error (HTTP 503" in first.error
    assert first.cursor["since_id"] == "5" and first.cursor["sweep"]["until_id"] == min(
        (m.external_id for m in first.mentions), key=int)


def test_a_rate_limit_past_max_wait_is_the_collectors_error_not_a_quiet_success():
    clock = FakeTime(RESET - 3600)
    with replay.use_cassette(str(OURS / "twitter_429_then_ok.yaml")):
        with pytest.raises(HttpStatusError, match=r"rate limited \(reset at 2026-11-18T11:06:40\+00:00\), longer than"):
            collector(clock, max_wait=600).collect(BRAND, None)
    with replay.use_cassette(str(OURS / "twitter_429_midway.yaml")):
        midway = collector(clock, max_wait=600).collect(BRAND, {"since_id": "5"})
    assert len(midway.mentions) == 2 and "rate limited" in midway.error


def test_an_apis_message_of_several_lines_becomes_one_line():
    with pytest.raises(CollectorError) as refused:
        run(OURS / "twitter_401.yaml")
    assert "\n" not in str(refused.value) and "access denied (HTTP 401 Unauthorized)" in str(refused.value)


def test_a_reset_time_past_any_calendar_still_keeps_the_pages_read():
    clock = FakeTime(RESET - 3600)
    with replay.use_cassette(str(OURS / "twitter_429_midway_no_calendar.yaml")):
        midway = collector(clock, max_wait=600).collect(BRAND, {"since_id": "5"})
    assert len(midway.mentions) == 2 and "rate limited (reset at an unknown time)" in midway.error


def test_json_nested_past_pythons_stack_is_a_malformed_payload_not_a_crash(tmp_path):
    text = (OURS / "twitter_malformed_payload.yaml").read_text()
    nested = tmp_path / "nested.yaml"
    nested.write_text(text.replace("<html><body>Over capacity</body></html>", "'" + "[" * 100_000 + "]" * 100_000 + "'")
                      .replace("text/html", "application/json"))
    with pytest.raises(MalformedPayload, match="twitter: the API returned a malformed payload"):
        run(nested)


def test_a_500_with_retry_after_on_a_later_page_keeps_the_recorded_page_and_the_next_run_resumes_below_it():
    result, sent = run(OURS / "derived_twitter_page2_500_retry_after.yaml", {"since_id": "1"}, TWEEPY)

    assert len(result.mentions) == 10 and sent[1]["next_token"] and result.retry is None
    assert result.error == ("twitter: server error (HTTP 500 Internal Server Error); the next run retries from the "
                            "saved cursor")
    assert result.cursor == {"since_id": "1", "sweep": {"newest_id": NEWEST, "until_id": OLDEST}}


def test_a_429_past_max_wait_on_a_later_page_keeps_the_page_and_asks_to_wait_until_the_reset():
    result, _ = run(OURS / "derived_twitter_page2_429.yaml", {"since_id": "1"}, TWEEPY)

    assert len(result.mentions) == 10 and result.cursor["sweep"] == {"newest_id": NEWEST, "until_id": OLDEST}
    assert result.retry.until == datetime.fromtimestamp(1795003600, timezone.utc)
    assert result.error.startswith("twitter: rate limited (reset at 2026-11-18T12:06:40+00:00)")


def test_a_monthly_usage_cap_is_not_waited_on_as_a_rate_limit_and_says_so_keeping_the_page_read():
    clock = FakeTime(1795003600 - 600)  # the rate-limit window resets in 10 minutes, within max_wait
    with replay.use_cassette(str(OURS / "derived_twitter_page2_usage_capped.yaml")):
        result = collector(clock).collect(TWEEPY, {"since_id": "1"})

    # It slept till the window's reset and asked again, twice (up to 30 minutes a brand), then said 'rate limited'.
    assert clock.slept == []
    assert len(result.mentions) == 10 and result.cursor["sweep"] == {"newest_id": NEWEST, "until_id": OLDEST}
    assert result.error == (
        "twitter: the app's monthly usage cap is used up (HTTP 429: Usage cap exceeded: Monthly product cap); X "
        "serves no more posts until the cap resets with the app's billing month or its plan is raised in the "
        "developer portal; each run asks once, resuming from the saved cursor")
    assert result.retry is not None and result.retry.until is None and result.retry.delay is None


def test_check_of_an_app_over_its_monthly_usage_cap_says_so_not_that_the_token_works(tmp_path):
    cassette = yaml.safe_load((OURS / "derived_twitter_page2_usage_capped.yaml").read_text(encoding="utf-8"))
    cassette["interactions"] = cassette["interactions"][1:]
    capped = tmp_path / "capped.yaml"
    capped.write_text(yaml.safe_dump(cassette), encoding="utf-8")

    with replay.use_cassette(str(capped)), pytest.raises(HttpStatusError) as raised:
        collector(FakeTime(1795003600 - 600)).probe(TWEEPY)
    assert str(raised.value).startswith("twitter: the app's monthly usage cap is used up (HTTP 429: Usage cap")


PARSE_ERROR = ("400 Bad Request There were errors processing your request: no viable alternative at input '(tweepy' "
               "(at position 1)")


def test_a_query_built_from_keywords_that_the_api_refuses_names_the_brand_and_what_to_fix_not_a_query_never_set():
    with pytest.raises(CollectorError) as refused:
        run(OURS / "derived_twitter_400_query.yaml", {"since_id": "1"}, TWEEPY, lang=None)
    assert str(refused.value) == (
        f"twitter: the API refused the query for Tweepy, 'tweepy -is:retweet' ({PARSE_ERROR}); it is built from the "
        "keywords and exclusions of brand Tweepy: fix them, or set a query under the collector's `queries: {'Tweepy': "
        "...}`")


def test_a_configured_query_that_the_api_refuses_names_its_entry_under_queries_and_the_collector():
    with replay.use_cassette(str(OURS / "derived_twitter_400_query.yaml")), pytest.raises(CollectorError) as refused:
        TwitterCollector("twitter-x", tweepy.Client(bearer_token="test-token", return_type=dict),
                         queries={"Tweepy": "(tweepy"}).probe(TWEEPY)
    assert str(refused.value) == (
        f"twitter (twitter-x): the API refused the query for Tweepy, '(tweepy' ({PARSE_ERROR}); fix it under the "
        "collector's `queries: {'Tweepy': ...}`")


def test_a_later_page_cut_short_keeps_the_page_before_it_and_names_the_malformed_payload():
    result, _ = run(OURS / "derived_twitter_page2_truncated.yaml", {"since_id": "1"}, TWEEPY)

    assert len(result.mentions) == 10 and result.cursor["sweep"]["until_id"] == OLDEST
    assert result.error.startswith("twitter: the API returned a malformed payload (Expecting")


def test_a_later_page_whose_meta_is_a_list_keeps_the_page_before_it_and_names_the_malformed_payload():
    result, _ = run(OURS / "derived_twitter_page2_meta_list.yaml", {"since_id": "1"}, TWEEPY)

    # Was a bare AttributeError ("'list' object has no attribute 'get'"), naming no source, the first page lost.
    assert len(result.mentions) == 10 and result.cursor["sweep"] == {"newest_id": NEWEST, "until_id": OLDEST}
    assert result.error == "twitter: the API returned a malformed payload (meta is a list, not an object)"


@pytest.mark.parametrize("part, value, said", [
    ("data", {"id": "1"}, "data is an object, not a list"), ("includes", [], "includes is a list, not an object"),
    ("meta", {"next_token": 7}, "meta.next_token is a number, not a string"),
])
def test_a_first_page_with_a_part_of_the_wrong_shape_is_a_malformed_payload_naming_it(tmp_path, part, value, said):
    cassette = yaml.safe_load((OURS / "derived_twitter_page2_meta_list.yaml").read_text(encoding="utf-8"))
    page = cassette["interactions"][1]
    page["response"]["body"]["string"] = json.dumps({**json.loads(page["response"]["body"]["string"]), part: value})
    cassette["interactions"] = [page]
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(cassette), encoding="utf-8")

    with pytest.raises(MalformedPayload) as raised:
        run(edited, {"since_id": "1"}, TWEEPY)
    assert str(raised.value) == f"twitter: the API returned a malformed payload ({said})"


def test_a_page_of_errors_without_data_keeps_the_cursor():
    result, _ = run(OURS / "derived_twitter_errors_without_data.yaml", {"since_id": "1"}, TWEEPY)

    assert result.mentions == [] and result.cursor == {"since_id": "1"} and result.error is None


def _pipeline(tmp_path, monkeypatch, token: str):
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline
    from tests.conftest import write_config

    monkeypatch.setenv("TWITTER_BEARER_TOKEN", token)
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Tweepy, keywords: [tweepy]}]\n"
                          "collectors: [{type: twitter, lang: null}]\n")
    return Pipeline(load_config(config), tmp_path / "db.sqlite")


def test_duplicates_across_pages_are_stored_once_and_a_tweet_dated_ahead_as_collected(tmp_path, monkeypatch):
    now = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    pipeline = _pipeline(tmp_path, monkeypatch, "test-token")
    with replay.use_cassette(str(OURS / "derived_twitter_duplicates_and_future.yaml")):
        report = pipeline.collect(now)

    db = pipeline.open()
    assert report.new == 11 and report.duplicate == 0 and not report.failures
    assert db.execute("SELECT created_at FROM mentions WHERE text LIKE '2031%'").fetchone()[0].startswith("2026-11-20")
    (cursor,) = db.execute("SELECT cursor FROM collector_state").fetchone()
    assert json.loads(cursor) == {"since_id": NEWEST}


def test_an_edited_tweet_collected_again_under_its_new_id_is_stored_once_as_its_first_version(tmp_path, monkeypatch):
    pipeline = _pipeline(tmp_path, monkeypatch, "test-token")
    with replay.use_cassette(str(OURS / "derived_twitter_duplicates_and_future.yaml")):
        pipeline.collect(datetime(2026, 11, 20, 13, tzinfo=timezone.utc))
    with replay.use_cassette(str(OURS / "derived_twitter_edited.yaml")):
        report = pipeline.collect(datetime(2026, 11, 20, 14, tzinfo=timezone.utc))

    # X gives each edit a new id, newer than since_id: it was stored as a second mention, counted twice.
    db = pipeline.open()
    assert report.new == 0 and report.duplicate == 1 and not report.failures
    assert db.execute("SELECT count(*) FROM mentions WHERE text LIKE '%2022-10-07 22:38:12.636554%'").fetchone() == (1,)
    (cursor,) = db.execute("SELECT cursor FROM collector_state").fetchone()
    assert json.loads(cursor) == {"since_id": str(1578515061600964608 + (600_000 << 22))}


def test_a_refused_token_is_named_by_its_variable_and_never_reaches_the_store_or_the_log(tmp_path, monkeypatch,
                                                                                           caplog):
    token = "AAAA-tw-bearer-5ecret-0042"
    pipeline = _pipeline(tmp_path, monkeypatch, token)
    with caplog.at_level("DEBUG"), replay.use_cassette(str(OURS / "derived_twitter_401.yaml")):
        report = pipeline.collect(datetime(2026, 11, 20, 13, tzinfo=timezone.utc))

    (error,) = report.failures.values()
    assert error.startswith("twitter: access denied (HTTP 401 Unauthorized") and "TWITTER_BEARER_TOKEN" in error
    pipeline.open().close()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("db.sqlite*"))
    assert b"access denied" in stored and token.encode() not in stored
    assert token not in caplog.text and token not in error


def test_a_tweet_dated_without_a_time_zone_is_read_as_utc_not_skipped_behind_since_id():
    from brandpulse.collectors.twitter import tweet_to_mention

    tweet = {"id": NEWEST, "text": "tweepy", "created_at": "2022-10-07T16:20:11.000"}
    assert tweet_to_mention(tweet, {}, "Tweepy").created_at == datetime(2022, 10, 7, 16, 20, 11, tzinfo=timezone.utc)
