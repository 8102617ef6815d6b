import random

from brandpulse.alerts.themes import themes, words

JA_BASELINE = ["アプリが重くて使いにくいです", "配送が遅い。もう三日も待っている", "サポートの返信がまだ来ない",
               "ログインできません、困ってます", "商品の色が写真と違いました", "注文した商品がまだ届かない",
               "店員の態度が悪かった", "値段が高すぎると思う", "アプリがすぐ落ちる", "問い合わせても回答がない"]
JA_STORM = ["今月の料金が二重請求されています！", "二重請求されてるんだけど、どうなってるの？", "クレジットカードに二重請求が来た",
            "二重請求されました。返金してください", "また二重請求…いい加減にして", "同じ注文で二重請求されてる、ひどい",
            "二重請求の件、早く対応してほしい", "カードの明細を見たら二重請求になってた"]
ZH_BASELINE = ["客服回复太慢了", "快递太慢，等了三天", "应用老是闪退", "价格太贵了", "登录不了，怎么回事", "商品和图片不一样",
               "订单一直没发货"]
ZH_STORM = ["这个月被重复扣款了！", "怎么又重复扣款，太坑了", "信用卡被重复扣款两次", "重复扣款，请尽快退款", "同一个订单重复扣款，气死了",
            "我也被重复扣款了", "重复扣款的问题什么时候解决"]
KO_BASELINE = ["배송이 너무 느려요", "앱이 자꾸 꺼져요", "고객센터 연결이 안 돼요", "가격이 너무 비싸요", "로그인이 안 됩니다"]
KO_STORM = ["이번 달 요금이 이중 결제 되었어요", "이중 결제 됐는데 환불 언제 해주나요", "카드에 이중 결제가 찍혔네요", "저도 이중 결제 당했어요",
            "이중 결제 문제 빨리 해결해 주세요", "같은 주문이 이중 결제 되었습니다"]


def _storm(storm, usual, seed=1):
    rng = random.Random(seed)
    return storm + [rng.choice(usual) for _ in range(4)], [rng.choice(usual) for _ in range(300)]


def _terms(found):
    return [t.term for t in found]


def test_a_japanese_storm_names_its_topic_as_written_not_as_bigram_fragments():
    window, baseline = _storm(JA_STORM, JA_BASELINE)

    found = themes(window, baseline, ["Pinebrook"])

    assert _terms(found)[0] == "二重請求", found
    assert found[0].count == 8 and found[0].baseline_count == 0
    assert all(" " not in term for term in _terms(found))


def test_a_chinese_storm_names_its_topic_as_written():
    window, baseline = _storm(ZH_STORM, ZH_BASELINE)

    assert _terms(themes(window, baseline, ["Pinebrook"])) == ["重复扣款"]


def test_a_korean_storm_written_with_spaces_names_its_topic():
    window, baseline = _storm(KO_STORM, KO_BASELINE)

    assert "이중 결제" in _terms(themes(window, baseline, ["Pinebrook"]))


def test_a_run_is_shown_whole_when_almost_every_post_holding_it_writes_it_so():
    storm = [f"{before}ポイント還元キャンペーンが反映されない{after}"
             for before, after in [("え", "んだけど"), ("また", "です"), ("おい", "。"), ("まじで", "ぞ"), ("なんで", "の"),
                                   ("昨日の", "まま")]]
    window, baseline = _storm(storm, JA_BASELINE)

    assert _terms(themes(window, baseline, []))[0] == "ポイント還元キャンペーンが反映されない"


def test_chinese_and_japanese_are_cut_into_character_bigrams_and_a_space_between_runs_is_a_boundary():
    assert words(["二重請求です", "退款 太慢", "iPhoneが壊れた"]) == [
        "二重", "重請", "請求", "求で", "です", "\ue000", "退款", "|", "太慢", "\ue000", "iphone", "が壊", "壊れ", "れた"]


def test_the_english_words_of_a_japanese_storm_are_still_themes_as_before():
    storm = [f"{text} refund please" for text in JA_STORM]
    window, baseline = _storm(storm, JA_BASELINE)

    assert set(_terms(themes(window, baseline, []))) >= {"二重請求", "refund"}


def test_japanese_particles_and_inflections_are_no_theme_nor_a_second_copy_of_one():
    # Each post twice: a storm's reposts. "して" (6 of them) and "二重請求され" stood out beside 二重請求.
    storm = ["クモペイで二重請求されました。返金してください", "二重請求されてる！どうなってるの", "今月の料金が二重請求されています",
             "クレジットカードに二重請求が来た、ひどい", "二重請求の件、早く対応してほしい", "また二重請求…いい加減にして"] * 2
    window, baseline = _storm(storm, JA_BASELINE)

    assert _terms(themes(window, baseline, ["クモペイ"])) == ["二重請求"]


HI_BASELINE = ["डिलीवरी बहुत धीमी है", "ऐप बार बार बंद हो जाता है", "कस्टमर केयर जवाब नहीं देता",
               "कीमत बहुत ज़्यादा है", "लॉगिन नहीं हो रहा"]
HI_STORM = ["मेरे कार्ड से दोबारा पैसे कटे", "दोबारा पैसे कटे, रिफंड कब मिलेगा", "मुझसे भी दोबारा पैसे कटे हैं",
            "एक ऑर्डर के दोबारा पैसे कटे", "दोबारा पैसे कटे, जल्दी ठीक करो", "फिर से दोबारा पैसे कटे"]


def test_a_hindi_storm_names_its_topic_though_its_words_carry_vowel_signs():
    # Devanagari vowel signs (ा, े, ी) are combining marks, not letters: a word holding one is a word all the same.
    window, baseline = _storm(HI_STORM, HI_BASELINE)

    assert "दोबारा पैसे कटे" in _terms(themes(window, baseline, ["Pinebrook"]))


def test_only_the_themes_shown_are_extended_to_their_longest_run(monkeypatch):
    from brandpulse.alerts import cjk, themes as themes_module

    extended = []
    monkeypatch.setattr(themes_module, "longest_run",
                        lambda term, texts: extended.append(term) or cjk.longest_run(term, texts))
    rng = random.Random(2)
    # Many distinct storm phrases: each a candidate of its own, of which only two are shown.
    storm = ["".join(rng.choice("料金請求返金注文配送商品会社電話対応確認") for _ in range(8)) for _ in range(40)] * 4
    window, baseline = _storm(storm, JA_BASELINE)

    found = themes(window, baseline, [], limit=2)

    assert len(found) == 2 and len(extended) <= 2, extended

TH_BASELINE = ["แอปช้ามาก ใช้งานไม่ได้เลย", "ส่งของช้า รอมาสามวันแล้ว", "พนักงานพูดจาไม่ดี", "ราคาแพงเกินไป",
               "ล็อกอินไม่ได้ครับ", "สินค้าไม่ตรงปก", "ติดต่อคอลเซ็นเตอร์ไม่ได้เลย"]
TH_STORM = ["โอนเงินไม่เข้าบัญชีครับ", "ทำไมโอนเงินไม่เข้าอีกแล้ว", "โอนเงินไม่เข้าตั้งแต่เมื่อวาน", "ใครโอนเงินไม่เข้าบ้าง",
            "แย่มาก โอนเงินไม่เข้าเลย", "โอนเงินไม่เข้า เงินหายไปไหน", "วันนี้โอนเงินไม่เข้าค่ะ"]


def test_a_thai_storm_written_without_spaces_names_its_topic_as_written():
    window, baseline = _storm(TH_STORM, TH_BASELINE)

    assert _terms(themes(window, baseline, ["Pinebrook"]))[0] == "โอนเงินไม่เข้า"


def test_thai_is_cut_into_character_bigrams_its_vowel_and_tone_marks_kept_in_them():
    assert words(["ไม่เข้า"]) == ["ไม", "ม่", "่เ", "เข", "ข้", "้า"]


def test_full_width_letters_count_as_the_words_they_are_and_the_brand_in_full_width_is_no_theme():
    storm = ["ＲＥＦＵＮＤ ｐｌｅａｓｅ, ＡＣＭＥ charged me twice", "refund please, Acme charged me twice",
             "Ｒｅｆｕｎｄ please ＡＣＭＥ", "still no refund from acme"]
    baseline = ["acme app is slow", "delivery was late", "support never answers"] * 20

    found = themes(storm, baseline, ["Acme"])

    assert "refund" in _terms(found) and next(t for t in found if t.term == "refund").count == 4
    assert not any("ａ" in term or "acme" in term.lower() for term in _terms(found))


def test_thai_polite_particles_that_every_storm_post_ends_with_are_not_part_of_its_topic():
    for particle in ("ครับ", "ค่ะ", "คะ", "นะ", "นะครับ"):
        storm = [f"{before}โอนเงินไม่เข้า{particle}" for before in ("", "ทำไม", "วันนี้", "ใคร", "แย่มาก ", "เมื่อวาน")]
        window, baseline = _storm(storm, TH_BASELINE)

        assert _terms(themes(window, baseline, ["Pinebrook"])) == ["โอนเงินไม่เข้า"], particle


def test_a_thai_word_ending_in_na_keeps_it_and_particles_alone_are_no_theme():
    from brandpulse.alerts.cjk import without_particles

    assert without_particles("เช็คสถานะ") == "เช็คสถานะ"
    assert without_particles("สถานะคำสั่งซื้อครับ") == "สถานะคำสั่งซื้อ"
    assert without_particles("นะคะ") == ""


def test_a_korean_storm_counts_its_word_whatever_particle_is_glued_to_it_and_the_brand_with_one_is_no_theme():
    # 환불이, 환불을, 환불은: refund as subject, object and topic; each alone fell under the minimum count.
    storm = ["환불이 안 돼요", "파인브룩에서 환불을 해주세요", "환불은 언제 되나요", "환불이 너무 늦어요", "파인브룩에서 환불을 기다려요",
             "파인브룩에서 또", "환불이 아직이에요", "환불은 언제쯤"]
    window, baseline = _storm(storm, KO_BASELINE)

    assert _terms(themes(window, baseline, ["파인브룩"])) == ["환불"]


def test_a_korean_particle_is_taken_off_only_where_its_form_agrees_with_the_word():
    from brandpulse.alerts.korean import stem

    assert [stem(w) for w in ("환불이", "결제가", "결제를", "고객센터에서", "앱이")] == ["환불", "결제", "결제", "고객센터", "앱"]
    assert [stem(w) for w in ("평가", "결과", "속도", "회의", "불만", "도로", "아이")] == ["평가", "결과", "속도", "회의", "불만",
                                                                                         "도로", "아이"]
