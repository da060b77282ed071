"""The JSON Schemas refuse what ``finpolicy validate`` refuses where JSON Schema can say it:
a handling with neither or both of a retention pair, condition numbers the parser refuses,
masks and detectors finpolicy does not have, a level or vocabulary name listed twice; the
shipped documents and the guides' examples still pass."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from finpolicy.authoring.schema import schemas
from finpolicy.documents.yamlsource import parse_yaml
from tests.unit.test_author_guide_examples import GUIDES, _block

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the `test` extra")

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"


def _doc(name: str) -> Any:
    path = PACK / name
    return parse_yaml(path.read_text(encoding="utf-8"), str(path)).data


def _errors(kind: str, data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schemas()[f"{kind}.schema.json"])
    return [e.message for e in validator.iter_errors(data)]


def _classification() -> Any:
    return copy.deepcopy(_doc("classification.yaml"))


def test_the_unchanged_documents_pass() -> None:
    assert _errors("ClassificationPolicy", _classification()) == []
    assert _errors("AccessPolicy", _doc("access.yaml")) == []


@pytest.mark.parametrize("guide,kind", [("classification.rst", "ClassificationPolicy"),
                                        ("suitability.rst", "SuitabilityPolicy")])
def test_the_guides_examples_pass(guide: str, kind: str) -> None:
    text = _block(GUIDES / guide)
    assert _errors(kind, parse_yaml(text, guide).data) == []


@pytest.mark.parametrize("pair", [("retention_days", "retention"),
                                  ("audit_log_retention_days", "audit_log_retention")])
def test_a_handling_needs_exactly_one_of_each_retention_pair(pair: tuple[str, str]) -> None:
    days, period = pair
    both = _classification()
    both["spec"]["handling"]["core"][days] = 30
    assert both["spec"]["handling"]["core"][period]
    assert _errors("ClassificationPolicy", both) != []
    neither = _classification()
    del neither["spec"]["handling"]["core"][period]
    assert _errors("ClassificationPolicy", neither) != []
    other = _classification()
    del other["spec"]["handling"]["core"][period]
    other["spec"]["handling"]["core"][days] = 30
    assert _errors("ClassificationPolicy", other) == []


@pytest.mark.parametrize("number,ok", [(2**53, True), (-(2**53), True), (2**53 + 2, False),
                                       (-(2**53) - 2, False), (1e300, False), (0, True),
                                       (0.0001, True), (0.00001, False), (-0.00001, False)])
def test_condition_numbers_are_those_the_parser_takes(number: float, ok: bool) -> None:
    data = _classification()
    data["spec"]["rules"][0]["when"] = {"field": "field.sample_count", "gt": number}
    assert (_errors("ClassificationPolicy", data) == []) is ok
    data["spec"]["rules"][0]["when"] = {"field": "field.sample_count", "in": [1, number]}
    assert (_errors("ClassificationPolicy", data) == []) is ok


@pytest.mark.parametrize("mask,ok", [("full", True), ("partial:3:4", True), ("initials", False),
                                     ("partial:3", False), ("Full", False)])
def test_masks_are_finpolicys(mask: str, ok: bool) -> None:
    data = _classification()
    data["spec"]["rules"][0]["mask"] = mask
    assert (_errors("ClassificationPolicy", data) == []) is ok
    data = _classification()
    data["spec"]["unknown_field_mask"] = mask
    assert (_errors("ClassificationPolicy", data) == []) is ok


def test_detectors_are_finpolicys() -> None:
    data = _classification()
    data["spec"]["content"]["detectors"].append("cn_passport_number")
    assert _errors("ClassificationPolicy", data) != []


def test_a_level_listed_twice_is_refused() -> None:
    data = _classification()
    data["spec"]["levels"].append(copy.deepcopy(data["spec"]["levels"][-1]))
    assert _errors("ClassificationPolicy", data) != []
    access = copy.deepcopy(_doc("access.yaml"))
    access["spec"]["levels"].append("core")
    assert _errors("AccessPolicy", access) != []
