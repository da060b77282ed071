"""``finpolicy test`` checks the invariants of a policy version that takes effect later (CI runs
it on every change, future versions included): each is checked on inputs that version decides,
and a violation is reported, not an untested invariant nor an input no version is in force on."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.testing import check_invariants
from tests.helpers.packversions import (
    never_holds,
    with_suitability_level_from_2027,
    with_version_from_2027,
)


def test_finpolicy_test_catches_a_classification_invariant_broken_from_2027(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    pack = with_version_from_2027(bundle, tmp_path / "next", kind="ClassificationPolicy",
                                  file="classification.yaml",
                                  invariant=never_holds("level_rank", "seed-000 §5.4"))
    result = CliRunner().invoke(main, ["test", str(pack), "--engine", "compiled",
                                       "--invariant-examples", "10"])
    assert result.exit_code == 1, result.output
    assert "VIOLATED cn-classification 9.0.0: broken from 2027" in result.output
    assert "as_of: '2027-01-0" in result.output  # (the counter-example's day, in its window)


def test_a_complaint_invariant_broken_from_2027_is_violated_not_untested(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    pack = fp.load_bundle(with_version_from_2027(
        bundle, tmp_path / "next", kind="ComplaintPolicy", file="complaints.yaml",
        invariant=never_holds("milestone_count", "cbirc-2020-3 Art. 18")))
    results = check_invariants(pack, max_examples=10, derandomize=True)
    (broken,) = [r for r in results if r.name == "broken from 2027"]
    assert (broken.version, broken.holds, broken.untested) == ("9.0.0", False, False)
    assert str(broken.counterexample["complaint"]["received_at"]) >= "2027-01-01"
    others = [r for r in results if r.policy == "cn-complaints" and r.version == "9.0.0"
              and r.name != "broken from 2027"]
    assert others and all(r.holds and not r.untested for r in others)


def test_a_consent_version_from_2027_is_checked_on_its_own_vocabulary(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # the version in force until 2026 has a channel (fax) the 2027 one does not: consents and
    # contacts drawn for the 2027 version named it, so each of its invariants reported an
    # ERROR (InputError: unknown channel `fax`) that no policy change had caused
    root = with_version_from_2027(bundle, tmp_path / "next", kind="ConsentPolicy",
                                  file="consent.yaml")
    current = root / "consent.yaml"
    text = current.read_text(encoding="utf-8")
    channel = "    in_branch: {title: 网点面对面 in branch}\n"
    assert text.count(channel) == 1
    current.write_text(text.replace(channel, channel + "    fax: {title: fax}\n"),
                       encoding="utf-8")
    results = check_invariants(fp.load_bundle(root), max_examples=10, derandomize=True)
    future = [r for r in results if r.policy == "cn-consent" and r.version == "9.0.0"]
    assert future and all(r.holds and r.error is None for r in future), \
        [r.describe() for r in future if not r.holds]


def test_an_access_version_from_2027_is_checked_on_its_own_vocabulary(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # the version in force until 2026 has an action (archive) the 2027 one does not: requests
    # drawn for the 2027 version asked for it, so its invariants reported an ERROR
    # (InputError: unknown action `archive`) that no policy change had caused
    root = with_version_from_2027(bundle, tmp_path / "next", kind="AccessPolicy",
                                  file="access.yaml")
    current = root / "access.yaml"
    text = current.read_text(encoding="utf-8")
    actions = "  actions: [read, write, export, delete]\n"
    assert text.count(actions) == 1
    current.write_text(text.replace(actions, actions.replace("]", ", archive]")),
                       encoding="utf-8")
    results = check_invariants(fp.load_bundle(root), max_examples=10, derandomize=True)
    future = [r for r in results if r.policy == "cn-access" and r.version == "9.0.0"]
    assert future and all(r.holds and r.error is None for r in future), \
        [r.describe() for r in future if not r.holds]


def test_a_suitability_version_that_adds_a_level_is_checked_on_its_own_levels(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # a 2027 version adds customer level C6 and product level R6: customers and products were
    # drawn from the levels of every version, so on the 2026 version's days they named C6 or
    # R6 and every invariant of cn-suitability 1.3.0 and 2.3.0 reported an ERROR (InputError:
    # unknown level) that no policy change had caused
    root = with_suitability_level_from_2027(bundle, tmp_path / "next")
    results = check_invariants(fp.load_bundle(root), max_examples=30, derandomize=True)
    suitability = [r for r in results if r.policy == "cn-suitability"]
    assert {r.version for r in suitability} >= {"2.3.0", "9.0.0"}
    assert all(r.holds and r.error is None for r in suitability), \
        [r.describe() for r in suitability if not r.holds or r.error is not None]
