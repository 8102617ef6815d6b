import json

import pytest


@pytest.mark.slow
def test_classify_reads_stdin_and_writes_one_json_object_per_line_in_order(demo_dir, invoke):
    texts = ["I love this, thank you so much!", "The package arrives on Tuesday.", "Worst service ever, I want a refund."]

    result = invoke("classify", input="\n".join(texts) + "\n")

    rows = [json.loads(line) for line in result.stdout.splitlines()]
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

    result = invoke("classify", "--file", source)

    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["positive", None, "negative"]
    # The empty line keeps its place, with nothing made up for it.
    assert rows[1] == {"label": None, "probs": None, "score": None, "category": "unscored", "complaint": None,
                       "lang": None}


@pytest.fixture
def no_config_dir(tmp_path, monkeypatch):
    """A working directory with no config.yaml, and no config named in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRANDPULSE_CONFIG", raising=False)
    return tmp_path


@pytest.mark.slow
def test_classify_needs_no_config_file_and_uses_the_bundled_model_defaults(no_config_dir, invoke):
    result = invoke("classify", input="Worst service ever, I want a refund.\n")

    row = json.loads(result.stdout)
    assert result.exit_code == 0 and row["label"] == "negative" and row["category"] == "detractor"
    assert not (no_config_dir / "config.yaml").exists() and not (no_config_dir / "brandpulse.db").exists()


def test_classify_with_a_named_config_file_that_is_missing_is_a_config_error(no_config_dir, invoke):
    result = invoke("--config", "mine.yaml", "classify", input="hello\n")

    assert result.exit_code == 2
    assert "configuration file mine.yaml not found" in result.output


def test_classify_with_an_invalid_config_file_still_reports_it(no_config_dir, invoke):
    (no_config_dir / "config.yaml").write_text("sentiment: {batch_size: 0}\nbrands: []\n", encoding="utf-8")

    result = invoke("classify", input="hello\n")

    assert result.exit_code == 2 and "invalid configuration in config.yaml" in result.output


@pytest.mark.parametrize("command", [["status"], ["run", "--once"], ["stats"]])
def test_commands_that_need_a_config_still_say_it_is_missing(no_config_dir, invoke, command):
    result = invoke(*command)

    assert result.exit_code == 2
    assert "configuration file config.yaml not found; pass --config PATH or set BRANDPULSE_CONFIG" in result.output


def test_classify_on_a_device_this_torch_cannot_use_names_the_setting(no_config_dir, invoke):
    (no_config_dir / "config.yaml").write_text("sentiment: {device: mps}\nbrands: [{name: Acme, keywords: [acme]}]\n",
                                               encoding="utf-8")

    result = invoke("classify", input="hello\n")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "sentiment.device is 'mps' but no MPS device is visible to this torch build" in result.output


def test_classify_keeps_one_result_per_line_whatever_the_line_endings_and_bytes(tmp_path, invoke):
    source = tmp_path / "texts.txt"
    source.write_bytes(b"\xef\xbb\xbfgreat stuff\r\nline one is great\rline two is awful\n\xff worst \xfe service\n")

    result = invoke("classify", "--file", source)

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and len(rows) == 3  # a lone carriage return does not end a line
    assert rows[0]["label"] == "positive"  # the byte-order mark is not read as text
    assert f"1 line(s) of {source} are not valid UTF-8 (line 3)" in result.stderr


def test_classify_refuses_a_utf16_file_saying_how_to_convert_it(tmp_path, invoke):
    source = tmp_path / "texts.txt"
    source.write_text("great stuff\n", encoding="utf-16")

    result = invoke("classify", "--file", source)

    assert result.exit_code == 2 and result.stdout == ""
    assert "is UTF-16" in result.stderr and "iconv -f UTF-16 -t UTF-8" in result.stderr


@pytest.mark.slow
def test_classify_with_batch_1_answers_each_line_of_a_live_stream_before_the_next_arrives(no_config_dir):
    import os
    import select
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "brandpulse", "classify", "--batch", "1"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        process.stdin.write(b"Worst service ever, I want a refund.\n")
        process.stdin.flush()  # the stream stays open: the answer must not wait for its end
        ready, _, _ = select.select([process.stdout], [], [], 120)  # a guard against a hang, not a speed check
        first = json.loads(process.stdout.readline()) if ready else None
    finally:
        process.stdin.close()
        process.wait(timeout=60)

    assert first is not None and first["label"] == "negative"


def test_a_line_of_gigabytes_is_cut_as_it_is_read_not_held_whole():
    import io
    import tracemalloc

    from brandpulse.text_lines import TextLines

    long_line = "é" * 20_000_000  # 40 MB: a binary file piped in by mistake may hold no line feed at all
    stream = io.BytesIO(f"short\n{long_line}\nafter it\n{long_line}".encode())
    tracemalloc.start()
    try:
        lines = list(TextLines(stream, "stdin", max_chars=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 1_000_000
    assert lines == ["short", "é" * 1000, "after it", "é" * 1000]


def test_classify_reads_every_line_after_a_huge_one_and_warns_of_none(tmp_path, invoke):
    source = tmp_path / "texts.txt"
    source.write_bytes(b"\xc3\xa9" * 3_000_000 + b"\nworst service ever\n")

    result = invoke("classify", "--file", source)

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and [r["label"] for r in rows][1:] == ["negative"] and len(rows) == 2
    assert "not valid UTF-8" not in result.stderr


@pytest.mark.slow
def test_classify_writes_nothing_for_onnxruntime_telemetry_and_prints_no_warning_of_it(no_config_dir, tmp_path):
    import os
    import subprocess
    import sys

    from brandpulse.sentiment.accel import cache_dir

    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), BRANDPULSE_CACHE=str(cache_dir()))  # the exported model as the other tests left it

    done = subprocess.run([sys.executable, "-m", "brandpulse", "classify"], input=b"I love it\n", env=env,
                          capture_output=True, timeout=300)

    assert done.returncode == 0 and json.loads(done.stdout)["label"] == "positive"
    assert list(home.rglob("*")) == [] and b"telemetry" not in done.stderr


def test_classify_takes_texts_as_arguments_one_result_each_in_order(no_config_dir, invoke):
    result = invoke("classify", "Worst service ever, I want a refund.", "", "I love this, thank you so much!")

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and [r["label"] for r in rows] == ["negative", None, "positive"]
    assert [r["lang"] for r in rows] == ["en", None, "en"]


def test_classify_texts_given_with_a_file_is_a_usage_error_and_classifies_nothing(no_config_dir, invoke):
    (no_config_dir / "texts.txt").write_text("great stuff\n", encoding="utf-8")

    result = invoke("classify", "--file", "texts.txt", "awful service")

    assert result.exit_code == 2 and result.stdout == ""
    assert "either from TEXT arguments or from a file (--file FILE, or stdin), not both" in result.stderr
    assert "1 argument(s) given with --file texts.txt" in result.stderr


def test_classify_texts_given_with_dash_for_stdin_is_a_usage_error(no_config_dir, invoke):
    result = invoke("classify", "-", "awful service", input="great stuff\n")

    assert result.exit_code == 2 and result.stdout == ""
    assert "not both: 2 argument(s) given with '-' (stdin)" in result.stderr


def test_classify_of_a_lone_file_name_reads_the_file_as_before_texts_were_arguments(no_config_dir, invoke):
    (no_config_dir / "texts.txt").write_text("great stuff\nworst service ever\n", encoding="utf-8")

    as_argument = invoke("classify", "texts.txt")
    as_option = invoke("classify", "--file", "texts.txt")

    assert as_argument.exit_code == 0 and len(as_argument.stdout.splitlines()) == 2, as_argument.output
    assert as_argument.stdout == as_option.stdout


def test_classify_dash_alone_still_reads_stdin(no_config_dir, invoke):
    result = invoke("classify", "-", input="Worst service ever, I want a refund.\n")

    assert result.exit_code == 0 and json.loads(result.stdout)["label"] == "negative"


def test_classify_texts_as_arguments_in_a_subprocess_ignore_stdin(no_config_dir):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "brandpulse", "classify", "I love it", "Worst service ever"],
                          input=b"ignored line\n", capture_output=True, timeout=300)

    assert done.returncode == 0
    assert [json.loads(line)["label"] for line in done.stdout.splitlines()] == ["positive", "negative"]
