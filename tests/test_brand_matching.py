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
