import re

import pytest

from tests.conftest import write_config

MINIMAL = "brands:\n  - name: Acme\n    keywords: [acme]\n"


def test_unknown_key_stops_with_exit_2_naming_key_and_file(tmp_path, invoke):
    path = write_config(tmp_path / "c.yaml", MINIMAL + "alerts:\n  spike:\n    min_cuont: 3\n")

    result = invoke("--config", path, "run", "--once")

    assert result.exit_code == 2
    assert str(path) in result.output and "alerts.spike.min_cuont: unknown key" in result.output
    assert "Traceback" not in result.output


def test_wrong_type_names_the_key(tmp_path, invoke):
    path = write_config(tmp_path / "c.yaml", MINIMAL + "sentiment:\n  batch_size: lots\n")

    result = invoke("--config", path, "run", "--once")

    assert result.exit_code == 2
    assert "sentiment.batch_size" in result.output


def test_missing_value_names_the_key(tmp_path, invoke):
    path = write_config(tmp_path / "c.yaml", "brands:\n  - name: Acme\n")

    result = invoke("--config", path, "run", "--once")

    assert result.exit_code == 2
    assert "brands.0.keywords: Field required" in result.output


def test_bad_duration_and_bad_yaml_are_explained(tmp_path, invoke):
    bad_duration = write_config(tmp_path / "d.yaml", MINIMAL + "alerts:\n  interval: soon\n")
    bad_yaml = write_config(tmp_path / "y.yaml", "brands: [\n")

    assert "alerts.interval" in invoke("--config", bad_duration, "run", "--once").output
    result = invoke("--config", bad_yaml, "run", "--once")
    assert result.exit_code == 2 and "not valid YAML" in result.output


@pytest.mark.parametrize("where", ["config", "env"])
def test_a_store_and_outbox_written_from_home_are_there_not_in_a_folder_named_tilde(tmp_path, invoke, monkeypatch,
                                                                                     where):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)  # the service's working directory; no shell expanded the values below
    extra = "store:\n  path: ~/bp.db\nemail:\n  outbox_dir: ~/mail\n" if where == "config" else ""
    path = write_config(tmp_path / "c.yaml", MINIMAL + extra)
    if where == "env":
        monkeypatch.setenv("BRANDPULSE_DB", "~/bp.db")
        monkeypatch.setenv("BRANDPULSE_OUTBOX_DIR", "~/mail")
    source = tmp_path / "in.jsonl"
    source.write_text('{"source": "s", "id": 1, "text": "acme!", "created_at": "2026-01-01", "label": "neutral"}\n')

    assert invoke("--config", path, "ingest", source).exit_code == 0
    status = invoke("--config", path, "status")

    assert (tmp_path / "home" / "bp.db").exists() and not (tmp_path / "~").exists()
    assert str(tmp_path / "home" / "bp.db") in status.output


def test_missing_config_file_says_how_to_point_at_one(tmp_path, invoke):
    result = invoke("--config", tmp_path / "nope.yaml", "run", "--once")

    assert result.exit_code == 2
    assert "BRANDPULSE_CONFIG" in result.output


def test_config_and_db_come_from_environment(tmp_path, invoke, monkeypatch):
    path = write_config(tmp_path / "env.yaml", MINIMAL)
    monkeypatch.setenv("BRANDPULSE_CONFIG", str(path))
    monkeypatch.setenv("BRANDPULSE_DB", str(tmp_path / "elsewhere.db"))
    source = tmp_path / "in.jsonl"
    source.write_text('{"source": "s", "id": 1, "text": "acme!", "created_at": "2026-01-01", "label": "neutral"}\n')

    result = invoke("ingest", source)

    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere.db").exists()


def test_repeated_brand_names_are_refused(tmp_path, invoke):
    path = write_config(tmp_path / "c.yaml", MINIMAL + "  - name: Acme\n    keywords: [acme2]\n")

    result = invoke("--config", path, "run", "--once")

    assert result.exit_code == 2
    assert "brands names must be unique ignoring case and width; repeated: Acme" in result.output


def test_brand_names_differing_only_in_case_are_refused(tmp_path, invoke):
    path = write_config(tmp_path / "c.yaml", MINIMAL + "  - name: ACME\n    keywords: [acme2]\n")

    result = invoke("--config", path, "status")

    assert result.exit_code == 2
    assert "brands names must be unique ignoring case and width; repeated: ACME and Acme" in result.output
    assert not (tmp_path / "brandpulse.db").exists()


def test_brand_names_differing_only_in_width_are_refused(tmp_path, invoke):
    # An import's 'ＡＣＭＥ' is either: one would take the other's mentions by whichever the store met last.
    path = write_config(tmp_path / "c.yaml", MINIMAL + "  - name: ＡＣＭＥ\n    keywords: [acme2]\n")

    result = invoke("--config", path, "status")

    assert result.exit_code == 2
    assert "brands names must be unique ignoring case and width; repeated: Acme and ＡＣＭＥ" in result.output


def test_a_silence_window_that_splits_an_alert_bucket_is_refused(tmp_path, invoke):
    path = write_config(tmp_path / "c.yaml", MINIMAL + "alerts:\n  health:\n    silence: 90m\n")

    result = invoke("--config", path, "run", "--once")

    assert result.exit_code == 2
    assert "alerts: " in result.output and "health.silence (1:30:00) must be a whole number of spike.bucket" in result.output


def test_a_device_torch_has_no_name_for_is_refused_and_torch_names_are_accepted(tmp_path):
    from brandpulse.config import ConfigError, load_config

    for device in ("auto", "cpu", "cuda", "cuda:1", "mps"):
        name = device.replace(":", "_")
        path = write_config(tmp_path / f"{name}.yaml", MINIMAL + f"sentiment:\n  device: {device}\n")
        assert load_config(path).sentiment.device == device
    path = write_config(tmp_path / "c.yaml", MINIMAL + "sentiment:\n  device: gpu\n")
    with pytest.raises(ConfigError, match=r"sentiment.device: 'gpu' is not a device: use auto .*mps, xpu or xpu:N"):
        load_config(path)


def _twitter(lang: str = "", models: str = "", queries: str = "") -> str:
    return (MINIMAL + "collectors:\n  - type: twitter\n" + (f"    lang: {lang}\n" if lang else "")
            + (f"    queries: {queries}\n" if queries else "") + (f"sentiment:\n  models: {models}\n" if models else ""))


@pytest.mark.parametrize("query", ['""', "'  '", ""])
def test_an_empty_twitter_query_is_refused_naming_its_key_and_what_to_write(tmp_path, invoke, query):
    path = write_config(tmp_path / "c.yaml", _twitter(queries=f"{{Acme: {query}}}"))

    result = invoke("--config", path, "check")

    # Was: loaded, and the collector searched with the query built from Acme's keywords without a word.
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert ("collectors.0.queries.Acme: is empty: write the search to run for this brand (as '(acme OR @acme) "
            "-is:retweet'), or remove the entry to search with the query built from the brand's keywords and "
            "exclusions") in result.output


def test_language_notes_name_languages_read_but_not_collected_and_collected_but_not_read(tmp_path, invoke):
    from brandpulse.config import load_config

    def notes(text):
        return load_config(write_config(tmp_path / "c.yaml", text)).language_notes()

    assert notes(_twitter()) == [] and notes(_twitter("null", "{en: bundled, de: x}")) == []
    assert notes(_twitter(models="{en: bundled, de: x, fr: y}")) == [
        "collector twitter searches lang:en only, while sentiment.models reads de, fr too; set its lang: null to "
        "collect them"]
    assert "reads every language too" in notes(_twitter(models='{en: bundled, "*": x}'))[0]
    assert notes(_twitter("fr")) == [
        "collector twitter searches lang:fr, which no model in sentiment.models reads: its mentions will be stored "
        "unscored"]
    assert notes(_twitter("fr", queries="{Acme: 'acme lang:fr'}")) == []  # the operator's own query
    # check prints them before its probes.
    result = invoke("--config", write_config(tmp_path / "c.yaml", _twitter("fr")), "check")
    assert "Note: collector twitter searches lang:fr, which no model" in result.output


def test_model_notes_name_a_default_language_no_model_reads_and_the_english_model_given_another_language(tmp_path):
    from brandpulse.config import load_config

    def notes(sentiment):
        return load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"sentiment: {sentiment}\n")).language_notes()

    assert notes("{models: {en: bundled, de: some/german-model}}") == []
    assert notes('{models: {en: bundled, "*": bundled}}') == []  # every language read by English on purpose
    assert notes("{models: {de: some/german-model}}") == [
        "sentiment.default_language is 'en', which no model in sentiment.models reads: short posts and those of an "
        "unsure language count as it, and will be stored unscored"]
    assert notes("{default_language: de}") == [
        "sentiment has the bundled model read de, but it reads English only: its labels there will mean little; "
        "name a model of that language (a Hugging Face id or folder)"]


def test_a_sentiment_model_that_the_models_map_leaves_unused_is_noted(tmp_path):
    from brandpulse.config import load_config

    def notes(sentiment):
        return load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"sentiment: {sentiment}\n")).language_notes()

    assert notes("{model: org/english-model, models: {en: bundled}}") == [
        'sentiment.model (org/english-model) is not used: sentiment.models names the model of each language; add it '
        'there (for example {en: ..., "*": ...}) or remove it']
    assert notes("{model: org/english-model, models: {en: org/english-model}}") == []
    assert notes("{model: org/english-model}") == []


def test_a_store_path_beside_a_store_url_is_noted_by_check_as_unused(tmp_path, invoke):
    from brandpulse.config import load_config

    def notes(store):
        return load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"store: {store}\n")).notes()

    both = notes("{path: acme.db, url: 'postgresql://db.internal/brandpulse'}")
    checked = invoke("--config", tmp_path / "c.yaml", "check")

    # Was: the URL silently won, and the operator looked for the mentions in acme.db.
    assert both == [f"store.path ({tmp_path / 'acme.db'}) is not used: store.url names the PostgreSQL store, "
                    "which wins; remove store.path (or store.url, to keep the SQLite file)"]
    assert f"Note: {both[0]}." in checked.stderr
    assert notes("{url: 'postgresql://db.internal/brandpulse'}") == notes("{path: acme.db}") == []


def test_a_language_key_that_is_shaped_like_a_code_but_is_none_is_refused(tmp_path):
    from brandpulse.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"sentiment.models: 'ge' is not an ISO 639-1 language code"):
        load_config(write_config(tmp_path / "c.yaml", MINIMAL + "sentiment: {models: {en: bundled, ge: x}}\n"))
    with pytest.raises(ConfigError, match=r"sentiment.default_language: 'xx' is not an ISO 639-1"):
        load_config(write_config(tmp_path / "c.yaml", MINIMAL + "sentiment: {default_language: xx}\n"))


def test_a_url_pasted_as_url_env_is_refused_without_being_quoted(tmp_path):
    from brandpulse.config import ConfigError, load_config

    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    text = MINIMAL + f"channels:\n  - {{name: support, url_env: '{url}'}}\n"

    with pytest.raises(ConfigError) as raised:
        load_config(write_config(tmp_path / "c.yaml", text))

    assert "channels.0.url_env: must name an environment variable (such as SLACK_WEBHOOK_URL)" in str(raised.value)
    assert "XXXXSECRET" not in str(raised.value)


@pytest.mark.parametrize("value", ["-5", "0", "15", "0.001", "true"])
def test_a_duration_written_without_its_unit_is_refused(tmp_path, value):
    from brandpulse.config import ConfigError, load_config

    # A bare -5 once scheduled a job that never ran while memory grew; a bare 15 read as seconds, not minutes.
    with pytest.raises(ConfigError, match=r"collectors.0.interval: .* is not a duration: write it with its unit"):
        load_config(write_config(tmp_path / "c.yaml",
                                 MINIMAL + f"collectors: [{{type: replay, interval: {value}}}]\n"))
    with pytest.raises(ConfigError, match=r"alerts.spike.bucket: .* is not a duration"):
        load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"alerts: {{spike: {{bucket: {value}}}}}\n"))


def test_a_key_given_twice_a_blank_keyword_and_a_malformed_address_are_refused(tmp_path):
    from brandpulse.config import ConfigError, load_config

    # PyYAML keeps the last of two keys silently: the operator may be reading the first `store:` block.
    with pytest.raises(ConfigError, match=r"not valid YAML at line 5, column 1: found the key 'store' twice in one mapping"):
        load_config(write_config(tmp_path / "c.yaml", MINIMAL + "store: {path: a.db}\nstore: {path: b.db}\n"))
    with pytest.raises(ConfigError) as raised:
        load_config(write_config(tmp_path / "c.yaml", "brands: [{name: A, keywords: [a, ' ']}]\n"
                                 "email: {sender: nobody, recipients: {alerts: ['Support <s@acme.test>', 'x y']}}\n"))
    assert "brands.0.keywords.1: must not be blank" in str(raised.value)
    assert "email.sender: 'nobody' is not an email address" in str(raised.value)
    assert "email.recipients.alerts.1: 'x y' is not an email address" in str(raised.value)
    assert "alerts.0" not in str(raised.value)  # a display name with its address is one


def test_a_model_written_as_a_path_is_found_beside_the_config_file_wherever_it_runs(tmp_path):
    from brandpulse.config import load_config

    folder = tmp_path / "deploy"
    (folder / "models" / "de").mkdir(parents=True)
    config = write_config(folder / "config.yaml", "brands: [{name: Acme, keywords: [acme]}]\n"
                          "sentiment: {models: {en: bundled, de: ./models/de, fr: models/de, nl: org/dutch-model}}\n")

    models = load_config(config).sentiment.models

    assert models["de"] == models["fr"] == str(folder / "models" / "de")
    assert (models["en"], models["nl"]) == ("bundled", "org/dutch-model")  # the bundled one and a Hugging Face id



@pytest.mark.parametrize("text, message", [
    ("email:\n  smtp:\n    password_env: Hunter2:S3CRET-PW: x\n",
     "at line 6, column 36: mapping values are not allowed here"),
    ("token: \"S3CRET-PW\n",
     "at line 5, column 1: found unexpected end of stream (while scanning a quoted scalar from line 4, column 8)"),
    ("password: *S3CRET-PW\n", "at line 4, column 11: found undefined alias '***'"),
])
def test_a_yaml_syntax_error_says_where_and_what_without_quoting_the_line(tmp_path, text, message):
    from brandpulse.config import ConfigError, load_config

    path = write_config(tmp_path / "c.yaml", MINIMAL + text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)

    # A token typed into the file would be shown back in the terminal and the service's journal.
    assert str(raised.value) == f"configuration file {path} is not valid YAML {message}"
    assert "S3CRET" not in str(raised.value)


@pytest.mark.parametrize("field", ["username_env", "password_env"])
def test_a_password_typed_as_an_smtp_variable_name_is_refused_without_being_quoted(tmp_path, field):
    from brandpulse.config import ConfigError, load_config

    text = MINIMAL + f"email: {{smtp: {{host: smtp.acme.test, {field}: 'Hunter2-s3cret!'}}}}\n"
    with pytest.raises(ConfigError) as raised:
        load_config(write_config(tmp_path / "c.yaml", text))

    assert f"email.smtp.{field}: must name an environment variable" in str(raised.value)
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize("cron", ["0 9 31 2 *", "0 9 30 2 *", "0 9 31 4,6,9,11 *"])
def test_a_digest_cron_that_never_fires_is_refused(tmp_path, cron):
    from brandpulse.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=rf"digest.cron: cron '{re.escape(cron)}' never fires: no date has its day"):
        load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"digest: {{cron: '{cron}'}}\n"))


@pytest.mark.parametrize("cron", ["0 9 29 2 *", "0 9 31 * *", "0 8 * * 1-5"])
def test_a_digest_cron_that_fires_rarely_is_accepted(tmp_path, cron):
    from brandpulse.config import load_config

    assert load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"digest: {{cron: '{cron}'}}\n")).digest.cron == cron


@pytest.mark.parametrize("name", ["''", "'   '", '"\\t"'])
def test_a_blank_brand_name_is_refused_naming_the_brand_entry(tmp_path, name):
    from brandpulse.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"brands.1.name: must not be blank"):
        load_config(write_config(tmp_path / "c.yaml", MINIMAL + f"  - {{name: {name}, keywords: [acme2]}}\n"))


@pytest.mark.parametrize("model", ["''", "'  '"])
def test_an_empty_sentiment_model_fails_at_launch_naming_the_key(tmp_path, invoke, model):
    path = write_config(tmp_path / "c.yaml", MINIMAL + f"sentiment:\n  model: {model}\n")

    result = invoke("--config", path, "classify", input="hello\n")

    assert result.exit_code == 2
    assert "sentiment.model: the model is empty; use 'bundled', a Hugging Face id or a path" in result.output


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_number_that_is_not_finite_is_refused_as_such(tmp_path, value):
    from brandpulse.config import ConfigError, load_config

    path = write_config(tmp_path / "c.yaml", MINIMAL + f"sentiment: {{confidence_threshold: {value}}}\n"
                        f"email: {{smtp: {{host: smtp.example.com, timeout: {value}}}}}\n")

    # Was: .nan refused as 'less than or equal to 1', .inf taken as a timeout that never ends.
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "sentiment.confidence_threshold: Input should be a finite number" in str(raised.value)
    assert "email.smtp.timeout: Input should be a finite number" in str(raised.value)


def test_a_collectors_language_of_no_iso_639_1_code_is_refused_at_load_and_by_check(tmp_path, invoke):
    from brandpulse.config import ConfigError, load_config

    play = "  - {type: googleplay, app_id: com.acme, lang: %s}\n"
    bad = write_config(tmp_path / "bad.yaml", _twitter("xx") + play % "qq_BR")
    other_play = play.replace("type", "name: gp2, type")
    good = write_config(tmp_path / "good.yaml", _twitter("iw") + play % "pt_BR" + other_play % "zh-TW")

    with pytest.raises(ConfigError) as refused:
        load_config(bad)
    result = invoke("--config", bad, "check")

    # Was: accepted, and 'lang:xx' went to Twitter's search and hl=qq_BR to Google Play.
    for shown in (str(refused.value), result.output):
        assert str(bad) in shown and "collectors.0.lang: 'xx' is not a language: use an ISO 639-1 code" in shown
        assert "collectors.1.lang: 'qq_BR' is not a language" in shown
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert [c.lang for c in load_config(good).collectors] == ["iw", "pt_BR", "zh-TW"]


def test_a_collectors_language_the_service_takes_by_three_letters_still_loads(tmp_path):
    from brandpulse.config import ConfigError, load_config

    play = "  - {name: gp%d, type: googleplay, app_id: com.acme, lang: %s}\n"
    path = write_config(tmp_path / "c.yaml", _twitter("ckb") + play % (1, "fil") + play % (2, "fil_PH"))

    # Was: 'fil' is not a language, every command refused, though Google Play reads hl=fil (Filipino) and Twitter
    # lang:ckb (Sorani Kurdish), and the config loaded before tags were checked.
    assert [c.lang for c in load_config(path).collectors] == ["ckb", "fil", "fil_PH"]
    with pytest.raises(ConfigError, match="'eng' is not a language"):
        load_config(write_config(tmp_path / "eng.yaml", _twitter("eng")))


def test_a_collector_naming_an_unknown_brand_is_named_by_its_place_in_the_file(tmp_path, invoke):
    path = write_config(tmp_path / "config.yaml", """
brands: [{name: Acme, keywords: [acme]}]
collectors:
  - {type: feed, name: reviews, url: "https://reviews.example/feed", source: reviews, brand: Acme}
  - {type: feed, name: forum, url: "https://forum.example/feed", source: forum, brand: Acmee}
""")

    result = invoke("--config", path, "check")

    # Was: '(top level): collector forum names unknown brand(s): Acmee'.
    assert result.exit_code == 2
    assert result.output.splitlines()[1] == "  collectors.1: collector forum names unknown brand(s): Acmee"


@pytest.mark.parametrize("collector, said", [
    ('{type: appstore, app_id: "id1234567890"}',
     "'id1234567890' is not an App Store app id: write its digits, 1234567890"),
    ('{type: appstore, app_id: "https://apps.apple.com/us/app/pinebrook/id1234567890"}',
     "is not an App Store app id: write its digits, 1234567890"),
    ('{type: googleplay, app_id: "https://play.google.com/store/apps/details?id=com.pinebrook.app&hl=en"}',
     "is not a Google Play app id: write the id= of its address, com.pinebrook.app"),
    ('{type: googleplay, app_id: "com.pinebrook.app "}',
     "'com.pinebrook.app ' is not a Google Play app id (the id= of its Play Store address, such as com.pinebrook.app)"),
], ids=["appstore-id-prefix", "appstore-address", "googleplay-address", "googleplay-space"])
def test_an_app_id_copied_from_the_stores_address_is_refused_saying_what_to_write(tmp_path, invoke, collector, said):
    path = write_config(tmp_path / "c.yaml", MINIMAL + f"collectors:\n  - {collector}\n")

    result = invoke("--config", path, "check")

    # Was: "String should match pattern '^\d+$'" for the App Store; Google Play's sent to Google as the app's id.
    assert result.exit_code == 2 and "collectors.0.app_id: '" in result.output and said in result.output


def test_an_app_store_id_written_as_a_number_is_read_as_its_digits(tmp_path):
    from brandpulse.config import load_config

    path = write_config(tmp_path / "c.yaml", MINIMAL + "collectors:\n  - {type: appstore, app_id: 1234567890}\n")

    # Was: "collectors.0.app_id: Input should be a valid string", YAML reading the unquoted digits as a number.
    assert load_config(path).collectors[0].app_id == "1234567890"


@pytest.mark.parametrize("section, line, hint", [
    ("email:\n  sender: a@acme.test\n  smtp:\n    host: mail.acme.test\n", "    password: hunter2-S3CRET\n",
     "email.smtp.password: unknown key: the SMTP password never goes in the config file; delete this line and set it "
     "in the environment variable BRANDPULSE_SMTP_PASSWORD (or write password_env: NAME to read it from another one)"),
    ("email:\n  smtp:\n    host: mail.acme.test\n    password_env: MAIL_PW\n", "    token: hunter2-S3CRET\n",
     "email.smtp.token: unknown key: the SMTP password never goes in the config file; delete this line and set it in "
     "the environment variable MAIL_PW (or write password_env: NAME to read it from another one)"),
    ("channels:\n  - name: support\n", "    url: https://hooks.slack.com/services/T0/B0/hunter2-S3CRET\n",
     "channels.0.url: unknown key: a channel's URL holds its token and never goes in the config file; delete this "
     "line, write url_env: SLACK_WEBHOOK_URL and set that environment variable to the apprise URL"),
    ("channels:\n  - name: support\n    url_env: SUPPORT_CHAT\n", "    token: hunter2-S3CRET\n",
     "channels.0.token: unknown key: a channel's URL holds its token and never goes in the config file; delete this "
     "line, write url_env: SUPPORT_CHAT and set that environment variable to the apprise URL"),
    ("collectors:\n  - type: twitter\n", "    bearer_token: hunter2-S3CRET\n",
     "collectors.0.bearer_token: unknown key: twitter's credentials never go in the config file; delete this line and "
     "set the environment variable TWITTER_BEARER_TOKEN"),
])
def test_a_secret_written_in_the_config_says_which_variable_to_set_and_never_quotes_it(tmp_path, invoke, section,
                                                                                       line, hint):
    path = write_config(tmp_path / "c.yaml", MINIMAL + section + line)

    result = invoke("--config", path, "status")

    # Was: 'email.smtp.password: unknown key', saying nothing of password_env or the variable to set.
    assert result.exit_code == 2 and hint in result.output, result.output
    assert "hunter2" not in result.output and "S3CRET" not in result.output


@pytest.mark.parametrize("given, said", [
    ("coffee/beans", "write each word as its own item ([coffee, beans]) or join them (coffeebeans)"),
    ("pine brook", "write each word as its own item ([pine, brook]) or join them (pinebrook)"),
    ("''", "delete the empty item, or the key, to follow the brand's one-word keywords"),
    ("'2026'", "not digits alone"),
])
def test_a_mastodon_hashtag_that_names_no_tag_is_refused_at_start_up_naming_its_key_and_what_to_write(tmp_path,
                                                                                                   given, said):
    from brandpulse.config import ConfigError, load_config
    path = write_config(tmp_path / "c.yaml",
                        MINIMAL + f"collectors:\n  - type: mastodon\n    hashtags: [acme, {given}]\n")

    # Was accepted, and went into the timeline's address as written (/api/v1/timelines/tag/coffee/beans).
    with pytest.raises(ConfigError, match=r"collectors\.0\.hashtags\.1: '.*' is not a Mastodon hashtag") as raised:
        load_config(path)
    assert said in str(raised.value)


def test_a_mastodon_hashtag_written_with_its_hash_or_in_another_script_is_followed_as_mastodon_reads_it(tmp_path):
    from brandpulse.config import load_config
    path = write_config(tmp_path / "c.yaml", MINIMAL + "collectors:\n  - type: mastodon\n"
                        "    hashtags: ['#acme', café, 'cafe\u0301', 日本]\n")

    assert load_config(path).collectors[0].hashtags == ["acme", "café", "日本"]


@pytest.mark.parametrize("written, followed", [
    ("[Coffee, coffee, '#COFFEE', acme]", ["Coffee", "acme"]),
    ("['caf\u00e9', 'cafe\u0301', 'CAFE\u0301']", ["café"]),  # composed, decomposed, upper case: one tag
])
def test_mastodon_hashtags_that_are_one_tag_once_normalised_are_followed_once_by_their_first_spelling(tmp_path,
                                                                                                   written, followed):
    from brandpulse.config import load_config
    path = write_config(tmp_path / "c.yaml", MINIMAL + f"collectors:\n  - type: mastodon\n    hashtags: {written}\n")

    # Was: each spelling kept, the same timeline read once for each.
    config = load_config(path)
    assert config.collectors[0].hashtags == followed and config.notes() == []


def test_mastodon_hashtags_written_as_one_string_follow_that_tag(tmp_path):
    from brandpulse.config import ConfigError, load_config
    path = write_config(tmp_path / "c.yaml", MINIMAL + "collectors:\n  - type: mastodon\n    hashtags: '#coffee'\n")
    two = write_config(tmp_path / "two.yaml", MINIMAL + "collectors:\n  - type: mastodon\n    hashtags: coffee, tea\n")

    # Was: 'collectors.0.hashtags: Input should be a valid list'.
    assert load_config(path).collectors[0].hashtags == ["coffee"]
    with pytest.raises(ConfigError, match=r"collectors\.0\.hashtags\.0: 'coffee, tea' is not a Mastodon hashtag .*"
                                          r"write each word as its own item \(\[coffee, tea\]\)"):
        load_config(two)


def test_a_mastodon_instance_written_as_a_page_of_the_server_is_refused_saying_its_address(tmp_path):
    from brandpulse.config import ConfigError, load_config
    path = write_config(tmp_path / "c.yaml", MINIMAL + "collectors:\n  - type: mastodon\n"
                        "    instance: https://mastodon.social/@pinebrook\n")

    # Was accepted: the timelines were asked at https://mastodon.social/@pinebrook/api/v1/timelines/tag/acme (404).
    with pytest.raises(ConfigError, match=re.escape(
            "collectors.0.instance: 'https://mastodon.social/@pinebrook' is a page of a server, not its address: "
            "write https://mastodon.social")):
        load_config(path)
    fine = write_config(tmp_path / "f.yaml", MINIMAL + "collectors:\n  - type: mastodon\n"
                        "    instance: https://mastodon.social/\n")
    assert load_config(fine).collectors[0].instance == "https://mastodon.social/"


@pytest.mark.parametrize(("url", "says"), [
    ("https://exa mple.com/feed", "its host 'exa mple.com' holds a space, which no host name does"),
    ("https://forum.example.com:99999/feed", "is not a URL that can be fetched: Port out of range 0-65535"),
    ("http://[::1/feed", "is not a URL that can be fetched: Invalid IPv6 URL"),
    ("https://forum..example.com/feed", "its host 'forum..example.com' holds an empty label"),
    ("https:///feed", "names no host; write it as https://host/path"),
])
def test_a_feed_url_no_request_can_be_sent_to_is_refused_at_load_naming_its_key_and_fault(tmp_path, url, says):
    from brandpulse.config import ConfigError, load_config

    path = write_config(tmp_path / "c.yaml", MINIMAL + f"collectors:\n  - type: feed\n    url: '{url}'\n")

    # Was: loaded, then every run failed with urllib3's "Failed to parse: Host 'exa mple.com' contains invalid ...".
    with pytest.raises(ConfigError, match=rf"collectors\.0\.url: {re.escape(says)}"):
        load_config(path)


def test_feed_urls_a_request_can_be_sent_to_load_as_written(tmp_path):
    from brandpulse.config import load_config

    urls = ["https://forum.example.com/my feed.rss?page=1", "http://[::1]:8080/feed", "https://bücher.example/feed"]
    text = MINIMAL + "collectors:\n" + "".join(f"  - type: feed\n    name: f{i}\n    url: '{url}'\n"
                                               for i, url in enumerate(urls))

    assert [item.url for item in load_config(write_config(tmp_path / "c.yaml", text)).collectors] == urls


@pytest.mark.parametrize(("collector", "says"), [
    ("{type: googleplay, app_id: com.acme.app, country: USA}",
     "collectors.0.country: 'USA' is not a country code the stores take: write us"),
    ("{type: googleplay, app_id: com.acme.app, country: uk}",
     "collectors.0.country: 'uk' is not a country code the stores take: write gb"),
    ("{type: appstore, app_id: '123', country: xx}",
     "collectors.0.country: 'xx' is not a country code the stores take (the two letters of its ISO 3166-1 alpha-2 "
     "code, such as us, gb or de)"),
    ("{type: googleplay, app_id: com.acme.app, lang: en-USA}",
     "collectors.0.lang: 'en-USA': 'USA' is not a region Google Play takes; write en-US, or en alone"),
])
def test_a_store_country_or_language_region_no_store_takes_is_refused_at_load_saying_what_to_write(
        tmp_path, collector, says):
    from brandpulse.config import ConfigError, load_config

    path = write_config(tmp_path / "c.yaml", MINIMAL + f"collectors:\n  - {collector}\n")

    # Was: loaded ('USA' sent to Google as gl=USA, which answered for no country; the App Store's 'xx' too).
    with pytest.raises(ConfigError, match=re.escape(says)):
        load_config(path)


def test_store_countries_load_in_either_case_and_regional_languages_as_written(tmp_path):
    from brandpulse.config import load_config

    text = MINIMAL + ("collectors:\n  - {type: appstore, app_id: '123', country: GB}\n"
                      "  - {type: googleplay, app_id: com.acme.app, lang: es-419, country: MX}\n"
                      "  - {type: googleplay, name: tw, app_id: com.acme.app, lang: zh_Hant-TW, country: tw}\n")

    loaded = load_config(write_config(tmp_path / "c.yaml", text)).collectors

    assert [(item.country, getattr(item, "lang", None)) for item in loaded] == [
        ("gb", None), ("mx", "es-419"), ("tw", "zh_Hant-TW")]


@pytest.mark.parametrize("line", ["    url: https://hooks.slack.com/services/T0/B0/hunter2-S3CRET\n",
                                  "    webhook_url: https://hooks.slack.com/services/T0/B0/hunter2-S3CRET\n"])
def test_a_channel_url_written_in_place_of_url_env_gives_the_hint_alone(tmp_path, invoke, line):
    path = write_config(tmp_path / "c.yaml", MINIMAL + "channels:\n  - name: support\n" + line)

    result = invoke("--config", path, "status")

    # Was: a 'channels.0.url_env: Field required' line too, beside the hint that says to write url_env.
    assert result.exit_code == 2 and "write url_env: SLACK_WEBHOOK_URL" in result.output, result.output
    assert "url_env: Field required" not in result.output and "hunter2" not in result.output


def test_list_keys_of_names_written_as_one_string_read_as_that_one_item(tmp_path):
    from brandpulse.config import load_config
    path = write_config(tmp_path / "c.yaml", "brands:\n  - name: Acme\n    keywords: acme\n    exclusions: acme wile\n"
                        "    own_accounts: AcmeHelp\n"
                        "    recipients: {alerts: ops@acme.example, digest: ceo@acme.example}\n"
                        "email:\n  recipients: {alerts: ops@example.com}\n"
                        "collectors:\n  - type: reddit\n    subreddits: r/coffee\n"
                        "channels:\n  - name: chat\n    url_env: CHAT_URL\n    kinds: digest\n    brands: Acme\n")

    # Was: 'brands.0.keywords: Input should be a valid list', and so for each key.
    config = load_config(path)
    brand, channel = config.brands[0], config.channels[0]
    assert (brand.keywords, brand.exclusions, brand.own_accounts) == (["acme"], ["acme wile"], ["AcmeHelp"])
    assert (brand.recipients.alerts, brand.recipients.digest) == (["ops@acme.example"], ["ceo@acme.example"])
    assert config.email.recipients.alerts == ["ops@example.com"] and config.collectors[0].subreddits == ["coffee"]
    assert (channel.kinds, channel.brands) == (["digest"], ["Acme"])


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("keywords", "acme, acme corp", r"brands\.0\.keywords: 'acme, acme corp' is one string holding a comma: write the "
                                    r"list, \[acme, acme corp\] for several, or \['acme, acme corp'\] for one"),
    ("exclusions", "wile, coyote", r"brands\.0\.exclusions: 'wile, coyote' is one string holding a comma"),
    ("own_accounts", "AcmeHelp, AcmeCare", r"brands\.0\.own_accounts: 'AcmeHelp, AcmeCare' is one string holding"),
    ("recipients", "{alerts: 'a@acme.example, b@acme.example'}",
     r"brands\.0\.recipients\.alerts\.0: 'a@acme.example, b@acme.example' holds 2 email addresses: write each as its "
     r"own item \(\[a@acme\.example, b@acme\.example\]\)"),
])
def test_a_lone_string_of_several_items_is_refused_saying_to_write_the_list(tmp_path, key, value, expected):
    from brandpulse.config import ConfigError, load_config
    keywords = "" if key == "keywords" else "    keywords: [acme]\n"
    path = write_config(tmp_path / "c.yaml", f"brands:\n  - name: Acme\n{keywords}    {key}: {value}\n")

    with pytest.raises(ConfigError, match=expected):
        load_config(path)


def test_a_channels_kinds_written_as_one_string_with_a_comma_is_refused_saying_to_write_the_list(tmp_path):
    from brandpulse.config import ConfigError, load_config
    path = write_config(tmp_path / "c.yaml", "brands:\n  - name: Acme\n    keywords: [acme]\n"
                        "channels:\n  - name: chat\n    url_env: CHAT_URL\n    kinds: 'alerts, digest'\n")

    # Was: "channels.0.kinds.0: Input should be 'alerts', 'health' or 'digest'", naming no list to write.
    with pytest.raises(ConfigError, match=r"channels\.0\.kinds: 'alerts, digest' is one string holding a comma: "
                                          r"write the list, \[alerts, digest\]"):
        load_config(path)


def test_an_item_holding_a_comma_in_a_list_stays_one_item(tmp_path):
    from brandpulse.config import load_config
    path = write_config(tmp_path / "c.yaml", "brands:\n  - name: Acme\n    keywords: ['Acme, Inc.']\n"
                        "    recipients: {alerts: ['\"Doe, Jane\" <jane@acme.example>']}\n")

    brand = load_config(path).brands[0]
    assert brand.keywords == ["Acme, Inc."] and brand.recipients.alerts == ['"Doe, Jane" <jane@acme.example>']
