"""``--policy ID`` on every command that evaluates: with an author's draft in force beside the
released policy of its kind, ``finpolicy suitability``, ``scan``, ``campaign``, ``sla`` and ``demo``
decide by the policy named, as ``finpolicy eval`` and the typed API's ``policy=`` do; without
it the error names the choices and the command line's remedy, not ``policy=``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
AT = "2026-03-01T10:00:00+08:00"
# a 62-year-old and a private R5 product: the suitability draft's elderly rule (from 60)
# makes the sale conditional, the released one (from 65) does not
SALE_CSV = (
    "customer.id,customer.risk_level,customer.assessment_date,customer.birth_date,"
    "customer.investable_assets,customer.liquidity_need,product.id,product.kind,"
    "product.risk_level,product.private,product.term_months\n"
    "c9,C5,2026-01-15,1964-07-01,5000000,low,pe-fof-3,wealth_management,R5,true,36\n")
# (file, released id, the command's arguments after its input, the input)
COMMANDS = {
    "suitability": ("suitability-2026.yaml", "cn-suitability",
                    ["--as-of", "2026-03-01", "--json"], ("book.csv", SALE_CSV)),
    "scan": ("classification.yaml", "cn-classification", ["--as-of", "2026-03-01", "--json"],
             ("table.csv", "customer_name,mobile\n张三,13800138000\n李四,13900139000\n")),
    "campaign": ("consent.yaml", "cn-consent", ["--as-of", AT, "--json"],
                 ("list.jsonl", '{"customer": {"id": "a", "channels": ["sms"]}}\n')),
    "sla": ("complaints.yaml", "cn-complaints", ["--as-of", AT, "--json", "--all"],
            ("c.jsonl", '{"id": "k1", "received_at": "2026-02-27T10:00:00+08:00", "channel": '
                        '"phone", "category": "service", "severity": "general"}\n')),
}


def _pack(root: Path, file: str, released: str) -> Path:
    """The shipped pack (and its examples) with a draft of ``file``'s policy beside it, in
    force at the same time (the suitability draft's elderly rule starts at 60, not 65)."""
    shutil.copytree(CN, root, ignore=shutil.ignore_patterns("tests", "*.lock", "*.sig*"))
    text = (CN / file).read_text(encoding="utf-8")
    assert f"id: {released}\n" in text
    draft = text.replace(f"id: {released}\n", f"id: {released}-draft\n", 1).replace(
        "- {field: customer.age, ge: 65}", "- {field: customer.age, ge: 60}")
    (root / f"draft-{file}").write_text(draft, encoding="utf-8")
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _command(tmp_path: Path, name: str) -> tuple[Path, list[str], str]:
    file, released, options, (input_name, text) = COMMANDS[name]
    pack = _pack(tmp_path / "pack", file, released)
    source = tmp_path / input_name
    source.write_text(text, encoding="utf-8")
    return pack, [name, str(source), *options, "-b", str(pack)], released


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_without_policy_names_the_choices_and_the_option(tmp_path: Path,
                                                                   name: str) -> None:
    _, args, released = _command(tmp_path, name)
    code, output = _run(*args)
    assert code == 3, output
    assert f"{released}, {released}-draft" in output and "--policy ID" in output, output
    assert "policy=" not in output


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("draft", [False, True])
def test_a_command_decides_by_the_policy_named(tmp_path: Path, name: str,
                                               draft: bool) -> None:
    _, args, released = _command(tmp_path, name)
    chosen = released + ("-draft" if draft else "")
    code, output = _run(*args, "--policy", chosen)
    assert code == 0, output
    data = json.loads(output)
    named = {"suitability": lambda: data["policies"][0].split()[0],
             "scan": lambda: data["policy"]["id"],
             "campaign": lambda: data["policy"].split()[0],
             "sla": lambda: data["reports"][0]["policy"]["id"]}[name]()
    assert named == chosen
    if name == "suitability":  # as the typed API decides it
        assert data["summary"]["conditional" if draft else "suitable"] == 1, data["summary"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_refuses_a_policy_the_pack_does_not_have(tmp_path: Path, name: str) -> None:
    _, args, released = _command(tmp_path, name)
    code, output = _run(*args, "--policy", "cn-nothing")
    assert code == 3, output
    assert "`cn-nothing`" in output and f"{released}-draft" in output, output


def test_the_typed_api_names_its_own_remedy(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", "suitability-2026.yaml", "cn-suitability")
    engine = fp.PolicyEngine(fp.load_bundle(pack))
    with pytest.raises(fp.NotInForceError, match=r"choose one \(policy=\.\.\.\)"):
        engine.check_suitability({"id": "c", "risk_level": "C3",
                                  "assessment_date": "2026-01-15"},
                                 {"id": "p", "kind": "fund", "risk_level": "R3"},
                                 as_of="2026-03-01")


def test_demo_evaluates_the_examples_by_the_policy_named(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", "suitability-2026.yaml", "cn-suitability")
    code, output = _run("demo", "-b", str(pack))
    assert code == 3 and "--policy ID" in output and "policy=" not in output, output
    code, output = _run("demo", "-b", str(pack), "--policy", "cn-suitability")
    assert code == 0, output
    assert "SuitabilityPolicy `cn-suitability` 2.3.0" in output  # the released 2026 one
    assert "cn-suitability-draft" not in output
    # the draft takes effect with the 2026 rule: an example of the day before is refused
    code, output = _run("demo", "-b", str(pack), "--policy", "cn-suitability-draft")
    assert code == 3 and "no version of SuitabilityPolicy `cn-suitability-draft` is in " \
        "force on 2026-01-31" in output, output
    code, output = _run("demo", "-b", str(pack), "--policy", "cn-suitability",
                        "--policy", "cn-suitability-draft")
    assert code == 3 and "are both SuitabilityPolicy policies" in output, output


@pytest.mark.parametrize("draft", [False, True])
def test_a_parquet_book_is_decided_by_the_policy_named(tmp_path: Path, draft: bool) -> None:
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    pack = _pack(tmp_path / "pack", "suitability-2026.yaml", "cn-suitability")
    (tmp_path / "book.csv").write_text(SALE_CSV, encoding="utf-8")
    pq.write_table(pv.read_csv(tmp_path / "book.csv"), tmp_path / "book.parquet")
    chosen = "cn-suitability" + ("-draft" if draft else "")
    code, output = _run("suitability", str(tmp_path / "book.parquet"), "--as-of", "2026-03-01",
                        "--json", "-b", str(pack), "--policy", chosen)
    assert code == 0, output
    data = json.loads(output)
    assert data["policies"] == [f"{chosen} 2.3.0"]
    assert data["summary"]["conditional" if draft else "suitable"] == 1, data["summary"]


def test_sla_decides_a_table_by_the_policy_named(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    pack = _pack(tmp_path / "pack", "complaints.yaml", "cn-complaints")
    book = tmp_path / "book.csv"
    book.write_text("id,received_at,channel,category,severity\n"
                    "k1,2026-02-27T10:00:00+08:00,phone,service,general\n", encoding="utf-8")
    args = ["sla", str(book), "--as-of", AT, "--json", "-b", str(pack)]
    code, output = _run(*args)
    assert code == 3 and "--policy ID" in output and "policy=" not in output, output
    code, output = _run(*args, "--policy", "cn-complaints-draft")
    assert code == 0 and json.loads(output)["total"] == 1, output
