"""Identifiers inside free text: a note or remark holding a resident ID or card number is core
on every route (classify, classify_record, mask, tables, scans of CSV and Parquet, the CLI,
explanations, the decision log), while codes and order numbers that hold digits stay what
they are."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import re2  # type: ignore[import-untyped]
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, read_entries
from finpolicy.cli import main
from finpolicy.domains.classification.columnar_facts import fact_codes
from finpolicy.domains.classification.model import LONG_SAMPLE, bounded_sample
from finpolicy.domains.detectors import DETECTORS, PREFILTERS, detect_column
from finpolicy.limits import MAX_SAMPLE_LENGTH
from finpolicy.testing import fakes
from tests.helpers.audit import rows, target

ON = dt.date(2026, 3, 1)
ID = "110101199003074514"  # valid check character
NOTE = f"客户身份证号{ID}，请回电13800138000"
CARD_NOTE = "card 6222 0212 3456 7890 128 lost"  # Luhn-valid
IN_TEXT = ("cn_resident_id_in_text", "bank_card_in_text", "cn_mobile_in_text", "email_in_text")


def _found(value: str) -> list[str]:
    return [n for n in IN_TEXT if DETECTORS[n].check(value)]


@pytest.mark.parametrize(("value", "found"), [
    (NOTE, ["cn_resident_id_in_text", "cn_mobile_in_text"]),
    ("ID: 110101-19900307-4514 verified", ["cn_resident_id_in_text"]),
    ("110101 19900307 4514", ["cn_resident_id_in_text"]),  # the whole value, grouped
    ("备注：11010519491231002X", ["cn_resident_id_in_text"]),
    (CARD_NOTE, ["bank_card_in_text"]),
    ("卡号6222021234567890128，金额500", ["bank_card_in_text"]),
    ("5000 6222 0212 3456 7890 128 元", ["bank_card_in_text"]),
    ("6222-0212-3456-7890-128", ["bank_card_in_text"]),
    ("请回电 138-0013-8000，谢谢", ["cn_mobile_in_text"]),
    ("tel: +86 138 0013 8000", ["cn_mobile_in_text"]),
    ("请发邮件至 zhang.san@example.com 谢谢", ["email_in_text"]),
    # typed in full width, as a Chinese input method may
    ("身份证号：１１０１０１１９９００３０７４５１４", ["cn_resident_id_in_text"]),
    ("电话１３８００１３８０００请回", ["cn_mobile_in_text"]),
    ("卡号６２２２０２１２３４５６７８９０１２８", ["bank_card_in_text"]),
    # whole values are the whole-value detectors'
    (ID, []), ("6222021234567890128", []), ("6222 0212 3456 7890 128", []),
    ("13800138000", []), ("+86 138-0013-8000", []), ("zhang@bank.cn", []),
    # check characters still count, and a slice of a longer number or code is not one
    ("card 6222 0212 3456 7890 123 lost", []),  # Luhn fails
    ("客户身份证号110101199003074515", []),  # check character fails
    ("订单号 1101011990030745149 已处理", []),
    ("流水号 2025013800138000 已入账", []),
    ("ORD6222021234567890128", []), ("ref 53330106075415112E", []),
    ("ID110101199003074514", []), ("x13800138000", []),
    ("call after 6pm", []), ("", []),
])
def test_identifiers_are_found_inside_text_with_their_checks(value: str,
                                                             found: list[str]) -> None:
    assert _found(value) == found


def _variants(rng: random.Random) -> str:
    """Identifiers (valid or not, whole or grouped) with text, spaces or codes around."""
    value = rng.choice([fakes.resident_id, fakes.invalid_resident_id, fakes.bank_card,
                        fakes.invalid_bank_card, fakes.mobile, fakes.email, fakes.uscc])(rng)
    if rng.random() < 0.3 and value.isdigit():
        sep = rng.choice(" -")
        if len(value) == 18:
            value = f"{value[:6]}{sep}{value[6:14]}{rng.choice(' -')}{value[14:]}"
        elif len(value) in (16, 19):
            value = sep.join(value[i:i + 4] for i in range(0, len(value), 4))
        elif len(value) == 11:
            value = f"{value[:3]}{sep}{value[3:7]}{sep}{value[7:]}"
    if rng.random() < 0.15:  # typed in full width
        value = value.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
    before = rng.choice(["", " ", "x", "客户", "12 ", "+86", "86", "tel:", "\u3000", "5000 ",
                         "-", "\n", "0086 ", " \t", "ID", "mail ", "８６", "１２ "])
    after = rng.choice(["", " ", "x", "，请回电", " 12", "X", ".", " ok", "\u3000", "-", "5",
                        "\n", " \n ", "@x.com", ".cn"])
    return before + value + after


def test_the_prefilters_keep_every_value_found_and_tables_read_as_the_rows() -> None:
    rng = random.Random(11)
    values = [_variants(rng) for _ in range(6_000)]
    patterns = {name: re2.compile(PREFILTERS[name]) for name in IN_TEXT}
    for value in values:
        for name in _found(value):
            assert patterns[name].search(value), (name, value)
    names = sorted(DETECTORS)
    codes = fact_codes(pa.array(values), names, "v")
    for value, code in zip(values, codes, strict=True):
        matches = {m.name for m in detect_column([value], names) if m.matched}
        want = 0 if not value.strip() else 1 + sum(1 << i for i, n in enumerate(names)
                                                   if n in matches)
        assert code == want, value
    assert sum(bool(_found(v)) for v in values) > 1_000


@pytest.fixture(scope="module")
def engines() -> dict[str, fp.PolicyEngine]:
    bundle = fp.load_bundle()
    return {name: fp.PolicyEngine(bundle, engine=name) for name in ("compiled", "durable")}


def test_a_note_holding_an_id_is_core_by_classify_record_mask_and_table(
        engines: dict[str, fp.PolicyEngine]) -> None:
    record = {"客户姓名": "张三", "备注": NOTE, "remarks": CARD_NOTE, "memo": "call after 6pm"}
    for engine in engines.values():
        decision = engine.classify_record(record, as_of=ON)
        assert decision.outcome == "core"
        note, card = decision.fields["备注"], decision.fields["remarks"]
        assert (str(note.level), note.category, note.mask, note.detector) == (
            "core", "basic_identity", "full", "cn_resident_id_in_text")
        assert note.rule_ids == ("core-id-number-in-text", "ordinary-phone-in-text")
        assert (str(card.level), card.category, card.rule_ids) == (
            "core", "business", ("core-card-in-text",))
        assert decision.fields["memo"].rule_ids == ()
        assert engine.mask(NOTE, field="备注", as_of=ON) == "*" * len(NOTE)
        table = engine.evaluate_table("classification", pa.Table.from_pylist([record] * 3),
                                      as_of=ON)
        row = table.to_pylist()[0]
        assert (row["level"], row["备注.level"], row["备注.detector"], row["remarks.level"]) == (
            "core", "core", "cn_resident_id_in_text", "core")


def test_one_note_in_a_column_makes_it_core_and_says_how_few_held_one(
        engines: dict[str, fp.PolicyEngine]) -> None:
    notes = ["客户来电咨询理财产品"] * 999 + [NOTE]
    for engine in engines.values():
        c = engine.classify(fp.DataField(name="备注", sample_values=notes), as_of=ON)
        assert (str(c.level), c.detector, c.share) == ("core", "cn_resident_id_in_text", 0.001)
        assert "content: cn_resident_id_in_text matched <1% of sample values" in c.explain()
    why = engines["compiled"].explain("classify", fp.DataField(name="备注", sample_values=notes),
                                      as_of=ON).text()
    assert "hold a cn resident id inside their text" in why
    assert "remove 1 of the 1 sample values recognised as cn_resident_id_in_text" in why


def test_codes_and_order_numbers_that_hold_digits_stay_what_they_are(
        engines: dict[str, fp.PolicyEngine]) -> None:
    rng = random.Random(5)
    codes = [fakes.uscc(rng) for _ in range(300)]
    refs = [f"ORD{rng.randrange(10**18, 10**19)}" for _ in range(300)]
    bare = [str(rng.randrange(10**17, 10**18)) for _ in range(300)]  # some pass a check
    for engine in engines.values():
        assert engine.classify(fp.DataField(name="c1", sample_values=codes),
                               as_of=ON).rule_ids == ("ordinary-organisation-code",)
        assert engine.classify(fp.DataField(name="c2", sample_values=refs),
                               as_of=ON).rule_ids == ()
        assert engine.classify(fp.DataField(name="c3", sample_values=bare),
                               as_of=ON).rule_ids == ()


def test_a_note_too_long_to_keep_still_holds_its_identifiers(
        engines: dict[str, fp.PolicyEngine]) -> None:
    long = "客户来电。" * MAX_SAMPLE_LENGTH + f"证件号 110101-19900307-4514，{CARD_NOTE}"
    sample = bounded_sample(long)
    assert sample == f"{LONG_SAMPLE}\n110101-19900307-4514\n6222 0212 3456 7890 128"
    assert bounded_sample("客户来电。" * MAX_SAMPLE_LENGTH) == LONG_SAMPLE
    for engine in engines.values():
        decision = engine.classify_record({"备注": long, "x": "ok"}, as_of=ON)
        assert decision.fields["备注"].rule_ids == ("core-id-number-in-text", "core-card-in-text")
        table = engine.evaluate_table("classification", pa.table({"备注": [long, "ok", long]}),
                                      as_of=ON)
        assert table.column("备注.level").to_pylist() == ["core", "ordinary", "core"]


def _crm(n: int, rng: random.Random) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        note = rng.choice(["客户来电咨询理财产品", "已解释费用", "无", "call after 6pm"])
        if i % 400 == 7:
            note = f"客户身份证号{fakes.resident_id(rng)}，请回电{fakes.mobile(rng)}"
        out.append({"客户姓名": fakes.chinese_name(rng), "手机号": fakes.mobile(rng), "备注": note,
                    "订单号": str(rng.randrange(10**17, 10**18))})
    return out


def test_scans_of_csv_and_parquet_row_wise_and_column_wise_and_the_cli_agree(
        tmp_path: Path, engines: dict[str, fp.PolicyEngine]) -> None:
    records = _crm(3_000, random.Random(9))
    with (tmp_path / "crm.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "crm.parquet")
    reports: list[dict[str, Any]] = []
    for engine in engines.values():
        for name in ("crm.csv", "crm.parquet"):
            for columnar in (True, False):
                report = engine.scan(str(tmp_path / name), as_of=ON, columnar=columnar)
                reports.append({k: v for k, v in report.to_dict().items()
                                if k not in ("source", "format", "engine")})
    assert all(r == reports[0] for r in reports[1:])
    note = {c["column"]: c for c in reports[0]["columns"]}["备注"]
    assert (note["level"], note["detector"], note["mask"]) == (
        "core", "cn_resident_id_in_text", "full")
    assert 0 < note["share"] < 0.01
    assert {c["column"]: c["level"] for c in reports[0]["columns"]}["订单号"] == "ordinary"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "crm.csv"), "--as-of",
                                       "2026-03-01"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("备注"))
    assert line.split() == ["备注", "core", "basic_identity", "cn_resident_id_in_text", "<1%",
                            "full"]
    data = json.loads(CliRunner().invoke(main, ["scan", str(tmp_path / "crm.parquet"), "--json",
                                                "--as-of", "2026-03-01"]).output)
    assert data["columns"] == reports[0]["columns"]


def test_the_decision_log_masks_a_note_holding_an_id_as_core_data(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = target("jsonl", tmp_path)
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        engine.classify_record({"客户姓名": "张三", "备注": NOTE}, as_of=ON)
        engine.classify(fp.DataField(name="remarks", sample_values=["ok", CARD_NOTE]), as_of=ON)
    stored = b"".join(body for _, _, body in rows("jsonl", where))
    assert ID.encode() not in stored and b"6222 0212" not in stored
    record, field = list(read_entries(where))
    # the note's keyed hash, and those of the identifiers inside it (so a search finds them)
    assert record.masked["record.备注"][:2] == ["core", keys.keyed_hash(NOTE)]
    assert keys.keyed_hash(ID) in record.masked["record.备注"][2]
    assert record.input["record"]["备注"] == "*" * len(NOTE)
    assert field.masked["field.sample_values.1"][0] == "core"
    # kept for core data's audit-log retention (five years), not ordinary data's one year
    kept = {json.loads(line)["record"].get("retain_until")
            for line in (Path(where) / "000001.jsonl").read_text("utf-8").splitlines()}
    assert kept - {None} == {(record.day.replace(year=record.day.year + 5)).isoformat()}


def test_the_scan_table_keeps_chinese_names_and_the_longest_detector_on_one_line_at_80(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len

    from finpolicy.cli import common

    monkeypatch.setattr(common.console, "width", 80)
    path = tmp_path / "客户.csv"
    path.write_text(f"客户姓名,证件号码,备注\n张三,{ID},{NOTE}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(path), "--as-of", "2026-03-01"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("column"))
    table = lines[top:top + 5]
    assert max(cell_len(line) for line in table) <= 80
    assert [line.split()[0] for line in table[2:]] == ["客户姓名", "证件号码", "备注"]
    assert table[4].split() == ["备注", "core", "basic_identity", "cn_resident_id_in_text",
                                "100%", "full"]
    assert "— 1 row (csv)" in lines[top - 1]
