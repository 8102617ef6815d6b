"""Builds the hand-made Reddit API cassettes in this folder (run once; the JSON files are committed).

The recordings from praw's test suite (copied into shared/, see shared/PROVENANCE.md) cover a search of r/all and the newest comments. These cover
what they do not: pagination, an empty result, 429 and 5xx answers, a malformed payload, a malformed item, removed
and deleted posts and a cross-post. They are NOT recordings of live traffic: written from Reddit's API documentation
(https://www.reddit.com/dev/api#GET_search, #GET_comments, listings and rate-limit headers) in the layout of praw's
own vcrpy JSON cassettes, with the same placeholders (<ACCESS_TOKEN>, <USER_AGENT>).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTE = "Hand-made from the Reddit API documentation, not recorded live: see make_reddit_cassettes.py"
OAUTH = "https://oauth.reddit.com"
T0 = 1795000000  # created_utc of the newest item


def auth() -> dict:
    body = {"access_token": "<ACCESS_TOKEN>", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
    return interaction("POST", "https://www.reddit.com/api/v1/access_token", 200, body)


def interaction(method: str, uri: str, status: int, body: dict | str, headers: dict | None = None) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "request": {"body": None, "headers": {"Authorization": ["bearer <ACCESS_TOKEN>"], "User-Agent": ["<USER_AGENT>"]},
                    "method": method, "uri": uri},
        "response": {
            "body": {"string": text},
            "headers": {"Content-Type": ["application/json; charset=UTF-8"], "x-ratelimit-remaining": ["595.0"],
                        "x-ratelimit-used": ["5"], "x-ratelimit-reset": ["300"], **(headers or {})},
            "status": {"code": status, "message": {200: "OK", 401: "Unauthorized", 429: "Too Many Requests",
                                                   503: "Service Unavailable"}[status]},
            "url": uri,
        },
    }


def submission(n: int, title: str, age: int, **extra) -> dict:
    data = {"id": f"p{n}", "name": f"t3_p{n}", "title": title, "selftext": "", "author": f"user{n}",
            "subreddit": "coffee", "created_utc": float(T0 - age), "permalink": f"/r/coffee/comments/p{n}/x/",
            "num_crossposts": 0, "score": 3}
    data.update(extra)
    return {"kind": "t3", "data": data}


def comment(n: int, body: str, age: int) -> dict:
    return {"kind": "t1", "data": {"id": f"c{n}", "name": f"t1_c{n}", "body": body, "author": f"user{n}",
                                   "subreddit": "coffee", "created_utc": float(T0 - age), "link_id": "t3_p1",
                                   "permalink": f"/r/coffee/comments/p1/x/c{n}/"}}


def listing(children: list, after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(children), "children": children}}


def get(path: str, status: int, body, headers: dict | None = None) -> dict:
    return interaction("GET", f"{OAUTH}{path}", status, body, headers)


SEARCH, COMMENTS = "/r/coffee/search/", "/r/coffee/comments/"
PAGE_1 = [submission(1, "Pinebrook double charged me", 0), submission(2, "Is pinebrook open on Sunday?", 60)]
PAGE_2 = [submission(3, "pinebrook oat milk is back", 120)]
CROSSPOST = submission(9, "Pinebrook winter roast (x-post)", 30, crosspost_parent="t3_p4",
                       crosspost_parent_list=[submission(4, "Pinebrook winter roast review", 3600, num_crossposts=5)["data"]])
COMMENTS_PAGE = [comment(1, "pinebrook refunded me after a week", 10), comment(2, "unrelated chat about tea", 20),
                 comment(3, "the pinebrook app keeps crashing", 40)]
CASSETTES = {
    "reddit_pagination": [auth(), get(SEARCH, 200, listing(PAGE_1, "t3_p2")), get(SEARCH, 200, listing(PAGE_2)),
                          get(COMMENTS, 200, listing(COMMENTS_PAGE))],
    # The token request with a wrong client id or secret (what `brandpulse check` reports as 401).
    "reddit_401": [interaction("POST", "https://www.reddit.com/api/v1/access_token", 401,
                               {"message": "Unauthorized", "error": 401})],
    "reddit_empty": [auth(), get(SEARCH, 200, listing([])), get(COMMENTS, 200, listing([]))],
    "reddit_429": [auth(), get(SEARCH, 429, "Too Many Requests", {"retry-after": ["12"], "Content-Type": ["text/plain"]})],
    "reddit_503": [auth()] + [get(SEARCH, 503, "<html>upstream unavailable</html>", {"Content-Type": ["text/html"]})] * 3,
    "reddit_malformed_payload": [auth(), get(SEARCH, 200, "<html>our CDN had a hiccup</html>", {"Content-Type": ["text/html"]})],
    # A post the search index listed late (30 min behind the newest read) and one 2 hours behind.
    "reddit_late_and_old": [auth(), get(SEARCH, 200, listing([submission(1, "Pinebrook double charged me", 0),
                                                                submission(6, "pinebrook listed late", 1800),
                                                                submission(7, "pinebrook long ago", 7200)])),
                            get(COMMENTS, 200, listing([]))],
    # The second search page fails: the first is kept, the watermark stays.
    "reddit_page2_fails": [auth(), get(SEARCH, 200, listing(PAGE_1, "t3_p2"))]
    + [get(SEARCH, 503, "<html>upstream unavailable</html>", {"Content-Type": ["text/html"]})] * 3,
    # The comments listing fails after the search was read: the submissions are kept with their watermark.
    "reddit_comments_fail": [auth(), get(SEARCH, 200, listing(PAGE_2))]
    + [get(COMMENTS, 503, "<html>upstream unavailable</html>", {"Content-Type": ["text/html"]})] * 3,
    # A post dated five years ahead, one naming the brand's handle without its @, and a cross-post whose own title
    # names the brand while its original does not.
    "reddit_odd_posts": [auth(), get(SEARCH, 200, listing([
        submission(10, "pinebrook from the future", -5 * 365 * 86400),
        submission(11, "u/pinebrookcoffee charged me twice", 0),
        submission(12, "Look what pinebrook fans made", 30, crosspost_parent="t3_p13",
                   crosspost_parent_list=[submission(13, "My cat in a box", 600, num_crossposts=2)["data"]]),
    ])), get(COMMENTS, 200, listing([]))],
    # A post its moderators removed and one its author deleted stay listed, with their title and a marker as text.
    "reddit_removed": [auth(), get(SEARCH, 200, listing([
        submission(14, "Pinebrook charged me twice", 0, selftext="[removed]", removed_by_category="moderator"),
        submission(15, "pinebrook refund story", 60, selftext="[deleted]", author="[deleted]"),
    ])), get(COMMENTS, 200, listing([]))],
    "reddit_malformed_item": [
        auth(),
        get(SEARCH, 200, listing([{"kind": "t3", "data": {"id": "p5", "name": "t3_p5", "title": "pinebrook without a date"}},
                                  CROSSPOST] + PAGE_2)),
        get(COMMENTS, 200, listing([])),
    ],
}


def main() -> None:
    for name, interactions in CASSETTES.items():
        cassette = {"_note": NOTE, "interactions": interactions, "recorded_at": "2026-11-23T00:00:00", "version": 1}
        (HERE / f"{name}.json").write_text(json.dumps(cassette, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
