import pytest

from brandpulse.sentiment import NpsPolicy, SentimentError, categorize, net_sentiment_score
from brandpulse.sentiment.label_map import label_groups
from brandpulse.sentiment.evaluation import read_split, score
from brandpulse.sentiment.normalize import normalize
from tests.test_sentiment_model import STAR_LABELS


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("@JetBlue thanks!", "@user thanks!"),
        ('"@Delta never again', '"@user never again'),
        ("email me at bob@example.com", "email me at bob@example.com"),
        ("see https://t.co/abc123 now", "see http now"),
        ("www.example.com/page rocks", "http rocks"),
        ("Fish &amp; chips &gt; pizza", "Fish & chips > pizza"),
        ("  too\n\tmany   spaces ", "too many spaces"),
    ],
)
def test_normalize_matches_the_tweeteval_conventions(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("@Delta 😡😡", "@user enraged face enraged face"),
        ("love it👍🏽!", "love it thumbs up medium skin tone !"),
        ("&#128525; the new app", "smiling face with heart-eyes the new app"),  # an HTML entity, unescaped first
        ("room 1️⃣ again", "room keycap 1 again"),
        ("café crème — “très” bon", "café crème — “très” bon"),  # accents and punctuation are no emoji
    ],
)
def test_normalize_spells_emoji_out_as_their_names(raw, expected):
    assert normalize(raw) == expected


def test_labels_map_to_nps_categories_by_default():
    policy = NpsPolicy()
    assert [categorize(label, 0.9, None, policy) for label in ("positive", "neutral", "negative")] == [
        "promoter", "passive", "detractor"]


def test_low_confidence_mention_is_passive():
    policy = NpsPolicy(confidence_threshold=0.7)
    assert categorize("negative", 0.69, None, policy) == "passive"
    assert categorize("negative", 0.7, None, policy) == "detractor"


@pytest.mark.parametrize("stars, expected", [(5, "promoter"), (4, "passive"), (3, "detractor"), (1, "detractor")])
def test_star_rating_takes_precedence_over_the_text(stars, expected):
    assert categorize("negative" if stars >= 4 else "positive", 0.99, stars, NpsPolicy()) == expected


def test_rating_can_be_ignored_by_configuration():
    assert categorize("negative", 0.99, 5, NpsPolicy(rating_takes_precedence=False)) == "detractor"


def test_net_sentiment_score_is_promoters_minus_detractors_in_percent():
    assert net_sentiment_score(["promoter"] * 5 + ["passive"] * 3 + ["detractor"] * 2) == 30.0
    assert net_sentiment_score(["detractor"]) == -100.0
    assert net_sentiment_score([]) is None


@pytest.mark.parametrize(
    "id2label, expected",
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, ((0,), (1,), (2,))),
        ({0: "POS", 1: "NEG", 2: "NEU"}, ((1,), (2,), (0,))),
        ({"0": "Positive", "1": "Neutral", "2": "Negative"}, ((2,), (1,), (0,))),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, ((0,), (1,), (2,))),
        # nlptown's multilingual review model: stars as a review's stars count
        (STAR_LABELS, ((0, 1), (2,), (3, 4))),
        # five levels (tabularisai's multilingual model)
        ({0: "Very Negative", 1: "Negative", 2: "Neutral", 3: "Positive", 4: "Very Positive"},
         ((0, 1), (2,), (3, 4))),
        # SST-2 models know no neutral
        ({0: "NEGATIVE", 1: "POSITIVE"}, ((0,), (), (1,))),
    ],
)
def test_model_labels_are_mapped_through_id2label(id2label, expected):
    assert label_groups(id2label) == expected


@pytest.mark.parametrize("id2label", [
    {0: "joy", 1: "anger"},
    {0: "negative", 1: "positive", 2: "mixed"},  # three classes, one unknown: not taken for a two-class model
    {0: "negative", 1: "neutral"},
    {0: "LABEL_0", 1: "LABEL_1"},
])
def test_unmappable_labels_name_the_labels(id2label):
    with pytest.raises(SentimentError, match="cannot map the model's labels") as error:
        label_groups(id2label)
    assert all(repr(name.lower()) in str(error.value) for name in id2label.values())


def test_scores_give_macro_recall_f1_accuracy_and_confusion():
    s = score([0, 0, 1, 2], [0, 1, 1, 2])
    assert s.macro_recall == pytest.approx(100 * (0.5 + 1 + 1) / 3)
    assert s.accuracy == 75.0
    assert s.confusion == ((1, 1, 0), (0, 1, 0), (0, 0, 1))
    assert s.macro_f1 == pytest.approx(100 * (2 / 3 + 2 / 3 + 1) / 3)


def test_read_split_rejects_mismatched_files(tmp_path):
    (tmp_path / "t.txt").write_text("a\nb\n")
    (tmp_path / "l.txt").write_text("1\n")
    with pytest.raises(SentimentError, match="2 lines"):
        read_split(tmp_path / "t.txt", tmp_path / "l.txt")
