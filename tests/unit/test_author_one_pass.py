"""A policy whose metadata had an error (``effective_from: 2026/03/01``) had its spec checked
against the schema only: a rule comparing a number with the text ``'65'`` was reported only in
a second run, after the date was fixed. And a key left without a value (``reason:``) read
"input should be a valid string, got `null`"."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from tests.helpers.packversions import earlier_pack


def _validate(tmp_path: Path, edits: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    pack = earlier_pack(tmp_path / "pack")  # 2.3.0 without the end 2.4.0 gave it
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    policy.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2, result.output
    return text.splitlines(), result.output.splitlines()


def test_a_metadata_error_does_not_hide_the_problems_of_the_spec(tmp_path: Path) -> None:
    lines, out = _validate(tmp_path, [("effective_from: 2026-02-01", "effective_from: 2026/02/01"),
                                      ("version: 2.3.0", "version: 2.3"),
                                      ("{field: customer.age, ge: 8}",
                                       "{field: customer.age, ge: '8'}")])
    messages = [line.split(": ", 1)[1] for line in out if "suitability-2026.yaml" in line]
    assert "metadata.effective_from: expected an ISO date (2026-03-01), got `2026/02/01`" \
        in messages
    ge = next(i for i, line in enumerate(lines) if "ge: '8'" in line) + 1
    assert any(f"suitability-2026.yaml:{ge}: " in line
               and "`ge` expects a number, got text `8`" in line for line in out), out


def test_a_key_without_a_value_says_so(tmp_path: Path) -> None:
    _, out = _validate(tmp_path, [("      reason: ", "      reason:\n      x_reason: ")])
    assert any(line.endswith(".reason: expected text, got nothing (the key has no value)")
               for line in out), out


def test_a_version_written_as_a_number_says_how_to_write_one(tmp_path: Path) -> None:
    """``version: 2.3`` read "expected text, got the number `2.3`; put it in quotes to keep
    it text", and "2.3" in quotes is no version either."""
    _, out = _validate(tmp_path, [("version: 2.3.0", "version: 2.3")])
    assert any(line.endswith("metadata.version: expected a version such as `1.0.0` "
                             "(major.minor.patch), got the number `2.3`") for line in out), out


def test_a_last_day_before_the_first_is_reported_at_its_line_and_the_spec_checked(
        tmp_path: Path) -> None:
    """``effective_until`` before ``effective_from`` was reported at the ``metadata:`` line,
    and nothing else of the document was checked."""
    lines, out = _validate(tmp_path, [("\n  effective_from: 2026-02-01\n",
                                       "\n  effective_from: 2026-02-01\n"
                                       "  effective_until: 2017-01-31\n"),
                                      ("{field: customer.age, ", "{field: customer.agee, ")])
    until = next(i for i, line in enumerate(lines) if "effective_until: 2017-01-31" in line) + 1
    assert f"suitability-2026.yaml:{until}: metadata.effective_until: `2017-01-31` is before " \
           "`effective_from` (`2026-02-01`): a version is in force from its first day to its " \
           "last" in "\n".join(out), out
    assert any("unknown field `customer.agee`" in line for line in out), out
