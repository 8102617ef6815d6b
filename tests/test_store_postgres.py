"""PostgreSQL only: workers sharing one database (claims, advisory locks), connection errors, the CLI end to end."""

import json
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.sentiment.base import Classification
from brandpulse.store import mentions as store_mentions
from brandpulse.store import outbox as store_outbox
from brandpulse.store import StoreError, open_db
from brandpulse.store.pg_migrations import APPLICATION_NAME, PG_MIGRATIONS
from tests.alert_streams import CONFIG, HOUR, START, stream
from tests.conftest import write_config

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
CLASSIFY_CONFIG = "brands: [{name: Acme, keywords: [acme]}]\nsentiment: {device: cpu}\n"


def _count(url, sql):
    db = open_db(url)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def _ingest_unlabelled(invoke, tmp_path, url, count):
    lines = [json.dumps({"source": "feed", "id": str(n), "brand": "Acme", "created_at": "2026-03-02T10:00:00Z",
                         "text": f"acme order {n} {'was late again, refund please' if n % 3 else 'arrived, lovely coffee'}"})
             for n in range(count)]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG)
    result = invoke("--config", config, "--db", url, "ingest", "--no-classify", tmp_path / "m.jsonl")
    assert result.exit_code == 0, result.output
    return config


def test_two_workers_claim_disjoint_batches_and_a_failed_batch_returns_to_the_queue(invoke, tmp_path, pg_url):
    _ingest_unlabelled(invoke, tmp_path, pg_url, 10)
    first, second = open_db(pg_url), open_db(pg_url)

    with store_mentions.claim_pending(first, 4) as mine:
        with store_mentions.claim_pending(second, 4) as theirs:
            assert [p.id for p in mine] == [1, 2, 3, 4] and [p.id for p in theirs] == [5, 6, 7, 8]
        with pytest.raises(RuntimeError), store_mentions.claim_pending(second, 10) as rest:
            assert [p.id for p in rest] == [5, 6, 7, 8, 9, 10]  # the batch above ended unsaved: back in the queue
            result = Classification(label="neutral", probs=(0.1, 0.8, 0.1), model="m", model_version="1")
            store_mentions.save_classifications(
                second, [store_mentions.ClassifiedMention(p.id, "en", result, "passive") for p in rest[:3]], NOW)
            raise RuntimeError("the model crashed half-way")
        with store_mentions.claim_pending(second, 10) as again:
            assert [p.id for p in again] == [5, 6, 7, 8, 9, 10]  # the partial save went with the failed batch
    with store_mentions.claim_pending(second, 10) as everything:
        assert [p.id for p in everything] == list(range(1, 11))
    first.close()
    second.close()


def test_two_alert_workers_on_one_storm_record_one_alert(invoke, tmp_path, pg_url):
    config_path = write_config(tmp_path / "config.yaml", CONFIG.format(extra=""))
    (tmp_path / "m.jsonl").write_text(stream(5, storm={110: (4, 16), 111: (4, 18)}), encoding="utf-8")
    assert invoke("--config", config_path, "--db", pg_url, "ingest", "--no-classify", tmp_path / "m.jsonl").exit_code == 0
    config = load_config(config_path)
    workers = [Pipeline(config, pg_url) for _ in range(2)]
    for worker in workers:
        worker.open().close()  # connect and sync brands before the race
    start, fired = threading.Barrier(2), []

    def evaluate(worker):
        start.wait()
        fired.extend(worker.evaluate_alerts(START + 5 * 24 * HOUR))

    threads = [threading.Thread(target=evaluate, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.window_start for a in fired] == [START + 110 * HOUR]
    assert _count(pg_url, "SELECT count(*) FROM alerts") == 1
    assert _count(pg_url, "SELECT count(*) FROM outbox") == 1


def test_two_deliver_workers_send_each_email_once(tmp_path, pg_url):
    config = load_config(write_config(tmp_path / "config.yaml", CONFIG.format(extra="")))
    db = open_db(pg_url)
    for n in range(40):
        store_outbox.enqueue(db, "alert", "Acme", f"alert {n}", ["ops@acme.test"], f"Subject: {n}\n\nbody".encode(), NOW)
    db.close()
    workers = [Pipeline(config, pg_url) for _ in range(2)]
    start, reports = threading.Barrier(2), []

    def deliver(worker):
        start.wait()
        reports.append(worker.deliver(NOW))

    threads = [threading.Thread(target=deliver, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(len(r.sent) for r in reports) == 40
    assert _count(pg_url, "SELECT count(*) FROM outbox WHERE status = 'sent' AND attempts = 1") == 40


@pytest.mark.parametrize(("url", "shown", "hidden"), [
    ("mysql://ana:s3cret@db.example/brandpulse", "mysql://ana:***@db.example/brandpulse", "s3cret"),
    ("postgresql://ana:s3cret@127.0.0.1:1/brandpulse", "postgresql://ana:***@127.0.0.1:1/brandpulse", "s3cret"),
    ("postgresql://ana@127.0.0.1:1/brandpulse?password=s3cret", "postgresql://ana@127.0.0.1:1/brandpulse?password=***",
     "s3cret"),
    ("postgresql://ana:s3cret@[::1/brandpulse", "postgresql://ana:***@[::1/brandpulse", "s3cret"),  # a host typo
    ("postgresql://ana:s3#cret?x@127.0.0.1:1/bp", "postgresql://ana:***@127.0.0.1:1/bp", "cret"),  # libpq reads it so
    ("postgresql://ana:s3/cret@127.0.0.1:1/bp", "postgresql://ana:***@127.0.0.1:1/bp", "cret"),
    ("postgresql://ana:s3@cret99@127.0.0.1:1/bp", "postgresql://ana:***@127.0.0.1:1/bp", "cret99"),  # @ unencoded
    ("host=127.0.0.1 password=s3cret dbname=bp", "password=*** dbname=bp is a libpq key=value", "s3cret"),
    # The rest of the URL as typed, with a password or without one (it was `?host=%2Ftmp%2Fnowhere` with one).
    ("postgresql://ana:s3cret@/bp?host=/tmp/nowhere&connect_timeout=2",
     "postgresql://ana:***@/bp?host=/tmp/nowhere&connect_timeout=2", "s3cret"),
    ("postgresql://ana@/bp?host=/tmp/nowhere&pass%77ord=s3cret&sslmode=disable",
     "postgresql://ana@/bp?host=/tmp/nowhere&password=***&sslmode=disable", "s3cret"),
    ("postgresql://ana@/bp?host=/tmp/nowhere&connect_timeout=2",
     "postgresql://ana@/bp?host=/tmp/nowhere&connect_timeout=2", "%2F"),
])
def test_a_store_url_that_cannot_be_served_is_a_clear_error_without_the_password(invoke, tmp_path, url, shown, hidden):
    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG)

    result = invoke("--config", config, "--db", url, "query")

    assert result.exit_code == 1
    assert shown in result.output and hidden not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("url", ["postgresql://ana:s3cret@db/bp", "postgresql://ana@db/bp?sslmode=require&password=s3cret"])
def test_a_password_in_the_configured_store_url_is_refused(invoke, tmp_path, url):
    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG + f"store: {{url: '{url}'}}\n")

    result = invoke("--config", config, "status")

    assert result.exit_code == 2
    assert "store.url" in result.output and "PGPASSWORD" in result.output and "s3cret" not in result.output


def test_the_configured_store_url_is_used_and_db_overrides_it(invoke, tmp_path, pg_url):
    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG + f"store: {{url: '{pg_url}'}}\n")
    (tmp_path / "m.jsonl").write_text(
        '{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T10:00:00Z"}\n')

    assert invoke("--config", config, "ingest", "--no-classify", tmp_path / "m.jsonl").exit_code == 0
    status = json.loads(invoke("--config", config, "status", "--format", "json").output)
    elsewhere = invoke("--config", config, "--db", tmp_path / "other.db", "ingest", "--no-classify", tmp_path / "m.jsonl")

    assert status["database"] == pg_url and status["backlog"]["unclassified"] == 1
    assert elsewhere.output.startswith("1 new") and (tmp_path / "other.db").exists()
    assert not (tmp_path / "brandpulse.db").exists()


def test_a_database_from_newer_code_is_refused(pg_url):
    open_db(pg_url).close()
    db = open_db(pg_url)
    db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'm099_future', 'x')", [])
    db.close()

    with pytest.raises(StoreError) as raised:
        open_db(pg_url)
    assert str(raised.value).endswith("(in its clone: git pull, then pip install .) before using it")


def test_sql_cannot_write_or_escape_its_read_only_transaction(invoke, tmp_path, pg_url):
    _ingest_unlabelled(invoke, tmp_path, pg_url, 3)

    results = [invoke("--db", pg_url, "sql", statement) for statement in (
        "DELETE FROM mentions",
        "COMMIT; DELETE FROM mentions",
        "WITH gone AS (DELETE FROM mentions RETURNING id) SELECT count(*) FROM gone",
        "SELECT set_config('transaction_read_only', 'off', true)",
    )]

    assert [r.exit_code for r in results] == [1, 1, 1, 1], [r.output for r in results]
    assert _count(pg_url, "SELECT count(*) FROM mentions") == 3


def _start(config, url, *args):
    return subprocess.Popen([sys.executable, "-m", "brandpulse", "--config", str(config), "--db", url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _classified(output):
    return int(re.search(r"(\d+) classified", output).group(1))


@pytest.mark.slow
def test_two_classify_workers_share_one_queue_classifying_each_mention_once(invoke, tmp_path, pg_url):
    config = _ingest_unlabelled(invoke, tmp_path, pg_url, 3000)

    workers = [_start(config, pg_url, "run", "--once", "--only", "classify") for _ in range(2)]
    outputs = [w.communicate(timeout=600) for w in workers]

    assert all(w.returncode == 0 for w in workers), outputs
    # Each worker counts what it saved: a mention classified twice would push the sum past 3000.
    assert sum(_classified(out) for out, _ in outputs) == 3000
    assert _count(pg_url, "SELECT count(*) FROM mentions WHERE label IS NULL OR category IS NULL") == 0


def _holding_a_claim(url):
    # The claim's last statement: the claim itself, or the look for copies already read that follows it.
    return _count(url, """SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'brandpulse%'
                          AND state = 'idle in transaction'
                          AND (query LIKE '%SKIP LOCKED%' OR query LIKE '%FROM mentions c JOIN mentions s%')""")


@pytest.mark.slow
def test_a_classify_worker_killed_mid_batch_loses_its_claims_to_the_next_worker(invoke, tmp_path, pg_url):
    config = _ingest_unlabelled(invoke, tmp_path, pg_url, 1500)
    worker = _start(config, pg_url, "run", "--once", "--only", "classify")
    deadline = time.monotonic() + 300
    while not _holding_a_claim(pg_url) and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.communicate()

    unlabelled = _count(pg_url, "SELECT count(*) FROM mentions WHERE label IS NULL")
    assert 0 < unlabelled <= 1500 and unlabelled % 512 == 1500 % 512, "the killed batch was half saved"
    finisher = _start(config, pg_url, "run", "--once", "--only", "classify")
    out, err = finisher.communicate(timeout=600)

    assert finisher.returncode == 0, err
    assert _classified(out) == unlabelled
    assert _count(pg_url, "SELECT count(*) FROM mentions WHERE label IS NULL") == 0


@pytest.mark.slow
def test_run_once_on_postgresql_stores_classifies_alerts_and_emails(demo_dir, invoke, pg_url):
    result = invoke("--db", pg_url, "run", "--once")

    assert result.exit_code == 0, result.output
    assert _count(pg_url, "SELECT count(*) FROM mentions") > 300
    assert _count(pg_url, "SELECT count(*) FROM mentions WHERE category IS NULL") == 0
    assert _count(pg_url, "SELECT count(*) FROM alerts WHERE kind = 'spike'") == 1
    assert len(list((demo_dir / "outbox").glob("*.eml"))) == 1
    assert "1 fired" in result.output and "/t_" in result.output  # the store's name in the summary
    again = invoke("--db", pg_url, "run", "--once")
    assert "0 new" in again.output and "0 fired" in again.output


def test_alerts_backtest_digest_and_status_read_postgresql_as_they_read_sqlite(invoke, tmp_path, pg_url):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra="digest: {timezone: Europe/Paris}"))
    storm = {8 * 24 + h: (1, 9) for h in (9, 10, 11)}
    (tmp_path / "m.jsonl").write_text(stream(9, storm=storm) + stream(9, per_hour=(1, 0), source="reddit"), encoding="utf-8")
    stores = {"sqlite": tmp_path / "brandpulse.db", "postgresql": pg_url}
    outputs = {}
    for name, store in stores.items():
        assert invoke("--config", config, "--db", store, "ingest", tmp_path / "m.jsonl", "--no-classify").exit_code == 0
        cli = ("--config", config, "--db", store)
        backtest = invoke(*cli, "alerts", "backtest", "--since", "2026-03-09", "--until", "2026-03-11")
        preview = invoke(*cli, "digest", "--date", "2026-03-10", "--preview", tmp_path / f"{name}.html")
        status = invoke(*cli, "status", "--format", "json")
        sent = invoke(*cli, "digest", "--date", "2026-03-10", "--send")
        results = (backtest, preview, status, sent)
        assert all(r.exit_code == 0 for r in results), [r.output for r in results]
        html = (tmp_path / f"{name}.html").read_text()
        outputs[name] = (backtest.output, html, json.loads(status.output)["backlog"], sent.output)

    assert outputs["postgresql"] == outputs["sqlite"]
    assert '"kind": "spike"' in outputs["postgresql"][0] and "1 message(s) delivered" in outputs["postgresql"][3]


def test_run_only_selects_the_kinds_of_job(demo_dir, invoke, store_target):
    from brandpulse.scheduler import jobs

    pipeline = Pipeline(load_config(demo_dir / "config.yaml"), store_target)
    assert [name for name, _, _ in jobs(pipeline, {"classify", "deliver"})] == ["classify", "deliver"]
    assert all(name.startswith("collect:") for name, _, _ in jobs(pipeline, {"collect"}))

    result = invoke("--db", store_target, "run", "--once", "--only", "deliver")

    assert result.exit_code == 0, result.output
    assert "Mentions:   0 new, 0 duplicate; 0 classified" in result.output
    assert _count(store_target, "SELECT count(*) FROM mentions") == 0
    assert _count(store_target, "SELECT count(*) FROM job_runs WHERE job = 'deliver'") == 1
    assert _count(store_target, "SELECT count(*) FROM job_runs") == 1


def test_sql_prints_postgresql_types_that_sqlite_lacks(invoke, pg_url):
    open_db(pg_url).close()
    result = invoke("--db", pg_url, "sql", "SELECT DATE '2026-03-02' AS d, INTERVAL '1 day' AS i, 2.5::numeric AS n",
                    "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"d": "2026-03-02", "i": "1 day", "n": 2.5}]


def test_placeholders_are_translated_outside_literals_only():
    from brandpulse.store.postgres_backend import to_pyformat

    assert to_pyformat("SELECT ? , :name, x::text, '50% :no ?' FROM t WHERE a LIKE '%x' -- 100% ?") == \
        "SELECT %s , %(name)s, x::text, '50%% :no ?' FROM t WHERE a LIKE '%%x' -- 100%% ?"
    # An analyst's comment, dollar-quoted string or escaped string holds no placeholder either.
    assert to_pyformat("SELECT 1 /* why? :no */, $$a ? b$$, $q$ ? $q$, E'it\\'s ?', :yes") == \
        "SELECT 1 /* why? :no */, $$a ? b$$, $q$ ? $q$, E'it\\'s ?', %(yes)s"


def test_a_database_that_does_not_exist_is_named_in_the_error(invoke, tmp_path, pg_server):
    url = pg_server.get_uri().replace("/postgres?", "/no_such_db?")

    result = invoke("--config", write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG), "--db", url, "status")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot connect to the PostgreSQL store" in result.output and '"no_such_db" does not exist' in result.output


def _outcomes(result):
    return json.loads(result.output[result.output.index("["):])  # after the "no collector" note


def test_check_reaches_the_database_server_or_says_why_not(invoke, tmp_path, pg_url):
    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG)
    open_db(pg_url).close()

    found = _outcomes(invoke("--config", config, "--db", pg_url, "check", "--format", "json"))
    down = invoke("--config", config, "--db", "postgresql://ana:s3cret@127.0.0.1:1/bp", "check", "--format", "json")
    local = _outcomes(invoke("--config", config, "--db", tmp_path / "x.db", "check", "--format", "json"))

    store = next(o for o in found if o["name"] == "store")
    assert store["ok"] and store["message"].startswith("PostgreSQL 16")
    assert store["message"].endswith(f"schema version {len(PG_MIGRATIONS)} of {len(PG_MIGRATIONS)}")
    (failed,) = [o for o in _outcomes(down) if o["name"] == "store"]
    # libpq reports the cause as text only: the message names it.
    assert down.exit_code == 1 and "Connection refused" in failed["message"] and "s3cret" not in down.output
    assert "store" not in {o["name"] for o in local} and not (tmp_path / "x.db").exists()


def test_a_role_without_the_rights_it_needs_gets_a_clear_error_not_a_traceback(invoke, tmp_path, pg_url):
    import psycopg

    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG)
    with psycopg.connect(pg_url, autocommit=True) as admin:  # a fresh database; this role may only connect
        admin.execute("DROP ROLE IF EXISTS bp_nobody")
        admin.execute("CREATE ROLE bp_nobody LOGIN PASSWORD 'nobody-pw'")
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    role_url = pg_url.replace("postgres:@", "bp_nobody:nobody-pw@", 1)
    assert role_url != pg_url
    line = '{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T00:00:00Z"}\n'
    (tmp_path / "m.jsonl").write_text(line)

    try:
        result = invoke("--config", config, "--db", role_url, "ingest", tmp_path / "m.jsonl", "--no-classify")
    finally:
        from brandpulse.store.postgres_backend import close_pools

        close_pools()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("DROP OWNED BY bp_nobody")
            admin.execute("DROP ROLE bp_nobody")

    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "the PostgreSQL store refused this role: permission denied for schema public" in result.output
    assert "nobody-pw" not in result.output


def test_a_text_too_long_for_the_search_index_is_cut_and_its_batch_kept(invoke, tmp_path, pg_url):
    from brandpulse.collectors.base import MAX_TEXT

    words = " ".join(f"w{n:07d}" for n in range(190_000))  # 1.5 MB of distinct words: a tsvector over 1 MB
    lines = [{"source": "x", "id": "long", "text": "acme " + words, "created_at": "2026-03-01T00:00:00Z"},
             {"source": "x", "id": "after", "text": "acme after it", "created_at": "2026-03-01T00:01:00Z"}]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    result = invoke("--config", write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG), "--db", pg_url,
                    "ingest", tmp_path / "m.jsonl", "--no-classify")

    assert result.exit_code == 0, result.output
    assert _count(pg_url, "SELECT count(*) FROM mentions") == 2
    assert _count(pg_url, "SELECT length(text) FROM mentions WHERE external_id = 'long'") == MAX_TEXT


@pytest.mark.parametrize(("search", "why"), [("NEAR(double charged)", "NEAR() is not supported"),
                                             ("NEAR (double charged)", "NEAR() is not supported"),
                                             ("text:refund", "column filters (text:) are not supported"),
                                             ("coffee -refund", "write NOT refund"),
                                             ("^refund", "^ (the text's first word) is not supported")])
def test_fts5_syntax_postgresql_cannot_serve_is_refused_not_searched_for_as_words(search, why):
    from brandpulse.store.errors import SearchSyntaxError
    from brandpulse.store.pg_search import to_tsquery

    with pytest.raises(SearchSyntaxError, match=re.escape(why)):
        to_tsquery(search)


def test_an_analysts_select_only_role_prints_a_digest(invoke, tmp_path, pg_url):
    import psycopg

    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG)
    open_db(pg_url).close()  # created and migrated by the service's role
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS bp_analyst")
        admin.execute("CREATE ROLE bp_analyst LOGIN")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO bp_analyst")
    try:
        result = invoke("--config", config, "--db", pg_url.replace("postgres:@", "bp_analyst:@", 1),
                        "digest", "--date", "2026-03-01", "--format", "json")
    finally:
        from brandpulse.store.postgres_backend import close_pools

        close_pools()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("DROP OWNED BY bp_analyst")
            admin.execute("DROP ROLE bp_analyst")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["date"] == "2026-03-01"


def _failed_runs(caplog, job):
    return [r for r in caplog.records if r.getMessage().startswith(f"job {job} failed")]


def _end_sessions(url):
    """The server ends every brandpulse session, as a restart or an administrator does."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name LIKE 'brandpulse%' AND pid <> pg_backend_pid()")


def test_the_service_logs_a_postgresql_connection_lost_mid_run_as_one_line_and_reconnects(demo_dir, pg_url, caplog):
    from brandpulse.scheduler import wrap_job

    url = pg_url.replace("postgres:@", "postgres:s3cret-pw@", 1)  # the server trusts the socket: any password logs in
    pipeline = Pipeline(load_config(demo_dir / "config.yaml"), url)

    def cut_short(now):
        with pipeline.session() as db:
            _end_sessions(pg_url)  # the run's session ends under it (a restart, an administrator)
            db.execute("SELECT count(*) FROM mentions")

    with caplog.at_level(logging.ERROR):
        wrap_job("alerts", cut_short, pipeline.record_job_run)()
    pipeline.evaluate_alerts(NOW)  # the dead connection was dropped: the next run reconnects

    failed = _failed_runs(caplog, "alerts")
    assert len(failed) == 1 and failed[0].exc_info is None, [r.getMessage() for r in caplog.records]
    assert failed[0].getMessage().startswith("job alerts failed: PostgreSQL store postgresql://postgres:***@")
    lost = "connection to the server lost (terminating connection due to administrator command)"
    assert lost in failed[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert all("s3cret-pw" not in r.getMessage() for r in caplog.records)


def test_after_a_postgresql_restart_no_run_fails_on_the_connections_pooled_before_it(demo_dir, pg_url, caplog):
    from brandpulse.scheduler import wrap_job

    pipeline = Pipeline(load_config(demo_dir / "config.yaml"), pg_url)
    stores = [open_db(pg_url) for _ in range(3)]  # jobs running side by side leave that many in the pool
    for db in stores:
        db.close()
    _end_sessions(pg_url)  # the server restarts between two runs: it is up again when they run

    with caplog.at_level(logging.WARNING):
        for name in ("alerts", "deliver", "classify"):
            wrap_job(name, getattr(pipeline, "evaluate_alerts" if name == "alerts" else name),
                     pipeline.record_job_run)()

    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


_FULL = """CREATE FUNCTION fill_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  RAISE EXCEPTION 'could not extend file "base/16384/16390": No space left on device'
    USING ERRCODE = '{code}', HINT = 'Check free disk space.';
END $$;
CREATE TRIGGER fill_up BEFORE INSERT ON mentions FOR EACH ROW EXECUTE FUNCTION fill_up();"""


def _fill_up(url, code="disk_full"):
    """From now on the server fails every write of a mention with the error it raises on a full disk: the real
    server's error path (a full disk itself cannot be made here)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(_FULL.format(code=code))


@pytest.mark.parametrize("code, said", [
    ("disk_full", "disk full on the server (could not extend file"),
    ("out_of_memory", "the server is out of memory ("),
    ("too_many_connections", "the server has too many connections ("),
])
def test_the_service_logs_a_postgresql_server_without_room_as_one_line_per_failed_run(demo_dir, pg_url, caplog,
                                                                                      code, said):
    from brandpulse.scheduler import wrap_job

    pipeline = Pipeline(load_config(demo_dir / "config.yaml"), pg_url)
    pipeline.open().close()  # the schema exists
    _fill_up(pg_url, code)

    with caplog.at_level(logging.ERROR):
        for _ in range(2):  # two intervals
            wrap_job("collect:demo", lambda now: pipeline.collect(now, only="demo"), pipeline.record_job_run)()

    failed = _failed_runs(caplog, "collect:demo")
    assert len(failed) == 2 and all(r.exc_info is None for r in failed), [r.getMessage() for r in caplog.records]
    assert all(f"failed: PostgreSQL store {pg_url}: {said}" in r.getMessage() for r in failed)
    assert not any(r.exc_info for r in caplog.records)
    assert _count(pg_url, "SELECT count(*) FROM mentions") == 0


def test_ingest_onto_a_full_postgresql_disk_says_so_and_keeps_what_was_committed(invoke, tmp_path, pg_url):
    config = _ingest_unlabelled(invoke, tmp_path, pg_url, 5)
    _fill_up(pg_url)
    (tmp_path / "more.jsonl").write_text(json.dumps({"source": "feed", "id": "new", "brand": "Acme", "text": "acme",
                                                     "created_at": "2026-03-02T11:00:00Z"}) + "\n", encoding="utf-8")

    result = invoke("--config", config, "--db", pg_url, "ingest", "--no-classify", tmp_path / "more.jsonl")

    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"Error: PostgreSQL store {pg_url}: disk full on the server (could not extend file" in result.output
    assert "free space on the database server's disk, then run again" in result.output
    assert _count(pg_url, "SELECT count(*) FROM mentions") == 5


def test_a_worker_of_the_older_version_still_connected_is_not_upgraded_under(pg_url):
    import psycopg

    from tests.store_versions import postgres_store_at

    postgres_store_at(pg_url, 6)
    # An older release's worker on another host: its pool keeps a connection open, named as releases named them.
    with psycopg.connect(pg_url, autocommit=True, application_name="brandpulse") as older:
        older_pid = older.info.backend_pid
        refused = (rf"schema version 6 \(this brandpulse needs {len(PG_MIGRATIONS)}\), but a brandpulse of an older "
                   rf"version is connected to it \(pid {older_pid} from local\); stop it")
        with pytest.raises(StoreError, match=refused):
            open_db(pg_url)
        with psycopg.connect(pg_url, autocommit=True) as check:
            assert check.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 6

    # Once it stopped, the upgrade goes ahead; a worker of this version starting at the same time is no bar.
    with psycopg.connect(pg_url, autocommit=True, application_name=APPLICATION_NAME):
        db = open_db(pg_url)
    assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == len(PG_MIGRATIONS)
    db.close()


def test_a_schema_8_store_upgrades_to_a_search_that_folds_accents_for_its_stored_posts(pg_url):
    from brandpulse.store.queries import MentionFilter, iter_mentions
    from tests.store_versions import insert_post, postgres_store_at

    postgres_store_at(pg_url, 8, insert_post("B", "un café noir", source="x", external_id="1"))

    db = open_db(pg_url)
    found = [row["external_id"] for row in iter_mentions(db, MentionFilter(search="cafe"), ("external_id",))]
    db.close()

    assert found == ["1"]


def test_the_service_on_a_select_only_role_logs_one_line_per_failed_run_not_tracebacks(demo_dir, pg_url, caplog):
    import psycopg

    from brandpulse.scheduler import wrap_job

    open_db(pg_url).close()  # created and migrated by the service's role
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS bp_reader")
        admin.execute("CREATE ROLE bp_reader LOGIN PASSWORD 'reader-pw'")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO bp_reader")
    pipeline = Pipeline(load_config(demo_dir / "config.yaml"), pg_url.replace("postgres:@", "bp_reader:reader-pw@", 1))
    try:
        with caplog.at_level(logging.DEBUG):
            wrap_job("classify", pipeline.classify, pipeline.record_job_run)()
    finally:
        from brandpulse.store.postgres_backend import close_pools

        close_pools()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("DROP OWNED BY bp_reader")
            admin.execute("DROP ROLE bp_reader")

    failed = _failed_runs(caplog, "classify")
    assert not [r.getMessage()[:200] for r in caplog.records if r.exc_info], "a traceback was logged"
    assert len(failed) == 1 and "the PostgreSQL store refused this role: permission denied for table brands" in (
        failed[0].getMessage())
    assert all("reader-pw" not in r.getMessage() for r in caplog.records)


def test_a_command_during_an_upgrade_says_one_is_upgrading_and_names_it_not_to_start_one(invoke, pg_url):
    import psycopg

    from tests.store_versions import postgres_store_at

    postgres_store_at(pg_url, 8)
    with psycopg.connect(pg_url) as upgrader:  # a worker in the middle of a step: its transaction holds the lock
        upgrader.execute("SELECT pg_advisory_xact_lock(%s)", [_upgrade_key(upgrader)])
        pid = upgrader.info.backend_pid
        during = invoke("--db", pg_url, "status")
        upgrader.rollback()
    after = invoke("--db", pg_url, "status")

    assert during.exit_code == 1 and f"and a brandpulse (pid {pid} from local) is upgrading it right now" in (
        during.output), during.output
    assert after.exit_code == 1 and "start this version's service, or run `brandpulse run --once`" in after.output


def test_psycopgs_own_warnings_of_a_lost_connection_show_with_verbose_only(invoke, pg_url):
    # Seen when the server restarts mid-run: a dozen lines of 'psycopg.pool: discarding closed connection:
    # <psycopg.Connection [BAD] at 0x7f...>' and 'error connecting in 'brandpulse'' before the one line that says
    # what happened (the store's 'connection to the server lost ...').
    pool_log = logging.getLogger("psycopg.pool")

    invoke("--db", pg_url, "status")
    quiet = pool_log.isEnabledFor(logging.WARNING), logging.getLogger("psycopg").isEnabledFor(logging.WARNING)
    invoke("-v", "--db", pg_url, "status")

    assert quiet == (False, False)
    assert pool_log.isEnabledFor(logging.INFO)


WAITING = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"


def _upgrade_key(conn):
    """The key of the upgrade lock of the store `conn` reaches (its database's and schema's)."""
    from brandpulse.store.pg_migrations import MIGRATION_LOCK, STORE_KEY
    from brandpulse.store.postgres_backend import to_pyformat

    return conn.execute(to_pyformat(f"SELECT {STORE_KEY}"), [MIGRATION_LOCK]).fetchone()[0]


def _waiting_for_the_lock(url, count):
    import psycopg

    deadline = time.monotonic() + 20
    with psycopg.connect(url, autocommit=True) as probe:
        while probe.execute(WAITING).fetchone()[0] < count:
            assert time.monotonic() < deadline, f"{count} connection(s) never waited for the migration lock"
            time.sleep(0.02)


def test_two_processes_starting_at_once_upgrade_the_store_once_not_splitting_its_steps(pg_url, caplog):
    import psycopg

    from tests.store_versions import postgres_store_at

    postgres_store_at(pg_url, 8)
    opened, failed, seen = [], [], []

    def start():
        try:
            opened.append(open_db(pg_url))
        except Exception as exc:  # handed to the test's thread
            failed.append(exc)

    def look():  # another worker waiting for the lock after both: what does it find once it has it?
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [_upgrade_key(conn)])
            seen.append(conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0])

    caplog.set_level(logging.WARNING, logger="brandpulse.store.pg_migrations")
    with psycopg.connect(pg_url, autocommit=True) as holder:  # holds them back till all three wait, in this order
        holder.execute("SELECT pg_advisory_lock(%s)", [key := _upgrade_key(holder)])
        threads = [threading.Thread(target=target) for target in (start, start, look)]
        for waiting, thread in enumerate(threads, start=1):
            thread.start()
            _waiting_for_the_lock(pg_url, waiting)
        holder.execute("SELECT pg_advisory_unlock(%s)", [key])
        for thread in threads:
            thread.join(timeout=60)
    for db in opened:
        db.close()

    assert not failed and len(opened) == 2
    assert seen == [len(PG_MIGRATIONS)]  # no step left for another process to take between two of the first one's
    said = [record.getMessage() for record in caplog.records if record.name == "brandpulse.store.pg_migrations"]
    assert [line.split(" (")[0] for line in said if not line.startswith("waiting for")] == [
        f"upgrading the store from schema version 8 to {len(PG_MIGRATIONS)}",
        f"store upgraded to schema version {len(PG_MIGRATIONS)}"]
    assert len(said) == 4  # and each of the two that waited for the holder said so


_REFUSED = b"".join([b"SFATAL\0", b"VFATAL\0", b"C28P01\0", b'Mpassword authentication failed for user "ana"\0', b"\0"])


def _server_asking_for_a_password(refuse=False):
    """A server on 127.0.0.1 that answers every connection as a PostgreSQL server whose role needs a password (and,
    `refuse`, refuses the one it is given)."""
    import socket
    import struct

    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                while True:
                    size, code = struct.unpack("!ii", conn.recv(8))
                    conn.recv(size - 8)
                    if code not in (80877103, 80877104):  # past the SSL and GSS requests, refused with 'N'
                        break
                    conn.sendall(b"N")
                conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
                if refuse and conn.recv(1) == b"p":  # the password message: read, and refused
                    conn.recv(struct.unpack("!i", conn.recv(4))[0] - 4)
                    conn.sendall(b"E" + struct.pack("!i", len(_REFUSED) + 4) + _REFUSED)

    threading.Thread(target=serve, daemon=True).start()
    return listener


def _status_against_a_server_asking_for_a_password(invoke, refuse=False):
    """`brandpulse status` against `_server_asking_for_a_password` as role ana, the server closed after."""
    listener = _server_asking_for_a_password(refuse=refuse)
    url = f"postgresql://ana@127.0.0.1:{listener.getsockname()[1]}/bp?connect_timeout=5"
    try:
        return invoke("--db", url, "status")
    finally:
        listener.close()


def test_a_server_asking_for_a_password_none_was_given_for_says_where_to_give_it(invoke, tmp_path, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    result = _status_against_a_server_asking_for_a_password(invoke)

    assert result.exit_code == 1 and "fe_sendauth: no password supplied" in result.output, result.output
    assert "set PGPASSWORD (or a ~/.pgpass entry) in the environment" in result.output
    assert "password included, in BRANDPULSE_DB (never in the config file)" in result.output


def test_a_schema_named_in_the_urls_options_holds_the_store_and_public_stays_untouched(invoke, tmp_path, pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA listening")
    url = f"{pg_url}&options=-c%20search_path%3Dlistening"
    config = _ingest_unlabelled(invoke, tmp_path, url, 5)

    query = invoke("--config", config, "--db", url, "query", "--format", "json")  # a read-only connection
    status = invoke("--config", config, "--db", url, "status")

    with psycopg.connect(pg_url, autocommit=True) as admin:
        tables = dict(admin.execute("SELECT table_schema, count(*) FROM information_schema.tables "
                                    "WHERE table_schema IN ('public', 'listening') GROUP BY 1").fetchall())
        stored = admin.execute("SELECT count(*) FROM listening.mentions").fetchone()[0]
    assert tables == {"listening": 9} and stored == 5  # public has none of them
    assert query.exit_code == 0 and len(json.loads(query.output)) == 5, query.output
    assert status.exit_code == 0, status.output


def _in_schema(url, schema):
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    return f"{url}&options=-c%20search_path%3D{schema}"


@contextmanager
def _upgrade_stuck_in_a_step(url):
    """A process upgrading the schema-8 store at `url`, held in its first step (whose ALTER TABLE waits for a lock
    on mentions) until the block ends; yields its thread and what it opened or raised."""
    import psycopg

    from tests.store_versions import postgres_store_at

    postgres_store_at(url, 8)
    outcome = []
    with psycopg.connect(url) as blocker:
        blocker.execute("LOCK TABLE mentions IN ACCESS SHARE MODE")
        upgrader = threading.Thread(target=lambda: outcome.append(_opened(url)))
        upgrader.start()
        _waiting_for(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND NOT granted", 1)
        try:
            yield upgrader, outcome
        finally:
            blocker.rollback()
    upgrader.join(timeout=60)


def _opened(url):
    try:
        db = open_db(url)
    except Exception as exc:  # handed to the test's thread
        return exc
    db.close()
    return "opened"


def _waiting_for(url, sql, count):
    import psycopg

    deadline = time.monotonic() + 20
    with psycopg.connect(url, autocommit=True) as probe:
        while probe.execute(sql).fetchone()[0] < count:
            assert time.monotonic() < deadline, f"never {count} of {sql}"
            time.sleep(0.02)


def test_a_store_in_another_schema_opens_while_one_in_the_same_database_upgrades(pg_url):
    # Was: both took one constant key, so a new store (or any process starting) in schema b waited out the whole
    # upgrade of the store in schema a.
    first, second = _in_schema(pg_url, "first"), _in_schema(pg_url, "second")

    with _upgrade_stuck_in_a_step(first) as (upgrader, outcome):
        other = threading.Thread(target=lambda: outcome.append(_opened(second)))
        other.start()
        other.join(timeout=20)
        opened_meanwhile = list(outcome)

    assert opened_meanwhile == ["opened"], opened_meanwhile
    assert outcome == ["opened", "opened"]


def test_a_job_lock_of_a_store_in_one_schema_does_not_hold_back_the_store_in_another(pg_url):
    first, second = _in_schema(pg_url, "first"), _in_schema(pg_url, "second")
    holder, same, other = open_db(first), open_db(first), open_db(second)
    got = []

    def take(db, name):
        with db.exclusive("brandpulse.alerts"):
            got.append(name)

    with holder.exclusive("brandpulse.alerts"):
        threads = {name: threading.Thread(target=take, args=(db, name)) for name, db in (("same", same),
                                                                                          ("other", other))}
        threads["same"].start()
        _waiting_for(pg_url, WAITING, 1)  # the same store's second worker still waits for the first
        threads["other"].start()
        threads["other"].join(timeout=20)
        meanwhile = list(got)
    threads["same"].join(timeout=20)
    for db in (holder, same, other):
        db.close()

    assert meanwhile == ["other"] and got == ["other", "same"]


def test_a_process_waiting_for_anothers_upgrade_says_so_and_names_it(pg_url, caplog):
    caplog.set_level(logging.WARNING, logger="brandpulse.store.pg_migrations")
    url = _in_schema(pg_url, "listening")

    with _upgrade_stuck_in_a_step(url) as (upgrader, outcome):
        waiter = threading.Thread(target=lambda: outcome.append(_opened(url)))
        waiter.start()
        _waiting_for(pg_url, WAITING, 1)
        said = [r.getMessage() for r in caplog.records if r.name == "brandpulse.store.pg_migrations"]
    waiter.join(timeout=60)

    waiting = [line for line in said if line.startswith("waiting")]
    assert len(waiting) == 1 and re.match(
        r"waiting for a brandpulse \(pid \d+ from local\) to finish upgrading the store from schema version 8 to "
        rf"{len(PG_MIGRATIONS)}; this process goes on once it has", waiting[0]), said
    assert outcome == ["opened", "opened"]


def test_a_password_the_server_refuses_says_where_it_came_from_and_is_never_shown(invoke, tmp_path, monkeypatch):
    # Was: 'password authentication failed for user "ana"' alone, with no word of where brandpulse took it from.
    monkeypatch.setenv("PGPASSWORD", "Wrong-pw-99")
    result = _status_against_a_server_asking_for_a_password(invoke, refuse=True)

    assert result.exit_code == 1 and 'password authentication failed for user "ana"' in result.output, result.output
    assert "the password brandpulse was given is not this role's: correct it where it comes from (PGPASSWORD, a " \
           "~/.pgpass entry, or the URL in BRANDPULSE_DB)" in result.output
    assert "Wrong-pw-99" not in result.output and "Traceback" not in result.output


def test_a_read_only_command_on_a_database_holding_no_store_says_how_to_make_it(invoke, pg_url):
    # Was: 'the database has schema version 0 (this brandpulse needs 12); start this version's service ... which
    # upgrades the store', as if an older store were there.
    result = invoke("--db", pg_url, "status")

    assert result.exit_code == 1
    assert "the database holds no brandpulse store yet (schema public has none); run `brandpulse run --once` or " \
           "`brandpulse ingest` first, which make it" in result.output, result.output
    assert "schema version 0" not in result.output


@pytest.mark.parametrize("command", [["status"], ["ingest", "--no-classify", "-"]])
def test_a_url_naming_a_schema_that_does_not_exist_says_so_not_a_traceback(invoke, pg_url, command):
    # Was, writing: a traceback ending 'InvalidSchemaName: no schema has been selected to create in'; reading: 'run
    # `brandpulse run --once` ..., which upgrades the store', which then failed so.
    result = invoke("--db", f"{pg_url}&options=-c%20search_path%3Dlistening", *command, input="")

    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "the database has no schema of the store's search path (listening): create it (CREATE SCHEMA), or name an " \
           "existing one in the URL (?options=-c%20search_path%3D<schema>)" in result.output


def test_a_command_that_loses_its_connection_says_to_run_it_again_not_to_wait_for_the_service(invoke, tmp_path,
                                                                                               pg_url):
    import psycopg

    open_db(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as admin:  # the server going away as the ingest stores its batch
        admin.execute("CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$")
        admin.execute("CREATE TRIGGER die BEFORE INSERT ON mentions FOR EACH ROW EXECUTE FUNCTION die()")
    config = write_config(tmp_path / "c.yaml", CLASSIFY_CONFIG)
    (tmp_path / "m.jsonl").write_text(
        '{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T10:00:00Z"}\n')

    lost = invoke("--config", config, "--db", pg_url, "ingest", "--no-classify", tmp_path / "m.jsonl")
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP TRIGGER die ON mentions")
    again = invoke("--config", config, "--db", pg_url, "ingest", "--no-classify", tmp_path / "m.jsonl")

    assert lost.exit_code == 1 and "connection to the server lost" in lost.output, lost.output
    assert "nothing half-written is kept: check that the server is running and reachable, then run the command " \
           "again (an ingest skips the lines it stored before, as duplicates)" in lost.output
    assert "the service's next run" not in lost.output and "Traceback" not in lost.output
    assert again.output.startswith("1 new"), again.output
