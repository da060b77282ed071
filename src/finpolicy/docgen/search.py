"""Search of the generated site in Chinese as well as English (a Sphinx extension that
``finpolicy docs`` adds to its project).

Sphinx's English search splits text at spaces, so a run of Chinese text is one "word": a
search for 投诉 finds nothing on a page that says 银行业保险业消费投诉处理管理办法. Its Chinese
search needs jieba, and without it indexes no Chinese at all. Here each run of CJK characters
is indexed as its overlapping pairs of characters (消费投诉 → 消费, 费投, 投诉), and a query is
split the same way in the browser, every pair required: 投诉 and 交易流水 find the pages
holding them. Latin words are searched as in English (stemmed).
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx
from sphinx.search.en import SearchEnglish

from finpolicy.docgen.site import SEARCH_LANGUAGE

__all__ = ["LANGUAGE", "SearchCjkPairs", "setup", "split_words"]

LANGUAGE = SEARCH_LANGUAGE
"""The value of ``html_search_language`` that selects this search."""

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUN = re.compile(f"([{_CJK}]+)")


def split_words(text: str) -> list[str]:
    """The search words of ``text``: Latin words whole, CJK runs as overlapping pairs (a lone
    character as itself)."""
    out: list[str] = []
    for word in re.findall(r"\w+", text):
        for i, part in enumerate(_RUN.split(word)):
            if not part:
                continue
            if i % 2 and len(part) > 1:  # a CJK run
                out += [part[k:k + 2] for k in range(len(part) - 1)]
            else:
                out.append(part)
    return out


# the same split in the browser (Sphinx's search calls splitQuery on the query)
_JS_SPLITTER = """
function splitQuery(query) {
  const run = /[CJK]+/gu;
  const out = [];
  for (const word of query.split(/[^\\p{Letter}\\p{Number}_]+/gu)) {
    if (!word) continue;
    let last = 0;
    for (const found of word.matchAll(run)) {
      if (found.index > last) out.push(word.slice(last, found.index));
      const cjk = found[0];
      if (cjk.length === 1) out.push(cjk);
      for (let k = 0; k + 1 < cjk.length; k += 1) out.push(cjk.slice(k, k + 2));
      last = found.index + cjk.length;
    }
    if (last < word.length) out.push(word.slice(last));
  }
  return out;
}
""".replace("CJK", _CJK.encode("unicode_escape").decode("ascii"))


class SearchCjkPairs(SearchEnglish):
    """English search, with CJK text indexed and queried as pairs of characters."""

    lang = LANGUAGE
    language_name = "English"  # names the browser's stemmer (EnglishStemmer)
    js_splitter_code = _JS_SPLITTER

    def split(self, input: str) -> list[str]:
        return split_words(input)

    def stem(self, word: str) -> str:
        return word if _RUN.match(word) else super().stem(word)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the search language (select it with ``html_search_language``)."""
    app.add_search_language(SearchCjkPairs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
