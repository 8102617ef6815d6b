"""Builds the review and feed payloads in this folder (run once; the files are committed).

They are NOT captured from the live services: they follow the documented or observed layouts of Apple's
customer-reviews JSON feed (itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/json),
Google Play's batchexecute `oCPfdb` answer (as parsed by google-play-scraper's field map), Atom with RFC 5005
paging, RSS 2.0 and Mastodon's hashtag timeline (a JSON list of Status entities), with invented posts and reviews
of the fictional Pinebrook Coffee app.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = "1234567890"


def apple_entry(n: int, updated: str, rating: str, title: str, content: str) -> dict:
    return {
        "author": {"uri": {"label": f"https://itunes.apple.com/us/reviews/id{900 + n}"}, "name": {"label": f"reviewer{n}"}, "label": ""},
        "updated": {"label": updated}, "im:rating": {"label": rating}, "im:version": {"label": "4.2.0"},
        "id": {"label": f"1098765{n:04d}"}, "title": {"label": title},
        "content": {"label": content, "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": f"https://itunes.apple.com/us/review?id={APP}&type=Purple%20Software"}},
        "im:voteSum": {"label": "0"}, "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }


def apple_feed(page: int, entries: list | None, last: int = 10) -> dict:
    url = f"https://itunes.apple.com/us/rss/customerreviews/page={{}}/id={APP}/sortby=mostrecent/json"
    links = [{"attributes": {"rel": "alternate", "type": "text/html", "href": f"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc=us&id={APP}"}},
             {"attributes": {"rel": "self", "href": url.format(page)}},
             {"attributes": {"rel": "first", "href": url.format(1)}},
             {"attributes": {"rel": "last", "href": url.format(last)}},
             {"attributes": {"rel": "previous", "href": url.format(max(page - 1, 1))}},
             {"attributes": {"rel": "next", "href": url.format(min(page + 1, last))}}]
    feed = {"author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/itunes/"}},
            "updated": {"label": "2026-11-20T05:00:00-07:00"}, "rights": {"label": "Copyright 2008 Apple Inc."},
            "title": {"label": "iTunes Store: Customer Reviews"}, "link": links, "id": {"label": url.format(page)}}
    if entries is not None:
        feed["entry"] = entries
    return {"feed": feed}


APPLE_1 = [apple_entry(1, "2026-11-20T04:30:00-07:00", "1", "Charged twice", "The Pinebrook app charged my card twice."),
           apple_entry(2, "2026-11-20T03:00:00-07:00", "5", "Love it", "Order ahead works great.")]
APPLE_2 = [apple_entry(3, "2026-11-19T22:00:00-07:00", "3", "Okay", "Slow at peak times."),
           apple_entry(4, "2026-11-19T21:00:00-07:00", "2", "Crashes", "Crashes when I open rewards.")]
BAD_APPLE = dict(apple_entry(5, "2026-11-20T04:45:00-07:00", "9", "Nine stars", "not a real rating"))


def play_review(n: int, when: int, score: int, text: str) -> list:
    review = [f"gp:AOqpTO{n:03d}", [f"Player {n}", [None, 2, None, [None, None, f"https://play-lh.googleusercontent.com/a/{n}"]]],
              score, None, text, [when, 0], n, None, None, None, "4.2.0"]
    return review


def play_body(reviews: list, token: str | None) -> str:
    inner = [reviews, [None, token] if token else None]
    envelope = [["wrb.fr", "oCPfdb", json.dumps(inner), None, None, None, "generic"], ["di", 47], ["af.httprm", 46, "-1", 7]]
    return ")]}'\n\n" + json.dumps(envelope)


T = 1795000000
PLAY_1 = [play_review(1, T, 1, "Pinebrook app double charged me"), play_review(2, T - 600, 4, "Good coffee, app is fine")]
PLAY_2 = [play_review(3, T - 7200, 2, "Login loop since the update")]

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:review="http://purl.org/stuff/rev#">
  <title>Pinebrook Coffee reviews</title>
  <id>urn:example:pinebrook:reviews</id>
  <updated>2026-11-20T12:00:00Z</updated>
  <link rel="self" href="/reviews/atom"/>
{next}{entries}
</feed>
"""
ATOM_ENTRY = """  <entry>
    <id>urn:example:review:{id}</id>
    <title>{title}</title>
    <link href="https://reviews.example.com/pinebrook/{id}"/>
    <author><name>{author}</name></author>
    <updated>{updated}</updated>
    <review:rating>{rating}</review:rating>
    <summary type="html">{summary}</summary>
  </entry>
"""


def atom(entries: list[dict], next_href: str | None = None) -> str:
    link = f'  <link rel="next" href="{next_href}"/>\n' if next_href else ""
    return ATOM.format(next=link, entries="".join(ATOM_ENTRY.format(**e) for e in entries))


ATOM_1 = [dict(id=1, title="Double charge, no reply", author="Kim", updated="2026-11-20T12:00:00Z", rating=1,
               summary="&lt;p&gt;Pinebrook took my money &lt;b&gt;twice&lt;/b&gt;.&lt;/p&gt;"),
          dict(id=2, title="Cosy place", author="Lee", updated="2026-11-20T11:00:00Z", rating=5, summary="Great flat white.")]
ATOM_2 = [dict(id=3, title="Fine", author="Max", updated="2026-11-19T18:00:00Z", rating=4, summary="Decent beans.")]

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Coffee forum: brand talk</title><link>https://forum.example.com/brands</link><description>posts</description>
  <item><title>Rated 2 out of 5: Pinebrook queue</title><link>https://forum.example.com/t/11</link>
    <guid>https://forum.example.com/t/11</guid><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>
    <description>Waited 25 minutes at pinebrook.</description></item>
  <item><title>No date on this one, pinebrook</title><link>https://forum.example.com/t/12</link>
    <guid>https://forum.example.com/t/12</guid><description>broken item</description></item>
  <item><title>Golf at pinebrook park</title><link>https://forum.example.com/t/13</link>
    <guid>https://forum.example.com/t/13</guid><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate>
    <description>not about coffee</description></item>
  <item><title>Espresso machines compared</title><link>https://forum.example.com/t/14</link>
    <guid>https://forum.example.com/t/14</guid><pubDate>Fri, 20 Nov 2026 07:00:00 GMT</pubDate>
    <description>Pinebrook uses a La Marzocco</description></item>
</channel></rss>
"""

def toot(n: int, created: str, content: str, reblogs: int = 0) -> dict:
    """A status as documented at https://docs.joinmastodon.org/entities/Status/ (fields we read, and a few more)."""
    return {"id": str(113500000000000000 + n), "created_at": created, "in_reply_to_id": None, "sensitive": False,
            "spoiler_text": "", "visibility": "public", "language": "en",
            "uri": f"https://social.example/users/u{n}/statuses/{n}", "url": f"https://social.example/@u{n}/{n}",
            "replies_count": 0, "reblogs_count": reblogs, "favourites_count": 1, "content": content,
            "account": {"id": str(n), "username": f"u{n}", "acct": f"u{n}@social.example", "display_name": f"U {n}"},
            "tags": [{"name": "pinebrook", "url": "https://mastodon.example/tags/pinebrook"}]}


MASTODON_NEW = [toot(3, "2026-11-20T12:00:00.000Z", '<p>Charged twice at <a href="#">#<span>pinebrook</span></a> again</p>', 4),
                toot(2, "2026-11-20T11:00:00.000Z", "<p>Golf day at pinebrook park <a>#pinebrook</a></p>")]
MASTODON_OLD = [toot(1, "2026-11-20T10:00:00.000Z", "<p>Lovely flat white<br>#pinebrook</p>")]

FILES = {
    "mastodon_newest.json": json.dumps(MASTODON_NEW + MASTODON_OLD, indent=1),
    "mastodon_after_1.json": json.dumps(MASTODON_NEW, indent=1),
    "mastodon_empty.json": "[]",
    "mastodon_malformed_item.json": json.dumps([{"id": "113500000000000009", "content": None}] + MASTODON_OLD, indent=1),
    "appstore_page1.json": json.dumps(apple_feed(1, APPLE_1, last=3), indent=1),
    "appstore_page2.json": json.dumps(apple_feed(2, APPLE_2, last=3), indent=1),
    "appstore_page3.json": json.dumps(apple_feed(3, None, last=3), indent=1),
    "appstore_malformed_item.json": json.dumps(apple_feed(1, [BAD_APPLE] + APPLE_1, last=1), indent=1),
    "googleplay_page1.txt": play_body(PLAY_1, "CsYBCsMBQUx4bWtT"),
    "googleplay_page2.txt": play_body(PLAY_2, None),
    "googleplay_empty.txt": play_body([], None),
    "googleplay_malformed_item.txt": play_body([["gp:broken", ["Nobody"], 7, None, None, None]] + PLAY_2, None),
    "feed_page1.atom": atom(ATOM_1, "/reviews/atom?page=2"),
    "feed_page2.atom": atom(ATOM_2),
    "feed_empty.atom": atom([]),
    "feed_forum.rss": RSS,
}


def main() -> None:
    for name, text in FILES.items():
        (HERE / name).write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")


if __name__ == "__main__":
    main()
