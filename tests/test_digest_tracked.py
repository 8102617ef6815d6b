import json

from tests.test_digest_figures import DAY, _config, _ingest, _line


def _bolt_from_last_evening(tmp_path, invoke):
    # Acme: 1 promoter a day 2-10 Mar. Bolt: first posted on 9 Mar at 10:50 (a detractor), 2 promoters on 10 Mar.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    lines = [_line(d, "Acme", f"2026-03-{d:02d}", "positive") for d in range(2, 11)]
    lines += [_line(50, "Bolt", "2026-03-09", "negative"), _line(51, "Bolt", DAY, "positive"),
              _line(52, "Bolt", DAY, "positive")]
    _ingest(tmp_path, invoke, config, lines)
    return config


def test_the_net_scores_change_skips_a_previous_day_only_partly_followed_as_the_change_in_mentions_does(tmp_path,
                                                                                                      invoke):
    config = _bolt_from_last_evening(tmp_path, invoke)

    doc = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)
    text = invoke("--config", config, "digest", "--date", DAY, "--brand", "Bolt").stdout

    bolt = doc["brands"][1]
    # Before: its one post of 9 Mar (from 10:50 on) read as the day's -100, a +200 change, where its change in
    # mentions said nothing of that day.
    assert bolt["volume_previous_day"] is None and bolt["net_score_previous_day"] is None
    assert bolt["net_score_change"]["previous_day"] is None
    assert "vs previous day" not in text
    acme = doc["brands"][0]
    assert acme["net_score_previous_day"] == 100.0 and acme["net_score_change"]["previous_day"] == 0.0
