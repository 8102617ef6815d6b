"""An operator upgrading from a release that gave every copy of a post naming several brands one reading is told how
many copies wait for `sentiment rescore` (status, run --once, the service's log), and the count costs nothing once
none waits."""

import json
import os
import shlex
import signal
import subprocess
import sys

import pytest

from brandpulse.store import open_db, transaction
from brandpulse.store.rescore import SHARED_UPTO_KEY, shared_upto
from tests.conftest import write_config
from tests.test_brand_targets import FINE, LEFT, SINGLE, _ingest

BOTH = "Acme vs Bolt: both lost my parcel"  # clauses that cannot be told apart: one reading is right for both


def _as_an_older_release_left_it(store):
    """The Bolt copies given the Acme copy's reading, and no mark: an older release neither read per brand nor knew."""
    with transaction(store):
        store.execute("""UPDATE mentions SET (label, p_negative, p_neutral, p_positive, score, complaint, category)
            = (SELECT label, p_negative, p_neutral, p_positive, score, complaint, category FROM mentions a
               WHERE a.external_id = mentions.external_id AND a.brand = 'Acme')
            WHERE brand = 'Bolt' AND text IN (?, ?)""", [LEFT, FINE])
        store.execute("DELETE FROM state WHERE key = ?", [SHARED_UPTO_KEY])


def _status(invoke, config, target):
    text = invoke("--config", config, "--db", target, "status")
    report = json.loads(invoke("--config", config, "--db", target, "status", "--format", "json").output)
    return text.output, report["shared_readings"]


def test_status_counts_the_copies_waiting_for_rescore_and_names_the_command_on_both_backends(
        tmp_path, invoke, store_target):
    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, BOTH, *SINGLE], db=store_target)
    _as_an_older_release_left_it(store)

    text, shared = _status(invoke, config, store_target)
    rescore = invoke("--config", config, "--db", store_target, "sentiment", "rescore")
    after_text, after = _status(invoke, config, store_target)

    command = shlex.join(["brandpulse", "--config", str(config), "--db", str(store_target), "sentiment", "rescore"])
    assert shared == {"copies": 4, "rescore": command}  # BOTH's copies rightly share theirs: not counted
    assert f"Rescore: 4 stored copies of posts naming several brands hold one reading of the whole post for every " \
           f"brand (read by an older release); `{command}` reads each for its own brand" in text, text
    assert "4 mention(s) re-classified" in rescore.output, rescore.output
    assert after == {"copies": 0, "rescore": None} and "Rescore:" not in after_text
    assert shared_upto(store) == 0  # from now on counted without a query
    store.close()


def test_run_once_says_how_many_copies_wait_for_rescore(tmp_path, invoke, store_target):
    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, *SINGLE], db=store_target)
    _as_an_older_release_left_it(store)

    result = invoke("--config", config, "--db", store_target, "run", "--once")

    assert result.exit_code == 0, result.output
    assert "Per brand:  4 stored copies of posts naming several brands hold one reading" in result.output
    command = shlex.join(["brandpulse", "--config", str(config), "--db", str(store_target), "sentiment", "rescore"])
    assert f"`{command}`" in result.output
    store.close()


def test_a_store_this_release_read_shows_nothing_and_records_that_none_waits(tmp_path, invoke):
    config, store = _ingest(tmp_path, invoke, [LEFT, BOTH, *SINGLE])
    with transaction(store):  # as an older release leaves its store: no mark, though no copy waits
        store.execute("DELETE FROM state WHERE key = ?", [SHARED_UPTO_KEY])

    result = invoke("--config", config, "--db", tmp_path / "brandpulse.db", "run", "--once")
    text, shared = _status(invoke, config, tmp_path / "brandpulse.db")

    assert "Per brand:" not in result.output and "Rescore:" not in text and shared["copies"] == 0
    assert shared_upto(store) == 0
    store.close()


def test_a_new_store_is_marked_as_holding_no_shared_reading(tmp_path, invoke):
    _, store = _ingest(tmp_path, invoke, [LEFT, *SINGLE])
    assert shared_upto(store) == 0


@pytest.mark.slow
def test_the_service_logs_how_many_copies_wait_for_rescore_as_it_starts(tmp_path, invoke):
    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, *SINGLE])
    _as_an_older_release_left_it(store)
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "brandpulse", "-v", "--config", str(config), "--db", str(tmp_path / "brandpulse.db"),
         "run", "--only", "classify"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "is running" in line:
            break
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)

    assert any("4 stored copies of posts naming several brands hold one reading" in line
               and "sentiment rescore`" in line for line in lines), lines
    assert open_db(tmp_path / "brandpulse.db").execute("SELECT value FROM state WHERE key = ?",
                                                      [SHARED_UPTO_KEY]).fetchone()[0] != "0"


def _counted_by(config, target):
    """The copies `status` counts through a pipeline of `config`, and whether it read the copies again for them."""
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline

    statements = []
    db = open_db(target, read_only=True)
    db.conn.set_trace_callback(statements.append)
    try:
        copies = Pipeline(load_config(config), target).waiting_per_brand(db)
    finally:
        db.close()
    return copies, any("JOIN mentions s" in statement for statement in statements)


def test_status_reads_the_count_the_service_recorded_instead_of_reading_every_copy_again(tmp_path, invoke):
    # Was: each status read every copy's clauses again, about 3 s on 200,000 mentions (bench/shared_readings.py).
    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, BOTH, *SINGLE])
    _as_an_older_release_left_it(store)
    target = tmp_path / "brandpulse.db"
    assert invoke("--config", config, "--db", target, "run", "--once").exit_code == 0  # as the service starts

    recorded = _counted_by(config, target)
    other = write_config(tmp_path / "other.yaml", config.read_text() + "  - name: Cove\n    keywords: [cove]\n")
    other_brands = _counted_by(other, target)

    assert recorded == (4, False)
    assert other_brands == (4, True)  # other brands may read the copies otherwise: counted again
    store.close()


def test_a_recorded_count_follows_the_copies_deleted_since_on_both_backends(tmp_path, invoke, store_target):
    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, *SINGLE], db=store_target)
    _as_an_older_release_left_it(store)
    assert invoke("--config", config, "--db", store_target, "run", "--once").exit_code == 0
    with transaction(store):  # as retention deletes old posts
        store.execute("DELETE FROM mentions WHERE brand = 'Acme' AND text = ?", [LEFT])

    _, shared = _status(invoke, config, store_target)

    assert shared["copies"] == 2  # FINE's two; LEFT's Bolt copy shares its reading with no copy any more
    store.close()


def test_prune_records_the_count_it_leaves_so_status_reads_it_exact_on_both_backends(tmp_path, invoke, store_target):
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline
    from brandpulse.store.rescore import counted_shared

    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, BOTH, *SINGLE], db=store_target)
    _as_an_older_release_left_it(store)
    assert invoke("--config", config, "--db", store_target, "run", "--once").exit_code == 0  # records 4
    with transaction(store):  # published long ago: LEFT's Acme copy (its Bolt copy stays, alone) and a single post
        store.execute("UPDATE mentions SET created_at = '2000-01-01T00:00:00Z' WHERE (brand = 'Acme' AND text = ?) "
                      "OR text = ?", [LEFT, SINGLE[0]])

    pruned = invoke("--config", config, "--db", store_target, "prune", "--older-than", "3650d")
    _, shared = _status(invoke, config, store_target)

    assert pruned.exit_code == 0 and pruned.output.startswith("2 mention(s)"), pruned.output
    pipeline = Pipeline(load_config(config), store_target)
    # Was: no count holding after the deletion, so each status read every copy's clauses again till the next start.
    assert counted_shared(store, shared_upto(store), pipeline._terms_key) == shared["copies"] == 2
    assert pipeline.count_per_brand(None) == 2  # counted from scratch: FINE's two
    if store_target == tmp_path / "contract.db":
        assert _counted_by(config, store_target) == (2, False)
    store.close()
