"""``finpolicy fmt`` wraps a long flow-style condition between its entries, never inside one
(``{eq:`` / ``export}``), and is stable."""

from __future__ import annotations

from finpolicy.authoring.fmt import format_text
from finpolicy.documents.yamlsource import parse_yaml

_HEAD = "apiVersion: finpolicy/v1\nkind: AccessPolicy\nspec:\n  rules:\n"


def _fmt(text: str) -> str:
    once = format_text(text, "access.yaml")
    assert format_text(once, "access.yaml") == once  # formatting twice = once
    assert parse_yaml(once, "a").data == parse_yaml(text, "a").data
    return once


def test_a_long_condition_is_wrapped_between_its_entries_not_inside_one() -> None:
    text = _HEAD + (
        "    - id: not-approved\n"
        "      when: {all: [{field: grant.required, eq: true}, {field: grant.failures, "
        "contains: not_approved}]}\n"
        "      effect: deny\n"
        "    - id: export\n"
        "      when: {all: [{field: request.action, eq: export}, {field: request.purpose, in: "
        "[audit, marketing]}, {field: request.level, eq: core}, {not: {field: "
        "grant.approved_by, exists: true}}]}  # export needs a grant\n"
        "      effect: deny\n")
    assert _fmt(text) == _HEAD + (
        "    - id: not-approved\n"
        "      when: {all: [{field: grant.required, eq: true},\n"
        "                   {field: grant.failures, contains: not_approved}]}\n"
        "      effect: deny\n"
        "    - id: export\n"
        "      when: {all: [{field: request.action, eq: export},\n"
        "                   {field: request.purpose, in: [audit, marketing]},\n"
        "                   {field: request.level, eq: core},\n"
        "                   {not: {field: grant.approved_by, exists: true}}]}"
        "  # export needs a grant\n"
        "      effect: deny\n")


def test_a_mapping_too_long_for_one_line_breaks_after_a_comma_aligned_in_its_brace() -> None:
    text = ("customer: {id: cust-107, risk_level: C3, assessment_date: \"2025-09-01\", "
            "investable_assets: 800000, investment_horizon_months: 24}\n")
    assert _fmt(text) == (
        "customer: {id: cust-107, risk_level: C3, assessment_date: \"2025-09-01\", "
        "investable_assets: 800000,\n"
        "           investment_horizon_months: 24}\n")



def test_a_comment_after_a_long_list_comes_back_beside_it_once_the_list_is_wrapped() -> None:
    words = ", ".join(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                       "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen"])
    text = f"a:\n  b: [{words}]   # why these\n  c: [one, two]            # aligned\n"
    out = _fmt(text)
    assert out.splitlines()[2].endswith("fifteen]  # why these")  # not 90 columns away
    assert out.splitlines()[3] == "  c: [one, two]            # aligned"  # as written
