"""``finpolicy docs`` on a pack a policy author wrote from scratch."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main

_POLICY = """apiVersion: finpolicy/v1
kind: SuitabilityPolicy
metadata:
  id: my-suit
  version: 1.0.0
  title: My suitability
  effective_from: 2026-01-01
  jurisdiction: CN
  owner: me
  sources:
    - {id: nfra, title: NFRA rule, article: Art. 12}
spec:
  customer_levels:
    - {level: C1, rank: 1, name: conservative}
  product_levels:
    - {level: R1, rank: 1, name: low}
  rules:
    - id: above
      when: {field: product.rank, gt: {field: customer.rank}}
      outcome: unsuitable
      reason: Above tolerance.
      cite: nfra Art. 12
"""


def test_the_summary_counts_one_policy_in_the_singular(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bundle.yaml").write_text("name: mine\nversion: 0.1.0\n", encoding="utf-8")
    (pack / "suit.yaml").write_text(_POLICY, encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", str(pack), "-o", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "(1 policy, 1 document)" in " ".join(result.output.split())
