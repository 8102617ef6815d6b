"""Builds the hand-made Twitter API v2 cassettes in this folder (run once; the YAML files are committed).

The recording from tweepy's test suite (copied into shared/, see shared/PROVENANCE.md) covers one page of a plain recent search. These cover
what they do not: pagination with expansions, an empty result, 429 and 5xx answers, malformed payloads, escaped
text and long posts. They
are NOT recordings of live traffic: bodies and headers are written from the API documentation
(https://developer.x.com/en/docs/x-api/tweets/search/api-reference/get-tweets-search-recent and
https://developer.x.com/en/docs/x-api/rate-limits) in vcrpy's YAML layout, secrets omitted.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
NOTE = "# Hand-made from the Twitter API v2 documentation, not recorded live: see make_twitter_cassettes.py\n"
URI = "https://api.twitter.com/2/tweets/search/recent"
RESET = 1795000000  # x-rate-limit-reset, epoch seconds; tests inject a clock relative to it


def snowflake(moment: str, seq: int = 0) -> str:
    ms = int(datetime.fromisoformat(moment).replace(tzinfo=timezone.utc).timestamp() * 1000)
    return str(((ms - 1288834974657) << 22) + seq)


def tweet(moment: str, text: str, author: str, **extra) -> dict:
    body = {
        "id": snowflake(moment), "text": text, "created_at": moment + ".000Z", "lang": "en", "author_id": author,
        "edit_history_tweet_ids": [snowflake(moment)],
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
    }
    body.update(extra)
    return body


USERS = [{"id": "101", "name": "Ada", "username": "ada_drinks"}, {"id": "102", "name": "Bo", "username": "bo_b"},
         {"id": "103", "name": "Pinebrook", "username": "pinebrookcoffee"}]
ORIGINAL = tweet("2026-11-20T09:00:00", "Pinebrook Coffee new winter roast is out", "103",
                 public_metrics={"retweet_count": 41, "reply_count": 3, "like_count": 90, "quote_count": 2})
PAGE_1 = [
    tweet("2026-11-20T12:00:00", "pinebrook app charged me twice this morning", "101"),
    tweet("2026-11-20T11:30:00", "RT @pinebrookcoffee: Pinebrook Coffee new winter roast is out", "102",
          referenced_tweets=[{"type": "retweeted", "id": ORIGINAL["id"]}]),
    tweet("2026-11-20T11:00:00", "best latte in town, #pinebrook", "102"),
]
PAGE_2 = [
    tweet("2026-11-20T10:30:00", "@pinebrookcoffee the oat milk is back!", "101"),
    tweet("2026-11-20T10:00:00", "pinebrook queue was 20 minutes again", "102"),
]


LONG_TEXT = ("pinebrook " + "the queue went round the block and the app kept saying my order was ready when it "
             "was not, ") * 4 + "so I left without my coffee."


def page(data: list, next_token: str | None = None, includes: dict | None = None) -> dict:
    meta = {"result_count": len(data)}
    if data:
        meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
    if next_token:
        meta["next_token"] = next_token
    body = {"meta": meta}
    if data:
        body["data"] = data
        body["includes"] = includes or {"users": USERS}
    return body


def interaction(status: int, body: str | dict, headers: dict | None = None, message: str = "OK") -> dict:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return {
        "request": {"body": None, "headers": {"Accept": ["*/*"]}, "method": "GET", "uri": URI},
        "response": {
            "body": {"string": text},
            "headers": {"content-type": ["application/json; charset=utf-8"], "x-rate-limit-limit": ["450"],
                        "x-rate-limit-remaining": ["0" if status == 429 else "440"],
                        "x-rate-limit-reset": [str(RESET)], **(headers or {})},
            "status": {"code": status, "message": message},
        },
    }


TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
UNAVAILABLE = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}
CASSETTES = {
    "twitter_pagination": [
        interaction(200, page(PAGE_1, "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul",
                              {"users": USERS, "tweets": [ORIGINAL]})),
        interaction(200, page(PAGE_2)),
    ],
    "twitter_empty": [interaction(200, page([]))],
    "twitter_429_then_ok": [
        interaction(429, TOO_MANY, message="Too Many Requests"),
        interaction(200, page(PAGE_2)),
    ],
    # The first page arrives, the second is refused until the window resets (stop); the next run resumes.
    "twitter_429_midway": [
        interaction(200, page(PAGE_1[:1] + PAGE_1[2:], "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i")),
        interaction(429, TOO_MANY, message="Too Many Requests"),
    ],
    # The same with a reset time past year 9999, as a broken proxy sent one.
    "twitter_429_midway_no_calendar": [
        interaction(200, page(PAGE_1[:1] + PAGE_1[2:], "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i")),
        interaction(429, TOO_MANY, {"x-rate-limit-reset": ["99999999999999"]}, message="Too Many Requests"),
    ],
    "twitter_resume": [interaction(200, page(PAGE_2))],
    # A since_id older than the 7-day window is refused with 400; the collector starts afresh without it.
    "twitter_stale_cursor": [
        interaction(400, {"errors": [{"parameters": {"since_id": ["1"]}, "message": "Invalid 'since_id':'1'. 'since_id' "
                                      "must be a tweet id created after 2026-11-13T13:00:00Z."}],
                          "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                          "type": "https://api.twitter.com/2/problems/invalid-request"}, message="Bad Request"),
        interaction(200, page(PAGE_2)),
    ],
    "twitter_503": [interaction(503, UNAVAILABLE, message="Service Unavailable")],
    # The first page arrives, the second fails: the first is kept and the sweep resumes below it.
    "twitter_503_midway": [
        interaction(200, page(PAGE_1[:1] + PAGE_1[2:], "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i")),
        interaction(503, UNAVAILABLE, message="Service Unavailable"),
    ],
    # The API escapes &, < and > in `text`; a post over 280 characters has its whole text in `note_tweet`.
    "twitter_escaped_and_long": [interaction(200, page([
        tweet("2026-11-20T12:00:00", "pinebrook &amp; AT&amp;T both down &lt;3 -&gt; nobody answers", "101"),
        tweet("2026-11-20T11:00:00", LONG_TEXT[:270] + "\u2026 https://t.co/abc", "102",
              note_tweet={"text": LONG_TEXT}),
    ]))],
    # A revoked or mistyped bearer token (what `brandpulse check` reports as 401).
    "twitter_401": [interaction(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                      "detail": "Unauthorized"}, message="Unauthorized")],
    "twitter_malformed_payload": [interaction(200, "<html><body>Over capacity</body></html>", {"content-type": ["text/html"]})],
    "twitter_malformed_item": [interaction(200, page([{"id": snowflake("2026-11-20T12:30:00"), "lang": "en"}] + PAGE_2))],
}


def main() -> None:
    for name, interactions in CASSETTES.items():
        text = yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False, width=120)
        (HERE / f"{name}.yaml").write_text(NOTE + text, encoding="utf-8")


if __name__ == "__main__":
    main()
