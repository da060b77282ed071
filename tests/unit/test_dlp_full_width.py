"""Identifiers typed whole in full width (a Chinese input method in full-width mode) are found
by the in-text detectors, which the whole-value checks (ASCII only) leave them to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import finpolicy as fp
from finpolicy.domains.detectors import detect_column

ON = dt.date(2026, 3, 1)
_WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ID = "11010519491231002X"
CARD = "6222021234567890128"
MOBILE = "13800138000"


@pytest.mark.parametrize(("value", "detector"), [
    (ID.translate(_WIDE), "cn_resident_id_in_text"),
    (f" {ID.translate(_WIDE)}\u3000", "cn_resident_id_in_text"),
    (ID[:-1].translate(_WIDE) + "x", "cn_resident_id_in_text"),
    (CARD.translate(_WIDE), "bank_card_in_text"),
    ("６２２２ ０２１２ ３４５６ ７８９０ １２８", "bank_card_in_text"),
    (MOBILE.translate(_WIDE), "cn_mobile_in_text"),
])
def test_a_bare_identifier_typed_in_full_width_is_found(value: str, detector: str) -> None:
    found = {m.name for m in detect_column([value] * 300) if m.matched == 300}  # column-wise
    assert found == {detector}
    assert {m.name for m in detect_column([value]) if m.matched} == {detector}  # row-wise


def test_a_column_of_full_width_ids_under_a_name_saying_nothing_is_core(
        tmp_path: Path) -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    ids = [ID.translate(_WIDE), "110101199003074514".translate(_WIDE)] * 200
    c = engine.classify(fp.DataField(name="col_7", sample_values=ids[:2]), as_of=ON)
    assert (str(c.level), c.detector, c.mask) == ("core", "cn_resident_id_in_text", "full")
    pq.write_table(pa.table({"col_7": ids, "col_8": [CARD.translate(_WIDE)] * 400}),
                   tmp_path / "t.parquet")
    for columnar in (True, False):
        report = engine.scan(str(tmp_path / "t.parquet"), as_of=ON, columnar=columnar)
        levels = {c["column"]: (c["level"], c["detector"], c["share"])
                  for c in report.to_dict()["columns"]}
        assert levels == {"col_7": ("core", "cn_resident_id_in_text", 1.0),
                          "col_8": ("core", "bank_card_in_text", 1.0)}
    assert engine.mask(ID.translate(_WIDE), field="col_7", as_of=ON) == "*" * 18
