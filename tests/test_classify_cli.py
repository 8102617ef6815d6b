import json

import pytest


@pytest.mark.slow
def test_classify_reads_stdin_and_writes_one_json_object_per_line_in_order(demo_dir, invoke):
    texts = ["I love this, thank you so much!", "The package arrives on Tuesday.", "Worst service ever, I want a refund."]

    result = invoke("classify", input="\n".join(texts) + "\n")

    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["label"] for r in rows] == ["positive", "neutral", "negative"]
    assert [r["category"] for r in rows][::2] == ["promoter", "detractor"]
    for row in rows:
        assert set(row) == {"label", "probs", "score", "category", "complaint", "lang"}
        assert row["lang"] == "en" and 0 <= row["complaint"] <= 1
        assert abs(sum(row["probs"].values()) - 1) < 1e-3
        assert row["score"] == pytest.approx(row["probs"]["positive"] - row["probs"]["negative"], abs=2e-4)


@pytest.mark.slow
def test_classify_reads_a_file_and_survives_empty_and_very_long_lines(demo_dir, invoke):
    source = demo_dir / "texts.txt"
    source.write_text("great stuff\n\n" + "terrible " * 3000 + "\n", encoding="utf-8")

    result = invoke("classify", source)

    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 3
