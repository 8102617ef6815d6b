"""Volume alerts for mentions no model scores: a storm written in a language without a model.

Such mentions are in no detractor count (`store.alerts.bucket_counts` leaves them out: they are no evidence of
sentiment), so a storm written entirely in, say, Hindi raised no spike alert and support never saw it. Their volume
per language is tested as the spike rule tests detractors: the same expected count for the hour of the day and the
weekday (`spike.baseline`), the same Poisson tail, minimum count and ratio, warm-up and storm grouping; the share
guard does not apply (no detractor share is known of them). The alert is a `spike` alert (the store's kinds are
spike and health) whose `details.unscored_lang` names the language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from brandpulse.alerts.base import Alert, Bucket
from brandpulse.alerts.evidence import TOP_GROUPS, TOP_THEMES, listed_groups, themes_by_count
from brandpulse.alerts.neardup import GROUPS_COUNTED, SIMILAR_IDS, largest_groups
from brandpulse.alerts.spike import (SeriesIndex, SpikeRule, Storm, baseline, describe_width, detect_storms,
                                     poisson_upper_tail)
from brandpulse.alerts.themes import themes

# English names of the languages mentions are most often tagged or detected in; another code is shown as it is.
LANGUAGE_NAMES = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian", "bg": "Bulgarian",
    "bn": "Bengali", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque",
    "fa": "Persian", "fi": "Finnish", "fr": "French", "ga": "Irish", "gl": "Galician", "gu": "Gujarati",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lb":
    "Luxembourgish", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese", "nb": "Norwegian Bokmål",
    "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "or": "Odia", "pa": "Punjabi",
    "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "xh": "Xhosa", "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu",
}
# The language of an unscored mention stored without one.
NO_LANGUAGE = "und"
# The share guard is the spike rule's only one that needs a scored count: left out, false alerts of a count alone
# rise; a smaller p-value takes them back down (bench/alerts.py: the spike rule's false alerts, measured beside it).
MAX_P_VALUE = 1e-4


def language_name(code: str | None) -> str:
    """`Hindi` for `hi`; a code without a name as `language 'xx'`, none as `an undetected language`."""
    if not code or code == NO_LANGUAGE:
        return "an undetected language"
    return LANGUAGE_NAMES.get(code, f"language '{code}'")


def volume_rule(rule: SpikeRule) -> SpikeRule:
    """The spike rule as unscored volume is tested: no share guard, and a p-value at most `MAX_P_VALUE`."""
    return replace(rule, min_share=0.0, max_p_value=min(rule.max_p_value, MAX_P_VALUE))


def check_unscored(brand: str, lang: str, index: SeriesIndex, bucket: Bucket, width: timedelta,
                   rule: SpikeRule) -> Alert | None:
    """An alert when `bucket`'s unscored mentions in `lang` (its `detractors`) are a spike against `index`."""
    base = baseline(index, bucket.start, rule)
    if base is None:
        return None
    observed, expected = bucket.detractors, base.expected
    p_value = poisson_upper_tail(observed, expected)
    threshold = max(float(rule.min_count), rule.min_ratio * expected)
    if observed < threshold or p_value > rule.max_p_value:
        return None
    name = language_name(lang)
    guards = {
        "min_count": {"required": rule.min_count, "observed": observed},
        "min_ratio": {"required": rule.min_ratio, "observed": round(observed / expected, 2)},
        "p_value": {"required": rule.max_p_value, "observed": p_value},
        "warmup_days": {"required": rule.warmup_days, "observed": base.history_days},
    }
    reason = (f"{observed} mentions in {name} that are not scored in {describe_width(width)} against {expected:.1f} "
              f"expected at this hour and weekday (threshold {threshold:.1f}, p={p_value:.2g}): no model reads "
              f"{name}, so no detractor count holds them")
    return Alert(
        kind="spike", brand=brand, window_start=bucket.start, window_end=bucket.start + width,
        observed=float(observed), expected=round(expected, 3), threshold=round(threshold, 3), score=p_value,
        reason=reason,
        details={"unscored_lang": lang, "language": name, "p_value": p_value,
                 "weekday_factor": round(base.weekday_factor, 3), "guards": guards, "bucket": describe_width(width)},
    )


def detect_unscored(
    brand: str, lang: str, buckets: Sequence[Bucket], evaluate_from: datetime, width: timedelta, rule: SpikeRule,
    storm: Storm | None, zone: tzinfo = timezone.utc,
) -> tuple[list[Alert], Storm | None]:
    """Unscored-volume alerts of `lang` for the buckets from `evaluate_from` on (`rule` as `volume_rule` makes it),
    grouped into storms as spikes are, and the storm state to carry on."""
    return detect_storms(buckets, evaluate_from, rule, storm, SeriesIndex(buckets, zone, width),
                         lambda index, bucket: check_unscored(brand, lang, index, bucket, width, rule))


def is_unscored(alert: Alert | Mapping[str, Any]) -> bool:
    """Whether a (stored) alert is an unscored-volume alert."""
    details = alert.details if isinstance(alert, Alert) else alert.get("details") or {}
    return bool(details.get("unscored_lang"))


def unscored_evidence(window: Sequence[Mapping[str, Any]], baseline_texts: Sequence[str], keywords: Iterable[str],
                      top: int = TOP_GROUPS, limit: int = TOP_THEMES) -> dict[str, Any]:
    """`themes` (against the same language's unscored texts of the baseline period; by count, `themes_by_count`),
    `top_mentions` (one per
    near-duplicate group, largest first, with `similar`; the `top` first, as a spike's email lists them) and
    `unlisted` (the posts and groups left out, as `spike_evidence` counts them) of a window's unscored mentions of one
    language."""
    found = themes([m.get("text") or "" for m in window], baseline_texts, keywords, limit)
    largest, unlisted = listed_groups(window, largest_groups(window, GROUPS_COUNTED, ids=SIMILAR_IDS), top)
    return {"themes": themes_by_count(t.as_dict() for t in found), "top_mentions": largest, "unlisted": unlisted}
