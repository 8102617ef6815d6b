import json
import sqlite3
from datetime import datetime, timezone

import pytest
import tweepy

from brandpulse.collectors.base import BrandQuery, Mention
from brandpulse.collectors.brands import by_own_account
from brandpulse.collectors.mastodon import status_to_mention
from brandpulse.collectors.twitter import TwitterCollector, build_query
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.conftest import write_config
from tests.local_http import Reply

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _post(post_id: str, author: str, text: str) -> str:
    return json.dumps({"source": "x", "id": post_id, "author": author, "text": text,
                       "created_at": "2026-03-02T08:00:00Z"})


def test_the_brands_own_accounts_are_not_collected_as_mentions_of_it(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join([
        _post("1", "sam_k", "@NimbusHelp no signal in Leeds since 9, nimbus what is going on?"),
        _post("2", "NimbusHelp", "@sam_k Sorry to hear that! Nimbus engineers are on it, please DM us."),
        _post("3", "nimbushelp", "We're aware of an issue affecting Nimbus signal in Leeds."),
        _post("4", "NimbusFan", "nimbus fixed my line in minutes, great support"),
    ]) + "\n")
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Nimbus, keywords: [nimbus], own_accounts: ["@NimbusHelp"]}}]
collectors: [{{type: replay, name: feed, path: {feed}}}]
""")
    pipeline = Pipeline(load_config(config), tmp_path / "c.db")

    report = pipeline.collect(NOW)

    authors = [a for (a,) in sqlite3.connect(pipeline.db_path).execute("SELECT author FROM mentions ORDER BY id")]
    assert report.new == 2 and authors == ["sam_k", "NimbusFan"]


def test_twitter_does_not_even_fetch_the_brands_own_posts():
    query = BrandQuery("Nimbus", ("nimbus",), (), ("@NimbusHelp", "nimbus_uk"))
    assert build_query(query) == "nimbus -from:nimbushelp -from:nimbus_uk -is:retweet lang:en"


def test_twitter_leaves_out_of_its_search_only_accounts_that_can_be_twitter_usernames():
    # "acme support" gave `-from:acme support`: support became a required word and the search lost most mentions.
    accounts = ("acme support", "acme@mastodon.social", "@acme@mastodon.social", "u/acmehelp", "@AcmeHelp",
                "acmehelp", "acme_uk", "a_name_of_16_chr")
    query = BrandQuery("Acme", ("acme",), (), accounts)
    assert build_query(query) == "acme -from:acmehelp -from:acme_uk -is:retweet lang:en"


def test_an_own_account_that_can_be_no_twitter_username_is_noted_at_check_and_start(tmp_path, invoke, caplog):
    config = write_config(tmp_path / "c.yaml", """
brands: [{name: Acme, keywords: [acme], own_accounts: [acme support, acme@mastodon.social, u/acmehelp, acme_uk]}]
collectors: [{type: twitter}]
""")
    note = ("brand Acme's own account 'acme support' is no Twitter username (1-15 letters, digits or _), so twitter "
            "neither leaves it out of its search nor drops a tweet as its post")

    assert load_config(config).account_notes() == [note]
    Pipeline(load_config(config), tmp_path / "c.db")
    assert note in caplog.messages
    assert f"Note: {note}." in invoke("--config", config, "check").output


def test_own_accounts_are_not_noted_without_a_twitter_collector(tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme], own_accounts: [a b]}]\n")
    assert load_config(config).account_notes() == []


def test_own_accounts_that_would_take_the_twitter_query_past_512_characters_are_left_out_of_it():
    keywords = tuple(f"keyword{i}" for i in range(36))  # 476 characters without own accounts: it fits
    query = BrandQuery("Acme", keywords, (), ("AcmeHelp", "AcmeUK", "AcmeStatus"))
    collector = TwitterCollector("twitter", tweepy.Client(bearer_token="test-token"))

    sent = collector.search_query(query)  # was refused on every run: 529 characters

    without = build_query(BrandQuery("Acme", keywords))
    assert sent == without.replace(" -is:retweet", " -from:acmehelp -from:acmeuk -is:retweet")
    assert len(sent) <= 512


def _status(number: int, acct: str) -> dict:
    return {"id": str(number), "created_at": "2026-03-02T08:00:00Z", "content": f"<p>#nimbus outage {number}</p>",
            "uri": f"https://social.example/s/{number}", "account": {"acct": acct}}


@pytest.mark.parametrize("written", ["acme", "@acme@mastodon.social", "acme@mastodon.social", "@ACME@Mastodon.Social"])
@pytest.mark.parametrize("instance", ["https://mastodon.social", "https://fosstodon.org"])
def test_a_mastodon_own_account_is_recognised_however_written_from_its_own_server_and_others(written, instance):
    query = BrandQuery("Acme", ("nimbus",), (), (written,))
    # On its own server the account's acct is the bare name; elsewhere it is name@host.
    acct = "acme" if instance == "https://mastodon.social" else "acme@mastodon.social"

    assert by_own_account(status_to_mention(_status(1, acct), instance), query)


@pytest.mark.parametrize("written", ["@acme@mastodon.social", "acme@mastodon.social"])
def test_an_own_account_written_with_its_server_does_not_match_the_same_name_on_another(written):
    query = BrandQuery("Acme", ("nimbus",), (), (written,))
    others = [status_to_mention(_status(1, "acme"), "https://fosstodon.org"),
              status_to_mention(_status(2, "acme@fosstodon.org"), "https://mastodon.social")]
    assert not any(by_own_account(m, query) for m in others)


def test_mastodon_posts_of_the_brands_account_on_the_server_read_are_not_collected(tmp_path, server):
    host = server.url.removeprefix("http://")
    statuses = [_status(3, "acme"), _status(2, "acme@mastodon.social"), _status(1, "sam")]
    server.route("/api/v1/timelines/tag/nimbus", Reply(200, json.dumps(statuses).encode()))
    authors = _collected_authors(tmp_path, f'{{name: Nimbus, keywords: [nimbus], own_accounts: ["@acme@{host}"]}}',
                                 f'{{type: mastodon, instance: "{server.url}"}}')

    assert sorted(authors) == ["acme@mastodon.social", f"sam@{host}"]  # was: the brand's own "acme" kept


@pytest.mark.parametrize("written", ["u/User1", "/u/user1", "User1", "@USER1"])
def test_a_reddit_own_account_is_recognised_as_reddit_writes_it_and_in_any_case(written, tmp_path):
    from tests.test_collect_reddit import OURS, cassette, run

    query = BrandQuery("Pinebrook Coffee", ("pinebrook",), (), (written,))
    mentions = run(cassette(tmp_path, OURS / "reddit_pagination.json"), query, cursor=None).mentions

    kept = sorted({m.author for m in mentions if not by_own_account(m, query)})
    assert "user1" in {m.author for m in mentions} and kept == ["user2", "user3"]  # u/User1 kept user1


def test_a_reddit_u_name_is_not_taken_for_the_same_name_on_twitter():
    query = BrandQuery("Acme", ("acme",), (), ("u/acmehelp",))
    tweet = Mention(source="twitter", external_id="1", text="acme", created_at=NOW, author="AcmeHelp")
    assert not by_own_account(tweet, query) and "-from:" not in build_query(query)


def test_a_feed_entry_by_the_brands_own_account_is_not_collected_when_the_feed_gives_its_address(tmp_path, server):
    entries = "".join(f"""<entry><id>urn:e:{n}</id><title>Nimbus outage in Leeds</title><updated>2026-03-02T0{n}:00:00Z
</updated><author><name>{name}</name><email>{email}</email></author></entry>""" for n, name, email in (
        (1, "Nimbus Support", "help@nimbus.example"), (2, "Sam K", "sam@mail.example")))
    server.route("/forum.atom", Reply(200, f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Forum</title>{entries}'
                                           "</feed>".encode(), {"Content-Type": "application/atom+xml"}))
    authors = _collected_authors(tmp_path, "{name: Nimbus, keywords: [nimbus], own_accounts: [Nimbus Support]}",
                                 f'{{type: feed, url: "{server.url}/forum.atom"}}')

    # Was: "Nimbus Support (help@nimbus.example)", the brand's own answer kept, and every author's address stored.
    assert authors == ["Sam K"]


def test_a_mastodon_own_account_on_a_server_whose_accounts_domain_is_not_its_web_host_is_not_collected(tmp_path,
                                                                                                       server):
    statuses = [_status(2, "acme"), _status(1, "sam")]
    server.route("/api/v2/instance", Reply(200, b'{"domain": "example.com"}'))  # LOCAL_DOMAIN, served elsewhere
    server.route("/api/v1/timelines/tag/nimbus", Reply(200, json.dumps(statuses).encode()))
    authors = _collected_authors(tmp_path, '{name: Nimbus, keywords: [nimbus], own_accounts: ["acme@example.com"]}',
                                 f'{{type: mastodon, instance: "{server.url}"}}')

    assert authors == ["sam@example.com"]  # was: acme@<web host> kept, as it is no acme@example.com


def test_an_rss_author_with_an_address_of_a_long_top_level_domain_is_read_whole(tmp_path, server):
    # feedparser reads RSS's "address (Name)" with an address pattern that cuts top-level domains at four letters.
    items = "".join(f"<item><guid>{n}</guid><title>Pinebrook loaf {n}</title><author>{author}</author>"
                    "<pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate></item>" for n, author in enumerate([
                        "help@pinebrook.coffee (Pinebrook Support)", "news@pinebrook.coffee",
                        "Pinebrook Support &lt;help@pinebrook.coffee&gt;", "sam@mail.travel (Sam K)",
                        "jo@mail.example", "Ann (UK) Lee"]))
    server.route("/rss", Reply(200, f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
                               {"Content-Type": "application/rss+xml"}))
    authors = _collected_authors(
        tmp_path, "{name: Pinebrook, keywords: [pinebrook], own_accounts: [Pinebrook Support, news@pinebrook.coffee]}",
        f'{{type: feed, url: "{server.url}/rss"}}')

    # Was: 'ee (Pinebrook Support', 'ee' and 'el (Sam K' (the brand's own posts kept, other authors garbled).
    assert authors == ["Sam K", "jo@mail.example", "Ann (UK) Lee"]


def _collected_authors(tmp_path, brand: str, collector: str) -> list[str]:
    """The authors stored, in order, by one collect of `collector` for `brand` (each a YAML flow mapping)."""
    config = write_config(tmp_path / "c.yaml", f"brands: [{brand}]\ncollectors: [{collector}]\n")
    pipeline = Pipeline(load_config(config), tmp_path / "c.db")
    pipeline.collect(NOW)
    return [a for (a,) in sqlite3.connect(pipeline.db_path).execute("SELECT author FROM mentions ORDER BY id")]
