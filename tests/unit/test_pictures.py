"""Pictures and tables readable by the people they are for: sample customers come from the
policy's own thresholds (a changed threshold changes the picture), and every number in a
policy's tables says what it counts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy import docgen
from finpolicy.docgen.boundaries import Threshold, thresholds, untouched
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.suitability.pictures import (
    boundary_probes,
    suitability_boundaries,
    typical_probe,
)
from tests.helpers.packversions import SUIT_2018, earlier_pack

PACKS = shipped_packs()


def _suitability(root: Path) -> tuple[fp.PolicyEngine, Any]:
    bundle = fp.load_bundle(root)
    return fp.PolicyEngine(bundle), bundle.policies("SuitabilityPolicy")[-1]


def _with_elderly_age(tmp_path: Path, age: int) -> Path:
    root = earlier_pack(tmp_path / "pack")  # (its last suitability version is 2.3.0's file)
    path = root / "suitability-2026.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{field: customer.age, ge: 65}",
                                 f"{{field: customer.age, ge: {age}}}"), encoding="utf-8")
    return root


def test_threshold_sides_straddle_the_boundary() -> None:
    assert Threshold("customer.age", "ge", 65, "r", "s").sides() == (64, 65)
    assert Threshold("x", "gt", 0.5, "r", "s").sides(0.01) == (0.5, 0.51)
    assert Threshold("x", "le", 17, "r", "s").sides() == (17, 18)
    found = [Threshold("age", "lt", 18, "young", "s"), Threshold("age", "ge", 65, "old", "s")]
    assert untouched(found) == 18  # the lowest age either side that no rule picks out
    # one rule's comparisons together: 8 to 17 is that rule's, under 8 another's
    minors = [Threshold("age", "lt", 8, "child", "s"), Threshold("age", "ge", 8, "minor", "s"),
              Threshold("age", "lt", 18, "minor", "s"), Threshold("age", "ge", 65, "old", "s")]
    assert untouched(minors) == 18
    assert untouched([]) is None


def test_the_matrix_customer_and_the_boundary_cases_come_from_the_rules(
        tmp_path: Path) -> None:
    for age in (65, 60):
        engine, doc = _suitability(_with_elderly_age(tmp_path / str(age), age))
        elderly = [(t.op, t.value) for t in thresholds(doc, lambda p: p == "customer.age")
                   if t.rule_id == "elderly-high-risk"]
        assert elderly == [("ge", age)]
        # the first age no rule's age comparisons all meet: past the minors' rules (< 8;
        # 8 to 17: both comparisons of one rule hold), below the elderly one
        assert typical_probe(doc).age == 18
        markup = docgen.suitability_matrix(engine, doc)
        assert "for an individual aged 18, assessed that day" in markup
        ages = {p.age: p for p in boundary_probes(doc) if p.boundary.startswith("customer.age")}
        assert {age - 1, age, 7, 8, 17, 18} <= set(ages)
        top, r4 = doc.spec.customer_levels[-1].level, "R4"
        below = docgen.suitability_outcomes(engine, doc, "wealth_management", ages[age - 1])
        at = docgen.suitability_outcomes(engine, doc, "wealth_management", ages[age])
        assert below[top, r4].outcome == "suitable"
        assert at[top, r4].outcome == "conditional"
        assert "elderly-high-risk" in at[top, r4].rule_ids
        table = suitability_boundaries(engine, doc)
        assert f"aged {age}, assessed that day" in table and "elderly-high-risk" in table


def test_assessments_either_side_of_expiry_and_of_each_count_limit(
        bundle: fp.Bundle) -> None:
    doc = bundle.policies("SuitabilityPolicy")[-1]
    valid = doc.spec.settings.assessment_valid_days
    probes = boundary_probes(doc)
    assert {p.assessed for p in probes if "valid" in p.boundary} == {valid, valid + 1}
    assert {p.today for p in probes if "count_today" in p.boundary} == {2, 3}
    assert {p.in_window for p in probes if "count_12m" in p.boundary} == {8, 9}
    engine = fp.PolicyEngine(bundle)
    expired = next(p for p in probes if p.assessed == valid + 1)
    last_day = next(p for p in probes if p.assessed == valid)
    top = doc.spec.customer_levels[-1].level
    assert docgen.suitability_outcomes(engine, doc, "wealth_management", expired)[
        top, "R1"].outcome == "unsuitable"
    assert docgen.suitability_outcomes(engine, doc, "wealth_management", last_day)[
        top, "R1"].outcome == "suitable"


def test_the_version_history_compares_the_versions_on_the_newer_thresholds(
        bundle: fp.Bundle) -> None:
    [(old, new)] = [(a, b) for a, b in docgen.version_pairs(bundle)
                    if (a.id, a.version) == ("cn-suitability", SUIT_2018)]
    changes = docgen.decision_changes(fp.PolicyEngine(bundle), old, new)
    (_, markup), = changes
    # 1.0.0 has no age rule; 2.0.0's elderly rule shows on the customer aged 65
    assert "aged 65, assessed that day" in markup


_BARE_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@pytest.mark.parametrize("pack", ["cn-banking", "uk-fca"])
def test_every_number_in_a_policy_table_says_what_it_counts(pack: str) -> None:
    seen = 0
    for doc in fp.load_bundle(PACKS / pack).documents:
        for title, header, rows in docgen.spec_tables(doc):
            for row in rows:
                for column, cell in zip(header, row, strict=True):
                    label = row[0] if column == "Value" else column
                    if _BARE_NUMBER.match(cell):
                        # a bare number is an order (rank, grade) the column's title explains
                        assert re.search(r"(rank|grade) \(", label), (doc.key, title, label, cell)
                    elif re.match(r"^\d", cell):
                        seen += 1
                        # a number with its unit: 365 days, 80 % of …, 17:00 local time
                        assert re.match(r"^\d+(\.\d+|:\d\d)? ?[a-z%]", cell), (
                            doc.key, label, cell)
    assert seen > 0


def test_the_at_risk_share_reads_as_a_percentage_of_the_time_allowed(
        bundle: fp.Bundle) -> None:
    (doc,) = bundle.policies("ComplaintPolicy")
    milestones = next(t for t in docgen.spec_tables(doc) if t[0] == "Milestones")
    _, header, rows = milestones
    column = header.index("at risk after")
    assert {row[column] for row in rows} == {"75 % of the time allowed",
                                             "80 % of the time allowed"}
    calendar = next(t for t in docgen.spec_tables(doc) if t[0] == "Calendar")
    assert ["cutoff", "17:00 local time"] in calendar[2]
