import json
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest

from brandpulse.collectors.base import BrandQuery, CollectorError
from brandpulse.collectors.googleplay import GooglePlayCollector
from brandpulse.collectors.http import new_session
from tests.local_http import LocalServer, Reply

PATH = "/_/PlayStoreUi/data/batchexecute"
BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook",))


def collector(server: LocalServer, timeout: float = 5.0) -> GooglePlayCollector:
    return GooglePlayCollector("googleplay", "com.pinebrook.app", "en", "gb", "Pinebrook Coffee", server.url,
                               page_size=2, max_pages=5, session=new_session(timeout))


def page(name: str) -> Reply:
    return Reply.file(name, "application/json; charset=utf-8")


def test_pages_follow_the_continuation_token_and_keep_ratings(server):
    server.route(PATH, page("googleplay_page1.txt"), page("googleplay_page2.txt"))
    result = collector(server).collect(BRAND, None)
    assert [(m.rating, m.text) for m in result.mentions] == [
        (1, "Pinebrook app double charged me"), (4, "Good coffee, app is fine"), (2, "Login loop since the update")]
    assert result.mentions[0].created_at == datetime.fromtimestamp(1795000000, timezone.utc)
    (_, first_path, first_body), (_, _, second_body) = server.requests
    assert "hl=en" in first_path and "gl=gb" in first_path
    assert "com.pinebrook.app" in unquote(first_body.decode()) and "CsYBCsMBQUx4bWtT" in unquote(second_body.decode())


def test_rerun_with_the_cursor_returns_nothing(server):
    server.route(PATH, page("googleplay_page1.txt"), page("googleplay_page2.txt"), page("googleplay_page1.txt"))
    first = collector(server).collect(BRAND, None)
    again = collector(server).collect(BRAND, first.cursor)
    assert again.mentions == [] and again.cursor == first.cursor


def test_empty_result_keeps_the_cursor(server):
    server.route(PATH, page("googleplay_empty.txt"))
    result = collector(server).collect(BRAND, None)
    assert result.mentions == [] and result.cursor is None


def test_rate_limit_raises_a_collector_error(server):
    server.route(PATH, Reply(429, b"", {"Retry-After": "30"}))
    with pytest.raises(CollectorError, match="googleplay: rate limited"):
        collector(server).collect(BRAND, None)


def test_gateway_error_in_a_200_answer_counts_as_rate_limited(server):
    server.route(PATH, Reply(200, b')]}\'\n\n[["er",null,null,null,null,429,null,null,null,7],'
                                  b'["e",4,null,null,"com.google.play.gateway.proto.PlayGatewayError"]]'))
    with pytest.raises(CollectorError, match="googleplay: rate limited"):
        collector(server).collect(BRAND, None)


def test_server_error_raises_a_collector_error(server):
    server.route(PATH, Reply(500, b"oops"))
    with pytest.raises(CollectorError, match="googleplay: server error HTTP 500"):
        collector(server).collect(BRAND, None)


def test_timeout_raises_a_collector_error(server):
    server.route(PATH, Reply(hang=True))
    with pytest.raises(CollectorError, match="googleplay: .* timed out"):
        collector(server, timeout=0.2).collect(BRAND, None)


def test_malformed_payload_raises_a_collector_error(server):
    server.route(PATH, Reply(200, b"<!doctype html><title>Sorry</title>"))
    # Was: 'malformed reviews payload (IndexError: '')', a Python error's name for an answer that is a web page.
    with pytest.raises(CollectorError,
                       match="malformed reviews payload .the answer holds no reviews envelope; it begins .*doctype"):
        collector(server).collect(BRAND, None)


def test_malformed_review_is_skipped_and_the_rest_kept(server, caplog):
    server.route(PATH, page("googleplay_malformed_item.txt"))
    result = collector(server).collect(BRAND, None)
    assert [m.external_id for m in result.mentions] == ["gp:AOqpTO003"] and "gp:broken" in caplog.text


def test_importing_the_scraper_leaves_tls_verification_on():
    import ssl

    from brandpulse.collectors.googleplay import _scraper

    _scraper()
    assert ssl._create_default_https_context is ssl.create_default_context


def test_a_continuation_token_that_repeats_stops_the_paging_instead_of_reading_the_page_again(server, caplog):
    server.route(PATH, page("googleplay_page1.txt"))  # its token, every time
    result = collector(server).collect(BRAND, None)

    # Was: the same page asked for 5 times (max_pages), with 8 warnings 'two items share the id gp:AOqpTO001'.
    assert len(result.mentions) == 2 and len(server.requests) == 2
    assert "repeats reviews already read this run" in caplog.text and "share the id" not in caplog.text


CONSENT_PAGE = (b'<!DOCTYPE html><html lang="de"><head><title>Bevor Sie zu Google weitergehen</title></head><body>'
                b'<form action="https://consent.google.com/save" method="POST"><input type="hidden" name="continue" '
                b'value="https://play.google.com/"></form></body></html>')


def test_a_consent_page_instead_of_the_reviews_is_one_line_naming_the_app_and_the_next_run_retries(tmp_path, server):
    from brandpulse.pipeline import Pipeline
    from brandpulse.config import load_config
    from tests.conftest import write_config

    # As Google answers callers in the EU: a redirect of the POST to its cookie consent page.
    server.route(PATH, Reply(302, b"", {"Location": "/ml?continue=https://play.google.com/store&gl=DE&hl=de&pc=p"}),
                 page("googleplay_page1.txt"), page("googleplay_page2.txt"))
    server.route("/ml", Reply(200, CONSENT_PAGE, {"Content-Type": "text/html; charset=utf-8"}))
    config = load_config(write_config(tmp_path / "config.yaml", (
        "brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\ncollectors:\n"
        f"  - {{type: googleplay, name: play, app_id: com.pinebrook.app, brand: Pinebrook Coffee, "
        f"base_url: '{server.url}', page_size: 2}}\n")))
    pipeline = Pipeline(config, tmp_path / "db.sqlite")
    refused = pipeline.collect(datetime(2026, 11, 20, 13, tzinfo=timezone.utc))
    later = pipeline.collect(datetime(2026, 11, 20, 14, tzinfo=timezone.utc))

    # Was: "googleplay: malformed reviews payload (the answer holds no reviews envelope; it begins
    # '<!DOCTYPE html>...')"
    (error,) = refused.failures.values()
    assert error == (f"googleplay: Google answered for com.pinebrook.app with its cookie consent page (redirected to "
                     f"{server.url}/ml) instead of the reviews, as it does for callers in some countries (the EU); "
                     "nothing was read, the next run retries")
    assert later.new == 3 and not later.failures and not refused.deferred


def test_an_app_id_google_play_does_not_know_is_named_with_what_to_check(server):
    server.route(PATH, Reply(200, b')]}\'\n\n[["wrb.fr","UsvDTd",null,null,null,[5],"generic"],["di",40],'
                                  b'["af.httprm",40,"-1",7]]', {"Content-Type": "application/json; charset=utf-8"}))

    with pytest.raises(CollectorError) as caught:
        collector(server).collect(BRAND, None)

    # Was: "googleplay: malformed reviews payload (TypeError: ')]}\'\n\n[["wrb.fr","UsvDTd",null,...')"
    assert str(caught.value) == (
        "googleplay: Google Play answered the reviews of com.pinebrook.app with an error (code 5: not found) instead "
        "of them; check app_id (the id= of the app's Play Store address) and its lang and country; the next run "
        "retries")


def _batch(*reviews: list) -> Reply:
    """One batchexecute answer holding the raw `reviews`, with no next page."""
    inner = json.dumps([list(reviews), None])
    envelope = json.dumps([["wrb.fr", "oCPfdb", inner, None, None, None, "generic"], ["di", 47]])
    return Reply(200, f")]}}'\n\n{envelope}".encode(), {"Content-Type": "application/json; charset=utf-8"})


def _review(review_id: str, at: int, text: str | None = "Pinebrook app is fine", score: int = 4) -> list:
    return [review_id, ["Player"], score, None, text, [at, 0], 1, None, None, None, "4.2.0"]


def _at(server: LocalServer, now: datetime) -> GooglePlayCollector:
    return GooglePlayCollector("googleplay", "com.pinebrook.app", "en", "gb", "Pinebrook Coffee", server.url,
                               page_size=2, max_pages=5, session=new_session(5.0), now=now)


def test_a_review_answered_garbled_once_is_collected_once_when_google_answers_it_whole(server, caplog):
    r3, r2 = 1795000000, 1794990000
    server.route(PATH, _batch(_review("gp:r3", r3), _review("gp:r2", r2, text=None)),
                 _batch(_review("gp:r3", r3), _review("gp:r2", r2)), _batch(_review("gp:r3", r3), _review("gp:r2", r2)))
    now = datetime.fromtimestamp(r3 + 3600, timezone.utc)
    cursor = {"at": "2026-11-01T00:00:00+00:00", "ids": []}

    broken = _at(server, now).collect(BRAND, cursor)
    fixed = _at(server, now + timedelta(hours=1)).collect(BRAND, broken.cursor)
    again = _at(server, now + timedelta(hours=2)).collect(BRAND, fixed.cursor)

    # Was: gp:r2 skipped while the resume point moved to gp:r3, past it: the whole gp:r2 was never collected.
    assert [m.external_id for m in broken.mentions] == ["gp:r3"] and list(broken.cursor["malformed"]) == ["gp:r2"]
    assert "review 'gp:r2' lacks id, text or a 1-5 score; retried at the next runs" in caplog.text
    assert [m.external_id for m in fixed.mentions] == ["gp:r2"] and "malformed" not in fixed.cursor
    assert again.mentions == []


def test_a_review_without_a_timestamp_is_skipped_without_a_retry(server, caplog):
    undated = _review("gp:r2", 0)
    undated[5] = None
    server.route(PATH, _batch(_review("gp:r3", 1795000000), undated))
    result = collector(server).collect(BRAND, None)
    assert [m.external_id for m in result.mentions] == ["gp:r3"] and "malformed" not in result.cursor
    assert "review 'gp:r2' has no timestamp" in caplog.text and "retried" not in caplog.text
