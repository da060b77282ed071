"""``finpolicy schema`` and ``finpolicy fmt``: every shipped document validates against its
JSON Schema; formatting keeps comments and data, is idempotent and the shipped packs are
formatted."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.authoring.fmt import FormatError, format_text, policy_files
from finpolicy.authoring.schema import MODELINE, schema_text, schemas
from finpolicy.cli import main
from finpolicy.documents.yamlsource import parse_yaml

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the `test` extra")

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SCHEMAS = POLICIES / "schemas"
# the policy documents and manifests of the shipped packs (not their test cases and examples)
DOCUMENTS = sorted(p for p in POLICIES.glob("*/*.yaml"))


def _data(path: Path) -> Any:
    return parse_yaml(path.read_text(encoding="utf-8"), str(path)).data


def _schema_name(path: Path, data: Any) -> str:
    return "bundle.schema.json" if path.name == "bundle.yaml" else f"{data['kind']}.schema.json"


# --- schema -----------------------------------------------------------------------------------

def test_every_schema_is_a_valid_json_schema() -> None:
    for schema in schemas().values():
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_document_validates_against_its_schema(path: Path) -> None:
    data = _data(path)
    validator = jsonschema.Draft202012Validator(schemas()[_schema_name(path, data)])
    assert [e.message for e in validator.iter_errors(data)] == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_document_names_its_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"{MODELINE}../schemas/{_schema_name(path, _data(path))}"
    assert (SCHEMAS / first.rsplit("/", 1)[1]).is_file()


def test_the_committed_schemas_are_the_generated_ones() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.json")}
    generated = {name: schema_text(schema) for name, schema in schemas().items()}
    assert committed == generated, "run `finpolicy schema -o policies/schemas`"


def test_schemas_catch_mistakes_and_carry_descriptions() -> None:
    path = POLICIES / "cn-banking" / "suitability-2026.yaml"
    data = _data(path)
    validator = jsonschema.Draft202012Validator(schemas()["SuitabilityPolicy.schema.json"])
    rule = data["spec"]["rules"][0]
    rule["outcom"] = rule.pop("outcome")
    rule["when"] = {"field": "customer.age", "gte": 65}
    data["kind"] = "AccessPolicy"
    messages = " ".join(e.message for e in validator.iter_errors(data))
    assert "'outcom' was unexpected" in messages
    assert "'SuitabilityPolicy' was expected" in messages
    assert not validator.is_valid({"field": "customer.age", "gte": 65})
    spec = schemas()["SuitabilityPolicy.schema.json"]
    assert "most restrictive" in json.dumps(spec)  # descriptions come from the spec models


def test_schema_cli_writes_one_file_per_kind(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == set(schemas())
    printed = json.loads(CliRunner().invoke(main, ["schema"]).output)
    assert set(printed) == set(schemas())


# --- fmt --------------------------------------------------------------------------------------

_MESSY = """\
# a leading comment
spec:   # the spec
    rules:
    # the first rule
    -   cite: reg Art. 1     # where it comes from
        reason: A reason.
        when: {field: customer.age, ge: 65}   # the elderly
        outcome: conditional
        id: elderly
metadata:
  owner: tests
  id: x
  version: 1.0.0
kind: SuitabilityPolicy
apiVersion: finpolicy/v1   # always
"""


def test_fmt_keeps_comments_and_data_and_orders_keys() -> None:
    out = format_text(_MESSY, "x.yaml")
    for comment in ("# a leading comment", "# the spec", "# the first rule",
                    "# where it comes from", "# the elderly", "# always"):
        assert comment in out
    assert parse_yaml(out, "x").data == parse_yaml(_MESSY, "x").data
    keys = [line.split(":")[0] for line in out.splitlines() if line and line[0].isalpha()]
    assert keys == ["apiVersion", "kind", "metadata", "spec"]
    assert "      - id: elderly" in out or "  - id: elderly" in out
    rule = out[out.index("id: elderly"):]
    assert rule.index("when:") < rule.index("outcome:") < rule.index("reason:") < rule.index(
        "cite:")
    assert format_text(out, "x.yaml") == out


def test_a_comment_line_between_keys_keeps_their_order() -> None:
    text = "kind: SuitabilityPolicy\n# about the version\napiVersion: finpolicy/v1\n"
    out = format_text(text, "x.yaml")
    assert out == text  # moving a key would move the comment line to another key


@pytest.mark.parametrize("path", policy_files([POLICIES]),
                         ids=lambda p: str(p.relative_to(POLICIES)))
def test_formatting_twice_changes_nothing(path: Path) -> None:
    once = format_text(path.read_text(encoding="utf-8"), str(path))
    assert format_text(once, str(path)) == once


def test_shipped_packs_are_formatted() -> None:
    result = CliRunner().invoke(main, ["fmt", "--check", "--schemas", str(SCHEMAS),
                                       str(POLICIES)])
    assert result.exit_code == 0, result.output


def test_fmt_leaves_other_yaml_in_a_folder_alone(tmp_path: Path) -> None:
    (tmp_path / "ci.yaml").write_text("on:   [push]\n", encoding="utf-8")
    pack = tmp_path / "pack"
    (pack / "tests").mkdir(parents=True)
    (pack / "bundle.yaml").write_text("name:   p\nversion: 1.0.0\n", encoding="utf-8")
    (pack / "tests" / "cases.yaml").write_text("cases:   []\n", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in policy_files([tmp_path])] == [
        "pack/bundle.yaml", "pack/tests/cases.yaml"]
    assert policy_files([tmp_path / "ci.yaml"]) == [tmp_path / "ci.yaml"]  # named: formatted


def test_fmt_check_lists_files_and_changes_nothing(tmp_path: Path) -> None:
    messy = tmp_path / "policy.yaml"
    messy.write_text(_MESSY, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1 and "would reformat" in result.output
    assert messy.read_text(encoding="utf-8") == _MESSY
    assert runner.invoke(main, ["fmt", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["fmt", "--check", str(tmp_path)]).exit_code == 0


def test_fmt_takes_a_shipped_packs_name_as_lint_and_validate_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no folder of that name here: the name is the shipped pack
    runner = CliRunner()
    for command in (["lint"], ["validate"], ["fmt", "--check"]):
        result = runner.invoke(main, [*command, "cn-banking"])
        assert result.exit_code == 0, (command, result.output)  # fmt: "does not exist"
    result = runner.invoke(main, ["fmt", "--check", "nosuch"])
    assert result.exit_code == 3
    assert "`nosuch` is no file, folder or shipped pack" in result.stderr


def test_fmt_adds_the_schema_line(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "policy.yaml").write_text(_MESSY, encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", "--schemas", str(tmp_path / "schemas"),
                                       str(pack)])
    assert result.exit_code == 0, result.output
    text = (pack / "policy.yaml").read_text(encoding="utf-8")
    assert text.startswith(f"{MODELINE}../schemas/SuitabilityPolicy.schema.json\n")
    assert format_text(text, "policy.yaml", schemas="../schemas") == text


def test_fmt_refuses_what_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", str(bad)])
    assert result.exit_code == 3 and "bad.yaml" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(FormatError):
        format_text("a: 1\na: 2\n", "dup.yaml")


@pytest.mark.parametrize(("output", "message"), [
    ("file.txt/sub", "`file.txt/sub` cannot be written: `file.txt` is not a folder"),
    ("", "expected a folder, got an empty name"),  # wrote into the current folder
])
def test_schema_cli_refuses_a_folder_it_cannot_write(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     output: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(main, ["schema", "-o", output])
    assert result.exit_code == 3, result.output
    assert f"error: --output: {message}" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_fmt_refuses_a_link_out_of_the_folder_and_a_loop_of_links(tmp_path: Path) -> None:
    """`fmt PACK` followed a link out of the pack and rewrote its target (validate refuses
    such a link); a loop of links was skipped without a word."""
    outside = tmp_path / "outside.yaml"
    outside.write_text(_MESSY, encoding="utf-8")
    pack = tmp_path / "pack"
    (pack / "tests").mkdir(parents=True)
    (pack / "bundle.yaml").write_text("name: p\nversion: 1.0.0\n", encoding="utf-8")
    (pack / "policy.yaml").write_text(_MESSY, encoding="utf-8")
    (pack / "tests" / "inner.yaml").symlink_to(pack / "policy.yaml")  # inside: fine
    (pack / "linked.yaml").symlink_to(outside)
    result = CliRunner().invoke(main, ["fmt", str(pack)])
    assert result.exit_code == 3, result.output
    assert f"{pack / 'linked.yaml'}: a link to a file outside {pack}" in result.output
    assert outside.read_text(encoding="utf-8") == _MESSY
    assert (pack / "policy.yaml").read_text(encoding="utf-8") == _MESSY  # nothing written
    (pack / "linked.yaml").unlink()
    (pack / "loop.yaml").symlink_to("loop.yaml")
    result = CliRunner().invoke(main, ["fmt", "--check", str(pack)])
    assert result.exit_code == 3, result.output
    assert f"{pack / 'loop.yaml'}: a symbolic link that leads back to itself" in result.output
    (pack / "loop.yaml").unlink()
    assert CliRunner().invoke(main, ["fmt", str(pack)]).exit_code == 0
    assert (pack / "tests" / "inner.yaml").is_symlink()  # its target rewritten, not the link
    assert (pack / "policy.yaml").read_text(encoding="utf-8") != _MESSY


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01"])
def test_fmt_keeps_a_date_that_is_no_date_for_validate_to_report(tmp_path: Path,
                                                                  date: str) -> None:
    """A ValueError traceback (day is out of range for month) before."""
    plain = tmp_path / "f.yaml"
    plain.write_text(f"a:    {date}\n", encoding="utf-8")
    pack = tmp_path / "pack"
    shutil.copytree(POLICIES / "cn-banking", pack)
    policy = pack / "access.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(re.sub(r"effective_from: \S+", f"effective_from: {date}", text),
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", "--check", str(plain), str(pack)])
    assert result.exit_code == 1, result.output  # f.yaml would change: its spaces
    assert result.output == f"would reformat {plain}\n"
    assert CliRunner().invoke(main, ["fmt", str(plain)]).exit_code == 0
    assert plain.read_text(encoding="utf-8") == f"a: {date}\n"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("file.txt", "hello\n", "file.txt: not a YAML file (expected a .yaml or .yml name)"),
    ("empty.yaml", "", "empty.yaml: empty (no YAML document): not a policy file"),
    ("list.yaml", "- a\n", "list.yaml: not a policy file: expected a mapping of keys, got a "
                           "list"),
    ("text.yaml", "hello\n", "text.yaml: not a policy file: expected a mapping of keys, got "
                             "a text"),
])
def test_fmt_refuses_a_file_that_is_no_policy_file(tmp_path: Path, name: str, text: str,
                                                   message: str) -> None:
    """`hello` became `hello\\n...` and an empty file `null\\n...`."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", str(path)])
    assert result.exit_code == 3, result.output
    assert f"error: {tmp_path}/{message}" in result.output
    assert path.read_text(encoding="utf-8") == text
