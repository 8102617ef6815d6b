import json
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.collectors.appstore import AppStoreCollector
from brandpulse.collectors.base import BrandQuery, CollectorError
from brandpulse.collectors.http import new_session
from tests.local_http import DATA, LocalServer, Reply

APP = "1234567890"
BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook",))
OTHER = BrandQuery("Other Brand", ("other",))


def page_path(n: int) -> str:
    return f"/us/rss/customerreviews/page={n}/id={APP}/sortby=mostrecent/json"


def collector(server: LocalServer, timeout: float = 5.0, max_pages: int = 10) -> AppStoreCollector:
    return AppStoreCollector("appstore", APP, "us", "Pinebrook Coffee", server.url, max_pages, new_session(timeout))


def serve_three_pages(server: LocalServer) -> None:
    for n in (1, 2, 3):
        server.route(page_path(n), Reply.file(f"appstore_page{n}.json"))


def test_pages_are_read_until_an_empty_one_with_ratings_and_utc_times(server):
    serve_three_pages(server)
    result = collector(server).collect(BRAND, None)
    assert [m.rating for m in result.mentions] == [1, 5, 3, 2]
    assert [p for _, p, _ in server.requests] == [page_path(1), page_path(2), page_path(3)]
    charged = result.mentions[0]
    assert charged.text == "Charged twice\n\nThe Pinebrook app charged my card twice."
    assert charged.created_at == datetime(2026, 11, 20, 11, 30, tzinfo=timezone.utc)
    assert charged.author == "reviewer1" and charged.brand == "Pinebrook Coffee" and charged.source == "appstore"


def test_rerun_with_the_cursor_returns_nothing_and_stops_after_the_first_page(server):
    serve_three_pages(server)
    first = collector(server).collect(BRAND, None)
    server.requests.clear()
    again = collector(server).collect(BRAND, first.cursor)
    assert again.mentions == [] and again.cursor == first.cursor
    assert [p for _, p, _ in server.requests] == [page_path(1)]


def test_reviews_belong_only_to_the_configured_brand(server):
    serve_three_pages(server)
    assert collector(server).collect(OTHER, None).mentions == [] and server.requests == []


def test_empty_feed_keeps_the_cursor(server):
    server.route(page_path(1), Reply.file("appstore_page3.json"))
    result = collector(server).collect(BRAND, None)
    assert result.mentions == [] and result.cursor is None


def test_rate_limit_raises_a_collector_error_naming_the_source(server):
    server.route(page_path(1), Reply(429, b"", {"Retry-After": "60"}))
    with pytest.raises(CollectorError, match=r"appstore: rate limited \(HTTP 429, Retry-After 60\)"):
        collector(server).collect(BRAND, None)


def test_server_error_on_the_first_page_raises_a_collector_error(server):
    server.route(page_path(1), Reply(503, b"busy"))
    with pytest.raises(CollectorError, match="appstore: server error HTTP 503"):
        collector(server).collect(BRAND, None)


def test_timeout_raises_a_collector_error(server):
    server.route(page_path(1), Reply(hang=True))
    with pytest.raises(CollectorError, match="appstore: .* timed out"):
        collector(server, timeout=0.2).collect(BRAND, None)


def test_malformed_payload_raises_a_collector_error(server):
    server.route(page_path(1), Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}))
    with pytest.raises(CollectorError, match="appstore: .* did not return JSON"):
        collector(server).collect(BRAND, None)


def test_payload_without_a_feed_raises_a_collector_error(server):
    server.route(page_path(1), Reply(200, b'{"errors": ["unknown app"]}'))
    with pytest.raises(CollectorError, match="no `feed` object"):
        collector(server).collect(BRAND, None)


@pytest.mark.parametrize("entry", ['"x"', "3"])
def test_a_feed_whose_entry_is_no_list_is_malformed_not_an_app_without_reviews(server, entry):
    server.route(page_path(1), Reply(200, ('{"feed": {"entry": %s}}' % entry).encode()))
    # Was: a run that succeeded with 0 reviews, and no word of the broken answer.
    with pytest.raises(CollectorError, match="`feed.entry` that is a (str|int), not a list of reviews"):
        collector(server).collect(BRAND, None)


def test_malformed_review_is_skipped_and_the_rest_kept(server, caplog):
    server.route(page_path(1), Reply.file("appstore_malformed_item.json"))
    result = collector(server, max_pages=1).collect(BRAND, None)
    assert [m.rating for m in result.mentions] == [1, 5] and "rating '9', not 1-5" in caplog.text


def test_a_gap_longer_than_the_pages_read_is_logged(server, caplog):
    serve_three_pages(server)
    long_ago = {"at": "2026-01-01T00:00:00+00:00", "ids": ["1"]}
    result = collector(server, max_pages=1).collect(BRAND, long_ago)
    assert len(result.mentions) == 2 and "may have been missed (raise max_pages" in caplog.text


def test_a_later_page_failing_keeps_the_reviews_read_before_it_and_leaves_the_cursor(server):
    server.route(page_path(1), Reply.file("appstore_page1.json"))
    server.route(page_path(2), Reply(503, b"busy"))
    first = collector(server).collect(BRAND, None)
    # Before, the whole run failed: a page 2 down for hours kept the newest reviews (a storm) out of the store.
    assert [m.rating for m in first.mentions] == [1, 5] and first.cursor is None
    assert "server error HTTP 503" in first.error

    serve_three_pages(server)
    again = collector(server).collect(BRAND, first.cursor)  # page 2 back: the rest read, the cursor moves
    assert len(again.mentions) == 4 and again.error is None and again.cursor is not None


def test_a_review_dated_without_a_time_zone_is_read_as_utc_not_lost_behind_the_newer_ones(server, caplog):
    page = json.loads((DATA / "appstore_page1.json").read_text(encoding="utf-8"))
    page["feed"]["entry"][1]["updated"]["label"] = "2026-11-19T08:15:00"
    page["feed"]["link"] = []
    server.route(page_path(1), Reply(200, json.dumps(page).encode(), {"Content-Type": "application/json"}))
    result = collector(server).collect(BRAND, None)

    # Was: "appstore: skipping malformed item: created_at 2026-11-19T08:15:00 has no time zone; use UTC", the
    # watermark moving to the newer review: the skipped one was never read again.
    assert datetime(2026, 11, 19, 8, 15, tzinfo=timezone.utc) in [m.created_at for m in result.mentions]
    assert len(result.mentions) == len(page["feed"]["entry"]) and "malformed" not in caplog.text


def test_a_first_page_cut_short_on_the_way_says_so_naming_the_source_and_moves_nothing(server):
    server.route(page_path(1), Reply(200, (DATA / "appstore_page1.json").read_bytes()[:20], length=500))
    with pytest.raises(CollectorError) as raised:
        collector(server).collect(BRAND, None)
    assert str(raised.value) == f"appstore: answer cut short (20 of 500 bytes) from {server.url}{page_path(1)}; " \
                                "the next run retries"


def test_a_review_dated_past_what_utc_can_hold_is_stored_as_collected_now_not_a_crash(server):
    page = json.loads((DATA / "appstore_page1.json").read_text(encoding="utf-8"))
    page["feed"]["entry"][0]["updated"]["label"] = "9999-12-31T23:30:00-05:00"
    page["feed"]["link"] = []
    server.route(page_path(1), Reply(200, json.dumps(page).encode(), {"Content-Type": "application/json"}))
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    result = AppStoreCollector("appstore", APP, "us", "Pinebrook Coffee", server.url, 10, new_session(5),
                               now=now).collect(BRAND, None)

    # Was: OverflowError (date value out of range) out of collect: the App Store failed every run from then on.
    assert [m.created_at for m in result.mentions] == [now, datetime(2026, 11, 20, 10, tzinfo=timezone.utc)]
    assert result.cursor["at"] == "2026-11-20T10:00:00+00:00"


def _reviews(*reviews: tuple[str, str], last: bool = False) -> Reply:
    """One page of the App Store's JSON feed holding `reviews` (id, updated), with a next link unless `last`."""
    entries = [{"id": {"label": review_id}, "im:rating": {"label": "4"}, "updated": {"label": updated},
                "title": {"label": f"Review {review_id}"}, "content": {"label": "Good coffee"},
                "author": {"name": {"label": "someone"}}} for review_id, updated in reviews]
    links = [] if last else [{"attributes": {"rel": "next", "href": "next"}}]
    return Reply(200, json.dumps({"feed": {"entry": entries, "link": links}}).encode(),
                 {"Content-Type": "application/json"})


def test_a_review_dated_1970_does_not_end_the_paging_before_the_pages_not_read_yet(server):
    server.route(page_path(1), _reviews(("r6", "2026-11-21T14:00:00-07:00"), ("r5", "1970-01-01T00:00:00Z"),
                                        ("r4", "2026-11-21T12:00:00-07:00")))
    server.route(page_path(2), _reviews(("r3", "2026-11-21T10:00:00-07:00"), ("r2", "2026-11-20T09:00:00-07:00")))
    server.route(page_path(3), _reviews(("r1", "2026-11-19T08:00:00-07:00"), last=True))
    cursor = {"at": "2026-11-20T16:00:00+00:00", "ids": ["r2"]}

    result = collector(server).collect(BRAND, cursor)

    # Was: r5, dated 1970 (before the watermark), ended the paging after page 1: r3 was never read.
    assert [m.external_id for m in result.mentions] == ["r6", "r4", "r3"]
    # r2, at the watermark's instant and collected then, shows the rest was read: page 3 is not asked for.
    assert [path for _, path, _ in server.requests] == [page_path(1), page_path(2)]


@pytest.mark.parametrize("lookup, refused", [
    (Reply(200, b'{"resultCount":0,"results":[]}', {"Content-Type": "text/javascript"}), True),
    (Reply(200, b'{"resultCount":1,"results":[{"trackId":1234567890}]}', {"Content-Type": "text/javascript"}), False),
    (Reply(404, b"not found"), False),  # a lookup that cannot say is no reason to fail the check
], ids=["unknown-app", "app-without-reviews", "lookup-down"])
def test_check_of_an_app_id_apple_does_not_know_says_so_instead_of_ok(server, lookup, refused):
    server.route(page_path(1), Reply.file("appstore_page3.json"))  # no reviews, as for an id Apple does not know
    server.route("/lookup", lookup)

    if not refused:
        collector(server).probe(BRAND)
        return
    # Was: ok, the app id mistyped and the collector storing nothing, every hour, without a word.
    with pytest.raises(CollectorError) as caught:
        collector(server).probe(BRAND)
    assert str(caught.value) == (
        f"appstore: no app {APP} in the us App Store (Apple's lookup finds none, and its reviews feed is empty); "
        "check app_id (the digits after id in the app's apps.apple.com address) and country")
    assert [path for _, path, _ in server.requests][-1] == f"/lookup?id={APP}&country=us"


def test_a_review_answered_garbled_once_is_collected_once_when_the_store_answers_it_whole(server, caplog):
    whole = _reviews(("r3", "2026-11-21T14:00:00Z"), ("r2", "2026-11-21T12:00:00Z"), last=True)
    page = json.loads(whole.body)
    page["feed"]["entry"][1]["content"] = {}  # the text lost on the way, its id and date intact
    garbled = Reply(200, json.dumps(page).encode(), {"Content-Type": "application/json"})
    server.route(page_path(1), garbled, whole, whole)
    now = datetime(2026, 11, 21, 15, tzinfo=timezone.utc)
    cursor = {"at": "2026-11-20T10:00:00+00:00", "ids": []}

    broken = _at(server, now).collect(BRAND, cursor)
    fixed = _at(server, now + timedelta(hours=1)).collect(BRAND, broken.cursor)
    again = _at(server, now + timedelta(hours=2)).collect(BRAND, fixed.cursor)

    # Was: r2 skipped while the resume point moved to r3, past it: the whole r2 lay behind it, never collected.
    assert [m.external_id for m in broken.mentions] == ["r3"] and list(broken.cursor["malformed"]) == ["r2"]
    assert "review 'r2' lacks id, content or updated; retried at the next runs" in caplog.text
    assert [m.external_id for m in fixed.mentions] == ["r2"] and "malformed" not in fixed.cursor
    assert again.mentions == []


def test_a_review_with_a_rating_out_of_range_is_retried_then_given_up_after_a_day_and_three_runs(server, caplog):
    page = json.loads(_reviews(("r3", "2026-11-21T14:00:00Z"), ("r2", "2026-11-21T12:00:00Z"), last=True).body)
    page["feed"]["entry"][1]["im:rating"] = {"label": "9"}
    server.route(page_path(1), Reply(200, json.dumps(page).encode(), {"Content-Type": "application/json"}))
    cursor = {"at": "2026-11-20T10:00:00+00:00", "ids": []}
    start = datetime(2026, 11, 21, 15, tzinfo=timezone.utc)
    for hours in (0, 1, 2, 25):
        cursor = _at(server, start + timedelta(hours=hours)).collect(BRAND, cursor).cursor
        if hours < 25:
            assert list(cursor["malformed"]) == ["r2"]

    assert "malformed" not in cursor and "gave up on item r2 (dated 2026-11-21T12:00:00+00:00)" in caplog.text


def _at(server: LocalServer, now: datetime) -> AppStoreCollector:
    return AppStoreCollector("appstore", APP, "us", "Pinebrook Coffee", server.url, 10, new_session(5.0), now=now)
