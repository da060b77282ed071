"""Input files that say two things at once — a key given twice in JSON or YAML, a CSV column
named twice, a row short of cells — or that expand far beyond their size (YAML aliases) are
refused naming the file, line and key, never read as one of their readings chosen silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.readers import iter_csv_rows, iter_json_lines, read_document

_CUSTOMER = ('"id": "c1", "risk_level": "C1", "assessment_date": "2025-11-20", '
             '"birth_date": "1985-01-01"')
_PRODUCT = '"product": {"id": "p1", "kind": "fund", "risk_level": "R4"}'


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"foreign exception from {args}") from result.exception
    return result


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_key_given_twice_in_an_input_file_is_refused_naming_it(tmp_path: Path,
                                                                 suffix: str) -> None:
    # the lowest-level customer is unsuitable for R4; a second risk_level made it suitable
    path = tmp_path / f"sale{suffix}"
    path.write_text(f'{{"customer": {{{_CUSTOMER},\n "risk_level": "C5"}}, {_PRODUCT}}}\n',
                    encoding="utf-8")
    result = invoke("eval", "suitability", str(path), "--as-of", "2026-03-01")
    assert result.exit_code == 3, result.output
    assert f"sale{suffix} line 2: customer: duplicate key `risk_level`" in result.output
    with pytest.raises(fp.InputError) as error:
        read_document(str(path))
    assert error.value.problems[0].code == "bad_file"


def test_a_key_given_twice_in_json_yaml_cannot_read_is_still_named(tmp_path: Path) -> None:
    # valid JSON that YAML refuses (an escaped surrogate pair) was said to be "not valid YAML"
    path = tmp_path / "sale.json"
    path.write_text('{"note": "\\ud83d\\ude00", "customer": {"id": "c1", "id": "c2"}}',
                    encoding="utf-8")
    with pytest.raises(fp.InputError) as error:
        read_document(str(path))
    assert str(error.value) == f"{path}: duplicate key `id` (a key is given once)"


def test_a_key_given_twice_on_a_json_line_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b", "channel": "phone", "id": "c"}\n',
                    encoding="utf-8")
    with pytest.raises(fp.InputError) as error:
        list(iter_json_lines(str(path)))
    problem = error.value.problems[0]
    assert (problem.line, problem.message) == (2, "duplicate key `id` (a key is given once)")


def test_yaml_aliases_cannot_make_an_input_file_stand_for_more_than_its_limit(
        tmp_path: Path) -> None:
    # 500 bytes that stand for 10^8 dates: each level lists the one before ten times
    levels = ["&a0 [2025-01-01, 2025-01-01, 2025-01-01, 2025-01-01, 2025-01-01]"]
    levels += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = tmp_path / "bomb.yaml"
    path.write_text(f"customer: {{{_CUSTOMER.replace(chr(34), '')}, "
                    f"assessment_history: [{', '.join(levels)}]}}\n", encoding="utf-8")
    with pytest.raises(fp.InputError) as error:
        read_document(str(path))
    assert "aliases expand to more than 100,000 values" in str(error.value)
    result = invoke("eval", "suitability", str(path), "--as-of", "2026-03-01")
    assert result.exit_code == 3 and "bomb.yaml line 1" in result.output, result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("customer: {id: c1, <<: {risk_level: C5}}\n", "merge keys (`<<`) are not accepted"),
    ("customer: {id: !!binary aGVsbG8=}\n", "tag `tag:yaml.org,2002:binary` is not accepted"),
    ("customer: {assessment_date: !!timestamp 2025-01-01}\n", "is not accepted"),
])
def test_yaml_input_files_are_plain_data(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(fp.InputError) as error:
        read_document(str(path))
    assert expected in str(error.value) and error.value.problems[0].line == 1


def test_aliases_that_share_a_value_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("- {customer: &c {id: c1, risk_level: C3}, amount: 1}\n"
                    "- {customer: *c, amount: 2}\n", encoding="utf-8")
    data = read_document(str(path))
    assert data[1]["customer"] == {"id": "c1", "risk_level": "C3"}


_HEADER = ("customer.id,customer.risk_level,customer.assessment_date,customer.birth_date,"
           "product.id,product.kind,product.risk_level")


def test_a_csv_column_named_twice_is_refused(tmp_path: Path) -> None:
    # the first risk_level column says C1 (unsuitable for R4); the second one won silently
    path = tmp_path / "sales.csv"
    path.write_text(f"{_HEADER},customer.risk_level\nc1,C1,2025-11-20,1985-01-01,p1,fund,R4,"
                    "C5\n", encoding="utf-8")
    result = invoke("suitability", str(path), "--as-of", "2026-03-01")
    assert result.exit_code == 3, result.output
    assert "sales.csv line 1: the column `customer.risk_level` is named twice" \
        in result.output


def test_a_csv_row_short_of_cells_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(f"{_HEADER},amount\nc1,C5,2025-11-20,1985-01-01,p1,fund,R4,100\n"
                    "c2,C5,2025-11-20,1985-01-01,p1,fund,R4\n", encoding="utf-8")
    with pytest.raises(fp.InputError) as error:
        list(iter_csv_rows(str(path)))
    problem = error.value.problems[0]
    assert (problem.line, problem.message) == (3, "fewer cells than header columns (7 of 8)")
    result = invoke("suitability", str(path), "--as-of", "2026-03-01")
    assert result.exit_code == 3 and "sales.csv line 3" in result.output, result.output


def test_json_input_without_duplicates_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    data = {"customer": {"id": "c1", "tags": [{"a": 1}, {"a": 2}]}, "x": [{}, {}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_document(str(path)) == data


def test_an_empty_list_of_inputs_is_refused_not_a_positive_exit(tmp_path: Path) -> None:
    # exit 0 says every decision allows: a request file left empty allowed nothing, yet said so
    path = tmp_path / "requests.json"
    path.write_text("[]", encoding="utf-8")
    result = invoke("eval", "access", str(path), "--as-of", "2026-03-02T10:00:00+08:00")
    assert result.exit_code == 3, result.output
    assert "requests.json line 1: an empty list: expected an input" in result.output


def test_a_column_the_header_leaves_unnamed_must_be_blank(tmp_path: Path) -> None:
    # a trailing comma in every line is harmless; a value under it was read as a field named ''
    # ("customer: extra inputs are not permitted"), naming neither the column nor the cause
    path = tmp_path / "sales.csv"
    path.write_text(f"{_HEADER},\nc1,C5,2025-11-20,1985-01-01,p1,fund,R4,\n\n"
                    "c2,C5,2025-11-20,1985-01-01,p1,fund,R4,oops\n", encoding="utf-8")
    rows = iter_csv_rows(str(path))
    line, row = next(rows)
    assert line == 2 and "" not in row and row["customer.id"] == "c1"
    with pytest.raises(fp.InputError) as error:
        next(rows)
    problem = error.value.problems[0]
    assert (problem.line, problem.message) == (4, "a value in column 8, which the header "
                                                  "leaves unnamed")


def test_a_json_line_over_the_limit_is_refused_before_it_is_read_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # `for line in file` held a line whole (4 GB in memory for a 4 GB line) before measuring it
    import io

    class Stream(io.StringIO):
        read_up_to = 0

        def close(self) -> None:
            Stream.read_up_to = self.tell()
            super().close()

    monkeypatch.setattr("finpolicy.readers.MAX_DOCUMENT_BYTES", 1000)
    monkeypatch.setattr("sys.stdin", Stream('{"id": "a"}\n{"id": "' + "x" * 100_000 + '"}\n'))
    with pytest.raises(fp.InputError) as error:
        list(iter_json_lines("-"))
    problem = error.value.problems[0]
    assert (problem.line, problem.code) == (2, "too_large")
    assert Stream.read_up_to <= 2_000  # read up to the limit, not the rest of the line


def test_a_csv_line_over_the_limit_is_refused_at_its_line(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # every cell short, but a line of a million of them was read whole
    monkeypatch.setattr("finpolicy.readers.MAX_DOCUMENT_BYTES", 1000)
    path = tmp_path / "wide.csv"
    path.write_text("a,b\n1,2\n" + "x," * 600 + "\n", encoding="utf-8")
    with pytest.raises(fp.InputError) as error:
        list(iter_csv_rows(str(path)))
    problem = error.value.problems[0]
    assert (problem.line, problem.code) == (3, "too_large")


def test_standard_input_is_read_as_utf8_whatever_the_locale() -> None:
    # stdin decoded in the locale's encoding: under zh_CN.GB18030 the column 身份证号 piped in
    # became mojibake, which no rule knows — classified ordinary, not core
    runner = CliRunner(charset="gb18030")
    for text in ('field: {name: 身份证号}\n', '\ufeff{"field": {"name": "身份证号"}}'):
        result = runner.invoke(main, ["eval", "classification", "-", "--as-of", "2026-03-01",
                                      "--json"], input=text.encode("utf-8"))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)[0]["level"] == "core"


def test_json_lines_on_standard_input_are_read_as_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    stdin = io.TextIOWrapper(io.BytesIO('{"id": "投诉-1"}\n'.encode()), encoding="gb18030")
    monkeypatch.setattr("sys.stdin", stdin)
    assert list(iter_json_lines("-")) == [(1, {"id": "投诉-1"})]


def test_an_input_file_in_another_encoding_is_named_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "field.yaml"
    path.write_bytes("# 字段\nfield: {name: 身份证号}\n".encode("gb18030"))
    with pytest.raises(fp.InputError) as error:
        read_document(str(path))
    problem = error.value.problems[0]
    assert (problem.line, problem.code) == (1, "unreadable_input")
    assert problem.message.endswith("save the file as UTF-8")


def test_json_on_standard_input_is_read_as_json() -> None:
    # json.dumps writes 𠮷 (a character of Chinese names beyond the BMP) as an escaped
    # surrogate pair, which YAML refuses: piped in, the JSON was "not valid YAML"
    text = json.dumps({"field": {"name": "𠮷野家_id_number"}})
    assert "\\ud842\\udfb7" in text
    result = CliRunner().invoke(main, ["eval", "classification", "-", "--as-of", "2026-03-01",
                                       "--json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["level"] == "core"
    twice = CliRunner().invoke(main, ["eval", "classification", "-"],
                               input='{"field": {"name": "a", "name": "b"}}')
    assert twice.exit_code == 3 and "field: duplicate key `name`" in twice.output


def test_json_lines_given_to_eval_are_named_as_such(tmp_path: Path) -> None:
    # said "not valid YAML: did not find expected <document start>"; a file named .jsonl is
    # read one input a line, one named otherwise holds one input or a list
    lines = '{"field": {"name": "id_number"}}\n{"field": {"name": "phone"}}\n'
    path = tmp_path / "fields.txt"
    path.write_text(lines, encoding="utf-8")
    result = invoke("eval", "classification", str(path), "--as-of", "2026-03-01")
    assert result.exit_code == 3
    assert "fields.txt line 2: a second JSON value: expected one input or a list of " \
           "inputs ([...]), not JSON lines" in result.output
    named = tmp_path / "fields.jsonl"
    named.write_text(lines, encoding="utf-8")
    decided = invoke("eval", "classification", str(named), "--as-of", "2026-03-01", "--json")
    assert decided.exit_code == 0, decided.output
    assert [d["field"] for d in json.loads(decided.output)] == ["id_number", "phone"]
