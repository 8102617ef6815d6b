"""Builds the `derived_*` cassettes here from the recorded ones in shared/ (run once; the files are committed).

Unlike make_twitter_cassettes.py and make_reddit_cassettes.py, which write answers from the API documentation, each
cassette here starts from a real recording (shared/PROVENANCE.md says where each comes from) and edits only what the
failure needs: a status, a header or two, a body cut short or changed. Each file's `_note` names the recording, the
interactions taken from it and every edit. Requests are left as recorded: the tests match on method and path.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SHARED = HERE / "shared"
SEARCH_FILE, COMMENTS_FILE = "praw_subreddit_search.json", "praw_subreddit_comments.json"
TWEETS_FILE = "tweepy_search_recent_tweets.yaml"
HTML_502 = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def _recorded(name: str) -> list[dict]:
    return json.loads((SHARED / name).read_text(encoding="utf-8"))["interactions"]


TOKEN, SEARCH = _recorded(SEARCH_FILE)
(COMMENTS,) = _recorded(COMMENTS_FILE)
CHILDREN = json.loads(SEARCH["response"]["body"]["string"])["data"]["children"]


def edited(recorded: dict, status: int, message: str, body: str | dict | None = None,
           headers: dict[str, str] | None = None) -> dict:
    """A copy of a recorded interaction answering `status`, with `body` and `headers` in place of the recorded ones."""
    interaction = copy.deepcopy(recorded)
    response = interaction["response"]
    response["status"] = {"code": status, "message": message}
    if body is not None:
        response["body"]["string"] = body if isinstance(body, str) else json.dumps(body)
        for name in ("Content-Length", "content-length"):
            response["headers"].pop(name, None)
    response["headers"].update({name: [value] for name, value in (headers or {}).items()})
    return interaction


def search_page(children: list[dict], after: str | None = None) -> dict:
    """The recorded search answer listing `children` instead, followed by page `after`."""
    body = json.loads(SEARCH["response"]["body"]["string"])
    body["data"].update(children=children, after=after)
    return edited(SEARCH, 200, "OK", body)


UNAUTHORIZED = {"message": "Unauthorized", "error": 401}
RATE_HEADERS = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "412"}
XPOST_PARENT = {**CHILDREN[3]["data"], "author": "[deleted]", "selftext": "[deleted]", "num_crossposts": 3}
XPOST = copy.deepcopy(CHILDREN[4])
XPOST["data"].update(crosspost_parent=XPOST_PARENT["name"], crosspost_parent_list=[XPOST_PARENT])

ODD = copy.deepcopy(CHILDREN)
ODD[0]["data"].update(selftext="[removed]", removed_by_category="moderator")
ODD[1]["data"].update(selftext="[deleted]", author="[deleted]")
ODD[2]["data"].update(over_18=True)



def at_path(recorded: dict, path: str) -> dict:
    """A copy of a recorded interaction asked at `path` of its host (its query left out), as praw asks another
    subreddit's listing or `about`."""
    interaction = copy.deepcopy(recorded)
    host = interaction["request"]["uri"].split("/")[2]
    interaction["request"]["uri"] = interaction["response"]["url"] = f"https://{host}{path}"
    return interaction


# Reddit's answers for a subreddit it refuses: a private one (403), a banned one (404), as the API gives them.
PRIVATE = {"reason": "private", "message": "Forbidden", "error": 403}
BANNED = {"reason": "banned", "message": "Not Found", "error": 404}
ABOUT_COFFEE = {"kind": "t5", "data": {"display_name": "coffee", "subreddit_type": "public"}}

# name: (what the recording became, interactions)
REDDIT = {
    # A search of r/coffee+secretbeans, the second private: Reddit refuses the whole listing; asked about each, it
    # answers r/coffee's and refuses r/secretbeans's; then r/coffee alone is searched and its comments read.
    "derived_reddit_private_subreddit": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) asked at "
        "/r/coffee+secretbeans/search/ with status 403 and body " + json.dumps(PRIVATE) + "; then at /r/coffee/about "
        "with body " + json.dumps(ABOUT_COFFEE) + " (hand-made, a subreddit's `about` shortened), and at "
        "/r/secretbeans/about with status 403 and the same body as the search's; then interaction 1 as recorded "
        f"asked at /r/coffee/search/; {COMMENTS_FILE}: interaction 0 (comments) as recorded, asked at "
        "/r/coffee/comments/",
        [TOKEN, edited(at_path(SEARCH, "/r/coffee+secretbeans/search/"), 403, "Forbidden", PRIVATE),
         edited(at_path(SEARCH, "/r/coffee/about"), 200, "OK", ABOUT_COFFEE),
         edited(at_path(SEARCH, "/r/secretbeans/about"), 403, "Forbidden", PRIVATE),
         at_path(SEARCH, "/r/coffee/search/"), at_path(COMMENTS, "/r/coffee/comments/")],
    ),
    # A search of one banned subreddit: Reddit answers 404 with its reason.
    "derived_reddit_banned_subreddit": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) asked at /r/beanbanned/search/ "
        "with status 404 and body " + json.dumps(BANNED),
        [TOKEN, edited(at_path(SEARCH, "/r/beanbanned/search/"), 404, "Not Found", BANNED)],
    ),
    # prawcore drops the token and asks for a new one after a 401, three times; Reddit's 401 gave no
    # www-authenticate header (prawcore maps only a 403 or a header naming invalid_token/insufficient_scope).
    "derived_reddit_401_no_www_authenticate": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded, four times; interaction 1 (search) three times with "
        "status 401 and body {\"message\": \"Unauthorized\", \"error\": 401}",
        [TOKEN, edited(SEARCH, 401, "Unauthorized", UNAUTHORIZED)] * 3 + [TOKEN],
    ),
    # Reddit's 429 says when its window resets in x-ratelimit-reset (seconds from now), without Retry-After.
    "derived_reddit_429_ratelimit_reset": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) with status 429, body "
        "'Too Many Requests' and headers x-ratelimit-remaining 0, x-ratelimit-used 600, x-ratelimit-reset 412",
        [TOKEN, edited(SEARCH, 429, "Too Many Requests", "Too Many Requests", RATE_HEADERS)],
    ),
    # A 429 whose Retry-After is an HTTP date (RFC 9110 allows seconds or a date).
    "derived_reddit_429_retry_after_date": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) with status 429, body "
        "'Too Many Requests' and header Retry-After 'Fri, 20 Nov 2026 13:10:00 GMT'",
        [TOKEN, edited(SEARCH, 429, "Too Many Requests", "Too Many Requests",
                       {"Retry-After": "Fri, 20 Nov 2026 13:10:00 GMT"})],
    ),
    # A cross-post of a post its author deleted: Reddit's crosspost_parent_list carries the raw "[deleted]".
    "derived_reddit_crosspost_of_deleted": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) listing only its 5th post "
        "(3qc02b), made a cross-post of its 4th (1qvzkd) with that one's author and selftext '[deleted]' and "
        f"num_crossposts 3; {COMMENTS_FILE}: interaction 0 (comments) as recorded",
        [TOKEN, search_page([XPOST]), COMMENTS],
    ),
    # A search answered with a JSON array (a proxy's or a cache's idea of an empty answer), not a Listing.
    "derived_reddit_search_array": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) with body '[]'",
        [TOKEN, edited(SEARCH, 200, "OK", "[]")],
    ),
    # The access token's answer cut short (a connection dropped mid-body behind a proxy that still says 200).
    "derived_reddit_token_truncated": (
        f"{SEARCH_FILE}: interaction 0 (token) with its body cut after 20 characters",
        [edited(TOKEN, 200, "OK", TOKEN["response"]["body"]["string"][:20])],
    ),
    # The access token refused with 403 (an app Reddit blocked, or a user agent it refuses), an HTML page as body.
    "derived_reddit_token_403": (
        f"{SEARCH_FILE}: interaction 0 (token) with status 403 and an HTML body",
        [edited(TOKEN, 403, "Forbidden", "<html><body>Blocked</body></html>", {"Content-Type": "text/html"})],
    ),
    # The listing shifted between two pages (a new post pushed one down): the second page repeats the first's last
    # post; that one is marked NSFW, another removed by its moderators, another deleted by its author.
    "derived_reddit_duplicates_across_pages": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) twice: listing its posts 1-3 with "
        "after 't3_3b4erh', then its posts 3-6; post 1 with selftext '[removed]' and removed_by_category "
        "'moderator', post 2 with author and selftext '[deleted]', post 3 with over_18 true; "
        f"{COMMENTS_FILE}: interaction 0 (comments) as recorded",
        [TOKEN, search_page(ODD[:3], "t3_3b4erh"), search_page(ODD[2:]), COMMENTS],
    ),
    # An answer with Reddit's x-ratelimit-remaining and -reset but not -used (a proxy or CDN that passes some headers
    # on): prawcore reads all three once the first is there.
    "derived_reddit_ratelimit_without_used": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) with headers x-ratelimit-remaining "
        f"598 and x-ratelimit-reset 412; {COMMENTS_FILE}: interaction 0 (comments) as recorded",
        [TOKEN, edited(SEARCH, 200, "OK", headers={"x-ratelimit-remaining": "598", "x-ratelimit-reset": "412"}),
         COMMENTS],
    ),
    # The first search page uses up Reddit's window (x-ratelimit-remaining 0, reset in 412 s): prawcore sleeps the 412 s
    # before the second page; the collector should ask the service to wait instead.
    "derived_reddit_ratelimit_used_up": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) twice: listing its first 3 posts "
        "with after 't3_3b4erh' and headers x-ratelimit-remaining 0, x-ratelimit-used 600, x-ratelimit-reset 412, "
        f"then its other posts; {COMMENTS_FILE}: interaction 0 (comments) as recorded",
        [TOKEN, edited(search_page(CHILDREN[:3], "t3_3b4erh"), 200, "OK", headers=RATE_HEADERS),
         search_page(CHILDREN[3:]), COMMENTS],
    ),
    # A 502 from the CDN on the second search page, three times (prawcore retries): the first page is kept.
    "derived_reddit_page2_502": (
        f"{SEARCH_FILE}: interaction 0 (token) as recorded; interaction 1 (search) twice: listing its first 3 "
        "posts with after 't3_3b4erh', then three times status 502 with an HTML body",
        [TOKEN, search_page(CHILDREN[:3], "t3_3b4erh")]
        + [edited(SEARCH, 502, "Bad Gateway", HTML_502, {"Content-Type": "text/html"})] * 3,
    ),
}


(TWEETS,) = yaml.safe_load((SHARED / TWEETS_FILE).read_text(encoding="utf-8"))["interactions"]
PAGE = json.loads(TWEETS["response"]["body"]["string"])  # 10 tweets, newest first, and a next_token
RESET = "1795003600"  # 2026-11-18T12:06:40Z; the tests' clocks run an hour before it
LAST_PAGE = {"data": PAGE["data"][7:], "meta": {"result_count": 3, "newest_id": PAGE["data"][7]["id"],
                                                 "oldest_id": PAGE["data"][-1]["id"]}}
FUTURE = {**PAGE["data"][9], "id": "1578511035148800000", "text": "2031-01-01 tweepy from the future",
          "created_at": "2031-01-01T00:00:00.000Z", "edit_history_tweet_ids": ["1578511035148800000"]}
DELETED = {"value": "1578400000000000000", "detail": "Could not find tweet with ids: [1578400000000000000].",
           "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids", "resource_id":
           "1578400000000000000", "type": "https://api.twitter.com/2/problems/resource-not-found"}
# The third tweet edited 10 minutes after it was posted: X gives the edit a new id, newer than the page's newest, and
# lists the chain of ids, the first version's first.
EDITED = {"id": str(int(PAGE["data"][2]["id"]) + (10 * 60 * 1000 << 22)), "text": PAGE["data"][2]["text"] + " (edited)"}
EDITED["edit_history_tweet_ids"] = [PAGE["data"][2]["id"], EDITED["id"]]
USAGE_CAPPED = {"account_id": "1", "product_name": "standard-basic", "title": "UsageCapExceeded", "period": "Monthly",
                "scope": "Product", "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped"}
# X's answer to a query it cannot parse (an unclosed parenthesis).
BAD_QUERY = {"errors": [{"parameters": {"query": ["(tweepy"]}, "message": "There were errors processing your request: "
                         "no viable alternative at input '(tweepy' (at position 1)"}],
             "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
             "type": "https://api.twitter.com/2/problems/invalid-request"}
PORTAL = ("<!DOCTYPE html>\n<html><head><title>Pinebrook Guest Wi-Fi &ndash; Sign in</title></head>"
          "<body><form action=\"/login\">Accept the terms to go on</form></body></html>")
TWITTER = {
    "derived_twitter_page2_500_retry_after": (
        "interaction 0 as recorded (10 tweets and a next_token), then the same with status 500, an HTML body and "
        "Retry-After 120",
        [TWEETS, edited(TWEETS, 500, "Internal Server Error", "<html>Internal Server Error</html>",
                        {"content-type": "text/html", "Retry-After": "120"})],
    ),
    "derived_twitter_page2_429": (
        f"interaction 0 as recorded, then the same with status 429, a JSON problem body, x-rate-limit-remaining 0 and "
        f"x-rate-limit-reset {RESET}",
        [TWEETS, edited(TWEETS, 429, "Too Many Requests", {"title": "Too Many Requests", "detail": "Too Many "
                        "Requests", "type": "about:blank", "status": 429},
                        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": RESET})],
    ),
    "derived_twitter_page2_truncated": (
        "interaction 0 as recorded, then the same with its body cut after 300 characters",
        [TWEETS, edited(TWEETS, 200, "OK", TWEETS["response"]["body"]["string"][:300])],
    ),
    "derived_twitter_401": (
        "interaction 0 with status 401 and the API's JSON problem body for a bearer token it does not accept",
        [edited(TWEETS, 401, "Unauthorized", {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                             "detail": "Unauthorized"})],
    ),
    "derived_twitter_errors_without_data": (
        "interaction 0 with its body replaced by one without `data`: only `errors` (a deleted tweet) and a `meta` "
        "of result_count 0",
        [edited(TWEETS, 200, "OK", {"errors": [DELETED], "meta": {"result_count": 0}})],
    ),
    "derived_twitter_page2_meta_list": (
        "interaction 0 as recorded, then the same listing its last 3 tweets with `meta` a list holding that page's "
        "meta (a shape a proxy or a mock server may answer)",
        [TWEETS, edited(TWEETS, 200, "OK", {**LAST_PAGE, "meta": [LAST_PAGE["meta"]]})],
    ),
    "derived_twitter_duplicates_and_future": (
        "interaction 0 as recorded, then the same listing its last 3 tweets again (duplicates) and, below them, one "
        "new tweet dated 2031-01-01, with no next_token",
        [TWEETS, edited(TWEETS, 200, "OK", {**LAST_PAGE, "data": LAST_PAGE["data"] + [FUTURE]})],
    ),
    "derived_twitter_page2_usage_capped": (
        f"interaction 0 as recorded, then the same with status 429 and X's problem body for an app over its monthly "
        f"cap (UsageCapExceeded, type usage-capped), its rate-limit window barely used (x-rate-limit-remaining 449, "
        f"x-rate-limit-reset {RESET})",
        [TWEETS, edited(TWEETS, 429, "Too Many Requests", USAGE_CAPPED,
                        {"x-rate-limit-remaining": "449", "x-rate-limit-reset": RESET})],
    ),
    "derived_twitter_400_query": (
        "interaction 0 with status 400 and X's problem body for a query it cannot parse",
        [edited(TWEETS, 400, "Bad Request", BAD_QUERY)],
    ),
    # A proxy or captive portal (a hotel's, an office's) answering the second page with its sign-in page, status 200.
    "derived_twitter_page2_portal": (
        "interaction 0 as recorded, then the same with status 200, content-type text/html and a captive portal's "
        "sign-in page as body",
        [TWEETS, edited(TWEETS, 200, "OK", PORTAL, {"content-type": "text/html; charset=utf-8"})],
    ),
    "derived_twitter_edited": (
        "interaction 0 with its body replaced by a page of one tweet, an edit of its third (a new id 10 minutes "
        "later, its text with ' (edited)' added, edit_history_tweet_ids listing the third's id then its own), with no "
        "next_token",
        [edited(TWEETS, 200, "OK", {"data": [EDITED], "meta": {"result_count": 1, "newest_id": EDITED["id"],
                                                               "oldest_id": EDITED["id"]}})],
    ),
}


def main() -> None:
    for name, (edits, interactions) in REDDIT.items():
        note = ("Derived from the recorded praw cassettes in shared/ (see shared/PROVENANCE.md and "
                "make_derived_cassettes.py): " + edits)
        cassette = {"_note": note, "interactions": interactions, "version": 1}
        (HERE / f"{name}.json").write_text(json.dumps(cassette, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for name, (edits, interactions) in TWITTER.items():
        note = (f"# Derived from the recorded tweepy cassette shared/{TWEETS_FILE} (see shared/PROVENANCE.md and "
                f"make_derived_cassettes.py):\n# {edits}\n")
        text = yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False, width=120)
        (HERE / f"{name}.yaml").write_text(note + text, encoding="utf-8")


if __name__ == "__main__":
    main()
