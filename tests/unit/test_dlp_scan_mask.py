"""The scan report names the mask a column is shown with, as ``mask`` applies it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains.classification import apply_mask

ON = dt.date(2026, 3, 1)


def test_a_column_no_rule_knows_is_reported_with_the_mask_it_is_shown_with(
        tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_no,地址,身份证号\n5289078666617603,北京市朝阳区建国路56号,"
                    "11010519491231002X\n", encoding="utf-8")
    engine = fp.PolicyEngine(fp.load_bundle())
    report = engine.scan(str(path), as_of=ON)
    masks = {c["column"]: c["mask"] for c in report.to_dict()["columns"]}
    assert masks == {"order_no": "full", "地址": None, "身份证号": "id_number"}
    for column, value in (("order_no", "5289078666617603"), ("地址", "北京市朝阳区建国路56号"),
                          ("身份证号", "11010519491231002X")):
        mask = report[column].mask
        shown = value if mask is None else apply_mask(mask, value)
        assert engine.mask(value, field=column, as_of=ON) == shown
    out = CliRunner().invoke(main, ["scan", str(path), "--as-of", "2026-03-01"]).output
    assert next(x for x in out.splitlines() if x.startswith("order_no")).split()[-1] == "full"
    data = json.loads(CliRunner().invoke(main, ["scan", str(path), "--json", "--as-of",
                                                "2026-03-01"]).output)
    assert [c["mask"] for c in data["columns"]] == ["full", None, "id_number"]


def test_the_report_counts_what_each_detector_found_in_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    ids = ["11010519491231002X", "110101 19900307 4514", "110101199003074514"] * 100
    orders = ["5289078666617603", "6222021234567890128"] + ["1234567812345678"] * 298
    rows = "".join(f"{i},{o}\n" for i, o in zip(ids, orders, strict=True))
    path.write_text("身份证号,order_no\n" + rows, encoding="utf-8")
    engine = fp.PolicyEngine(fp.load_bundle())
    for columnar in (True, False):
        report = engine.scan(str(path), as_of=ON, columnar=columnar)
        id_column, order = report.to_dict()["columns"]
        assert (id_column["detector"], id_column["sampled"]) == ("cn_resident_id_in_text", 300)
        assert id_column["matched"] == {"cn_resident_id": 200, "cn_resident_id_in_text": 100}
        assert (order["level"], order["matched"]) == ("ordinary", {"bank_card": 1})
