"""``finpolicy fmt`` on what a policy author writes: files the loader reads are formatted,
and a file fmt cannot read is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.authoring.fmt import FormatError, format_text
from finpolicy.cli import main
from finpolicy.documents.yamlsource import parse_yaml


@pytest.mark.parametrize("text", [
    "a: 1\t# a note\n",             # a tab before a comment
    "a:\t1\n",                       # a tab after the colon
    "a: [1,\t2]\n",                  # a tab in a flow list
    "rules:\n  - id: x\t# the first\n    b: 'q\tr'\n",
])
def test_a_tab_between_tokens_that_the_loader_reads_is_formatted(text: str) -> None:
    out = format_text(text, "x.yaml")
    assert parse_yaml(out, "x").data == parse_yaml(text, "x").data
    assert format_text(out, "x.yaml") == out
    assert "#" not in text or "# " in out  # the comment stays


def test_a_tab_inside_a_comment_or_block_text_is_kept() -> None:
    out = format_text("a: |\n  x\ty\nb: 1\t# c\td\n", "x.yaml")
    assert "x\ty" in out and "# c\td" in out


def test_a_file_fmt_cannot_read_is_named_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("a:\n  b: c d\te\n", encoding="utf-8")  # the loader reads it
    with pytest.raises(FormatError, match=r"p\.yaml:2: fmt cannot read this YAML: .*tab"):
        format_text(bad.read_text(encoding="utf-8"), str(bad))
    result = CliRunner().invoke(main, ["fmt", str(bad)])
    assert result.exit_code == 3 and "p.yaml:2:" in result.output
    assert "Traceback" not in result.output


def test_yaml_the_loader_refuses_is_named_with_its_line() -> None:
    with pytest.raises(FormatError, match=r"^x\.yaml:3: not valid YAML: "):
        format_text("a: 1\nb: 2\nc: [1, 2]]\n", "x.yaml")


def test_a_condition_inside_a_list_keeps_its_braces() -> None:
    """fmt wrote `{any: [{field: a, eq: 1}, all: [...]]}`: the same data, but a condition
    that reads like a key of the list."""
    text = ("when: {any: [{field: request.purpose, eq: analytics}, {all: [{field: a, eq: 1}, "
            "{field: b, eq: 2}]}]}\n")
    out = format_text(text, "x.yaml")
    assert "{all: [" in out and ", all:" not in out
    assert parse_yaml(out, "x.yaml") == parse_yaml(text, "x.yaml")
    assert format_text(out, "x.yaml") == out
