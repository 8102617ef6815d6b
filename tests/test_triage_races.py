import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.alerts.base import Alert
from brandpulse.store import open_db, transaction
from brandpulse.store import alerts as store_alerts
from brandpulse.store import triage as store_triage
from tests.store_seed import mention, seed

NOW = datetime(2026, 3, 6, 15, 30, tzinfo=timezone.utc)
LATER = NOW + timedelta(minutes=1)


def _spike(hour):
    start = NOW - timedelta(hours=hour)
    return Alert("spike", "Pinebrook Coffee", start, start + timedelta(hours=1), 40, 5, 20, 4.0, "detractor spike")


def _storm(url):
    """A storm of two alerts (the first and an update); returns their ids."""
    db = open_db(url)
    with transaction(db):
        first = store_alerts.record_alert(db, _spike(2), NOW)
        update = store_alerts.record_alert(db, _spike(1), NOW, storm_id=first)
    db.close()
    return first, update


class Rival(threading.Thread):
    """`work(db)` in its own transaction on its own connection, beside the test's open transaction."""

    def __init__(self, url, work):
        super().__init__(daemon=True)
        self.db, self.work, self.result, self.error = open_db(url), work, None, None
        self.pid = self.db.execute("SELECT pg_backend_pid()").fetchone()[0]

    def run(self):
        try:
            with transaction(self.db):
                self.result = self.work(self.db)
        except Exception as exc:  # noqa: BLE001 - handed to the test, which shows it
            self.error = exc

    def waits_or_ends(self, watcher):
        """Whether the rival is done or waits on a lock the test's transaction holds (within ten seconds)."""
        for _ in range(1000):
            row = watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = ?", [self.pid]).fetchone()
            if not self.is_alive() or (row and row[0] == "Lock"):
                return True
            time.sleep(0.01)  # a real server's lock queue: nothing to inject, only to watch
        return False

    def finish(self):
        self.join(10)
        self.db.close()
        if self.error:
            raise self.error
        return self.result


def _race(url, first, second, then=None):
    """`first(db)` holds its transaction open while `second` runs on another connection, then `then(db)` runs in
    that transaction if given; then both finish."""
    db, watcher = open_db(url), open_db(url)
    rival = Rival(url, second)
    with transaction(db):
        mine = first(db)
        rival.start()
        assert rival.waits_or_ends(watcher)
        if then:
            mine += then(db)
    theirs = rival.finish()
    watcher.close()
    db.close()
    return mine, theirs


@pytest.mark.parametrize("which", ["the same alert", "another alert of the storm"])
def test_two_people_acknowledging_one_storm_at_once_leave_one_owner_and_the_other_is_told(pg_url, which):
    first, update = _storm(pg_url)
    theirs_id = first if which == "the same alert" else update

    mine, theirs = _race(pg_url, lambda db: store_triage.acknowledge(db, first, "dana", None, NOW),
                         lambda db: store_triage.acknowledge(db, theirs_id, "sam", "on it", LATER))

    assert mine["acked_by"] == "dana"
    assert (theirs["acked_by"], theirs["acked_at"]) == ("dana", "2026-03-06T15:30:00Z")
    db = open_db(pg_url)
    acked = db.execute("SELECT id, acked_by, ack_note FROM alerts WHERE acked_at IS NOT NULL").fetchall()
    assert [tuple(row) for row in acked] == [(first, "dana", None)]
    assert store_triage.storm_acknowledgement(db, first) == "dana"
    db.close()


def _posts(url, count):
    return seed(url, [mention(i, f"refund please #{i}", NOW - timedelta(minutes=i), "negative")
                      for i in range(1, count + 1)], now=NOW)


def test_two_people_marking_one_post_at_once_mark_it_once_and_the_other_is_told(pg_url):
    _posts(pg_url, 2)

    mine, theirs = _race(pg_url, lambda db: store_triage.mark_answered(db, [1], "dana", NOW),
                         lambda db: store_triage.mark_answered(db, [2, 1], "sam", LATER))

    assert mine == [store_triage.Answer(1, "dana", "2026-03-06T15:30:00Z", True)]
    assert theirs == [store_triage.Answer(2, "sam", "2026-03-06T15:31:00Z", True),
                      store_triage.Answer(1, "dana", "2026-03-06T15:30:00Z", False)]


def test_two_people_marking_overlapping_lists_in_other_orders_at_once_both_finish(pg_url):
    # One transaction marks 1 then 2 (as `answered 1 2` does), the other 2 then 1: row locks taken in the orders typed
    # wait on each other, a deadlock PostgreSQL ends by failing one of the two commands.
    _posts(pg_url, 2)

    mine, theirs = _race(pg_url, lambda db: store_triage.mark_answered(db, [1], "dana", NOW),
                         lambda db: store_triage.mark_answered(db, [2, 1], "sam", LATER),
                         then=lambda db: store_triage.mark_answered(db, [2], "dana", NOW))

    assert [a.changed for a in mine] == [True, True] and [a.changed for a in theirs] == [False, False]
    assert {a.answered_by for a in theirs} == {"dana"}


def test_an_undo_while_someone_marks_the_post_clears_the_mark_it_reports(pg_url):
    _posts(pg_url, 1)

    mine, theirs = _race(pg_url, lambda db: store_triage.mark_answered(db, [1], "dana", NOW),
                         lambda db: store_triage.unmark_answered(db, [1]))

    assert mine[0].changed
    assert theirs == [store_triage.Answer(1, "dana", "2026-03-06T15:30:00Z", True)]


def _lift(db, silence_id, by, now):
    """What lifting the silence says: None when it did, the error otherwise."""
    try:
        store_triage.lift_silence(db, silence_id, by, now)
    except store_triage.TriageError as exc:
        return [str(exc)]
    return [None]


def test_two_people_lifting_one_silence_at_once_leave_the_first_on_record_and_the_other_is_told(pg_url):
    db = open_db(pg_url)
    with transaction(db):
        silence = store_triage.add_silence(db, "Pinebrook Coffee", "dana", NOW + timedelta(hours=2), None, NOW)
    db.close()

    mine, theirs = _race(pg_url, lambda db: _lift(db, silence, "dana", NOW),
                         lambda db: _lift(db, silence, "sam", LATER))

    assert mine == [None]
    assert theirs == [f"silence {silence} was already lifted by dana at 2026-03-06T15:30:00Z"]
    db = open_db(pg_url)
    assert [tuple(r) for r in db.execute("SELECT lifted_by, lifted_at FROM silences").fetchall()] == [
        ("dana", "2026-03-06T15:30:00Z")]
    db.close()
