"""The site's search finds Chinese words inside longer Chinese text (投诉 in
银行业保险业消费投诉处理管理办法), as well as English words."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy.docgen.site import build_site
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("site")
    status, warnings = build_site(fp.load_bundle(CN), out, pictures=False, strict=True)
    assert status == 0, warnings
    text = (out / "searchindex.js").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return found


def _pages(index: dict[str, Any], term: str) -> set[str]:
    where = index["terms"].get(term, [])
    return {index["docnames"][i] for i in ([where] if isinstance(where, int) else where)}


def test_a_chinese_word_inside_a_longer_run_is_indexed(index: dict[str, Any]) -> None:
    # the source titles of the complaints policy say 投诉 only inside longer runs
    assert "policies/cn-complaints" in _pages(index, "投诉")
    # 交易流水 is searched as its pairs, every one required: the classification policy has all
    assert all("policies/cn-classification" in _pages(index, pair)
               for pair in ("交易", "易流", "流水"))
    assert "policies/cn-suitability" in _pages(index, "适当")
    # English words are still stemmed
    assert "policies/cn-suitability" in _pages(index, "elder")  # elderly
    assert "policies/cn-consent" in _pages(index, "pipl")


def test_text_is_split_into_words_and_pairs_of_characters() -> None:
    from finpolicy.docgen.search import split_words

    assert split_words("消费投诉 (CBIRC 2020 No. 3)") == ["消费", "费投", "投诉", "CBIRC", "2020",
                                                       "No", "3"]
    assert split_words("客户 A级 数") == ["客户", "A", "级", "数"]
