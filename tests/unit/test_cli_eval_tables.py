"""``finpolicy eval DOMAIN FILE`` with a bank system's export: a CSV or Parquet table (one
input per row, read by the batch API) or JSON lines (one input per line), where it once read
every file as JSON or YAML (a ``.csv`` was "not valid YAML", a ``.parquet`` "not UTF-8 text",
a ``.jsonl`` "a second JSON value")."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from finpolicy.cli import main

AS_OF = "2026-03-02T10:00:00+08:00"
HEADER = ("subject.id,subject.roles,subject.department,subject.branch,action,purpose,"
          "resource.type,resource.data_level,resource.category,resource.department,"
          "resource.branch")
ALLOWED = "u1,teller,retail,BJ01,read,account_service,customer_record,ordinary,basic_identity," \
          "retail,BJ01"
DENIED = "u2,teller,retail,BJ01,read,account_service,customer_record,core,basic_identity," \
         "retail,BJ01"


def _request(row: str) -> dict[str, object]:
    cells = dict(zip(HEADER.split(","), row.split(","), strict=True))
    return {"subject": {"id": cells["subject.id"], "roles": [cells["subject.roles"]],
                        "department": cells["subject.department"],
                        "branch": cells["subject.branch"]},
            "action": cells["action"], "purpose": cells["purpose"],
            "resource": {"type": cells["resource.type"],
                         "data_level": cells["resource.data_level"],
                         "category": cells["resource.category"],
                         "department": cells["resource.department"],
                         "branch": cells["resource.branch"]}}


def _eval(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


def _csv(tmp_path: Path, *rows: str, name: str = "requests.csv") -> Path:
    path = tmp_path / name
    path.write_text("\ufeff" + "\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_csv_export_is_decided_row_by_row_at_its_lines(tmp_path: Path) -> None:
    path = _csv(tmp_path, ALLOWED, "", DENIED)  # a blank line is no row, but a line
    code, out, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 1, err  # a request denied
    assert out.splitlines() == ["line 2: u1 allow (allow-by-role)",
                                "line 4: u2 deny (grant-missing)"]
    assert "2 row(s) decided: 1 allow, 1 deny" in err


def test_every_row_allowed_exits_0(tmp_path: Path) -> None:
    code, _, err = _eval("access", str(_csv(tmp_path, ALLOWED, ALLOWED)), "--as-of", AS_OF)
    assert code == 0, err


def test_a_table_gets_the_decisions_a_json_list_gets(tmp_path: Path) -> None:
    rows = [ALLOWED, DENIED]
    listed = tmp_path / "requests.json"
    listed.write_text(json.dumps([_request(r) for r in rows]), encoding="utf-8")
    _, as_list, _ = _eval("access", str(listed), "--as-of", AS_OF, "--json")
    _, as_table, _ = _eval("access", str(_csv(tmp_path, *rows)), "--as-of", AS_OF, "--json")
    expected = [(d["outcome"], [h["rule_id"] for h in d["hits"]]) for d in json.loads(as_list)]
    assert [(d["outcome"], d["rule_ids"]) for d in json.loads(as_table)] == expected
    assert [d["row"] for d in json.loads(as_table)] == [2, 3]


def test_a_parquet_export_is_decided_row_by_row(tmp_path: Path) -> None:
    names = HEADER.split(",")
    rows = [dict(zip(names, r.split(","), strict=True)) for r in (DENIED, ALLOWED)]
    path = tmp_path / "requests.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    code, out, _ = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 1
    assert out.splitlines() == ["row 1: u2 deny (grant-missing)",
                                "row 2: u1 allow (allow-by-role)"]


def test_json_lines_are_one_input_a_line_and_an_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [json.dumps(_request(ALLOWED)), "", json.dumps(_request(DENIED))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = _eval("access", str(path), "--as-of", AS_OF, "--json")
    assert code == 1
    assert [d["outcome"] for d in json.loads(out)] == ["allow", "deny"]
    bad = dict(_request(ALLOWED), action="fly")
    path.write_text("\n".join([*lines, json.dumps(bad)]) + "\n", encoding="utf-8")
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3
    assert "requests.jsonl line 4: action: unknown action `fly`" in err


def test_a_bad_row_of_a_table_is_named_at_its_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, ALLOWED, DENIED.replace(",read,", ",fly,"))
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3
    assert "requests.csv line 3: action: unknown action `fly`" in err


def test_output_csv_opens_in_excel(tmp_path: Path) -> None:
    """UTF-8 with a byte-order mark (Excel reads it as UTF-8 only then), a row per input row
    with its line, lists as text, and an id that a spreadsheet would run as a formula
    written as text."""
    out = tmp_path / "decisions.csv"
    path = _csv(tmp_path, "=HYPERLINK(1)" + ALLOWED[2:], "张三" + DENIED[2:])
    code, stdout, err = _eval("access", str(path), "--as-of", AS_OF, "-o", str(out))
    assert code == 1 and stdout == ""
    assert f"written to {out}" in err
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["row"], r["subject_id"], r["outcome"], r["rule_ids"]) for r in rows] == [
        ("2", "'=hyperlink(1)", "allow", "allow-by-role"),  # (ids are compared lower case)
        ("3", "张三", "deny", "grant-missing")]
    assert rows[0]["allowed"] == "true" and rows[0]["grant_id"] == ""


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".json"])
def test_output_in_other_formats(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"decisions{suffix}"
    code, _, _ = _eval("access", str(_csv(tmp_path, ALLOWED, DENIED)), "--as-of", AS_OF,
                       "-o", str(out))
    assert code == 1
    if suffix == ".parquet":
        records = pq.read_table(out).to_pylist()
    elif suffix == ".jsonl":
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        records = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["row"], r["outcome"]) for r in records] == [(2, "allow"), (3, "deny")]


def test_output_of_another_format_is_refused_before_any_work(tmp_path: Path) -> None:
    code, _, err = _eval("access", str(_csv(tmp_path, ALLOWED)), "-o",
                         str(tmp_path / "out.txt"))
    assert code == 3
    assert "expected a name ending in .csv, .parquet, .jsonl, .json" in err


def test_a_header_without_rows_is_no_positive_answer(tmp_path: Path) -> None:
    out = tmp_path / "decisions.csv"
    code, _, err = _eval("access", str(_csv(tmp_path)), "--as-of", AS_OF, "-o", str(out))
    assert code == 3
    assert "no rows: expected a header and a row per input" in err
    assert not out.exists()


def test_a_domain_without_tables_names_the_formats_it_takes(tmp_path: Path) -> None:
    code, _, err = _eval("consent", str(_csv(tmp_path, ALLOWED)))
    assert code == 3
    assert "domain `consent` decides no CSV or Parquet table" in err
    assert "JSON lines (.jsonl" in err


@pytest.mark.parametrize(("name", "said"), [
    ("requests.xlsx", 'save the sheet as "CSV UTF-8 (Comma delimited)"'),
    ("requests.tsv", "save it as comma-separated CSV (.csv)")])
def test_a_workbook_or_tab_separated_file_says_what_to_save_it_as(
        tmp_path: Path, name: str, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04\x00\xff")
    code, _, err = _eval("access", str(path))
    assert code == 3
    assert said in err and "Traceback" not in err


def test_why_is_refused_for_a_table(tmp_path: Path) -> None:
    code, _, err = _eval("access", str(_csv(tmp_path, ALLOWED)), "--why")
    assert code == 3
    assert "--why explains inputs of a JSON, YAML or JSON-lines FILE" in err


def test_table_options_are_refused_for_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(_request(ALLOWED)), encoding="utf-8")
    code, _, err = _eval("access", str(path), "-o", str(tmp_path / "out.csv"))
    assert code == 3
    assert "--output is for a CSV or Parquet FILE" in err


def test_key_column_comes_first(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text("request_id," + HEADER + "\n" + "r-1," + DENIED + "\n", encoding="utf-8")
    code, out, _ = _eval("access", str(path), "--as-of", AS_OF, "--key", "request_id")
    assert code == 1
    assert out.splitlines() == ["line 2: r-1 u2 deny (grant-missing)"]


def test_a_gbk_export_is_read_with_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes("\n".join([HEADER, "张三" + ALLOWED[2:], DENIED]).encode("gbk") + b"\n")
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3
    assert "requests.csv line 2" in err and "--encoding gb18030" in err
    code, out, err = _eval("access", str(path), "--as-of", AS_OF, "--encoding", "gbk")
    assert code == 1, err
    assert out.splitlines() == ["line 2: 张三 allow (allow-by-role)",
                                "line 3: u2 deny (grant-missing)"]


def test_a_semicolon_export_with_excel_quoting_is_read_with_its_delimiter(
        tmp_path: Path) -> None:
    """Excel's ``;`` export (a European locale) quotes a cell holding the separator, a
    quote or a line break; the lines named are the file's own."""
    rows = [HEADER.replace(",", ";"), ALLOWED.replace(",", ";"),
            '"u2";"teller";"retail";"BJ01";"read";"account_service";"customer_record";'
            '"core";"basic_identity";"retail";"BJ01"']
    path = tmp_path / "requests.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3 and "(or give --delimiter ';')" in err
    code, out, err = _eval("access", str(path), "--as-of", AS_OF, "--delimiter", ";")
    assert code == 1, err
    assert out.splitlines() == ["line 2: u1 allow (allow-by-role)",
                                "line 3: u2 deny (grant-missing)"]
    path.write_text("\n".join([*rows, ALLOWED.replace(",", ";").replace(";read;", ";fly;")])
                    + "\n", encoding="gb18030")
    code, _, err = _eval("access", str(path), "--as-of", AS_OF, "--delimiter", ";",
                         "--encoding", "gb18030")
    assert code == 3
    assert "requests.csv line 4: action: unknown action `fly`" in err  # not the copy read
    assert "finpolicy-" not in err


def test_the_wrong_delimiter_is_named(tmp_path: Path) -> None:
    code, _, err = _eval("access", str(_csv(tmp_path, ALLOWED)), "--delimiter", ";")
    assert code == 3
    assert "the file is separated by `,`, not by `;`" in err


def test_a_chinese_header_is_read_by_column(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text("柜员号," + HEADER.split(",", 1)[1] + "\n" + DENIED + "\n",
                    encoding="utf-8")
    code, out, err = _eval("access", str(path), "--as-of", AS_OF,
                           "--column", "柜员号=subject.id")
    assert code == 1, err
    assert out.splitlines() == ["line 2: u2 deny (grant-missing)"]
    code, _, err = _eval("access", str(path), "--column", "客户号=subject.id")
    assert code == 3
    assert "requests.csv has no column `客户号` (its columns: 柜员号, subject.roles" in err


def test_a_column_name_with_spaces_around_it_is_named(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(HEADER.replace("action,", "action ,") + "\n" + DENIED + "\n",
                    encoding="utf-8")
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3
    assert "the column `action ` has spaces around its name" in err


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--encoding", "klingon", "unknown encoding `klingon`"),
    ("--delimiter", ";;", "is not one character"),
    ("--column", "=subject.id", "expected NAME=FIELD")])
def test_bad_csv_options_are_named(tmp_path: Path, option: str, value: str,
                                   said: str) -> None:
    code, _, err = _eval("access", str(_csv(tmp_path, ALLOWED)), option, value)
    assert code == 3 and said in err and option in err


def test_csv_options_are_refused_for_another_file(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(_request(ALLOWED)) + "\n", encoding="utf-8")
    code, _, err = _eval("access", str(path), "--encoding", "gbk")
    assert code == 3 and "--encoding is for a CSV FILE (.csv)" in err


def test_bad_rows_are_set_aside_and_the_others_decided_at_their_lines(tmp_path: Path) -> None:
    path = _csv(tmp_path, ALLOWED, ALLOWED.replace(",read,", ",fly,"), "",
                DENIED, DENIED.replace(",core,", ",secret,"))
    rejects, out = tmp_path / "rejects.csv", tmp_path / "decisions.csv"
    code, _, err = _eval("access", str(path), "--as-of", AS_OF, "--bad-rows", str(rejects),
                         "-o", str(out))
    assert code == 1
    assert "2 row(s) set aside, written to" in err
    aside = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert [(r["file"], r["row"], r["field"]) for r in aside] == [
        (str(path), "3", "action"), (str(path), "6", "resource.data_level")]
    decided = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["row"], r["outcome"]) for r in decided] == [("2", "allow"), ("5", "deny")]


def test_bad_rows_ok_exits_0_when_every_row_decided_is_allowed(tmp_path: Path) -> None:
    path = _csv(tmp_path, ALLOWED, ALLOWED.replace(",read,", ",fly,"))
    code, out, _ = _eval("access", str(path), "--as-of", AS_OF, "--bad-rows",
                         str(tmp_path / "rejects.jsonl"), "--bad-rows-ok")
    assert code == 0
    assert out.splitlines() == ["line 2: u1 allow (allow-by-role)"]
    record = json.loads((tmp_path / "rejects.jsonl").read_text(encoding="utf-8"))
    assert (record["file"], record["row"]) == (str(path), 3)


def test_bad_rows_of_a_gbk_export_name_the_file_given(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes("\n".join([HEADER, "张三" + ALLOWED[2:].replace(",read,", ",fly,")])
                     .encode("gbk") + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    code, _, _ = _eval("access", str(path), "--as-of", AS_OF, "--encoding", "gbk",
                       "--bad-rows", str(rejects))
    assert code == 1
    record = json.loads(rejects.read_text(encoding="utf-8"))
    assert (record["file"], record["row"], record["key"]) == (str(path), 2, "张三")


def test_bad_rows_is_refused_for_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(_request(ALLOWED)), encoding="utf-8")
    code, _, err = _eval("access", str(path), "--bad-rows", str(tmp_path / "r.csv"))
    assert code == 3 and "--bad-rows is for a CSV or Parquet FILE" in err


def test_times_are_written_at_the_offset_of_as_of(tmp_path: Path) -> None:
    """A complaint's deadline at 23:59 in Beijing was written 15:59:59.999999+00:00."""
    path = tmp_path / "complaints.csv"
    path.write_text("id,received_at,channel,category,severity,flags\n"
                    "k2,2026-02-27T10:00:00+08:00,branch,service,general,\n", encoding="utf-8")
    out = tmp_path / "decisions.csv"
    code, _, err = _eval("complaints", str(path), "--as-of", "2026-03-02T18:00:00+08:00",
                         "-o", str(out))
    assert code == 0, err
    row = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row["initial_response.status"] == "at_risk"
    assert row["initial_response.due_at"].startswith("2026-03-02T23:59:59")
    assert row["initial_response.due_at"].endswith("+08:00")
    assert row["initial_response.started_at"] == "2026-02-27T10:00:00+08:00"
    code, stdout, _ = _eval("access", str(_csv(tmp_path, ALLOWED)), "--as-of", AS_OF,
                            "--json")
    assert json.loads(stdout)[0]["as_of"] == AS_OF


def test_help_says_what_a_csv_is_read_as_and_the_exit_of_rows_set_aside() -> None:
    result = CliRunner().invoke(main, ["eval", "--help"])
    text = " ".join(result.output.split())
    assert "unless --encoding and --delimiter say otherwise" in text
    assert "with --bad-rows, any row was set aside" in text
    assert "comma-separated." not in text


def test_a_column_of_decisions_is_written_as_its_cells_are() -> None:
    """Written a distinct value at a time: the same cells as one by one."""
    import datetime as dt

    from finpolicy.cli.common import sheet_cell, sheet_column

    beijing = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    column: list[object] = [["a", "b"], ["a", "b"], None, "=cmd", "=cmd", {"k": [1]}, at, at]
    assert sheet_column(column, beijing) == [
        "a; b", "a; b", "", "'=cmd", "'=cmd", '{"k": [1]}', "2026-03-02T10:00:00+08:00",
        "2026-03-02T10:00:00+08:00"]
    assert sheet_column([True, False, True]) == ["true", "false", "true"]
    assert sheet_column([1, 2, 1]) == [sheet_cell(1), "2", "1"]


def test_a_row_is_printed_on_one_line_whatever_its_id_holds(tmp_path: Path) -> None:
    """A quoted cell of an Excel export may hold a line break (or an escape code)."""
    path = tmp_path / "requests.csv"
    path.write_text('request_id,' + HEADER + '\r\n"r-1\r\nsecond\x1b[2J",' + DENIED + "\r\n",
                    encoding="utf-8-sig", newline="")
    code, out, _ = _eval("access", str(path), "--as-of", AS_OF, "--key", "request_id")
    assert code == 1
    assert out.splitlines() == [
        "line 3: r-1\\r\\nsecond\\x1b[2J u2 deny (grant-missing)"]


def test_a_utf8_export_read_as_gbk_is_named_not_read_as_garbage(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" begins with a byte-order mark, which read as GBK became `锘縭`
    at the start of the first column's name (a column "no field" of the request)."""
    path = _csv(tmp_path, DENIED)
    code, out, err = _eval("access", str(path), "--as-of", AS_OF, "--encoding", "gbk")
    assert code == 3 and out == ""
    assert "requests.csv line 1: the file begins with UTF-8's byte-order mark: it is UTF-8 " \
           "text, not gbk; leave out --encoding" in err


def test_a_column_of_the_banks_own_says_how_to_keep_it(tmp_path: Path) -> None:
    """An export's request id or 备注 column was "extra inputs are not permitted"."""
    path = tmp_path / "requests.csv"
    path.write_text("request_id," + HEADER + "\nr-1," + DENIED + "\n", encoding="utf-8")
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3
    assert "requests.csv line 2: request_id: the column `request_id` is no field of the " \
           "input; give --key 'request_id' to keep it beside the decisions, or --column " \
           "'request_id=FIELD' to read it as a field" in err


def test_a_json_lines_file_not_utf8_is_named_at_its_own_line(tmp_path: Path) -> None:
    """Read as a text stream, a GBK name on line 31 was reported on line 30 (the stream
    decodes ahead of the line it gives), at a byte of the block, not of the line."""
    lines = [json.dumps(dict(_request(ALLOWED), subject={"id": f"u{i}", "roles": ["teller"],
                                                           "department": "retail",
                                                           "branch": "BJ01"}))
             for i in range(50)]
    lines[30] = lines[30].replace('"u30"', '"张三"')
    path = tmp_path / "requests.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    code, _, err = _eval("access", str(path), "--as-of", AS_OF)
    assert code == 3
    byte = lines[30].encode("gbk").index("张".encode("gbk")) + 1
    assert f"requests.jsonl line 31: not UTF-8 text (byte {byte} of the line); save the " \
           "file as UTF-8" in err


def test_a_csv_book_not_utf8_is_named_at_its_own_line(tmp_path: Path) -> None:
    """``finpolicy suitability`` (the row reader of CSV books) named line 1 of a GBK book
    whose line 3 holds 客户, at the byte of a block, with nothing to do about it; and an
    Excel workbook was "not UTF-8 text (byte 5)"."""
    book = tmp_path / "sales.csv"
    book.write_bytes("customer.id,customer.risk_level,customer.assessment_date,product.id,"
                     "product.kind,product.risk_level\nc1,C3,2026-01-10,p1,fund,R3\n"
                     "客户,C3,2026-01-10,p1,fund,R3\n".encode("gbk"))
    result = CliRunner().invoke(main, ["suitability", str(book), "--as-of", "2026-03-02"])
    assert result.exit_code == 3
    assert "sales.csv line 3: not UTF-8 text (byte 1 of the line); save the file as UTF-8" \
        in result.stderr
    workbook = tmp_path / "sales.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\xff\xfe")
    result = CliRunner().invoke(main, ["suitability", str(workbook)])
    assert result.exit_code == 3
    assert 'an Excel .xlsx workbook is one), not CSV text: save the sheet as "CSV UTF-8' \
        in result.stderr
