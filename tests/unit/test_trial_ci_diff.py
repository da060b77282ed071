"""``finpolicy diff`` shows the pack's own case when it changed, not a shorter variant of it
whose extra change plays no part."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing import diff

_NAME = "a data analyst reads ordinary basic identity data for analytics"
_CASE = f"""\
domain: access
cases:
  - name: {_NAME}
    as_of: "2026-03-02T10:00:00+08:00"
    input:
      subject: {{id: u-an-1, roles: [data_analyst], department: retail, branch: BJ01}}
      action: read
      resource: {{type: customer_record, data_level: ordinary, category: basic_identity,
                 department: retail, branch: BJ01}}
      purpose: analytics
    expect: {{outcome: deny}}
"""
_OLD = ("        - {actions: [read, export], levels: [ordinary], categories: [business, behaviour,"
        "\n                derived]}")
_NEW = ("        - {actions: [read, export], levels: [ordinary], categories: [business, behaviour,"
        "\n                derived, basic_identity]}")


def _pack(root: Path, name: str, *, widened: bool) -> Path:
    pack = root / name
    pack.mkdir()
    for file in ("bundle.yaml", "access.yaml", "classification.yaml"):
        shutil.copy(shipped_packs() / "cn-banking" / file, pack / file)
    (pack / "tests").mkdir()
    (pack / "tests" / "access.yaml").write_text(_CASE, encoding="utf-8")
    if widened:
        access = pack / "access.yaml"
        text = access.read_text(encoding="utf-8")
        assert _OLD in text
        access.write_text(text.replace(_OLD, _NEW), encoding="utf-8")
    return pack


def test_the_case_that_changed_is_the_example_not_a_shorter_variant(tmp_path: Path) -> None:
    # the data analyst may now read basic identity data: the case itself goes deny → allow,
    # and so do variants of it; the example was a variant whose JSON was shorter, `with no
    # subject.branch` here and `with 'retail' → 'risk' throughout` in the shipped pack, as if
    # the branch or the department mattered
    old, new = _pack(tmp_path, "old", widened=False), _pack(tmp_path, "new", widened=True)
    report = diff(fp.load_bundle(old), fp.load_bundle(new))
    (group,) = [g for g in report.groups if (g.old, g.new) == ("deny", "allow")]
    assert group.count > 1  # variants of the case changed the same way
    sample = group.example.sample
    assert not sample.changes, sample.label
    assert sample.label.startswith(f"case `{_NAME}` (")
    assert group.example.rules == ("-no-permission", "+allow-by-role")

    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--fail-on", "deny->allow"])
    assert result.exit_code == 1, result.output
    assert f"smallest example: case `{_NAME}`" in " ".join(result.output.split())
