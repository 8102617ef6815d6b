import json
import sqlite3
from datetime import datetime, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from brandpulse.config import Config, ConfigError, load_config
from brandpulse.pipeline import Pipeline
from brandpulse.collectors.base import BrandQuery, CollectorError, CollectResult, Mention
from brandpulse.collectors.jsonl import LineError, parse_lines
from brandpulse.collectors.replay import ReplayCollector

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ADVERSARIAL = ["", " ", "\x00", "\u200b\u200d\ufeff", "مرحبا بالعالم", "שלום \u202e", "👩‍👩‍👧‍👦🔥", "\ud83d", "\udfff",
               "' OR 1=1; DROP TABLE mentions; --", "<script>x</script>", "\r\nBcc: x@y", "a" * 100_000, "%s%n{0}"]
text = st.one_of(st.sampled_from(ADVERSARIAL), st.text(max_size=200))
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), text)
json_value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)
record = st.fixed_dictionaries(
    {"source": text, "id": st.one_of(text, st.integers()), "text": text, "created_at": st.one_of(text, st.just("2026-03-01T10:00:00Z"))},
    optional={"brand": scalar, "rating": scalar, "label": st.one_of(scalar, st.sampled_from(["negative", "positive"])),
              "url": scalar, "extra": json_value},
)
line = st.one_of(
    record.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.sampled_from([b"\xff\xfe{}", b'{"a": ' * 5000, b"[" * 100_000, b"\x00" * 50, b"{" + b" " * 200_000 + b"}"]),
)


@FUZZ
@given(st.lists(line, max_size=8))
def test_jsonl_lines_always_become_a_mention_or_a_reason_never_an_exception(lines):
    items = list(parse_lines(lines))

    assert all(isinstance(i, Mention) or (isinstance(i, LineError) and i.reason) for i in items)


@FUZZ
@given(lines=st.lists(line, max_size=8))
@example(lines=[b'{"source": "A", "id": 0, "text": "0", "created_at": "2026-03-01T10:00:00Z"}',
                b'{"source": "a", "id": 0, "text": "0", "created_at": "2026-03-01T10:00:00Z"}'])
def test_ingest_stores_exactly_the_valid_lines_whatever_the_rest_holds(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("ingest")
    pipeline = Pipeline(Config.model_validate({"brands": [{"name": "Acme", "keywords": ["acme"]}]}), folder / "f.db")
    # Ingest stores a source no collector writes in lower case ('A' and 'a' are one source).
    valid = {(m.source.lower(), m.external_id) for m in parse_lines(lines) if isinstance(m, Mention)}

    report = pipeline.ingest(lines, NOW)

    stored = sqlite3.connect(folder / "f.db").execute("SELECT source, external_id FROM mentions").fetchall()
    assert report.new == len(valid) == len(stored)
    assert {(s.replace("\ufffd", ""), i.replace("\ufffd", "")) for s, i in stored} == {
        (s.encode("utf-8", "surrogatepass").decode("utf-8", "ignore").replace("\ufffd", ""),
         i.encode("utf-8", "surrogatepass").decode("utf-8", "ignore").replace("\ufffd", "")) for s, i in valid}


def test_emoji_right_to_left_and_zero_width_texts_survive_the_round_trip(tmp_path):
    texts = ["👩‍👩‍👧‍👦 love it 🔥", "الخدمة سيئة جدا", "שירות \u202eגרוע", "zero\u200bwidth\u200d\ufeffjoin", "nul\x00byte"]
    lines = [json.dumps({"source": "x", "id": n, "text": t, "created_at": "2026-03-01T10:00:00Z"}, ensure_ascii=False)
             for n, t in enumerate(texts)]
    pipeline = Pipeline(Config.model_validate({"brands": [{"name": "Acme", "keywords": ["acme"]}]}), tmp_path / "r.db")

    pipeline.ingest([line.encode("utf-8") for line in lines], NOW)

    stored = sqlite3.connect(tmp_path / "r.db").execute("SELECT text FROM mentions ORDER BY CAST(external_id AS INTEGER)")
    assert [row[0] for row in stored] == texts


def test_a_split_emoji_is_stored_with_a_replacement_character_and_invalid_utf8_is_reported_by_byte(tmp_path):
    lines = [b'{"source": "x", "id": "1", "text": "half \\ud83d emoji", "created_at": "2026-03-01T10:00:00Z"}',
             b'{"source": "x", "id": "2", "text": "bad \xff byte", "created_at": "2026-03-01T10:00:00Z"}']
    pipeline = Pipeline(Config.model_validate({"brands": [{"name": "Acme", "keywords": ["acme"]}]}), tmp_path / "s.db")

    report = pipeline.ingest(lines, NOW)

    assert [str(e) for e in report.errors] == ["line 2: not valid UTF-8 (invalid start byte at byte 40)"]
    assert sqlite3.connect(tmp_path / "s.db").execute("SELECT text FROM mentions").fetchall() == [("half \ufffd emoji",)]


config_text = st.one_of(
    st.text(max_size=300),
    st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["brands", "collectors", "name", "keywords", "type", "interval", "path", "email", "smtp",
                         "sentiment", "alerts", "spike", "store", "port", "bucket"]) | text, inner, max_size=5),
        max_leaves=20).map(lambda v: json.dumps(v)),
    st.sampled_from(["[" * 5000, "a: &a [*a]", "a: !!python/object/apply:os.system ['echo hi']", "\x00\x01",
                     "brands: [{name: A, keywords: [a]}]\ncollectors: [{type: replay, interval: -5s}]"]),
)


@FUZZ
@given(config_text)
def test_any_config_file_either_loads_or_fails_with_a_config_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("config") / "c.yaml"
    path.write_bytes(content.encode("utf-8", "surrogatepass"))

    try:
        assert isinstance(load_config(path), Config)
    except ConfigError as exc:
        assert str(path) in str(exc)


@FUZZ
@given(st.lists(line, max_size=6))
def test_the_replay_collector_returns_mentions_or_raises_a_collector_error(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("replay") / "r.jsonl"
    path.write_bytes(b"\n".join(lines))

    try:
        result = ReplayCollector("r", path, NOW).collect(BrandQuery("Acme", ("acme",)), None)
    except CollectorError as exc:
        assert str(path) in str(exc)
    else:
        assert isinstance(result, CollectResult)
