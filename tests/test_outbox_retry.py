from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.store import open_db
from brandpulse.store import outbox as store_outbox
from brandpulse.store.retention import prune_message_bodies

NOW = datetime(2026, 3, 9, 9, tzinfo=timezone.utc)


def test_all_requeues_the_messages_given_up_whose_body_is_kept_and_names_a_pruned_one_on_both_backends(store_target):
    db = open_db(store_target)
    ids = [store_outbox.enqueue(db, "alert", "Acme", f"m{n}", ["a@acme.test"], b"body", NOW + timedelta(days=n))
           for n in range(3)]
    for item_id in ids[:2]:
        store_outbox.mark_failed(db, item_id, "550 no such mailbox", None)  # given up
    prune_message_bodies(db, NOW + timedelta(hours=1))  # the oldest one's body is emptied by retention

    with pytest.raises(store_outbox.OutboxError, match=f"message {ids[0]} was pruned .*; nothing was queued again"):
        store_outbox.requeue(db, [ids[1], ids[0]], NOW)
    queued = store_outbox.requeue(db, None, NOW + timedelta(days=3))

    rows = db.execute("SELECT status, attempts, next_attempt_at FROM outbox ORDER BY id").fetchall()
    assert queued == [ids[1]]
    assert [tuple(r) for r in rows] == [("failed", 1, "2026-03-09T09:00:00Z"), ("pending", 0, "2026-03-12T09:00:00Z"),
                                        ("pending", 0, "2026-03-11T09:00:00Z")]
    db.close()


def test_a_message_deferred_for_some_recipients_is_copied_for_them_alone_on_both_backends(store_target):
    db = open_db(store_target)
    first = store_outbox.enqueue(db, "digest", "Acme", "Digest", ["a@acme.test", "b@acme.test"], b"body", NOW)
    store_outbox.mark_sent(db, first, "SMTP x (refused: b@acme.test)", NOW)
    later = store_outbox.defer_recipients(db, first, ["b@acme.test"], "452 mailbox full", NOW + timedelta(minutes=1),
                                          NOW)
    last = store_outbox.defer_recipients(db, later, ["b@acme.test"], "452 mailbox full", None, NOW)  # out of attempts

    rows = db.execute("SELECT id, kind, brand, recipients, status, attempts, next_attempt_at, last_error, "
                      "length(message) FROM outbox ORDER BY id").fetchall()
    assert [tuple(r)[1:] for r in rows] == [
        ("digest", "Acme", '["a@acme.test", "b@acme.test"]', "sent", 1, "2026-03-09T09:00:00Z", None, 4),
        ("digest", "Acme", '["b@acme.test"]', "pending", 1, "2026-03-09T09:01:00Z", "452 mailbox full", 4),
        ("digest", "Acme", '["b@acme.test"]', "failed", 1, "2026-03-09T09:00:00Z", "452 mailbox full", 4)]
    assert [r[0] for r in rows][1:] == [later, last]
    assert [m.recipients for m in store_outbox.due(db, NOW + timedelta(minutes=1))] == [["b@acme.test"]]
    assert [m["id"] for m in store_outbox.given_up(db)] == [last]
    db.close()


def test_a_chat_channel_with_a_new_message_due_has_its_older_ones_due_first_on_both_backends(store_target):
    db = open_db(store_target)
    alert = store_outbox.enqueue(db, "alert", "Acme", "spike", [], b"a", NOW, channel="support")
    email = store_outbox.enqueue(db, "alert", "Acme", "spike", ["a@acme.test"], b"e", NOW)
    other = store_outbox.enqueue(db, "alert", "Acme", "spike", [], b"o", NOW, channel="other")
    for item_id in (alert, email, other):
        store_outbox.mark_failed(db, item_id, "503", NOW + timedelta(minutes=15))  # each waiting for its retry
    update = store_outbox.enqueue(db, "alert", "Acme", "growing", [], b"u", NOW + timedelta(minutes=1),
                                  channel="support")

    with store_outbox.claim_due(db, NOW + timedelta(minutes=1)) as items:
        claimed = [item.id for item in items]

    # The email and the other channel keep their backoff; the support channel's alert goes before its update.
    assert claimed == [alert, update]
    db.close()


def test_retrying_names_each_channels_messages_waiting_after_failing_and_the_newest_error_on_both_backends(
        store_target):
    db = open_db(store_target)
    first, second, _never_tried, chat = (
        store_outbox.enqueue(db, "alert", "Acme", f"m{n}", ["a@acme.test"], b"body", NOW, channel=channel)
        for n, channel in enumerate(("email", "email", "email", "support")))
    store_outbox.mark_failed(db, first, "connection refused", NOW + timedelta(minutes=4))
    store_outbox.mark_failed(db, second, "535 login refused", NOW + timedelta(minutes=1))
    store_outbox.mark_failed(db, chat, "503", None)  # given up: `outbox list` shows it

    assert store_outbox.retrying(db) == {"email": {"waiting": 2, "next_at": "2026-03-09T09:01:00Z",
                                                   "last_error": "535 login refused"}}
    db.close()
