"""A policy's vocabulary misspelt ``obligatons`` loaded clean and left every rule's
obligations unchecked (``risk_disclosure_signd`` passed); it is now an error naming
``obligations``."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


def test_a_misspelt_obligations_vocabulary_is_reported(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    assert text.count("\n    obligations:\n") == 1
    policy.write_text(text.replace("\n    obligations:\n", "\n    obligatons:\n"),
                      encoding="utf-8")
    manifest = pack / "bundle.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8")
                        + "  Obligation:\n    terms: [compliance_review]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2, result.output
    lines = policy.read_text(encoding="utf-8").splitlines()
    assert (f"suitability-2026.yaml:{lines.index('    obligatons:') + 1}: "
            "spec.vocabulary.obligatons: vocabulary `obligatons` covers nothing: it names no "
            "`fields`, and only `obligations` is read by its name (did you mean "
            "`obligations`?)") in result.output
    line = manifest.read_text(encoding="utf-8").splitlines().index("  Obligation:") + 1
    assert f"bundle.yaml:{line}: vocabulary.Obligation: vocabulary `Obligation` covers " \
           "nothing" in result.output
