"""Change impact on a change that only takes effect later: a new policy version effective from
a future date, or a threshold moved on a derived fact, is found at the default sample size."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.testing import diff
from finpolicy.testing.diff import DEFAULT_SAMPLES
from finpolicy.testing.focus import focus, translated
from finpolicy.testing.samples import make_sample
from tests.helpers.packversions import SUIT_2026, earlier_pack

OLD_RULE = "- {field: customer.age, ge: 65}"


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> fp.Bundle:
    """The shipped pack before the versions of 2026-12-07 (``earlier_pack``): the tests write
    new versions of its policies, after the ones in force in 2026."""
    return fp.load_bundle(earlier_pack(tmp_path_factory.mktemp("earlier") / "cn-banking"))


def with_next_suitability(earlier: fp.Bundle, into: Path, age: int = 60) -> Path:
    """A copy of the pack with a new suitability version from 2027-01-01: the 2026 rules with
    the elderly age lowered to ``age``; the 2026 version ends the day before."""
    shutil.copytree(earlier.root, into)
    current = into / "suitability-2026.yaml"
    text = current.read_text(encoding="utf-8")
    assert OLD_RULE in text and "effective_from: 2026-02-01\n" in text
    nxt = (text.replace(f"version: {SUIT_2026}", "version: 9.0.0", 1)
           .replace("effective_from: 2026-02-01", "effective_from: 2027-01-01", 1)
           .replace(OLD_RULE, OLD_RULE.replace("65", str(age))))
    (into / "suitability-2027.yaml").write_text(nxt, encoding="utf-8")
    current.write_text(text.replace("effective_from: 2026-02-01\n",
                                    "effective_from: 2026-02-01\n  effective_until: 2026-12-31\n",
                                    1), encoding="utf-8")
    return into


def test_a_new_version_effective_next_year_is_found_at_the_default_size(
        earlier: fp.Bundle, tmp_path: Path) -> None:
    new = fp.load_bundle(with_next_suitability(earlier, tmp_path / "next"))
    report = diff(earlier, new, samples=DEFAULT_SAMPLES, domains=["suitability"])
    assert report.changed
    kinds = {g.kind for g in report.groups}
    assert "suitable->conditional" in kinds
    for change in report.changes:
        assert change.rules == ("+elderly-high-risk",)
        assert change.sample.as_of is not None and change.sample.as_of >= dt.date(2027, 1, 1)
        assert change.new.policy == ("cn-suitability", "9.0.0")


def test_the_days_of_every_window_and_the_changed_versions_are_aimed_at(
        earlier: fp.Bundle, tmp_path: Path) -> None:
    new = fp.load_bundle(with_next_suitability(earlier, tmp_path / "next"))
    where = focus(earlier, new, {"SuitabilityPolicy"})
    assert {dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 12, 31),
            dt.date(2027, 1, 1)} <= set(where.days)
    assert dt.date(2027, 1, 1) in where.changed_days
    # the old and the new threshold of the changed rule, not the thresholds left alone
    assert where.thresholds == {("customer", "age"): (60.0, 65.0)}


def test_an_input_moved_to_a_day_keeps_its_situation() -> None:
    base = make_sample("suitability", {
        "customer": {"id": "c", "birth_date": "1959-07-01", "assessment_date": "2026-01-15",
                     "assessment_history": ["2026-01-10T09:30:00+08:00"]},
        "product": {"id": "p", "risk_level": "R4"}}, dt.date(2026, 3, 1), "case `x`")
    moved = translated(base, dt.date(2027, 3, 1))
    assert moved is not None and moved.as_of == dt.date(2027, 3, 1)
    assert moved.input["customer"] == {
        "id": "c", "birth_date": "1960-07-01", "assessment_date": "2027-01-15",
        "assessment_history": ["2027-01-10T09:30:00+08:00"]}
    assert moved.input["product"] == {"id": "p", "risk_level": "R4"}
    assert base.input["customer"]["birth_date"] == "1959-07-01"


def test_an_input_moved_to_a_day_is_labelled_in_words() -> None:
    # it read "the input of case `x` with moved to 2027-03-01 with its dates"
    base = make_sample("suitability", {"customer": {"id": "c"}, "product": {"id": "p"}},
                       dt.date(2026, 3, 1), "case `x`")
    moved = translated(base, dt.date(2027, 3, 1))
    assert moved is not None
    assert moved.label == ("a generated input: the input of case `x` with its dates moved to "
                           "2027-03-01")


def with_next_access_rule(earlier: fp.Bundle, into: Path) -> Path:
    """A copy of the pack with cn-access 9.0.0 from 2027-01-01: the current rules and a new
    one denying exports for analytics; the current version ends the day before."""
    shutil.copytree(earlier.root, into)
    current = into / "access.yaml"
    text = current.read_text(encoding="utf-8")
    doc = earlier.in_force("AccessPolicy", dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    anchor = "    - id: marketing-never-core\n"
    assert start in text and anchor in text
    rule = ("    - id: analytics-no-export\n"
            "      when: {all: [{field: request.purpose, eq: analytics},"
            " {field: request.action, eq: export}]}\n"
            "      effect: deny\n"
            "      reason: analytics never exports customer data\n"
            "      cite: bank own rule\n")
    nxt = (text.replace(f"  version: {doc.version}\n", "  version: 9.0.0\n", 1)
           .replace(start, "  effective_from: 2027-01-01\n", 1).replace(anchor, rule + anchor, 1))
    (into / "access-2027.yaml").write_text(nxt, encoding="utf-8")
    current.write_text(text.replace(start, start + "  effective_until: 2026-12-31\n", 1),
                       encoding="utf-8")
    return into


@pytest.mark.slow
def test_a_new_access_rule_from_next_year_is_found_on_cells_no_example_has(
        earlier: fp.Bundle, tmp_path: Path) -> None:
    # no example exports for analytics: only the full matrix, on a day the new version is in
    # force, reaches the cell the new rule denies
    new = fp.load_bundle(with_next_access_rule(earlier, tmp_path / "next"))
    report = diff(earlier, new, samples=0, domains=["access"])
    kinds = {g.kind: g for g in report.groups}
    assert "allow->deny" in kinds
    example = kinds["allow->deny"].example
    assert example.rules == ("-allow-by-role", "+analytics-no-export")
    assert example.sample.input["purpose"] == "analytics"
    assert example.sample.input["action"] == "export"
    assert all(c.sample.as_of is not None and c.sample.as_of.date() >= dt.date(2027, 1, 1)
               for c in report.changes)


def test_the_matrix_moves_only_to_periods_where_the_versions_in_force_differ(
        earlier: fp.Bundle, tmp_path: Path) -> None:
    new = fp.load_bundle(with_next_access_rule(earlier, tmp_path / "next"))
    where = focus(earlier, new, {"AccessPolicy"})
    assert where.apart == (dt.date(2027, 1, 1),)
    base = make_sample("access", {"action": "read", "at": "2026-03-02T09:00:00+08:00"},
                       dt.datetime.fromisoformat("2026-03-02T10:00:00+08:00"), "case `x`")
    (moved,) = where.regridded(base)
    assert moved.as_of == dt.datetime.fromisoformat("2027-01-01T10:00:00+08:00")
    assert moved.input["at"] == "2027-01-01T09:00:00+08:00"
    later = make_sample("access", {"action": "read"},
                        dt.datetime.fromisoformat("2027-03-02T10:00:00+08:00"), "case `y`")
    assert list(where.regridded(later)) == []
    assert focus(earlier, earlier, {"AccessPolicy"}).apart == ()


def test_variants_grow_from_the_days_the_bundles_decide_apart(earlier: fp.Bundle,
                                                              tmp_path: Path) -> None:
    # perturbing an example of 2026 when only 2027 differs finds nothing: the variants grow
    # from the example moved into 2027 instead
    new = fp.load_bundle(with_next_access_rule(earlier, tmp_path / "next"))
    where = focus(earlier, new, {"AccessPolicy"})
    base = make_sample("access", {"action": "read"},
                       dt.datetime.fromisoformat("2026-03-02T10:00:00+08:00"), "case `x`")
    (moved,) = where.retargeted(base)
    assert moved.as_of == dt.datetime.fromisoformat("2027-01-01T10:00:00+08:00")
    later = make_sample("access", {"action": "read"},
                        dt.datetime.fromisoformat("2027-03-02T10:00:00+08:00"), "case `y`")
    assert where.retargeted(later) == [later]
    same = focus(earlier, earlier, {"AccessPolicy"})
    assert same.retargeted(base) == [base]
