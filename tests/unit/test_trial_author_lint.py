"""``finpolicy lint`` on what a policy author writes: a cite by Chinese article number names
an article."""

from __future__ import annotations

from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.lint import lint_bundle

_POLICY = """apiVersion: finpolicy/v1
kind: SuitabilityPolicy
metadata:
  id: my-suit
  version: 1.0.0
  title: t
  effective_from: 2026-01-01
  jurisdiction: CN
  owner: me
  sources:
    - {{id: law, title: 民法典}}
spec:
  customer_levels:
    - {{level: C1, rank: 1, name: c}}
  product_levels:
    - {{level: R1, rank: 1, name: r}}
  rules:
    - id: a
      when: {{all: []}}
      outcome: suitable
      reason: r
      cite: law {cite}
"""


def _fpl004(tmp_path: Path, cite: str) -> bool:
    (tmp_path / "bundle.yaml").write_text("name: p\nversion: 1.0.0\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(_POLICY.format(cite=cite), encoding="utf-8")
    return any(f.code == "FPL004" for f in lint_bundle(fp.load_bundle(tmp_path)))


@pytest.mark.parametrize("cite", ["第一百条", "第二百条", "第一千条", "第一百零一条", "第十条",
                                  "附件一", "附录二", "Art. 100", "§3.4"])
def test_a_cite_with_an_article_number_is_not_reported(tmp_path: Path, cite: str) -> None:
    assert not _fpl004(tmp_path, cite)


@pytest.mark.parametrize("cite", ["全文", "(whole law)", "附件"])
def test_a_cite_without_one_is_reported(tmp_path: Path, cite: str) -> None:
    assert _fpl004(tmp_path, cite)
