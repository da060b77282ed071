"""The JSON Schemas agree with the loader on what a policy author gets wrong most often."""

from __future__ import annotations

from typing import Any

import pytest

from finpolicy.authoring.schema import bundle_schema, kind_schema

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the `test` extra")


def _document(**metadata: Any) -> dict[str, Any]:
    meta = {"id": "my-suit", "version": "1.0.0", "title": "t", "effective_from": "2026-01-01",
            "jurisdiction": "CN", "owner": "me",
            "sources": [{"id": "nfra", "title": "NFRA", "article": "Art. 12"}], **metadata}
    return {"apiVersion": "finpolicy/v1", "kind": "SuitabilityPolicy", "metadata": meta,
            "spec": {"customer_levels": [{"level": "C1", "rank": 1, "name": "c"}],
                     "product_levels": [{"level": "R1", "rank": 1, "name": "r"}],
                     "rules": [{"id": "a", "when": {"all": []}, "outcome": "suitable",
                                "reason": "r", "cite": "nfra Art. 12"}]}}


def _valid(schema: dict[str, Any], data: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(data)


@pytest.mark.parametrize(("key", "value", "valid"), [
    ("version", "1.0.0", True), ("version", "2.1.0-rc.1", True),
    ("version", "1.0", False), ("version", "v1.0.0", False), ("version", "1.0.0 ", False),
    ("id", "cn-suitability", True), ("id", "My Suit", False), ("id", "", False),
])
def test_the_schema_checks_the_id_and_version_the_loader_checks(key: str, value: str,
                                                                valid: bool) -> None:
    assert _valid(kind_schema("SuitabilityPolicy"), _document(**{key: value})) is valid


def test_the_bundle_schema_checks_the_version() -> None:
    assert _valid(bundle_schema(), {"name": "p", "version": "1.0.0"})
    assert not _valid(bundle_schema(), {"name": "p", "version": "1.0"})
