import json
from datetime import datetime, timedelta, timezone

from brandpulse.store import open_db, transaction
from brandpulse.store import outbox as store_outbox
from tests.conftest import write_config

AT = datetime(2026, 3, 6, 14, tzinfo=timezone.utc)
CONFIG = "brands: [{name: Acme, keywords: [acme]}]\ncollectors: []\n"


def _store(tmp_path, failed: int = 0, retrying: int = 0, untried: int = 0) -> tuple[list[str], list[int]]:
    """A store holding messages given up (`failed`), waiting for a retry after failing, and never tried; the CLI's
    arguments on it and the messages' ids in that order."""
    tmp_path.mkdir(exist_ok=True)
    config = write_config(tmp_path / "c.yaml", CONFIG)
    db, ids = open_db(tmp_path / "b.db"), []
    with transaction(db):
        for number in range(failed + retrying + untried):
            ids.append(store_outbox.enqueue(db, "alert", "Acme", f"m{number}", ["a@acme.test"], b"body", AT))
            if number < failed + retrying:
                store_outbox.mark_failed(db, ids[-1], "451 try later", None if number < failed else AT + timedelta(1))
    db.close()
    return ["--config", str(config), "--db", str(tmp_path / "b.db")], ids


def test_outbox_list_with_nothing_given_up_says_so_and_how_many_are_queued_and_retried(tmp_path, invoke):
    empty, _ = _store(tmp_path / "empty")
    queued, _ = _store(tmp_path / "queued", retrying=1, untried=2)

    nothing, waiting = invoke(*empty, "outbox", "list"), invoke(*queued, "outbox", "list")

    # Was: the table's header alone, as if the listing had been cut short.
    assert (nothing.exit_code, nothing.stdout) == (0, "No message given up, and none waits to be sent.\n")
    assert waiting.exit_code == 0 and waiting.stdout.startswith(
        "No message given up; 3 message(s) queued to be sent, 1 of them waiting for a retry after a failed attempt "
        "(`brandpulse status` says why;")
    # Programs still get the format they asked for.
    assert json.loads(invoke(*queued, "outbox", "list", "--format", "json").stdout) == []
    assert invoke(*queued, "outbox", "list", "--format", "csv").stdout.startswith("id,kind,brand,")


def test_outbox_retry_of_a_message_never_tried_says_it_is_already_queued_not_queued_again(tmp_path, invoke):
    cli, (given_up, untried) = _store(tmp_path, failed=1, untried=1)

    alone = invoke(*cli, "outbox", "retry", str(untried))
    both = invoke(*cli, "outbox", "retry", str(untried), str(given_up))

    # Was: '1 message(s) queued again: 2', as if it had failed and been given another chance.
    assert alone.exit_code == 0 and alone.stdout.startswith(
        f"1 message(s) already queued and not tried yet: {untried}, sent at the next delivery; the service's deliver")
    assert both.stdout.startswith(f"1 message(s) queued again: {given_up}; 1 message(s) already queued and not tried "
                                  f"yet: {untried}, sent at the next delivery;")
