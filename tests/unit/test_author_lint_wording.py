"""``finpolicy lint`` worded a classification rule that a higher one overrides as
"`email-core` (core, contact, None, email, False) ... overrides important, identity, None,
email, False": the parts a rule leaves unset showed as None and False."""

from __future__ import annotations

import shutil
from pathlib import Path

from finpolicy.documents.bundle import load_bundle, shipped_packs
from finpolicy.lint import lint_bundle

_RULES = """\
    - id: zz-email-core
      when: {field: field.name, in: [zz_email, zz_mail]}
      level: core
      category: basic_identity
      mask: email
      reason: An e-mail address kept as core data.
      cite: seed-000 §5.4
    - id: zz-email-important
      when: {field: field.name, eq: zz_email}
      level: important
      category: business
      mask: email
      reason: An e-mail address kept as business data.
      cite: seed-000 §5.4
"""


def test_an_overridden_classification_rule_is_worded_without_unset_parts(
        tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "classification.yaml"
    text = policy.read_text(encoding="utf-8")
    assert "\n  rules:\n" in text
    policy.write_text(text.replace("\n  rules:\n", "\n  rules:\n" + _RULES, 1),
                      encoding="utf-8")
    found = [f for f in lint_bundle(load_bundle(pack)) if f.rule == "zz-email-important"]
    assert [(f.code, f.message) for f in found] == [
        ("FPL003", "never takes effect: `zz-email-core` (core, basic_identity, email) holds "
                   "whenever it does and overrides important, business, email")]
