"""YAML loading is total and bounded: plain data within the limits, or an error with its line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import finpolicy as fp
from finpolicy.documents import yamlsource
from finpolicy.documents.yamlsource import YamlLimitError, parse_yaml, yaml_problem


def _refused(text: str) -> YamlLimitError:
    with pytest.raises(YamlLimitError) as info:
        parse_yaml(text, "f.yaml")
    return info.value


def test_aliases_within_the_budget_load_as_shared_values() -> None:
    doc = parse_yaml("base: &b {a: 1, b: [x, y]}\none: *b\ntwo: *b\n", "f.yaml")
    assert doc.data["one"] == doc.data["two"] == {"a": 1, "b": ["x", "y"]}


@pytest.mark.parametrize("width", [3, 9, 20])
def test_alias_bombs_are_refused_at_the_alias_that_passes_the_budget(width: int) -> None:
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for level in range(1, 12):
        prev = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [" + ", ".join([prev] * width) + "]")
    error = _refused("\n".join(lines) + "\n")
    assert error.code == "yaml_alias" and "100,000" in str(error.problem)
    problem = yaml_problem("f.yaml", error)
    assert problem.line is not None and problem.line > 1 and problem.code == "yaml_alias"


def test_an_alias_into_its_own_collection_is_refused() -> None:
    assert _refused("a: &x [1, *x]\n").code == "yaml_alias"


def test_an_alias_to_no_anchor_is_refused() -> None:
    assert _refused("a: *nowhere\n").code == "yaml_alias"


@pytest.mark.parametrize("text", [
    "a: !!set {x, y}\n", "a: !!binary aGVsbG8=\n", "a: !!timestamp 2026-01-01\n",
    "a: !!omap [{x: 1}]\n", "a: !!pairs [{x: 1}]\n", "a: !!python/object:os.system {}\n",
    "a: !!python/name:os.system ''\n", "a: !custom 1\n", "a: !!map [1]\n", "a: !!seq {x: 1}\n",
    "a:\n  - 1\n  - !!python/tuple [1, 2]\n",
])
def test_tags_other_than_the_plain_ones_are_refused_with_their_line(text: str) -> None:
    error = _refused(text)
    problem = yaml_problem("f.yaml", error)
    assert problem.code == "yaml_tag" and "is not accepted" in problem.message
    assert problem.line == text.count("\n")


def test_plain_tags_are_accepted() -> None:
    text = "a: !!str 1\nb: !!int '2'\nc: !!float 3\nd: !!bool yes\ne: !!null ~\nf: !!map {}\n"
    assert parse_yaml(text, "f.yaml").data == {"a": "1", "b": 2, "c": 3.0, "d": True,
                                               "e": None, "f": {}}


def test_a_null_tag_on_a_value_is_refused_not_read_as_null() -> None:
    # effective_until: !!null 2026-01-31 read as no end: the version never expired
    error = _refused("effective_until: !!null 2026-01-31\n")
    assert error.code == "yaml_tag" and "dropping `2026-01-31`" in str(error.problem)


def test_merge_keys_are_refused() -> None:
    assert _refused("a: &a {x: 1}\nb:\n  <<: *a\n").code == "yaml_tag"


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", "1.0e+999",
                                   "-2.5e+400", "!!float nan", "!!float .inf"])
def test_non_finite_numbers_are_refused(value: str) -> None:
    error = _refused(f"x: 1\nlimit: {value}\n")
    assert error.code == "yaml_number" and yaml_problem("f.yaml", error).line == 2


@pytest.mark.parametrize("value", ["1" * 20, "-" + "9" * 400, "0x" + "f" * 30,
                                   "!!int " + "7" * 5000])
def test_integers_beyond_nineteen_digits_are_refused(value: str) -> None:
    error = _refused(f"n: {value}\n")
    assert error.code == "yaml_number" and "quote it" in str(error.problem)


def test_long_digit_strings_stay_text_when_quoted() -> None:
    assert parse_yaml(f"n: '{'1' * 40}'\n", "f.yaml").data == {"n": "1" * 40}


def test_nesting_is_capped() -> None:
    ok = "[" * yamlsource.MAX_DEPTH + "1" + "]" * yamlsource.MAX_DEPTH
    assert parse_yaml(ok, "f.yaml").data
    deep = "[" * (yamlsource.MAX_DEPTH + 1) + "]" * (yamlsource.MAX_DEPTH + 1)
    assert _refused(deep).code == "yaml_depth"
    blocks = "".join("  " * i + f"k{i}:\n" for i in range(yamlsource.MAX_DEPTH + 1)) + \
        "  " * (yamlsource.MAX_DEPTH + 1) + "x\n"
    assert _refused(blocks).code == "yaml_depth"


def test_ten_thousand_nested_brackets_are_refused_not_a_crash() -> None:
    with pytest.raises(yaml.YAMLError):  # libyaml stops at 1,000 flow levels, we at 64
        parse_yaml("[" * 10_000 + "]" * 10_000, "f.yaml")


def test_size_and_value_count_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 100)
    assert _refused("a: " + "x" * 200).code == "file_too_large"
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 10**6)
    monkeypatch.setattr(yamlsource, "MAX_NODES", 50)
    assert _refused("[" + ", ".join(["1"] * 60) + "]").code == "yaml_too_many_nodes"


def test_collections_as_keys_and_duplicate_keys_are_refused() -> None:
    assert _refused("? [a]\n: 1\n").code == "yaml_key"
    assert _refused("base: &b [1]\nm: {*b : 1}\n").code == "yaml_key"
    error = _refused("a: 1\nb: 2\na: 3\n")
    assert error.code == "duplicate_key" and yaml_problem("f.yaml", error).line == 3


def test_one_document_per_file() -> None:
    assert _refused("a: 1\n---\nb: 2\n").code == "yaml_syntax"


def test_the_line_map_gives_an_alias_its_own_line_and_never_expands_it() -> None:
    text = "base: &b\n  deep: {x: 1}\nuse: *b\n"
    doc = parse_yaml(text, "f.yaml")
    assert doc.line_of(("use", "deep", "x")) == 3
    assert doc.line_of(("base", "deep", "x")) == 2
    assert ("use", "deep") not in doc.lines


def test_line_map_matches_pyyaml_nodes_on_the_shipped_packs() -> None:
    for file in sorted(fp.documents.bundle.shipped_packs().rglob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        if "&" in text:
            continue  # anchors: our map keeps alias lines, PyYAML's nodes repeat the anchor's
        doc = parse_yaml(text, str(file))
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        for path, line in _node_lines(node):
            assert doc.lines[path] == line, (file, path)


def _node_lines(node: yaml.Node, path: tuple = ()) -> list[tuple[tuple, int]]:
    out = [(path, node.start_mark.line + 1)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, yaml.safe_load(yaml.serialize(key)))
            out += [(p, ln) for p, ln in _node_lines(value, child) if p != child]
            out.append((child, key.start_mark.line + 1))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _node_lines(item, (*path, i))
    return out


def _policy(tmp_path: Path, spec_line: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bundle.yaml").write_text("name: p\nversion: 1.0.0\n", encoding="utf-8")
    source = (fp.documents.bundle.shipped_packs() / "cn-banking" / "access.yaml").read_text(
        encoding="utf-8")
    (pack / "access.yaml").write_text(source.replace("  approval:\n", f"  approval:\n{spec_line}",
                                                     1), encoding="utf-8")
    return pack


def test_a_nan_grant_length_is_a_policy_error_naming_file_and_line(tmp_path: Path) -> None:
    pack = _policy(tmp_path, "    dormancy_days: .nan\n")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    (problem,) = info.value.problems
    assert problem.code == "yaml_number" and problem.file.endswith("access.yaml")
    assert problem.line is not None and "finite" in problem.message


def test_policy_models_refuse_non_finite_numbers_built_in_python() -> None:
    from finpolicy.domains.access.spec import Approval

    with pytest.raises(ValueError, match="finite"):
        Approval(cite="x 1", max_days={"core": math.nan})
