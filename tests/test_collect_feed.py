import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.collectors.base import BrandQuery, CollectorError
from brandpulse.collectors.feed import FeedCollector, entry_rating, entry_to_mention
from brandpulse.collectors.http import new_session
from tests.local_http import DATA, LocalServer, Reply

BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook",), ("pinebrook park",))
ATOM = "application/atom+xml"


# The local server's feed address, which qualifies the ids that are no URI (`a` is stored as `http://...rss#a`).
_ADDRESSED = re.compile(r"^http://127\.0\.0\.1:\d+/[^#]*#")


def _local(item_id: str) -> str:
    """`item_id` without the feed address qualifying it."""
    return _ADDRESSED.sub("", item_id)


def _bare(cursor: dict | None) -> dict | None:
    """`cursor` with its ids read by `_local`, without the addresses that qualify them (tested on their own)."""
    if cursor is None:
        return None
    return {key: [_local(i) for i in value] if key in ("undated", "ids") else value for key, value in cursor.items()
            if key not in ("id_base", "address", "zones")}


def collector(server: LocalServer, path: str, brand: str | None = "Pinebrook Coffee", timeout: float = 5.0):
    return FeedCollector("reviews", server.url + path, "trustpilot", brand, None, 5, new_session(timeout))


def test_paged_atom_feed_is_followed_with_star_ratings_and_plain_text(server):
    server.route("/reviews/atom", Reply.file("feed_page1.atom", ATOM))
    server.route("/reviews/atom?page=2", Reply.file("feed_page2.atom", ATOM))
    result = collector(server, "/reviews/atom").collect(BRAND, None)
    assert [(m.rating, m.author) for m in result.mentions] == [(1, "Kim"), (5, "Lee"), (4, "Max")]
    first = result.mentions[0]
    assert first.text == "Double charge, no reply\n\nPinebrook took my money  twice ."
    assert first.source == "trustpilot" and first.external_id == "urn:example:review:1"
    assert first.created_at == datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    assert first.url == "https://reviews.example.com/pinebrook/1"


def test_rerun_with_the_cursor_stops_at_the_first_page_and_returns_nothing(server):
    server.route("/reviews/atom", Reply.file("feed_page1.atom", ATOM))
    server.route("/reviews/atom?page=2", Reply.file("feed_page2.atom", ATOM))
    first = collector(server, "/reviews/atom").collect(BRAND, None)
    server.requests.clear()
    again = collector(server, "/reviews/atom").collect(BRAND, first.cursor)
    assert again.mentions == [] and len(server.requests) == 1


def test_forum_feed_without_brand_keeps_posts_that_mention_it_and_not_its_exclusions(server, caplog):
    server.route("/forum.rss", Reply.file("feed_forum.rss", "application/rss+xml"))
    result = collector(server, "/forum.rss", brand=None).collect(BRAND, None)
    assert [m.url for m in result.mentions] == ["https://forum.example.com/t/11", "https://forum.example.com/t/14"]
    assert result.mentions[0].rating == 2 and result.mentions[1].rating is None
    # The entry without a date is the forum's history on this first read: remembered, not stored, no warning.
    assert result.cursor["undated"] == ["https://forum.example.com/t/12"] and "no readable" not in caplog.text


def test_rating_comes_from_a_named_field_or_the_title():
    assert entry_rating({"review_rating": "4"}) == 4
    assert entry_rating({"my_stars": "3.0"}, "my_stars") == 3
    assert entry_rating({"title": "Rated 2 out of 5 by Kim"}) == 2
    assert entry_rating({"title": "Top 5 coffee shops"}) is None


def test_empty_feed_keeps_the_cursor(server):
    server.route("/reviews/atom", Reply.file("feed_empty.atom", ATOM))
    result = collector(server, "/reviews/atom").collect(BRAND, None)
    assert result.mentions == [] and result.cursor["undated"] == [] and "at" not in result.cursor  # the feed was read


def test_rate_limit_raises_a_collector_error(server):
    server.route("/reviews/atom", Reply(429, b"slow down", {"Retry-After": "120"}))
    with pytest.raises(CollectorError, match="trustpilot: rate limited"):
        collector(server, "/reviews/atom").collect(BRAND, None)


def test_server_error_raises_a_collector_error(server):
    server.route("/reviews/atom", Reply(502, b"bad gateway"))
    with pytest.raises(CollectorError, match="trustpilot: server error HTTP 502"):
        collector(server, "/reviews/atom").collect(BRAND, None)


def test_timeout_raises_a_collector_error(server):
    server.route("/reviews/atom", Reply(hang=True))
    with pytest.raises(CollectorError, match="trustpilot: .* timed out"):
        collector(server, "/reviews/atom", timeout=0.2).collect(BRAND, None)


def test_a_server_dripping_its_answer_is_cut_off_at_the_timeout_for_the_whole_request(server):
    server.route("/reviews/atom", Reply(200, b"<?xml version='1.0'?><feed></feed>" * 4, {"Content-Type": ATOM},
                                        drip=0.05))  # 7 s in all, each byte well within the per-read timeout
    with pytest.raises(CollectorError, match=r"trustpilot: .* timed out: no full answer within 0.5 s"):
        collector(server, "/reviews/atom", timeout=0.5).collect(BRAND, None)


def test_malformed_payload_raises_a_collector_error(server):
    server.route("/reviews/atom", Reply(200, b"\x00\x01 definitely not xml <<<", {"Content-Type": "text/html"}))
    with pytest.raises(CollectorError, match="trustpilot: .* is not an RSS or Atom feed"):
        collector(server, "/reviews/atom").collect(BRAND, None)


RSS_IN_GERMAN = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Bewertungen</title><language>de-de</language>
<item><guid>1</guid><title>Pinebrook: schlecht!</title><pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""
ATOM_IN_FRENCH = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>Avis</title>
<id>urn:x</id><updated>2026-11-30T10:00:00Z</updated>
<entry><id>1</id><title>Pinebrook : nul</title><updated>2026-11-30T10:00:00Z</updated></entry>
<entry xml:lang="de"><id>2</id><title>Pinebrook: schlecht</title><updated>2026-11-30T09:00:00Z</updated></entry>
</feed>"""


def test_entries_carry_their_own_language_or_their_feeds(server):
    server.route("/de.rss", Reply(200, RSS_IN_GERMAN, {"Content-Type": "application/rss+xml"}))
    server.route("/fr.atom", Reply(200, ATOM_IN_FRENCH, {"Content-Type": ATOM}))

    german = collector(server, "/de.rss").collect(BRAND, None).mentions
    french = collector(server, "/fr.atom").collect(BRAND, None).mentions

    # Short texts that a detector would leave in the default language keep the language their feed declares.
    assert [m.lang for m in german] == ["de-de"]
    assert [(_local(m.external_id), m.lang) for m in french] == [("1", "fr"), ("2", "de")]


def _rss(*items: tuple[str, str]) -> bytes:
    body = "".join(f"<item><guid>{guid}</guid><title>Pinebrook {guid}</title><pubDate>{date}</pubDate></item>"
                   for guid, date in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def test_an_entry_dated_in_the_future_is_kept_but_does_not_hold_back_the_entries_after_it(server, caplog):
    future, old = ("f", "Sat, 03 Dec 2999 10:00:00 GMT"), ("a", "Fri, 20 Nov 2026 10:00:00 GMT")
    server.route("/rss", Reply(200, _rss(future, old), {"Content-Type": "application/rss+xml"}))
    first = collector(server, "/rss").collect(BRAND, None)
    server.route("/rss", Reply(200, _rss(future, ("b", "Sat, 21 Nov 2026 10:00:00 GMT"), old),
                               {"Content-Type": "application/rss+xml"}))
    second = collector(server, "/rss").collect(BRAND, first.cursor)

    assert [_local(m.external_id) for m in first.mentions] == ["f", "a"]
    assert first.mentions[0].created_at < datetime(2999, 1, 1, tzinfo=timezone.utc)  # stored as collected
    assert first.cursor["at"].startswith("2026-11-20")
    assert "b" in [_local(m.external_id) for m in second.mentions]  # the entry published after the cursor is not lost
    assert f"item {server.url}/rss#f is dated 2999-12-03T10:00:00+00:00, in the future" in caplog.text


def test_two_entries_sharing_an_id_keep_the_first_and_say_so(server, caplog):
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><guid>7</guid><title>Pinebrook burned my toast</title><pubDate>Sat, 21 Nov 2026 10:00:00 GMT"
            b"</pubDate></item><item><guid>7</guid><title>Pinebrook dup</title><pubDate>Fri, 20 Nov 2026 10:00:00 GMT"
            b"</pubDate></item></channel></rss>")
    server.route("/rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))

    mentions = collector(server, "/rss").collect(BRAND, None).mentions

    assert [m.text for m in mentions] == ["Pinebrook burned my toast"]
    assert f"two items share the id {server.url}/rss#7; kept the first" in caplog.text


def test_check_ends_at_the_timeout_while_a_server_still_drips_its_answer(server, tmp_path):
    import subprocess
    import sys

    server.route("/slow.atom", Reply(200, b"<feed>" + b" " * 4000 + b"</feed>", {"Content-Type": ATOM}, drip=0.05))
    config = tmp_path / "c.yaml"
    config.write_text("brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\n"
                      f"collectors: [{{type: feed, name: slow, url: '{server.url}/slow.atom', timeout: 1}}]\n",
                      encoding="utf-8")

    # The answer would take 200 s; the request's thread must not keep the process alive past its timeout.
    done = subprocess.run([sys.executable, "-m", "brandpulse", "--config", str(config), "check"],
                          capture_output=True, text=True, timeout=90)

    assert done.returncode == 1 and "no full answer within 1 s" in done.stdout


def test_an_answer_that_unpacks_past_the_size_cap_is_refused_not_read_into_memory(server, monkeypatch):
    import gzip

    from brandpulse.collectors.base import MalformedPayload

    monkeypatch.setattr("brandpulse.collectors.http.MAX_BODY_BYTES", 2**20)
    bomb = gzip.compress(b"<?xml version='1.0'?><feed>" + b" " * 8 * 2**20 + b"</feed>")  # 8 kB that unpack to 8 MB
    server.route("/reviews/atom", Reply(200, bomb, {"Content-Type": ATOM, "Content-Encoding": "gzip"}))

    with pytest.raises(MalformedPayload, match=r"trustpilot: the answer from .* is over 1 MB once decompressed"):
        collector(server, "/reviews/atom").collect(BRAND, None)
    assert len(bomb) < 100_000


def test_an_rfc_822_date_naming_its_weekday_but_no_zone_is_read_as_utc(server):
    server.route("/rss", Reply(200, _rss(("a", "Sat, 21 Nov 2026 10:00:00"), ("b", "Fri, 20 Nov 2026 09:30")),
                               {"Content-Type": "application/rss+xml"}))

    mentions = collector(server, "/rss").collect(BRAND, None).mentions

    assert [(_local(m.external_id), m.created_at) for m in mentions] == [
        ("a", datetime(2026, 11, 21, 10, tzinfo=timezone.utc)),
        ("b", datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)),
    ]


def test_relative_links_are_resolved_against_the_feeds_address_after_its_redirect(server):
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>/</link>'
            b"<item><title>Pinebrook at the forum</title><link>t/11</link><pubDate>Sat, 21 Nov 2026 10:00:00 GMT"
            b"</pubDate></item></channel></rss>")
    server.route("/old.rss", Reply(301, b"", {"Location": "/forum/feed.rss"}))
    server.route("/forum/feed.rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))

    mentions = collector(server, "/old.rss").collect(BRAND, None).mentions

    assert [m.url for m in mentions] == [server.url + "/forum/t/11"]


def test_an_answer_cut_short_mid_feed_is_refused_instead_of_moving_the_cursor_past_the_entries_it_lacks(server):
    whole = _rss(*((f"e{n}", f"Sat, 21 Nov 2026 {20 - n:02d}:00:00 GMT") for n in range(8)))
    # A body that ends mid-entry, as a dropped connection or a cached partial answer leaves it.
    server.route("/rss", Reply(200, whole[: len(whole) // 2], {"Content-Type": "application/rss+xml"}))

    with pytest.raises(CollectorError, match="trustpilot: the answer from .* ends before the feed does"):
        collector(server, "/rss").collect(BRAND, None)


def test_a_feed_whose_only_fault_is_an_html_entity_is_still_read(server):
    feed = _rss(("a", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(b"</title><pubDate>", b"&nbsp;!</title><pubDate>")
    server.route("/rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))

    assert [_local(m.external_id) for m in collector(server, "/rss").collect(BRAND, None).mentions] == ["a"]


def test_a_plain_text_title_keeps_what_looks_like_markup():
    entry = {"id": "1", "title": "I <3 Pinebrook > tea & cake", "title_detail": {"type": "text/plain"},
             "published_parsed": (2026, 11, 21, 10, 0, 0, 5, 325, 0)}

    assert entry_to_mention(entry, "feed").text == "I <3 Pinebrook > tea & cake"


def test_an_atom_text_title_escaped_twice_is_read_without_its_character_references(server):
    feed = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>f</title><id>f</id>'
            b'<updated>2026-11-21T10:00:00Z</updated><entry><id>a</id><updated>2026-11-21T10:00:00Z</updated>'
            b'<title type="text">Pinebrook &amp;amp; Jerry&amp;#39;s &amp;#x2014; Cut&amp;copy R&amp;D</title></entry>'
            b'</feed>')
    server.route("/atom", Reply(200, feed, {"Content-Type": "application/atom+xml"}))

    (mention,) = collector(server, "/atom").collect(BRAND, None).mentions
    # Was "Pinebrook &amp; Jerry&#39;s &#x2014; Cut&copy R&D": search for "Jerry's" missed it, themes saw 'amp'.
    assert mention.text == "Pinebrook & Jerry's \u2014 Cut&copy R&D"


def test_an_atom_entry_with_plain_text_content_and_no_summary_keeps_what_looks_like_markup(server):
    feed = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>f</title><id>f</id>'
            b'<updated>2026-11-21T10:00:00Z</updated><entry><id>a</id><updated>2026-11-21T10:00:00Z</updated>'
            b'<title>Pinebrook</title><content type="text">I &lt;3 it &gt; tea &amp; cake</content></entry></feed>')
    server.route("/atom", Reply(200, feed, {"Content-Type": "application/atom+xml"}))

    (mention,) = collector(server, "/atom").collect(BRAND, None).mentions
    # Was "Pinebrook\n\nI   tea & cake": feedparser copies <content> into summary without its type, read as HTML.
    assert mention.text == "Pinebrook\n\nI <3 it > tea & cake"


def test_a_next_link_leading_back_to_a_page_read_stops_the_paging_instead_of_reading_it_again(server, caplog):
    feed = _rss(("a", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(
        b"<channel>", b'<channel><atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="next" href="/rss"/>')
    server.route("/rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))

    result = collector(server, "/rss").collect(BRAND, None)

    # Was five requests of the same page (max_pages), each warning that its entry's id was seen twice.
    assert [_local(m.external_id) for m in result.mentions] == ["a"] and result.error is None
    assert [path for _, path, _ in server.requests] == ["/rss"]
    assert "two items share the id" not in caplog.text and "next link leads back to" in caplog.text


def test_a_shift_jis_feed_served_as_text_xml_is_read(server):
    feed = _rss(("a", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(b"Pinebrook a", "Pinebrook 最高".encode())
    feed = feed.decode().replace('version="1.0"?>', 'version="1.0" encoding="Shift_JIS"?>').encode("shift_jis")
    server.route("/rss", Reply(200, feed, {"Content-Type": "text/xml"}))

    assert [m.text for m in collector(server, "/rss").collect(BRAND, None).mentions] == ["Pinebrook 最高"]


def test_a_shift_jis_feed_cut_short_is_refused(server):
    feed = _rss(*((f"e{n}", f"Sat, 21 Nov 2026 {20 - n:02d}:00:00 GMT") for n in range(4))).decode()
    feed = feed.replace('version="1.0"?>', 'version="1.0" encoding="Shift_JIS"?>')
    feed = feed.replace("Pinebrook", "最高 Pinebrook")
    server.route("/rss", Reply(200, feed.encode("shift_jis")[:-40], {"Content-Type": "text/xml"}))

    with pytest.raises(CollectorError, match="ends before the feed does"):
        collector(server, "/rss").collect(BRAND, None)


def test_an_answer_cut_short_inside_a_cdata_section_is_refused(server):
    whole = _rss(*((f"e{n}", f"Sat, 21 Nov 2026 {20 - n:02d}:00:00 GMT") for n in range(4)))
    whole = whole.replace(b"</title><pubDate>", b"</title><description><![CDATA[<p>Pinebrook is good</p>]]>"
                                                b"</description><pubDate>")
    server.route("/rss", Reply(200, whole[: whole.rindex(b"is good")], {"Content-Type": "application/rss+xml"}))

    with pytest.raises(CollectorError, match="ends before the feed does"):
        collector(server, "/rss").collect(BRAND, None)


def test_a_whole_feed_followed_by_an_unfinished_trailer_is_read(server):
    feed = _rss(("a", "Sat, 21 Nov 2026 10:00:00 GMT")) + b"\n<!-- served by cache node 7, ttl"
    server.route("/rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))

    assert [_local(m.external_id) for m in collector(server, "/rss").collect(BRAND, None).mentions] == ["a"]


def test_a_sloppy_feed_cut_short_is_refused_and_read_whole_it_is_collected(server):
    # A bare "&" (not well-formed) stops expat before the cut; the answer must still end its root element.
    whole = _rss(*((f"e{n}", f"Sat, 21 Nov 2026 {20 - n:02d}:00:00 GMT") for n in range(6)))
    whole = whole.replace(b"Pinebrook e0", b"Pinebrook e0 & cake", 1)
    server.route("/cut", Reply(200, whole[: len(whole) * 2 // 3], {"Content-Type": "application/rss+xml"}))
    server.route("/whole", Reply(200, whole, {"Content-Type": "application/rss+xml"}))

    with pytest.raises(CollectorError, match="ends before the feed does"):
        collector(server, "/cut").collect(BRAND, None)
    assert len(collector(server, "/whole").collect(BRAND, None).mentions) == 6


def test_a_sloppy_utf16_feed_read_whole_is_collected(server):
    whole = _rss(("a", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(b"Pinebrook a", b"Pinebrook a & cake")
    whole = whole.decode().replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>').encode("utf-16")
    server.route("/rss", Reply(200, whole, {"Content-Type": "application/rss+xml"}))

    assert [_local(m.external_id) for m in collector(server, "/rss").collect(BRAND, None).mentions] == ["a"]


RSS = "application/rss+xml"
SEEN = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def _undated_rss(*guids: str, dated: tuple[tuple[str, str], ...] = (), next_page: str | None = None) -> Reply:
    """An RSS 2.0 feed whose items carry no pubDate (a forum's or a wiki's), with `dated` items after them."""
    items = "".join(f"<item><guid>{g}</guid><title>Pinebrook post {g}</title><link>/t/{g}</link></item>" for g in guids)
    items += "".join(f"<item><guid>{g}</guid><title>Pinebrook post {g}</title><pubDate>{d}</pubDate></item>"
                     for g, d in dated)
    link = f'<atom:link rel="next" href="{next_page}"/>' if next_page else ""
    return Reply(200, (f'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
                       f"<title>forum</title>{link}{items}</channel></rss>").encode(), {"Content-Type": RSS})


def _undated_run(server, cursor, at: datetime, path: str = "/forum.rss", max_pages: int = 5):
    return FeedCollector("forum", server.url + path, "forum", None, None, max_pages, new_session(5.0),
                         now=at).collect(BRAND, cursor)


def test_undated_entries_of_the_first_read_are_remembered_and_those_appearing_later_stored_once_dated_when_seen(
        server, caplog):
    server.route("/forum.rss", _undated_rss("b", "a"))
    first = _undated_run(server, None, SEEN)
    second = _undated_run(server, first.cursor, SEEN + timedelta(minutes=15))
    server.route("/forum.rss", _undated_rss("d", "c", "b", "a"))
    third = _undated_run(server, second.cursor, SEEN + timedelta(minutes=30))
    fourth = _undated_run(server, third.cursor, SEEN + timedelta(minutes=45))

    assert (first.mentions, second.mentions, fourth.mentions) == ([], [], [])
    assert _bare(first.cursor) == {"undated": ["b", "a"], "undated_read_at": SEEN.isoformat()}
    assert _bare(second.cursor) == {"undated": ["b", "a"],
                                   "undated_read_at": (SEEN + timedelta(minutes=15)).isoformat()}
    assert [(_local(m.external_id), m.created_at, m.dated_after) for m in third.mentions] == [
        ("d", SEEN + timedelta(minutes=30), SEEN + timedelta(minutes=15)),
        ("c", SEEN + timedelta(minutes=30), SEEN + timedelta(minutes=15))]
    assert third.mentions[0].raw["undated"] is True and third.mentions[0].url == f"{server.url}/t/d"
    assert _bare(third.cursor)["undated"] == _bare(fourth.cursor)["undated"] == ["d", "c", "b", "a"]
    assert "no readable" not in caplog.text


def test_an_undated_entry_that_drops_out_of_the_feed_and_comes_back_is_not_taken_again(server):
    server.route("/forum.rss", _undated_rss("b", "a"))
    cursor = _undated_run(server, None, SEEN).cursor
    runs = []
    for n, shown in enumerate([("c", "a"), ("b", "c", "a"), ("d", "b"), ("c", "d", "b")], start=1):
        server.route("/forum.rss", _undated_rss(*shown))  # b hidden then back; c pushed off then back
        result = _undated_run(server, cursor, SEEN + n * timedelta(hours=1))
        runs.append([_local(m.external_id) for m in result.mentions])
        cursor = result.cursor

    assert runs == [["c"], [], ["d"], []]
    assert _bare(cursor) == {"undated": ["c", "d", "b", "a"],
                             "undated_read_at": (SEEN + 4 * timedelta(hours=1)).isoformat()}


def test_a_feed_mixing_dated_and_undated_entries_keeps_its_watermark_for_the_dated_ones(server):
    old, new = ("old", "Fri, 20 Nov 2026 10:00:00 GMT"), ("new", "Sat, 21 Nov 2026 10:00:00 GMT")
    server.route("/forum.rss", _undated_rss("u1", dated=(old,)))
    first = _undated_run(server, None, SEEN)
    server.route("/forum.rss", _undated_rss("u2", "u1", dated=(new, old)))
    second = _undated_run(server, first.cursor, SEEN + timedelta(hours=1))

    # As before: dated ones kept.
    assert [(_local(m.external_id), m.created_at.day) for m in first.mentions] == [("old", 20)]
    assert [(_local(m.external_id), m.created_at) for m in second.mentions] == [
        ("u2", SEEN + timedelta(hours=1)), ("new", datetime(2026, 11, 21, 10, tzinfo=timezone.utc))]
    assert _bare(second.cursor) == {"at": "2026-11-21T10:00:00+00:00", "ids": ["new"], "undated": ["u2", "u1"],
                             "undated_read_at": (SEEN + timedelta(hours=1)).isoformat()}
    assert [m.dated_after for m in second.mentions] == [SEEN, None]  # a dated entry's date is its own


def test_undated_entries_are_history_on_the_first_run_after_an_upgrade_and_news_after_a_first_empty_read(server):
    from_before = {"at": "2026-11-20T10:00:00+00:00", "ids": ["old"]}  # a cursor saved by a version without them
    server.route("/forum.rss", _undated_rss("a"))
    upgraded = _undated_run(server, from_before, SEEN)
    server.route("/empty.rss", _undated_rss())
    empty = _undated_run(server, None, SEEN, "/empty.rss")
    server.route("/empty.rss", _undated_rss("a"))
    later = _undated_run(server, empty.cursor, SEEN + timedelta(hours=1), "/empty.rss")

    assert upgraded.mentions == [] and _bare(upgraded.cursor) == {**from_before, "undated": ["a"],
                                                           "undated_read_at": SEEN.isoformat()}
    assert [_local(m.external_id) for m in later.mentions] == ["a"]


def test_undated_entries_found_after_an_outage_are_marked_as_dated_after_the_last_read_and_said_to_be_estimates(
        server, caplog):
    server.route("/forum.rss", _undated_rss("a"))
    first = _undated_run(server, None, SEEN)
    server.route("/forum.rss", _undated_rss(*[f"n{i}" for i in range(12)], "a"))  # posted while the feed was down
    after_outage = _undated_run(server, first.cursor, SEEN + timedelta(hours=8))

    assert [m.created_at for m in after_outage.mentions] == [SEEN + timedelta(hours=8)] * 12
    assert {m.dated_after for m in after_outage.mentions} == {SEEN}
    assert "forum: 12 undated entries appeared since the read at 2026-12-01T09:00:00+00:00" in caplog.text
    assert "marked as estimated (dated_after): the spike rule does not count them" in caplog.text


def test_undated_entries_found_with_a_cursor_that_kept_no_read_time_may_date_from_any_time_before(server):
    from brandpulse.collectors.firstseen import UNKNOWN_READ

    server.route("/forum.rss", _undated_rss("b", "a"))
    result = _undated_run(server, {"undated": ["a"]}, SEEN)  # saved by a version that kept no read time

    assert [(_local(m.external_id), m.dated_after) for m in result.mentions] == [("b", UNKNOWN_READ)]
    assert _bare(result.cursor) == {"undated": ["b", "a"], "undated_read_at": SEEN.isoformat()}


def test_a_paged_undated_feed_stops_at_the_page_holding_an_entry_already_seen(server, caplog):
    server.route("/forum.rss", _undated_rss("c", "b", next_page="/forum.rss?page=2"))
    server.route("/forum.rss?page=2", _undated_rss("a"))
    first = _undated_run(server, None, SEEN)
    server.route("/forum.rss", _undated_rss("e", "d", next_page="/forum.rss?page=2"))
    server.route("/forum.rss?page=2", _undated_rss("c", "b", next_page="/forum.rss?page=3"))
    server.requests.clear()
    second = _undated_run(server, first.cursor, SEEN + timedelta(hours=1))
    pages_read = [path for _, path, _ in server.requests]
    server.route("/forum.rss", _undated_rss("g", "f"))
    third = _undated_run(server, second.cursor, SEEN + timedelta(hours=2), max_pages=1)

    assert _bare(first.cursor)["undated"] == ["c", "b", "a"]
    assert [_local(m.external_id) for m in second.mentions] == ["e", "d"]
    assert pages_read == ["/forum.rss", "/forum.rss?page=2"]  # never page 3
    assert _bare(second.cursor)["undated"] == ["e", "d", "c", "b", "a"]
    assert [_local(m.external_id) for m in third.mentions] == ["g", "f"]
    assert "every undated entry read was new; older ones past the last page may have been missed" in caplog.text


def test_the_undated_ids_remembered_are_those_of_the_latest_read_then_older_ones_up_to_a_cap():
    from brandpulse.collectors.firstseen import REMEMBERED, FirstSeen

    older = FirstSeen(tuple(f"old{n}" for n in range(REMEMBERED)))
    after = older.after(["new2", "new1", "old5"], SEEN)
    huge = FirstSeen(("x",)).after([f"n{n}" for n in range(REMEMBERED + 5)], SEEN)

    assert after.ids[:4] == ("new2", "new1", "old5", "old0") and len(after.ids) == REMEMBERED
    assert "old6" in after.ids and f"old{REMEMBERED - 1}" not in after.ids
    assert len(huge.ids) == REMEMBERED + 5 and "x" not in huge.ids  # a read's own ids are all kept
    assert FirstSeen.load({"at": "2026-11-20T10:00:00+00:00", "ids": []}).started is False


def test_a_next_page_refused_keeps_the_first_pages_entries_and_asks_to_wait(server):
    server.route("/reviews/atom", Reply.file("feed_page1.atom", ATOM))
    server.route("/reviews/atom?page=2", Reply(429, b"", {"Retry-After": "120"}))
    result = collector(server, "/reviews/atom").collect(BRAND, None)
    assert [m.author for m in result.mentions] == ["Kim", "Lee"] and result.cursor is None
    assert "rate limited (HTTP 429, Retry-After 120)" in result.error
    assert result.retry.delay == timedelta(seconds=120)


def test_an_answer_in_chunks_cut_short_says_how_much_arrived_naming_the_source(server):
    body = (DATA / "feed_page1.atom").read_bytes()[:300]
    server.route("/reviews/atom", Reply(200, body, {"Content-Type": ATOM, "Transfer-Encoding": "chunked"}, length=4000))
    with pytest.raises(CollectorError) as raised:
        collector(server, "/reviews/atom").collect(BRAND, None)
    # Was: "trustpilot: request to ... failed: ('Connection broken: IncompleteRead(300 bytes read, 3700 more
    # expected)', ...)", the counts those of the chunk, not of the answer.
    assert str(raised.value) == (f"trustpilot: answer cut short (the connection closed after 300 bytes, before its "
                                 f"end) from {server.url}/reviews/atom; the next run retries")


def test_an_entry_dated_before_year_1_in_utc_is_read_as_undated_not_skipped_behind_the_watermark(server, caplog):
    dated = (("new", "Tue, 01 Dec 2026 08:00:00 GMT"), ("zero", "0001-01-01T00:00:00+01:00"))
    server.route("/forum.rss", _undated_rss(dated=dated))
    before = "2026-11-30T00:00:00+00:00"
    cursor = {"at": before, "ids": [], "undated": [], "undated_read_at": before}
    result = _undated_run(server, cursor, SEEN)

    # Was: "forum: skipping malformed item: year 0 is out of range", the watermark moving to "new": never read again.
    assert [(_local(m.external_id), m.created_at) for m in result.mentions] == [
        ("new", datetime(2026, 12, 1, 8, tzinfo=timezone.utc)), ("zero", SEEN)]
    assert "malformed" not in caplog.text and _bare(result.cursor)["undated"] == ["zero"]


def _paged(items: tuple[tuple[str, str], ...], next_page: str | None = None) -> Reply:
    link = (f'<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="next" href="{next_page}"/>'
            if next_page else "")
    return Reply(200, _rss(*items).replace(b"<channel>", f"<channel>{link}".encode()),
                 {"Content-Type": "application/rss+xml"})


EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"  # a CMS's placeholder for a date it lost


@pytest.mark.parametrize("first_page", [
    (("n1", "Sat, 21 Nov 2026 14:00:00 GMT"), ("sticky", EPOCH), ("n2", "Sat, 21 Nov 2026 13:00:00 GMT")),
    (("n1", "Sat, 21 Nov 2026 14:00:00 GMT"), ("n2", "Sat, 21 Nov 2026 13:00:00 GMT"), ("sticky", EPOCH)),
    # An old post edited and shown first, its published date kept: out of order, it says nothing of the pages after.
    (("edited", "Mon, 01 Apr 2019 10:00:00 GMT"), ("n1", "Sat, 21 Nov 2026 14:00:00 GMT"),
     ("n2", "Sat, 21 Nov 2026 13:00:00 GMT")),
], ids=["among-new-ones", "last-on-its-page", "old-but-followed-by-new-ones"])
def test_an_entry_dated_1970_or_out_of_order_does_not_end_the_paging_before_the_pages_not_read_yet(server, first_page):
    server.route("/rss", _paged(first_page, next_page="/rss?page=2"))
    second_page = (("n3", "Sat, 21 Nov 2026 12:00:00 GMT"), ("n4", "Sat, 21 Nov 2026 11:00:00 GMT"),
                   ("old", "Fri, 20 Nov 2026 09:00:00 GMT"))
    server.route("/rss?page=2", _paged(second_page, next_page="/rss?page=3"))
    server.route("/rss?page=3", _paged((("older", "Thu, 19 Nov 2026 09:00:00 GMT"),)))
    cursor = {"at": "2026-11-20T10:00:00+00:00", "ids": [f"{server.url}/rss#last"]}

    result = collector(server, "/rss").collect(BRAND, cursor)

    # Was: the 1970 entry, before the watermark, counted as the page known; n3 and n4 on page 2 were never read.
    assert [_local(m.external_id) for m in result.mentions] == ["n1", "n2", "n3", "n4"]
    # Page 2 ends before the watermark, plausibly dated: the rest was read, page 3 is not asked for.
    assert [path for _, path, _ in server.requests] == ["/rss", "/rss?page=2"]
    assert result.cursor["at"] == "2026-11-21T14:00:00+00:00"


def test_a_feed_stamping_every_entry_with_one_second_keeps_a_bounded_cursor_and_takes_each_entry_once(
        server, monkeypatch):
    monkeypatch.setattr("brandpulse.collectors.watermark.REMEMBERED", 10, raising=False)
    stamp = "Sat, 21 Nov 2026 10:00:00 GMT"  # the feed's build time, on every entry
    cursor, taken, sizes = None, [], []
    for run in range(20):  # the feed shows its latest 6 entries; 2 more at each run
        shown = [(f"p{n}", stamp) for n in reversed(range(2 * run, 2 * run + 6))]
        server.route("/rss", Reply(200, _rss(*shown), {"Content-Type": "application/rss+xml"}))
        result = collector(server, "/rss").collect(BRAND, cursor)
        taken += [_local(m.external_id) for m in result.mentions]
        cursor = result.cursor
        sizes.append(len(cursor["ids"]))

    # Was: every id ever listed kept in the cursor (44 after 20 runs), and growing with each run.
    assert max(sizes) <= 10
    assert sorted(taken) == sorted(f"p{n}" for n in range(44))  # each once, none lost
    shown_last = [f"{server.url}/rss#p{n}" for n in range(38, 44)]
    assert set(shown_last) <= set(cursor["ids"])  # what the feed still shows is known


def test_a_feed_on_an_unknown_host_or_a_closed_port_says_so_in_one_line():
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    messages = []
    for url in ("http://forum.invalid/feed.rss", f"http://127.0.0.1:{port}/feed.rss"):  # .invalid never resolves
        with pytest.raises(CollectorError) as caught:
            FeedCollector("forum", url, "forum", None, None, 5, new_session(5.0)).collect(BRAND, None)
        messages.append(str(caught.value))

    # Was: "forum: request to URL failed: HTTPConnectionPool(host='forum.invalid', port=80): Max retries exceeded with
    # url: /feed.rss (Caused by NameResolutionError(...Failed to resolve 'forum.invalid' ([Errno -2] Name or ...)))"
    assert messages == [
        "forum: http://forum.invalid/feed.rss cannot be reached: its host forum.invalid is not known (DNS); check the "
        "url; the next run retries",
        f"forum: http://127.0.0.1:{port}/feed.rss cannot be reached: 127.0.0.1 refused the connection on port {port} "
        "(no server listening there); check the url; the next run retries"]


def test_a_feed_whose_xml_fault_swallows_its_later_entries_keeps_the_ones_read_and_not_its_resume_point(server):
    entries = [("e3", "Mon, 23 Nov 2026 10:00:00 GMT"), ("e2", "Sun, 22 Nov 2026 10:00:00 GMT"),
               ("e1", "Sat, 21 Nov 2026 10:00:00 GMT")]
    whole = _rss(*entries)
    broken = whole.replace(b"Pinebrook e2</title>", b"Pinebrook e2</titel>")  # a tag closed wrong: e1 is swallowed
    cursor = {"at": "2026-11-20T10:00:00+00:00", "ids": [f"{server.url}/rss#e0"]}
    server.route("/rss", Reply(200, broken, {"Content-Type": RSS}), Reply(200, whole, {"Content-Type": RSS}))

    faulty = collector(server, "/rss").collect(BRAND, cursor)
    fixed = collector(server, "/rss").collect(BRAND, faulty.cursor)

    # Was: e3 kept and the resume point moved to it, past e1, which the fixed feed then showed behind it: lost.
    assert [_local(m.external_id) for m in faulty.mentions] == ["e3"] and faulty.cursor["at"] == cursor["at"]
    assert faulty.error == (f"trustpilot: {server.url}/rss is not well-formed XML (line 1, column 227: mismatched tag; "
                            "2 of its 3 entries read); the entries read are kept, the resume point stays until the "
                            "feed is fixed, the next run retries")
    assert [_local(m.external_id) for m in fixed.mentions] == ["e3", "e2", "e1"]


def test_check_of_a_feed_whose_xml_fault_swallows_entries_names_the_fault(server):
    broken = _rss(("e2", "Sun, 22 Nov 2026 10:00:00 GMT"), ("e1", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(
        b"Pinebrook e2</title>", b"Pinebrook e2</titel>")
    server.route("/rss", Reply(200, broken, {"Content-Type": RSS}))

    # Was: ok, the feed read as one spoilt entry.
    with pytest.raises(CollectorError, match=r"/rss is not well-formed XML \(line 1, column \d+: mismatched tag; 1 of "
                                             r"its 2 entries read\)"):
        collector(server, "/rss").probe(BRAND)


def test_a_skipped_entry_is_logged_naming_the_collector_among_the_feeds_sharing_its_source(server, caplog):
    feed = _rss(("a", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(b"<title>Pinebrook a</title>", b"")
    server.route("/rss", Reply(200, feed, {"Content-Type": RSS}))

    collector(server, "/rss").collect(BRAND, None)  # the collector `reviews`, of source trustpilot

    # Was: "trustpilot: skipping malformed item: ...", which of the feeds under trustpilot unsaid.
    assert "trustpilot (reviews): skipping malformed item: entry a has no text" in caplog.text


def test_a_web_page_instead_of_a_feed_is_named_by_its_title_and_the_feed_it_links_to(server):
    home = (b'<!DOCTYPE html><html><head><title>Pinebrook Forum</title><link rel="alternate" '
            b'type="application/rss+xml" title="Latest" href="/latest.rss"></head><body>Welcome</body></html>')
    server.route("/", Reply(200, home, {"Content-Type": "text/html; charset=utf-8"}))

    with pytest.raises(CollectorError) as caught:
        collector(server, "/").collect(BRAND, None)

    # Was: "... is not an RSS or Atom feed (<unknown>:1:97: mismatched tag); check the url", a parser's position.
    assert str(caught.value) == (f"trustpilot: {server.url}/ is not an RSS or Atom feed (a web page, 'Pinebrook "
                                 f"Forum', which names its feed at {server.url}/latest.rss); check the url")


def test_an_entry_skipped_as_malformed_is_collected_once_its_publisher_fixes_it_though_the_cursor_moved_on(
        server, caplog):
    entries = [("e3", "Mon, 23 Nov 2026 10:00:00 GMT"), ("e2", "Sun, 22 Nov 2026 10:00:00 GMT")]
    whole = _rss(*entries)
    garbled = whole.replace(b"<title>Pinebrook e2</title>", b"<title></title>")  # read, but with no text
    server.route("/rss", Reply(200, garbled, {"Content-Type": RSS}), Reply(200, whole, {"Content-Type": RSS}))
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)

    broken = _at(server, now).collect(BRAND, {"at": "2026-11-20T10:00:00+00:00", "ids": []})
    fixed = _at(server, now + timedelta(hours=1)).collect(BRAND, broken.cursor)
    again = _at(server, now + timedelta(hours=2)).collect(BRAND, fixed.cursor)

    # Was: e2 skipped while the resume point moved to e3, past it: the fixed e2 lay behind it, never collected.
    assert [_local(m.external_id) for m in broken.mentions] == ["e3"] and broken.cursor["at"].startswith("2026-11-23")
    assert "entry e2 has no text; retried at the next runs, should its publisher fix it" in caplog.text
    assert [_local(m.external_id) for m in fixed.mentions] == ["e2"] and "malformed" not in fixed.cursor
    assert again.mentions == []


def test_an_entry_left_malformed_is_retried_for_a_day_and_three_runs_then_given_up_saying_so(server, caplog):
    feed = _rss(("e3", "Mon, 23 Nov 2026 10:00:00 GMT"), ("e2", "Sun, 22 Nov 2026 10:00:00 GMT"),
                ("e1", "Sat, 21 Nov 2026 10:00:00 GMT")).replace(b"<title>Pinebrook e2</title>", b"<title></title>")
    server.route("/rss", Reply(200, feed, {"Content-Type": RSS}))
    cursor = {"at": "2026-11-20T10:00:00+00:00", "ids": []}
    start = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    for hours in (0, 1, 2, 25):
        cursor = _at(server, start + timedelta(hours=hours)).collect(BRAND, cursor).cursor
        if hours < 25:
            assert list(cursor["malformed"]) == [f"{server.url}/rss#e2"]

    assert "malformed" not in cursor
    assert (f"gave up on item {server.url}/rss#e2 (dated 2026-11-22T10:00:00+00:00), skipped as malformed at 4 runs "
            "since 2026-11-23T12:00:00+00:00: it is not collected even if its publisher fixes it") in caplog.text


def _at(server: LocalServer, now: datetime, path: str = "/rss") -> FeedCollector:
    return FeedCollector("reviews", server.url + path, "trustpilot", "Pinebrook Coffee", None, 5, new_session(5.0),
                         now=now)



def test_an_entry_skipped_as_malformed_on_a_later_page_is_read_there_though_the_first_page_holds_known_ones(server):
    second_page = (("e2", "Sun, 22 Nov 2026 10:00:00 GMT"), ("e1", "Sat, 21 Nov 2026 10:00:00 GMT"))
    server.route("/rss", _paged((("e4", "Tue, 24 Nov 2026 10:00:00 GMT"), ("e3", "Mon, 23 Nov 2026 10:00:00 GMT")),
                                "/rss?page=2"))
    fixed_page = _paged(second_page)
    garbled = replace(fixed_page, body=fixed_page.body.replace(b"<title>Pinebrook e2</title>", b"<title></title>"))
    server.route("/rss?page=2", garbled, fixed_page)
    now = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)

    broken = _at(server, now).collect(BRAND, {"at": "2026-11-20T10:00:00+00:00", "ids": []})
    fixed = _at(server, now + timedelta(hours=1)).collect(BRAND, broken.cursor)

    assert [_local(m.external_id) for m in broken.mentions] == ["e4", "e3", "e1"]
    # Was: the run stopped at page 1 (e4 known), never reading page 2 again.
    assert [_local(m.external_id) for m in fixed.mentions] == ["e2"]


def test_a_malformed_copy_of_an_entry_collected_in_the_same_read_is_not_retried_nor_collected_again(server):
    feed = _rss(("e2", "Sun, 22 Nov 2026 10:00:00 GMT"), ("e2", "Sun, 22 Nov 2026 09:00:00 GMT")).replace(
        b"</item><item><guid>e2</guid><title>Pinebrook e2</title>", b"</item><item><guid>e2</guid><title></title>")
    server.route("/rss", Reply(200, feed, {"Content-Type": RSS}))
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)

    first = _at(server, now).collect(BRAND, {"at": "2026-11-20T10:00:00+00:00", "ids": []})
    second = _at(server, now + timedelta(hours=1)).collect(BRAND, first.cursor)

    assert [_local(m.external_id) for m in first.mentions] == ["e2"] and "malformed" not in first.cursor
    assert second.mentions == []


def test_dates_naming_a_zone_feedparser_does_not_know_are_read_in_that_zone_so_no_entry_falls_behind(server):
    server.route("/rss", Reply(200, _rss(("a", "Mon, 23 Nov 2026 00:00:00 -1000")), {"Content-Type": RSS}))
    first = collector(server, "/rss").collect(BRAND, None)
    server.route("/rss", Reply(200, _rss(("b", "Mon, 23 Nov 2026 00:30:00 HST"), ("c", "Mon, 23 Nov 2026 11:00:00 CET"),
                                         ("a", "Mon, 23 Nov 2026 00:00:00 -1000")), {"Content-Type": RSS}))
    second = collector(server, "/rss").collect(BRAND, first.cursor)

    # Was: b read as 00:30 UTC, behind a (10:00 UTC): never collected; c read as 11:00 UTC, an hour late.
    assert [(_local(m.external_id), m.created_at.isoformat()) for m in second.mentions] == [
        ("b", "2026-11-23T10:30:00+00:00"), ("c", "2026-11-23T10:00:00+00:00")]


def test_an_entry_pushed_onto_the_next_page_while_the_feed_is_paged_is_taken_once_without_a_warning(server, caplog):
    # e6 was published between the two requests: e4 moved from page 1 to page 2 and is read twice.
    server.route("/rss", _paged((("e5", "Wed, 25 Nov 2026 10:00:00 GMT"), ("e4", "Tue, 24 Nov 2026 10:00:00 GMT")),
                                "/rss?page=2"))
    server.route("/rss?page=2", _paged((("e4", "Tue, 24 Nov 2026 10:00:00 GMT"),
                                        ("e3", "Mon, 23 Nov 2026 10:00:00 GMT"))))

    mentions = collector(server, "/rss").collect(BRAND, {"at": "2026-11-20T10:00:00+00:00", "ids": []}).mentions

    assert [_local(m.external_id) for m in mentions] == ["e5", "e4", "e3"]
    # Was: "two items share the id ...#e4; kept the first", as if the publisher had given two entries one guid.
    assert "share the id" not in caplog.text


def test_an_rss_entry_with_only_a_pubdate_is_dated_without_feedparsers_deprecated_updated_mapping():
    import warnings

    import feedparser

    from brandpulse.collectors.feed import entry_time
    from brandpulse.collectors.zones import zone_ahead

    rss = ("<rss version='2.0'><channel><title>t</title><item><guid>1</guid><title>Acme</title>"
           "<pubDate>Sun, 01 Mar 2026 10:00:00 +0100</pubDate></item></channel></rss>")
    (entry,) = feedparser.parse(rss).entries
    with warnings.catch_warnings():
        # Was: entry.get('updated') answered with the published date and a DeprecationWarning (the mapping is to go).
        warnings.simplefilter("error", DeprecationWarning)
        assert entry_time(entry) == datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
        assert zone_ahead(entry) == timedelta(0)
