import json
from datetime import datetime, timezone

import pytest

from brandpulse.collectors.base import BrandQuery, CollectorError, MalformedPayload
from brandpulse.collectors.http import new_session
from brandpulse.collectors.mastodon import MastodonCollector, hashtags_for
from tests.local_http import LocalServer, Reply

BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook", "@pinebrookcoffee", "#pinebrook", "pinebrook coffee"), ("pinebrook park",))
TAG = "/api/v1/timelines/tag/pinebrook"


def collector(server: LocalServer, timeout: float = 5.0, max_pages: int = 5) -> MastodonCollector:
    return MastodonCollector("mastodon", server.url, ["pinebrook"], max_pages, None, new_session(timeout))


def test_hashtags_come_from_one_word_keywords():
    assert hashtags_for(BRAND) == ["pinebrook", "pinebrookcoffee"]


def test_first_run_takes_the_newest_page_and_keeps_brand_mentions_without_exclusions(server):
    server.route(TAG, Reply.file("mastodon_newest.json"))
    result = collector(server).collect(BRAND, None)
    assert [m.text for m in result.mentions] == ["Charged twice at #pinebrook again", "Lovely flat white\n#pinebrook"]
    charged = result.mentions[0]
    assert charged.amplification == 4 and charged.author == "u3@social.example" and charged.brand == "Pinebrook Coffee"
    assert charged.created_at == datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    assert result.cursor == {"min_id": {"pinebrook": "113500000000000003"}} and len(server.requests) == 1


def test_later_runs_read_from_min_id_and_stop_at_a_short_page(server):
    server.route(TAG, Reply.file("mastodon_after_1.json"), Reply.file("mastodon_empty.json"))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "113500000000000001"}})
    assert [m.external_id for m in result.mentions] == ["https://social.example/users/u3/statuses/3"]
    assert "min_id=113500000000000001" in server.requests[0][1] and len(server.requests) == 1
    assert result.cursor == {"min_id": {"pinebrook": "113500000000000003"}}


def test_empty_timeline_keeps_the_cursor(server):
    server.route(TAG, Reply.file("mastodon_empty.json"))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "5"}})
    assert result.mentions == [] and result.cursor == {"min_id": {"pinebrook": "5"}}


def test_rate_limit_raises_a_collector_error(server):
    server.route(TAG, Reply(429, b'{"error":"Too many requests"}', {"Retry-After": "300"}))
    with pytest.raises(CollectorError, match="mastodon: rate limited"):
        collector(server).collect(BRAND, None)


def test_server_error_raises_a_collector_error(server):
    server.route(TAG, Reply(503, b"maintenance"))
    with pytest.raises(CollectorError, match="mastodon: server error HTTP 503"):
        collector(server).collect(BRAND, None)


def test_timeout_raises_a_collector_error(server):
    server.route(TAG, Reply(hang=True))
    with pytest.raises(CollectorError, match="mastodon: .* timed out"):
        collector(server, timeout=0.2).collect(BRAND, None)


def test_malformed_payload_raises_a_collector_error(server):
    server.route(TAG, Reply(200, b'{"error": "This method requires an authenticated user"}'))
    with pytest.raises(CollectorError, match="not a list of statuses"):
        collector(server).collect(BRAND, None)


def test_malformed_status_is_skipped_and_the_rest_kept(server, caplog):
    server.route(TAG, Reply.file("mastodon_malformed_item.json"))
    result = collector(server).collect(BRAND, None)
    assert [m.text for m in result.mentions] == ["Lovely flat white\n#pinebrook"] and "skipping malformed status" in caplog.text


def test_full_pages_are_followed_forward_with_min_id(server):
    import json

    def status(n: int) -> dict:
        return {"id": str(1000 + n), "created_at": "2026-11-20T12:00:00Z", "content": f"<p>#pinebrook {n}</p>",
                "uri": f"https://social.example/s/{n}", "account": {"acct": "u"}}

    full = [status(n) for n in range(40, 0, -1)]
    server.route(TAG, Reply(200, json.dumps(full).encode()), Reply(200, json.dumps([status(41)]).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})
    pages = [path for _, path, _ in server.requests if path.startswith(TAG)]  # and its instance, asked once
    assert len(result.mentions) == 41 and "min_id=1040" in pages[1]
    assert result.cursor == {"min_id": {"pinebrook": "1041"}}


def test_a_later_page_failing_keeps_the_pages_read_before_it_and_says_why(server):
    import json

    def status(n: int) -> dict:
        return {"id": str(1000 + n), "created_at": "2026-11-20T12:00:00Z", "content": f"<p>#pinebrook {n}</p>",
                "uri": f"https://social.example/s/{n}", "account": {"acct": "u"}}

    server.route(TAG, Reply(200, json.dumps([status(n) for n in range(40, 0, -1)]).encode()), Reply(503, b"busy"))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})

    # Before, the 40 statuses were dropped and the cursor stayed put: a server refusing page 2 stalled it for good.
    assert len(result.mentions) == 40 and result.cursor == {"min_id": {"pinebrook": "1040"}}
    assert "503" in result.error


def test_a_refused_token_names_the_variable_to_check_and_quotes_the_server_never_the_token(server):
    server.route(TAG, Reply(401, b'{"error": "The access token is invalid"}'))
    sending = MastodonCollector("mastodon", server.url, ["pinebrook"], 5, "md-secret-token-9", new_session(5.0))
    with pytest.raises(CollectorError) as refused:
        sending.collect(BRAND, None)
    assert str(refused.value) == (
        f"mastodon: {server.url} refused MASTODON_ACCESS_TOKEN for #pinebrook (HTTP 401: 'The access token is "
        "invalid'); check it: an access token of an account on that server, with the read scope")
    assert "md-secret-token-9" not in str(refused.value)


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("status, said", [(422, "This method requires an authenticated user"),
                                          (401, "This API requires an authenticated user")])
def test_a_server_showing_hashtags_to_logged_in_accounts_only_says_to_set_the_token(server, status, said):
    # Mastodon answers 422 where its admin turned the timelines' preview off, 401 in its limited federation mode;
    # both said "HTTP 422 from URL; check the collector's app id, country or url" (or "check" an unset variable).
    server.route(TAG, Reply(status, json.dumps({"error": said}).encode(), JSON))
    with pytest.raises(CollectorError) as refused:
        collector(server).collect(BRAND, None)
    assert str(refused.value) == (
        f"mastodon: {server.url} shows #pinebrook to logged-in accounts only (HTTP {status}: {said!r}); set "
        "MASTODON_ACCESS_TOKEN to an access token of an account on that server (read scope)")


def test_an_instance_without_mastodons_api_says_to_check_the_instance_not_an_app_id(server):
    server.route(TAG, Reply(404, b"<html><title>Not Found</title></html>", {"Content-Type": "text/html"}))
    with pytest.raises(CollectorError) as refused:
        collector(server).probe(BRAND)
    assert str(refused.value) == (
        f"mastodon: {server.url} has no hashtag timeline API (HTTP 404 from /api/v1/timelines/tag/pinebrook); check "
        "the collector's instance: the address of a Mastodon server, such as https://mastodon.social")


def test_an_instance_answering_a_web_page_names_the_page_and_the_instance_to_check(server):
    page = b"<!DOCTYPE html>\n<html><head><title>Pinebrook &amp; Co | Blog</title></head><body>...</body></html>"
    server.route(TAG, Reply(200, page, {"Content-Type": "text/html"}))
    with pytest.raises(MalformedPayload) as refused:
        collector(server).collect(BRAND, {"min_id": {"pinebrook": "5"}})
    assert str(refused.value) == (
        f"mastodon: {server.url} answered #pinebrook with a web page (titled 'Pinebrook & Co | Blog'), not Mastodon's "
        "API; check the collector's instance: the address of a Mastodon server, such as https://mastodon.social; the "
        "next run retries")


def test_statuses_naming_the_brand_only_by_a_hashtag_made_from_its_keywords_are_kept(server):
    status = {"id": "7", "created_at": "2026-11-20T12:00:00Z", "uri": "https://social.example/s/7",
              "content": '<p>Charged twice by <a href="#">#<span>PinebrookCoffee</span></a></p>',
              "account": {"acct": "u"}}
    server.route("/api/v1/timelines/tag/pinebrook", Reply(200, b"[]"))
    server.route("/api/v1/timelines/tag/pinebrookcoffee", Reply(200, json.dumps([status]).encode()))
    followed = MastodonCollector("mastodon", server.url, None, 5, None, new_session(5.0))  # the brand's hashtags

    result = followed.collect(BRAND, None)

    # Followed as #pinebrookcoffee (from @pinebrookcoffee), then dropped: no keyword as written was in its text.
    assert [m.text for m in result.mentions] == ["Charged twice by #PinebrookCoffee"]


def test_a_status_naming_the_brand_only_in_its_content_warning_is_kept_with_the_warning_in_its_text(server):
    status = {"id": "8", "created_at": "2026-11-20T12:00:00Z", "uri": "https://social.example/s/8",
              "spoiler_text": "Pinebrook billing rant", "content": "<p>Charged twice &amp; no reply</p>",
              "account": {"acct": "u@social.example"}}
    server.route(TAG, Reply(200, json.dumps([status]).encode()))

    result = collector(server).collect(BRAND, None)

    # The classifier and support read the warning too: it is what the poster put first.
    assert [m.text for m in result.mentions] == ["CW: Pinebrook billing rant\n\nCharged twice & no reply"]


def _local(number: int, acct: str) -> dict:
    return {"id": str(number), "created_at": "2026-11-20T12:00:00Z", "uri": f"https://social.example/s/{number}",
            "content": f"<p>#pinebrook {number}</p>", "account": {"acct": acct}}


V2, V1 = "/api/v2/instance", "/api/v1/instance"


@pytest.mark.parametrize("routes, asked", [
    ({V2: Reply(200, b'{"domain": "Example.com", "title": "Example"}')}, [V2]),
    ({V1: Reply(200, b'{"uri": "example.com"}')}, [V2, V1]),  # a server before Mastodon 4.0: no v2
])
def test_local_authors_are_named_with_the_servers_account_domain_not_its_web_host(server, routes, asked):
    for path, reply in routes.items():
        server.route(path, reply)
    server.route(TAG, Reply(200, json.dumps([_local(2, "acme"), _local(1, "sam@other.example")]).encode()))
    other = BrandQuery("Other", ("pinebrook",), ())
    read = collector(server)

    authors = [m.author for query in (BRAND, other) for m in read.collect(query, None).mentions]

    # Accounts @acme@example.com served from a web host of its own (WEB_DOMAIN vs LOCAL_DOMAIN), asked once a run.
    assert authors == ["acme@example.com", "sam@other.example"] * 2
    assert [path for _, path, _ in server.requests if "/instance" in path] == asked


def test_a_server_that_does_not_say_its_account_domain_has_its_authors_named_with_its_web_host(server, caplog):
    server.route(V2, Reply(503, b"busy"))
    server.route(TAG, Reply(200, json.dumps([_local(2, "acme")]).encode()))

    [mention] = collector(server).collect(BRAND, None).mentions

    assert mention.author == f"acme@{server.url.removeprefix('http://')}"
    assert "cannot read the account domain" in caplog.text


def test_json_nested_past_pythons_stack_is_a_malformed_payload_not_a_crash(server):
    server.route(TAG, Reply(200, b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"}))
    with pytest.raises(MalformedPayload, match="mastodon: .* did not return JSON"):
        collector(server).collect(BRAND, None)


def test_the_access_token_is_never_sent_to_a_server_over_plain_http(server, monkeypatch):
    # The server is reached through a proxy on 127.0.0.1, so that its address is a real network host's.
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.route(f"http://social.example{TAG}", Reply.file("mastodon_newest.json"))
    plain = MastodonCollector("mastodon", "http://social.example", ["pinebrook"], 5, "md-secret-token-9",
                              new_session(5.0))

    with pytest.raises(CollectorError) as refused:
        plain.collect(BRAND, None)

    assert server.requests == [] and not any("md-secret-token-9" in str(h) for h in server.headers)
    assert str(refused.value) == (
        "mastodon: http://social.example is plain HTTP, so MASTODON_ACCESS_TOKEN is not sent there (anyone on the way "
        "could read it); write the instance with https://, or unset MASTODON_ACCESS_TOKEN to read its public "
        "timelines without it")


def test_the_access_token_goes_to_a_server_on_this_machine_over_plain_http(server):
    server.route(TAG, Reply.file("mastodon_newest.json"))
    local = MastodonCollector("mastodon", server.url, ["pinebrook"], 5, "md-secret-token-9", new_session(5.0))

    assert len(local.collect(BRAND, None).mentions) == 2
    assert server.headers[0]["Authorization"] == "Bearer md-secret-token-9"


def test_a_status_dated_without_a_time_zone_is_read_as_utc_not_lost_behind_the_cursor(server, caplog):
    statuses = [{"id": str(1000 + n), "created_at": created, "content": f"<p>#pinebrook {n}</p>",
                 "uri": f"https://social.example/s/{n}", "account": {"acct": "u@social.example"}}
                for n, created in ((2, "2026-11-20T12:00:00.000Z"), (1, "2026-11-20T11:30:00.000"))]
    server.route(TAG, Reply(200, json.dumps(statuses).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})

    # Was: "skipping malformed status on #pinebrook: created_at 2026-11-20T11:30:00 has no time zone; use UTC", with
    # the cursor at 1002: the status was never read again.
    assert [m.created_at for m in result.mentions] == [datetime(2026, 11, 20, 12, tzinfo=timezone.utc),
                                                       datetime(2026, 11, 20, 11, 30, tzinfo=timezone.utc)]
    assert result.cursor == {"min_id": {"pinebrook": "1002"}} and "malformed" not in caplog.text


def test_a_later_page_cut_short_on_the_way_says_so_naming_the_source_and_keeps_the_pages_before_it(server):
    def status(n: int) -> dict:
        return {"id": str(1000 + n), "created_at": "2026-11-20T12:00:00Z", "content": f"<p>#pinebrook {n}</p>",
                "uri": f"https://social.example/s/{n}", "account": {"acct": "u@social.example"}}

    cut = json.dumps([status(41)]).encode()[:20]
    full = Reply(200, json.dumps([status(n) for n in range(40, 0, -1)]).encode())
    server.route(TAG, full, Reply(200, cut, length=500))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})

    # Was: "mastodon: request to ... failed: ('Connection broken: IncompleteRead(20 bytes read, 480 more expected)',
    # IncompleteRead(20 bytes read, 480 more expected)); the next run retries".
    assert result.error == f"mastodon: answer cut short (20 of 500 bytes) from {server.url}{TAG}; the next run retries"
    assert len(result.mentions) == 40 and result.cursor == {"min_id": {"pinebrook": "1040"}}


def test_statuses_dated_past_what_utc_can_hold_are_kept_at_its_edges_instead_of_failing_every_run(server):
    statuses = [{"id": str(1000 + n), "created_at": created, "content": f"<p>#pinebrook {n}</p>",
                 "uri": f"https://social.example/s/{n}", "account": {"acct": "u@social.example"}}
                for n, created in ((3, "9999-12-31T23:30:00-05:00"), (2, "2026-11-20T12:00:00Z"),
                                   (1, "0001-01-01T00:30:00+01:00"))]
    server.route(TAG, Reply(200, json.dumps(statuses).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})

    # Was: OverflowError (date value out of range) out of the collector, its cursor never moving: every run failed.
    assert [m.created_at.year for m in result.mentions] == [9999, 2026, 1]
    assert result.cursor == {"min_id": {"pinebrook": "1003"}}


def test_a_status_whose_count_account_or_link_is_odd_is_kept_without_them_not_skipped_behind_the_cursor(server, caplog):
    base = {"created_at": "2026-11-20T12:00:00Z", "content": "<p>#pinebrook odd</p>"}
    statuses = [{**base, "id": "1003", "uri": "https://social.example/s/3", "reblogs_count": "many",
                 "account": {"acct": 5}, "url": {"href": "https://social.example/@u/3"}, "language": ["en"]},
                {**base, "id": "1002", "uri": {"id": 2}, "reblogs_count": "7", "account": {"acct": "u@social.example"}}]
    server.route(TAG, Reply(200, json.dumps(statuses).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})

    # Was: both skipped as malformed ("invalid literal for int() with base 10: 'many'", "author must be text, got
    # int"), and the cursor at 1003: never read again.
    assert [(m.external_id, m.author, m.url, m.lang, m.amplification) for m in result.mentions] == [
        ("https://social.example/s/3", None, None, None, 0), (f"{server.url}/statuses/1002", "u@social.example",
                                                              None, None, 7)]
    assert "malformed" not in caplog.text


def status_numbered(n: int) -> dict:
    return {"id": str(1000 + n), "created_at": "2026-11-20T12:00:00Z", "content": f"<p>#pinebrook {n}</p>",
            "uri": f"https://social.example/s/{n}", "account": {"acct": "u@social.example"}}


def test_a_server_ignoring_min_id_is_read_once_and_what_it_answers_at_or_before_the_cursor_left_out(server, caplog):
    server.route(TAG, Reply(200, json.dumps([status_numbered(n) for n in range(40, 0, -1)]).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1000"}})

    # Was: the same page asked for 5 times (max_pages), its 40 statuses taken again each time.
    assert len(result.mentions) == 40 and result.cursor == {"min_id": {"pinebrook": "1040"}}
    assert len(server.requests) == 2 and "answered 40 status(es) at or before min_id 1040, already read" in caplog.text


def test_statuses_older_than_the_cursor_do_not_move_it_back(server):
    server.route(TAG, Reply(200, json.dumps([status_numbered(2), status_numbered(1)]).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "1005"}})

    # Was: the cursor back at 1002, so the next run read 1003-1005 again.
    assert result.mentions == [] and result.cursor == {"min_id": {"pinebrook": "1005"}}


def test_statuses_of_a_server_whose_ids_are_not_numbers_are_read_and_followed_in_the_timelines_order(server):
    # GoToSocial's ids are ULIDs (Akkoma's and Pleroma's flake ids are letters and digits too).
    def status(ulid: str) -> dict:
        return {"id": ulid, "created_at": "2026-11-20T12:00:00Z", "content": f"<p>#pinebrook {ulid[-3:]}</p>",
                "uri": f"https://gts.example/users/u/statuses/{ulid}", "account": {"acct": "u@gts.example"}}

    newer, older = "01JD3ZQ8V5XK2M4N6P8R0T2W4Z", "01JD3ZQ8V5XK2M4N6P8R0T2W3Y"
    server.route(TAG, Reply(200, json.dumps([status(newer), status(older)]).encode()))
    result = collector(server).collect(BRAND, {"min_id": {"pinebrook": "01JD3ZQ8V5XK2M4N6P8R0T2W2A"}})

    # Was: both skipped, "status without a numeric id", and the cursor left where it was: nothing ever collected.
    assert [m.text for m in result.mentions] == ["#pinebrook W4Z", "#pinebrook W3Y"]
    assert result.cursor == {"min_id": {"pinebrook": newer}}
