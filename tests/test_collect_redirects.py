"""Sources that send brandpulse to a login page (a 302 to a sign-in form) instead of their data, on 127.0.0.1."""

import pytest

from brandpulse.collectors.appstore import AppStoreCollector
from brandpulse.collectors.base import BrandQuery, CollectorError, MalformedPayload
from brandpulse.collectors.feed import FeedCollector
from brandpulse.collectors.http import new_session
from brandpulse.collectors.mastodon import MastodonCollector
from tests.local_http import Reply

BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook",))
LOGIN = Reply(200, b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form></form></body></html>",
              {"Content-Type": "text/html"})
TO_LOGIN = Reply(302, b"", {"Location": "/users/sign_in?return_to=%2Fx&session=s3ss10n-t0ken"})


def _collectors(server):
    return {
        "feed": FeedCollector("forum", f"{server.url}/forum.rss", "forum", session=new_session(5.0)),
        "appstore": AppStoreCollector("app", "1", base_url=server.url, max_pages=1, session=new_session(5.0)),
        "mastodon": MastodonCollector("social", server.url, ["pinebrook"], session=new_session(5.0)),
    }


@pytest.mark.parametrize("kind", ["feed", "appstore", "mastodon"])
def test_a_redirect_to_a_login_page_is_named_in_the_error_without_its_query(server, kind):
    server.route("/forum.rss", TO_LOGIN)
    server.route("/us/rss/customerreviews/page=1/id=1/sortby=mostrecent/json", TO_LOGIN)
    server.route("/api/v1/timelines/tag/pinebrook", TO_LOGIN)
    server.route("/users/sign_in", LOGIN)

    with pytest.raises(MalformedPayload) as refused:
        _collectors(server)[kind].collect(BRAND, None)

    message = str(refused.value)
    assert message.startswith(f"{'forum' if kind == 'feed' else kind}: {server.url}/")
    assert f"(redirected to {server.url}/users/sign_in)" in message
    assert "s3ss10n-t0ken" not in message


@pytest.mark.parametrize("kind", ["feed", "appstore", "mastodon"])
def test_a_redirect_loop_is_said_in_words_naming_its_last_hop_without_its_query(server, kind):
    loop = Reply(302, b"", {"Location": "/users/sign_in?return_to=%2Fx&session=s3ss10n-t0ken"})
    for path in ("/forum.rss", "/us/rss/customerreviews/page=1/id=1/sortby=mostrecent/json",
                 "/api/v1/timelines/tag/pinebrook", "/users/sign_in"):
        server.route(path, loop)

    with pytest.raises(CollectorError) as refused:
        _collectors(server)[kind].collect(BRAND, None)

    # Was: "... request to URL failed: Exceeded 30 redirects.; the next run retries".
    assert str(refused.value).endswith(f" redirects in a loop (over 30 redirects, the last to {server.url}/users/sign_in)"
                                       "; check the url; the next run retries")
    assert "s3ss10n-t0ken" not in str(refused.value)
