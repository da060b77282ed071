"""A YAML mistake was reported with the parser's own words only ("mapping values are not
allowed in this context"), which does not tell a policy author what to change; each usual
mistake now also says what was most likely written and where the unclosed part starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main


@pytest.mark.parametrize(("text", "line", "hint"), [
    ("a:\n  reason: Note: within tolerance\n", 2,
     "a `: ` inside a value starts a key: put the value in quotes"),
    ("a:\n  b: 1\n c: 2\n", 3,
     "this line is indented unlike the keys of the mapping that starts on line 1"),
    ("a:\n  b: 'it's'\n  c: 1\n", 2, "a text in ' quotes holds a ': write it twice ('it''s')"),
    ("a:\n  - b: 1\n    c: 2\n   d: 3\n  - e\n", 4,
     "this line is indented unlike the items of the list that starts on line 2"),
    ("a: [1, 2\nb: 3\n", 2, "the bracket that opens on line 1 is never closed"),
    ('a: "open\nb: 3\n', 3, "the quoted text that starts on line 1 is never closed"),
    ("a: @home\n", 1, "`@` cannot start a value: put the value in quotes"),
])
def test_a_yaml_mistake_says_what_to_change(tmp_path: Path, text: str, line: int,
                                            hint: str) -> None:
    (tmp_path / "bundle.yaml").write_text("name: p\nversion: 0.1.0\njurisdiction: HK\n",
                                          encoding="utf-8")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    first = result.output.splitlines()[0]
    assert first.startswith(f"{tmp_path / 's.yaml'}:{line}: invalid yaml: "), first
    assert hint in first, first


def test_fmt_words_a_yaml_mistake_as_validate_does(tmp_path: Path) -> None:
    """fmt said only "not valid YAML: found character that cannot start any token" for a line
    indented with a tab, where validate names the tab."""
    policy = tmp_path / "p.yaml"
    policy.write_text("a:\n\tb: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", str(policy)])
    assert result.exit_code == 3
    assert f"{policy}:2: not valid YAML: a tab where YAML takes only spaces (indent with " \
           "spaces)" in result.output
