import itertools
import random

from brandpulse.alerts.neardup import near_duplicates, normalise, representatives
from tests.insight_streams import FLOOD, complaint


def test_openers_handles_tags_links_numbers_and_case_do_not_make_a_text_different():
    original = "My card was charged twice for order 1234, please fix it"
    copies = [
        f"RT @bob: {original} https://t.co/abc #fail",
        "@acme @acmehelp MY CARD WAS CHARGED TWICE FOR ORDER 99, please fix it!!",
        "my card was charged twice for order 5678 please fix it #acme",
    ]

    assert {normalise(c) for c in copies} == {normalise(original)}
    assert all(near_duplicates(original, c) for c in copies)


def test_one_changed_word_is_still_a_copy_but_two_complaints_on_one_template_are_not():
    assert near_duplicates("my order from acme never arrived and nobody answers the phone at all",
                           "my order from acme never arrived and nobody answers the email at all")
    assert not near_duplicates("my order from acme never arrived", "my order from acme arrived broken")


def test_a_flood_is_one_group_and_distinct_complaints_stay_apart():
    rng = random.Random(3)
    distinct = [complaint(rng) for _ in range(40)]
    flood = [FLOOD.format(who=f"bot{k}", n=k) for k in range(25)]
    mentions = [{"text": t, "rank": i} for i, t in enumerate(distinct[:10] + flood + distinct[10:])]

    listed = representatives(mentions, 100)

    assert [m["rank"] for m in listed] == [*range(11), *range(35, 65)]
    assert [m["similar"] for m in listed] == [0] * 10 + [24] + [0] * 30


def test_listed_mentions_are_one_per_group_with_their_counts_and_no_pair_is_a_near_duplicate():
    rng = random.Random(4)
    texts = [FLOOD.format(who=f"bot{k}", n=k) for k in range(30)] + [complaint(rng) for _ in range(30)]
    rng.shuffle(texts)
    mentions = [{"text": t, "rank": i} for i, t in enumerate(texts)]

    listed = representatives(mentions, 8)

    assert len(listed) == 8
    assert [m["rank"] for m in listed] == sorted(m["rank"] for m in listed)  # the first of each group, in order
    flood = [m for m in listed if "burned my desk" in m["text"]]
    assert len(flood) == 1 and flood[0]["similar"] == 29
    for a, b in itertools.combinations(listed, 2):
        assert not near_duplicates(a["text"], b["text"])


def test_a_near_copy_further_down_adds_to_the_earlier_groups_count():
    base = "one two three four five six seven eight nine ten eleven twelve"
    near = "one two three four five six seven eight nine ten eleven thirteen"
    assert near_duplicates(base, near)

    listed = representatives([{"text": base}, {"text": "something else entirely here"}, {"text": near}], 5)

    assert [m["similar"] for m in listed] == [1, 0]


def test_empty_input_and_texts_without_words():
    assert representatives([], 5) == []
    wordless = [{"text": ""}, {"text": "https://t.co/x"}, {"text": None}]
    assert representatives(wordless, 3, lambda m: m["text"] or "") == [{"text": "", "similar": 2}]


def test_chinese_and_japanese_copies_with_a_changed_word_are_one_group_and_template_complaints_stay_apart():
    assert near_duplicates("今月の料金が二重請求されています。早く返金してください！",
                           "@bob 今月の料金が二重請求されています。早く返金してほしい！ https://t.co/x")
    assert near_duplicates("这个月被重复扣款了，请尽快退款", "RT @a: 这个月被重复扣款了，请马上退款")
    assert not near_duplicates("注文した商品がまだ届かない", "注文した商品が壊れて届いた")


def test_a_japanese_bot_flood_is_listed_once_with_its_count():
    endings = ["明細を確認して", "明細を見て", "カードを確認して"]
    flood = [f"@user{k} 【拡散希望】今月の料金が二重請求されています。みんなも{endings[k % 3]}！" for k in range(12)]
    others = ["アプリがすぐ落ちる", "サポートの返信がまだ来ない", "配送が遅い。もう三日も待っている"]
    mentions = [{"text": t} for t in [flood[0], *others, *flood[1:]]]

    listed = representatives(mentions, 5)

    assert [m["similar"] for m in listed] == [11, 0, 0, 0]


def test_thai_keeps_its_vowel_and_tone_marks_and_a_copy_with_a_changed_word_is_one_group():
    assert normalise("ร้านนี้ส่งของช้ามาก!!") == "ร้านนี้ส่งของช้ามาก"
    assert near_duplicates("โอนเงินไม่เข้าบัญชีตั้งแต่เมื่อวาน ช่วยตรวจสอบด้วยครับ",
                           "RT @a: โอนเงินไม่เข้าบัญชีตั้งแต่เมื่อวาน ช่วยตรวจสอบด้วยค่ะ https://t.co/x")
    assert not near_duplicates("สั่งของแล้วยังไม่ได้รับสินค้า", "สั่งของแล้วได้รับสินค้าเสียหาย")


def test_a_copy_written_in_full_width_letters_and_digits_is_the_same_text():
    assert normalise("ＡＣＭＥ charged me ２ times！") == normalise("Acme charged me 2 times!") == "acme charged me times"
