import io
import subprocess
import sys
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from brandpulse.commands.output import write_rows
from brandpulse.store import open_db
from brandpulse.store.queries import MENTION_COLUMNS, MentionFilter, iter_mentions
from tests.store_seed import mention, seed

REPO = Path(__file__).resolve().parents[1]

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


class _Discard(io.TextIOBase):
    def write(self, text):
        return len(text)


def _peak_bytes_exporting(path, fmt):
    db = open_db(path, read_only=True)
    tracemalloc.start()
    count = write_rows(iter_mentions(db, MentionFilter(), MENTION_COLUMNS, order="stored"), MENTION_COLUMNS, fmt, _Discard())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    db.close()
    return count, peak


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("streaming")
    text = "Pinebrook cold brew " * 20
    return {
        size: seed(folder / f"{size}.db", [mention(i, text, NOW - timedelta(seconds=i), "neutral") for i in range(size)], NOW)
        for size in (1_000, 10_000)
    }


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_export_memory_does_not_grow_with_the_number_of_rows(stores, fmt):
    small_count, small_peak = _peak_bytes_exporting(stores[1_000], fmt)
    large_count, large_peak = _peak_bytes_exporting(stores[10_000], fmt)

    assert (small_count, large_count) == (1_000, 10_000)
    # 10x the rows (about 4 MB of text) in at most twice the memory: rows are never held together.
    assert large_peak < 2 * small_peak + 64_000, (small_peak, large_peak)


def test_the_table_shows_control_and_direction_characters_of_a_post_instead_of_obeying_them():
    import io

    out = io.StringIO()
    write_rows([{"id": 1, "text": "nul\x00 esc\x1b[31mred rtl\u202eevil \u2066iso"}], ["id", "text"], "table", out)

    shown = out.getvalue().splitlines()[2]
    assert not any(c in shown for c in "\x00\x1b\u202e\u2066") and shown.count("\ufffd") == 4
    assert "red" in shown and "evil" in shown  # the text itself stays readable


@pytest.mark.parametrize("command", [["export", "--format", "csv"], ["query", "--format", "jsonl", "--limit", "10000"],
                                     ["query", "--limit", "10000"]])
def test_a_reader_that_stops_early_ends_the_command_quietly_as_other_unix_tools(stores, command):
    # `brandpulse export | head -1`: the pipe closes long before 10,000 rows are written.
    args = [sys.executable, "-m", "brandpulse", "--config", str(REPO / "config.yaml"), "--db", str(stores[10_000])]
    proc = subprocess.Popen(args + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and stderr == b""
