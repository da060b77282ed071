"""``finpolicy lint`` FPL008 on a rule's own text names the rule, so it is silenced on the
rule's id line as writing-policies.rst says every finding is (it named the path
``spec.rules.13.reason``, and a comment on the id line silenced nothing)."""

from __future__ import annotations

from pathlib import Path

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.lint import Finding, lint_bundle

CN = shipped_packs() / "cn-banking"
RULE = "- id: elderly-high-risk\n"


def _pack(tmp_path: Path, comment: str = "") -> Path:
    """The suitability policy with its elderly rule from 60, its text still saying 65."""
    root = tmp_path / "pack"
    root.mkdir()
    for name in ("bundle.yaml", "suitability-2018.yaml"):
        (root / name).write_bytes((CN / name).read_bytes())
    text = (CN / "suitability-2026.yaml").read_text(encoding="utf-8")
    assert "{field: customer.age, ge: 65}" in text and text.count(RULE) == 1
    text = text.replace("{field: customer.age, ge: 65}", "{field: customer.age, ge: 60}")
    (root / "suitability-2026.yaml").write_text(
        text.replace(RULE, RULE.replace("\n", comment + "\n")), encoding="utf-8")
    return root


def _stated(root: Path) -> list[Finding]:
    return [f for f in lint_bundle(fp.load_bundle(root)) if f.code == "FPL008"]


def test_a_rules_reason_is_named_by_the_rule(tmp_path: Path) -> None:
    described, reason = _stated(_pack(tmp_path))
    assert described.rule == "metadata.description"
    assert described.message.startswith("states `customers 65 and over`")
    assert reason.rule == "elderly-high-risk"
    assert reason.message.startswith("its `reason` states `aged 65` (an age)")
    assert str(reason).split(": ", 2)[1:] == [
        "warning FPL008", f"rule `elderly-high-risk`: {reason.message}"]


def test_it_is_silenced_on_the_rules_id_line(tmp_path: Path) -> None:
    root = _pack(tmp_path, "  # finpolicy-lint: ignore[FPL008] the text changes next release")
    assert [f.rule for f in _stated(root)] == ["metadata.description"]
