"""The brand and its competitors in a window (app/analyses/brand.py)."""

from __future__ import annotations

from app.analyses.brand import BrandMatcher
from tests.analyses.builders import post


def test_brand_matcher_knows_the_brand_and_where_posts_name_it() -> None:
    own = post("hola", account_handle="BancoAndino_PE", author_handle="bancoandino_pe", is_own=True)
    brand = BrandMatcher.of([own], ["@bancoandino"], "Banco Andino")
    assert brand.handles == frozenset({"bancoandino_pe", "bancoandino"})
    assert brand.is_brand("@BancoAndino")
    assert not brand.is_brand("bcp")
    assert brand.mentions(post("gracias", mentions=("BancoAndino_PE",)))
    assert brand.mentions(post("gracias", hashtags=("#bancoandino",)))
    assert brand.mentions(post("Me atendieron bien en el BANCO ÁNDINO"))  # case and accents
    assert brand.mentions(post("cuenta en bancoandino"))  # the name without spaces
    assert not brand.mentions(post("el banco de los andes", hashtags=("#banco",)))
    assert not BrandMatcher([], "BA").names  # names under 3 letters are not searched
