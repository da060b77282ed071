"""``finpolicy lint`` did not decide field-to-field comparisons (``product.rank gt {field:
customer.rank}``), so it missed a ``suitable`` rule for an R3 product and a C1 customer that
the above-tolerance rule always overrides, and a rule asking for a rank both above and not
above the customer's. Between facts of known finite domains (the declared ranks) it now tries
every pair of values."""

from __future__ import annotations

from pathlib import Path

from finpolicy.documents.bundle import load_bundle
from finpolicy.lint import lint_bundle

_POLICY = """\
apiVersion: finpolicy/v1
kind: SuitabilityPolicy
metadata:
  id: hk-suitability
  version: 1.0.0
  title: Suitability
  effective_from: 2026-01-01
  jurisdiction: HK
  owner: wealth
  sources:
    - {id: hkma, title: HKMA circular, article: para 3}
spec:
  customer_levels:
    - {level: C1, rank: 1, name: Conservative}
    - {level: C2, rank: 2, name: Moderate}
    - {level: C3, rank: 3, name: Aggressive}
  product_levels:
    - {level: R1, rank: 1, name: Low}
    - {level: R2, rank: 2, name: Medium}
    - {level: R3, rank: 3, name: High}
  rules:
    - id: within-tolerance
      when: {field: product.rank, le: {field: customer.rank}}
      outcome: suitable
      reason: Within tolerance.
      cite: hkma para 3
    - id: above-tolerance
      when: {field: product.rank, gt: {field: customer.rank}}
      outcome: unsuitable
      reason: Above tolerance.
      cite: hkma para 3
    - id: r3-for-c1
      when: {all: [{field: product.rank, eq: 3}, {field: customer.rank, eq: 1}]}
      outcome: suitable
      reason: Allowed.
      cite: hkma para 3
    - id: above-and-within
      when: {all: [{field: product.rank, gt: {field: customer.rank}},
                   {field: product.rank, le: {field: customer.rank}}]}
      outcome: conditional
      reason: Never.
      cite: hkma para 3
"""


def test_field_to_field_comparisons_over_declared_ranks_are_decided(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text("name: hk\nversion: 0.1.0\njurisdiction: HK\n",
                                          encoding="utf-8")
    (tmp_path / "suitability.yaml").write_text(_POLICY, encoding="utf-8")
    found = {(f.code, f.rule, f.related) for f in lint_bundle(load_bundle(tmp_path))}
    assert found == {("FPL003", "r3-for-c1", ("above-tolerance",)),
                     ("FPL001", "above-and-within", ())}
