"""The suitability boundary table's caption said each cell lists the rules that matched
"besides those matching every sale of this kind", yet every cell listed ``risk-disclosure``
(``when: {all: []}``, a rule on no field at all, which the table did not count as matching
every sale). The rules that matched in every cell are now named once, in the caption."""

from __future__ import annotations

import re

import finpolicy as fp
from finpolicy.domains.suitability.pictures import suitability_boundaries

_CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>")
_CELL = re.compile(r"<td[^>]*><b>[a-z]+</b><br>(.*?)</td>")
_RULE = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]")


def _cells(table: str) -> list[set[str]]:
    return [set(_RULE.findall(re.sub(r"<[^>]+>", " ", cell))) for cell in _CELL.findall(table)]


def test_no_rule_is_listed_in_every_cell_and_those_left_out_are_named() -> None:
    bundle = fp.load_bundle("cn-banking")
    engine = fp.PolicyEngine(bundle)
    docs = bundle.policies("SuitabilityPolicy")
    assert len(docs) >= 3
    for doc in docs:
        table = suitability_boundaries(engine, doc)
        cells = _cells(table)
        assert len(cells) >= 10, table[:500]
        assert set.intersection(*cells) == set(), f"{doc.version}: listed in every cell"
        [caption] = _CAPTION.findall(table)
        assert caption.endswith("; each cell lists the rules that matched besides those "
                                "matching in every cell: dual-recording, risk-disclosure"), \
            caption
        # the shown sales the 2.x versions' elderly rule decides still list it
        if doc.version.startswith("2."):
            assert sum("elderly-high-risk" in cell for cell in cells) > 0
