"""A condition naming a fact by its last name (``{field: name, ...}`` in a classification
rule, ``{field: age, ...}`` in a suitability rule) read only "unknown field `name`", and a
newcomer had no list of the facts anywhere; it now suggests ``field.name`` / ``customer.age``,
and a name close to none lists the facts the condition may read."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


def test_an_unknown_field_suggests_the_fact_or_lists_them(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    for name, old, new in [
            ("classification.yaml", "{field: field.name, in: [password,", "{field: name, in: "
                                                                         "[password,"),
            ("suitability-2026.yaml", "{field: customer.age, ge: 8}", "{field: age, ge: 8}"),
            ("suitability-2018.yaml", "{field: customer.age, ", "{field: risk, ")]:
        text = (pack / name).read_text(encoding="utf-8")
        assert old in text, (name, old)
        (pack / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    out = CliRunner().invoke(main, ["validate", str(pack)]).output
    assert "unknown field `name` (did you mean `field.name`?)" in out, out
    assert "unknown field `age` (did you mean `customer.age`?)" in out, out
    listed = next(line for line in out.splitlines() if "unknown field `risk`" in line)
    assert "; a condition here reads assessment.change_reported, " in listed
    assert ", customer.age, " in listed and ", product.rank, " in listed
