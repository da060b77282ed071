"""Minors: the age read from the birth date decides legal capacity too (Civil Code Art. 19, 20),
whatever `legal_capacity` says (it defaults to full), on every route."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

ENGINE = fp.PolicyEngine(fp.load_bundle())
NEW, OLD = dt.date(2026, 3, 1), dt.date(2026, 1, 20)
R3 = fp.Product(id="wm-r3", kind="wealth_management", risk_level="R3")
R1 = fp.Product(id="dep-1y", kind="time_deposit", risk_level="R1", principal_protected=True)


def _child(born: dt.date, **more: object) -> fp.Customer:
    return fp.Customer(id="kid", risk_level="C5", assessment_date=dt.date(2025, 12, 1),
                       birth_date=born, **more)


@pytest.mark.parametrize(("on", "born", "product", "outcome", "rule"), [
    # under 8: nothing at all, even R1 with the guardian's consent
    (NEW, dt.date(2018, 3, 2), R1, "unsuitable", "minor-under-eight"),
    (OLD, dt.date(2018, 1, 21), R1, "unsuitable", "minor-under-eight"),
    # 8 to 17 under the NFRA rule: R1 only, with the guardian's consent
    (NEW, dt.date(2018, 3, 1), R1, "conditional", "minor-needs-consent"),
    (NEW, dt.date(2008, 3, 2), R3, "unsuitable", "minor-above-low-risk"),
    # 8 to 17 under the 2018 rule: the guardian's consent
    (OLD, dt.date(2008, 1, 21), R3, "conditional", "minor-needs-consent"),
])
def test_a_minor_recorded_with_full_capacity_is_decided_by_age(
        on: dt.date, born: dt.date, product: fp.Product, outcome: str, rule: str) -> None:
    # a 7-year-old (legal_capacity left at its default, full) was sold an R5 product by both
    # versions, and a 17-year-old an R3 one without the guardian's consent
    d = ENGINE.check_suitability(_child(born), product, as_of=on)
    assert (d.outcome, rule in d.rule_ids) == (outcome, True)


def test_the_18th_birthday_ends_it() -> None:
    for on, born in ((NEW, dt.date(2008, 3, 1)), (OLD, dt.date(2008, 1, 20))):
        d = ENGINE.check_suitability(_child(born), R3, as_of=on)
        assert d.outcome == "suitable" and not any(r.startswith("minor") for r in d.rule_ids)


def test_consent_does_not_cure_a_child_under_eight() -> None:
    d = ENGINE.check_suitability(_child(dt.date(2020, 1, 1), guardian_consent=True), R1,
                                 as_of=NEW)
    assert d.outcome == "unsuitable"


def test_an_institution_is_no_minor() -> None:
    firm = fp.Customer(id="firm", kind="institution", risk_level="C5",
                       assessment_date=dt.date(2025, 12, 1), birth_date=dt.date(2020, 1, 1))
    assert ENGINE.check_suitability(firm, R3, as_of=NEW).outcome == "suitable"


def test_the_explanation_offers_r1_and_consent_never_another_age() -> None:
    x = ENGINE.explain("check_suitability", _child(dt.date(2014, 5, 1)), R3, as_of=NEW)
    best = x.suggestions[0]
    assert best.outcome == "suitable"
    assert {(c.path, c.value) for c in best.changes} == {
        ("/product/risk_level", "R1"), ("/customer/guardian_consent", True)}
    assert all("birth_date" not in c.path for s in x.suggestions for c in s.changes)
    # under 8 nothing a person can change helps
    young = ENGINE.explain("check_suitability", _child(dt.date(2020, 1, 1)), R3, as_of=NEW)
    assert young.suggestions == ()


def test_every_route_agrees_on_a_minor(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    born = [dt.date(2018, 3, 2), dt.date(2010, 6, 1), dt.date(2008, 3, 1)]
    table = pa.table({"customer.id": ["a", "b", "c"], "customer.risk_level": ["C5"] * 3,
                      "customer.assessment_date": [dt.date(2025, 12, 1)] * 3,
                      "customer.birth_date": born, "product.id": ["wm-r3"] * 3,
                      "product.kind": ["wealth_management"] * 3,
                      "product.risk_level": ["R3"] * 3})
    got = ENGINE.evaluate_table("suitability", table, as_of=NEW).to_pydict()
    assert got["outcome"] == ["unsuitable", "unsuitable", "suitable"]
    assert [list(r)[:1] for r in got["rule_ids"]] == [
        ["minor-under-eight"], ["minor-above-low-risk"], ["risk-disclosure"]]
    sales = [{"customer": _child(b).model_dump(mode="json"),
              "product": R3.model_dump(mode="json")} for b in born]
    path = tmp_path / "sales.json"
    path.write_text(json.dumps(sales))
    result = CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of",
                                       NEW.isoformat(), "--json"])
    assert result.exit_code == 1, result.output
    assert [d["outcome"] for d in json.loads(result.output)] == got["outcome"]
