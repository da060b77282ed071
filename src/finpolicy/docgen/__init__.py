"""Documentation fragments for policies: rules in words, tables, version changes, pictures.

Pure functions over loaded bundles and engines, testable without Sphinx; the Sphinx extension
(``finpolicy.sphinx``) and ``finpolicy docs`` wrap them in pages.

- ``text``: every rule in plain words, the spec's own tables, what changed between versions,
  the YAML reference of a pydantic model;
- ``pictures``: the pictures each domain declares (``Domain.pictures``), drawn for a document;
  each domain's picture functions are also reachable here by name
  (``docgen.suitability_matrix``);
- ``html``: the tables, legends and colours pictures share;
- ``boundaries``: the numeric thresholds of a policy's rules, where pictures take their samples;
- ``consistency``: numbers in descriptions and reasons checked against the rules' numbers;
- ``site``: a standalone Sphinx site for a pack; ``printed``: its printable edition (PDF);
- error codes: the registry in ``finpolicy.errorcodes``.
"""

from __future__ import annotations

import importlib
from typing import Any

from finpolicy.docgen.html import COLOURS, html_table, legend
from finpolicy.docgen.pictures import decision_changes, picture, pictures, registered_pictures
from finpolicy.docgen.text import (
    RuleChange,
    RuleView,
    bundle_listing,
    combining,
    effect_text,
    in_force_text,
    invariant_views,
    pack_language,
    plain,
    policy_groups,
    policy_listing,
    rule_changes,
    rule_view,
    rule_views,
    schema_rows,
    spec_tables,
    version_pairs,
    window_text,
)
from finpolicy.errorcodes import ErrorCode, error_codes

__all__ = [
    "COLOURS",
    "ErrorCode",
    "RuleChange",
    "RuleView",
    "bundle_listing",
    "combining",
    "decision_changes",
    "effect_text",
    "error_codes",
    "html_table",
    "in_force_text",
    "invariant_views",
    "legend",
    "pack_language",
    "picture",
    "pictures",
    "plain",
    "policy_groups",
    "policy_listing",
    "registered_pictures",
    "rule_changes",
    "rule_view",
    "rule_views",
    "schema_rows",
    "spec_tables",
    "version_pairs",
    "window_text",
]


def _picture_modules() -> list[Any]:
    from finpolicy.domains.registry import domains

    found: dict[str, Any] = {}
    for domain in domains():
        modules = [p.render.__module__ for ps in domain.pictures.values() for p in ps]
        modules += [c.render.__module__ for c in domain.changes.values()]
        for name in modules:
            found.setdefault(name, importlib.import_module(name))
    return list(found.values())


def __getattr__(name: str) -> Any:
    # a domain's picture helpers by name (docgen.suitability_matrix, docgen.timeline_svg …)
    for module in _picture_modules():
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    if name == "PICTURES":
        from finpolicy.docgen import pictures as _pictures

        return _pictures.PICTURES
    raise AttributeError(f"module 'finpolicy.docgen' has no attribute {name!r}")
