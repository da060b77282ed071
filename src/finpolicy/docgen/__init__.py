"""Documentation fragments for policies: rules in words, tables, version changes, pictures.

Pure functions over loaded bundles and engines, testable without Sphinx; the Sphinx extension
(``finpolicy.sphinx``) and ``finpolicy docs`` wrap them in pages.

- ``text``: every rule in plain words, the spec's own tables, what changed between versions,
  the YAML reference of a pydantic model;
- ``pictures``: the suitability matrix, the access matrix, the classification levels and the
  complaint SLA timeline, as HTML tables and inline SVG;
- ``errorcodes``: the error codes used in finpolicy's source.
"""

from __future__ import annotations

from finpolicy.docgen.errorcodes import ErrorCode, error_codes
from finpolicy.docgen.pictures import (
    CHANGES,
    COLOURS,
    PICTURES,
    SUITABILITY_PROBES,
    TITLES,
    access_matrix,
    classification_levels,
    decision_changes,
    html_table,
    legend,
    picture,
    pictures,
    sla_timeline,
    suitability_changes,
    suitability_matrix,
    suitability_outcomes,
    timeline_svg,
)
from finpolicy.docgen.text import (
    RuleChange,
    RuleView,
    bundle_listing,
    effect_text,
    invariant_views,
    plain,
    policy_groups,
    policy_listing,
    rule_changes,
    rule_view,
    rule_views,
    schema_rows,
    spec_tables,
    version_pairs,
)

__all__ = [
    "CHANGES",
    "COLOURS",
    "PICTURES",
    "SUITABILITY_PROBES",
    "TITLES",
    "ErrorCode",
    "RuleChange",
    "RuleView",
    "access_matrix",
    "bundle_listing",
    "classification_levels",
    "decision_changes",
    "effect_text",
    "error_codes",
    "html_table",
    "invariant_views",
    "legend",
    "picture",
    "pictures",
    "plain",
    "policy_groups",
    "policy_listing",
    "rule_changes",
    "rule_view",
    "rule_views",
    "schema_rows",
    "sla_timeline",
    "spec_tables",
    "suitability_changes",
    "suitability_matrix",
    "suitability_outcomes",
    "timeline_svg",
    "version_pairs",
]
