"""A problem is one line of a report whatever the file name, key or value it quotes: a hostile
pack or input file cannot forge a line (``ok: …``) or send a terminal control sequence."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.errors import InputProblem, Problem

CN = shipped_packs() / "cn-banking"
FORGED = "\nok: cn-banking 1.1.0 — 6 documents, 157 rules, digest f0195416df14e90f\n\x1b[8m"


def test_a_file_name_cannot_forge_a_line_of_validate(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    (pack / f"x.yaml: fine{FORGED}hidden.yaml").write_text("kind: Nope\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and not any(line.startswith("ok:") for line in lines), lines
    assert "fine\\nok: cn-banking" in lines[0] and "\\x1b[8mhidden.yaml:1:" in lines[0]


def test_a_key_of_an_input_file_cannot_forge_a_line_of_eval(tmp_path: Path) -> None:
    path = tmp_path / "sale.json"
    path.write_text('{"customer": {"id": "c1"}, "product": {"id": "p1"}, '
                    '"x\\nok: suitable\\u202e": 1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "suitability", str(path)])
    assert result.exit_code == 3
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "x\\nok: suitable\\u202e: unknown key" in result.output


def test_what_a_problem_holds_is_kept_as_it_is() -> None:
    problem = Problem("a\nb.yaml", 3, "spec", "bad `\x1b`", "yaml_syntax")
    assert str(problem) == "a\\nb.yaml:3: spec: bad `\\x1b`"
    assert problem.file == "a\nb.yaml"  # tools read the attributes, not the rendering
    assert str(InputProblem("k\u2028", "m", file="f\r", line=1)) == "f\\r line 1: k\\u2028: m"
    assert str(Problem("数据.yaml", 1, "", "「身份证」 tab\tstays visible", "x")) \
        == "数据.yaml:1: 「身份证」 tab\\tstays visible"


def test_an_id_cannot_drive_the_terminal_through_evals_output(tmp_path: Path) -> None:
    # "\x1b[1A\x1b[2K" moves up a line and erases it: a hostile input could overwrite the
    # printed "unsuitable" with a line of its own
    path = tmp_path / "sale.json"
    path.write_text('{"customer": {"id": "c1\\u001b[1A\\u001b[2Ksuitable\\u202e", '
                    '"risk_level": "C1", "assessment_date": "2025-11-20", '
                    '"birth_date": "1985-01-01"}, '
                    '"product": {"id": "p1", "kind": "fund", "risk_level": "R4"}}',
                    encoding="utf-8")
    for extra in ([], ["--why"]):
        result = CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of",
                                           "2026-03-01", *extra])
        assert result.exit_code == 1, result.output
        assert "\x1b" not in result.output and "\u202e" not in result.output
        assert "customer c1\\x1b[1A\\x1b[2Ksuitable\\u202e (C1)" in result.output
        assert result.output.startswith("unsuitable")


def test_a_pack_name_cannot_add_a_line_to_validates_ok(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    manifest = pack / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("name: cn-banking", 'name: "cn-banking\\nwarning: none"'),
                        encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("ok: cn-banking\\nwarning: none ")
    assert len(result.stdout.splitlines()) == 1
