"""The days a version is in force, as the pages state them, without ambiguity: for a policy
whose days are counted in a time zone, the instant in UTC a version starts deciding, which is
the instant the engine switches at (a 66-year-old's R4 fund at 2026-01-31 16:00 UTC is decided
under cn-suitability 2.3.0, one second earlier under 1.3.0)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy import docgen
from finpolicy.docgen.doctree import history_nodes, versions_nodes
from finpolicy.documents.bundle import shipped_packs
from finpolicy.engine import PolicyEngine

CN = shipped_packs() / "cn-banking"


@pytest.fixture(scope="module")
def bundle() -> fp.Bundle:
    return fp.load_bundle(CN)


def _doc(bundle: fp.Bundle, key: str) -> Any:
    return next(d for d in bundle.documents if d.key == key)


def _text(tree: list[nodes.Node]) -> str:
    return " ".join(" ".join(n.astext() for n in tree).split())


def test_the_stated_instant_is_the_one_the_engine_switches_versions_at(
        bundle: fp.Bundle) -> None:
    from finpolicy.docgen import in_force_text

    tree = versions_nodes(docgen.policy_groups(bundle)["cn-suitability"], PolicyEngine(bundle),
                          pictures=False)
    text = _text(tree)
    old, new = _doc(bundle, "cn-suitability@1.3.0"), _doc(bundle, "cn-suitability@2.3.0")
    stated = re.match(r"2026-02-01 to .* \(inclusive\); days in Asia/Shanghai time: from "
                      r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC", in_force_text(new))
    assert stated is not None, in_force_text(new)
    assert in_force_text(new) in text and in_force_text(old) in text  # as the page says
    assert in_force_text(old).endswith("up to " + stated.group(1) + " UTC")  # 1.3.0 ends
    switch = dt.datetime.strptime(stated.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    engine = PolicyEngine(bundle)
    customer = fp.Customer(id="c1", kind="individual", risk_level="C5",
                           birth_date=dt.date(1960, 1, 1), assessment_date=dt.date(2026, 1, 15))
    product = fp.Product(id="p1", kind="fund", risk_level="R4")
    before = engine.check_suitability(customer, product, as_of=switch - dt.timedelta(seconds=1))
    after = engine.check_suitability(customer, product, as_of=switch)
    assert (before.policy.version, after.policy.version) == ("1.3.0", "2.3.0")
    assert "elderly-high-risk" in [h.rule_id for h in after.hits]


def test_the_history_says_when_the_new_version_starts_deciding(bundle: fp.Bundle) -> None:
    text = _text(history_nodes(bundle, "cn-suitability"))
    assert ("1.3.0 was in force 2018-09-26 to 2026-01-31; 2.3.0 from 2026-02-01 (from "
            "2026-01-31 16:00 UTC, midnight in Asia/Shanghai; an instant before it is decided "
            "under 1.3.0)") in text
    assert ".." not in text.split("Rules")[0]


def test_a_policy_without_a_time_zone_states_only_its_days(bundle: fp.Bundle) -> None:
    from finpolicy.docgen import in_force_text, window_text

    complaints = _doc(bundle, "cn-complaints@1.2.0")
    assert in_force_text(complaints) == "2020-03-01 to further notice (inclusive)"
    assert window_text(_doc(bundle, "cn-suitability@1.3.0")) == "2018-09-26 to 2026-01-31"
    newest = docgen.policy_groups(bundle)["cn-suitability"][-1]
    assert newest.metadata.effective_until is None
    assert window_text(newest) == f"from {newest.metadata.effective_from}"
