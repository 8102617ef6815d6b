from brandpulse.collectors import brands
from brandpulse.collectors.base import BrandQuery

QUERIES = [BrandQuery("Pinebrook", ("pinebrook", "パインブルック")), BrandQuery("Kumo Pay", ("kumo pay", "クモペイ")),
           BrandQuery("Northwind", ("northwind air",))]


def test_a_post_is_read_in_nfkc_once_whatever_the_number_of_brands(monkeypatch):
    matcher = brands.BrandMatcher(QUERIES)
    folded = []
    monkeypatch.setattr(brands, "folded", lambda text: folded.append(text) or text)

    assert matcher.brands_for("Pinebrookのコーヒー！クモペイで払えない？") == ["Pinebrook", "Kumo Pay"]
    assert matcher.matches("Kumo Pay", "クモペイ、最悪！")
    assert len(folded) == 2


def test_a_korean_post_gluing_particles_to_the_brand_is_matched_and_a_longer_word_is_not():
    matcher = brands.BrandMatcher([BrandQuery("Pinebrook", ("pinebrook", "파인브룩")), BrandQuery("Kumo", ("쿠모페이",))])

    for text in ("파인브룩에서 샀어요", "파인브룩의 커피", "Pinebrook에서 샀는데", "파인브룩에서는 안 돼요", "파인브룩 커피 최악"):
        assert matcher.brands_for(text) == ["Pinebrook"], text
    assert matcher.brands_for("쿠모페이로 결제했는데 쿠모페이가 또 오류") == ["Kumo"]
    assert matcher.brands_for("파인브룩스 매장") == [] and matcher.brands_for("lumo가") == []
