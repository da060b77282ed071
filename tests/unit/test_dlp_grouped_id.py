"""A resident ID grouped 6-8-4 is an ID number, never a card, even when its digits pass Luhn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import finpolicy as fp
from finpolicy.domains.detectors import DETECTORS, accepting, bank_card, luhn_check_digit

ON = dt.date(2026, 3, 1)
IDS = ["440305195712201795", "510107198911087650"]  # valid IDs whose 18 digits pass Luhn too
GROUPED = [f"{v[:6]} {v[6:14]} {v[14:]}" for v in IDS]


def test_an_id_grouped_6_8_4_is_no_card_though_its_digits_pass_luhn(tmp_path: Path) -> None:
    assert all(luhn_check_digit(v[:-1]) == v[-1] for v in IDS)
    for value in GROUPED:
        assert not bank_card(value)
        assert accepting(value, list(DETECTORS)) == ("cn_resident_id_in_text",)
    assert bank_card("6222 0212 3456 7890 128") and bank_card("3782 822463 10005")
    engine = fp.PolicyEngine(fp.load_bundle())
    c = engine.classify(fp.DataField(name="col_7", sample_values=GROUPED[:1]), as_of=ON)
    assert (c.category, c.detector, c.rule_ids) == (
        "basic_identity", "cn_resident_id_in_text", ("core-id-number-in-text",))
    assert engine.mask(GROUPED[0], field="col_7", as_of=ON) == "*" * 20  # not 440305****1795
    pq.write_table(pa.table({"col_7": GROUPED * 300}), tmp_path / "t.parquet")
    for columnar in (True, False):
        (column,) = engine.scan(str(tmp_path / "t.parquet"), as_of=ON,
                                columnar=columnar).columns
        assert (column.category, column.detector, column.mask) == (
            "basic_identity", "cn_resident_id_in_text", "full")
    table = engine.evaluate_table("classification", pa.table({"col_7": GROUPED * 300}),
                                  as_of=ON)
    assert set(table.column("col_7.detector").to_pylist()) == {"cn_resident_id_in_text"}
