"""A rule literal that no input can carry is a policy error, not a rule that silently never
fires: for a deny rule or a core-data rule, that is access left open or data left ordinary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs


def _edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    path = pack / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return pack


def _problems(pack: Path) -> list[fp.Problem]:
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    return list(info.value.problems)


@pytest.mark.parametrize(("old", "new", "says"), [
    # marketing-never-core with its purpose misspelt let marketing read core data
    ("{field: request.purpose, eq: marketing}", "{field: request.purpose, eq: markting}",
     "unknown purpose `markting`: the policy declares account_service, credit_review, "
     "risk_monitoring, audit, marketing, analytics (did you mean `marketing`?)"),
    ("{field: resource.level, eq: core}", "{field: resource.level, eq: Core}",
     "unknown level `Core`"),
    ("{field: request.purpose, eq: marketing}",
     "{field: request.purpose, eq: marketing}, {field: subject.roles, contains: tellr}",
     "unknown role `tellr` (did you mean `teller`?)"),
])
def test_an_access_rule_naming_what_no_request_carries_is_refused(
        tmp_path: Path, old: str, new: str, says: str) -> None:
    if "tellr" in new:  # (a list item of its own)
        old, new = "          - " + old, "          - " + new.replace(", {", "\n          - {")
    (problem,) = _problems(_edited(tmp_path, "access.yaml", old, new))
    assert problem.code == "unknown_term"
    assert says in problem.message
    assert problem.file.endswith("access.yaml") and problem.line is not None


def test_an_undeclared_role_far_from_every_declared_one_may_be_named(tmp_path: Path) -> None:
    """A subject may hold roles the policy does not declare (from the directory); a deny rule
    may name one."""
    pack = _edited(tmp_path, "access.yaml", "          - {field: request.purpose, eq: marketing}",
                   "          - {field: request.purpose, eq: marketing}\n"
                   "          - {field: subject.roles, contains: contractor}")
    assert fp.load_bundle(pack).name == "cn-banking"


def test_a_review_rule_comparing_an_id_not_in_canonical_form_is_refused(tmp_path: Path) -> None:
    # ids reach review rules canonical: U-BREAKGLASS never matched u-breakglass
    (problem,) = _problems(_edited(
        tmp_path, "access.yaml", "{field: grant.approved_by, eq: {field: grant.grantee}}",
        "{field: grant.approved_by, eq: U-BREAKGLASS}"))
    assert "`U-BREAKGLASS` never matches: write `u-breakglass`" in problem.message


@pytest.mark.parametrize(("new", "says"), [
    ("{field: field.tags, contains: Biometric}", "write `biometric`"),
    ('{field: field.name, matches: "ZZ_SECRET.*"}', "never matches a capital letter"),
    ("{field: field.name, eq: Zq_Hidden}", "write `zq_hidden`"),
    ("{field: field.name, in: [contact-phone]}", "write `contact_phone`"),
    ("{field: detected, contains: cn_pasport}", "(did you mean `passport`?)"),
])
def test_a_classification_rule_no_field_can_match_is_refused(tmp_path: Path, new: str,
                                                             says: str) -> None:
    """Field names reach the rules normalised and tags in lower case: these rules validated
    and classified the fields they meant as ordinary."""
    old = "{field: field.tags, contains: biometric}"
    (problem,) = _problems(_edited(tmp_path, "classification.yaml", old, new))
    assert problem.code == "unknown_term" and says in problem.message


def test_lower_case_patterns_and_character_classes_are_accepted(tmp_path: Path) -> None:
    pack = _edited(tmp_path, "classification.yaml", "{field: field.tags, contains: biometric}",
                   '{field: field.name, matches: "[A-Za-z0-9]+_scan"}')
    assert fp.PolicyEngine(fp.load_bundle(pack)).classify("face_scan").outcome == "core"


@pytest.mark.parametrize(("new_id", "code"), [("Risk-Disclosure", "duplicate_rule"),
                                              ("risk-disclosure ", "bad_rule_id")])
def test_a_rule_id_spelt_as_another_or_padded_is_refused(tmp_path: Path, new_id: str,
                                                         code: str) -> None:
    """Two rules printed as the same id in decisions and explanations."""
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    path = pack / "suitability-2026.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "  rules:\n"
    rule = ("    - id: '" + new_id + "'\n      when: {field: customer.age, ge: 200}\n"
            "      outcome: unsuitable\n      reason: planted\n      cite: nfra-2025-7 Art. 12\n")
    path.write_text(text.replace(marker, marker + rule, 1), encoding="utf-8")
    codes = {p.code for p in _problems(pack)}
    assert code in codes, codes
