from brandpulse.alerts.base import Bucket
from brandpulse.alerts.emails import alert_email
from brandpulse.alerts.spike import SpikeRule, detect_spikes
from tests.alert_streams import HOUR, START


def _storm_of(detractors):
    quiet = [Bucket(START + i * HOUR, 3, 1) for i in range(72)]
    (alert,), _ = detect_spikes("Acme", [*quiet, Bucket(START + 72 * HOUR, detractors + 100, detractors)],
                                START + 72 * HOUR, HOUR, SpikeRule(), None)
    return alert


def test_the_guards_of_a_storm_of_thousands_show_whole_numbers_not_scientific_notation():
    message = alert_email(_storm_of(3000), "bp@example.com", ["support@example.com"], [])

    for kind in ("plain", "html"):
        body = message.get_body((kind,)).get_content()
        assert "min_count: 3000 (required 6)" in body and "min_ratio: 3000 (required 2.0)" in body
        assert "min_share: 0.968 (required 0.4)" in body and "e+0" not in body
