"""Rules read as a compliance officer writes them: every fact has a label from its domain,
booleans read as statements, effects show no internal fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy import docgen
from finpolicy.documents.registry import kinds
from finpolicy.rules.conditions import All, Compare, Not, paths
from finpolicy.rules.render import FactLabel, all_labels, render

ROOT = Path(__file__).resolve().parents[2]
PACKS = ["cn-banking", "uk-fca"]
# what the docs said before facts had labels
_OLD = ("the present of the assessment", "the securities of the product",
        "the required of the grant", "the offered of the grant", "effect = ", "applies_to",
        "outcome = ", "level = ")
# "the <field> of the <owner>": a fact named by its path, not its label
_UNLABELLED = re.compile(r"\bthe [a-z ]+ of the (customer|product|assessment|grant|sale|"
                         r"subject|request|resource|consent|data|recipient|contact|complaint|"
                         r"field|assignment|use|scope|mask|decision)\b(?!')")


def _all_rule_text(pack: str) -> str:
    bundle = fp.load_bundle(ROOT / "policies" / pack)
    return docgen.bundle_listing(bundle)


@pytest.mark.parametrize("pack", PACKS)
def test_every_fact_a_shipped_rule_reads_has_a_label(pack: str) -> None:
    labels = all_labels()
    missing = set()
    for doc in fp.load_bundle(ROOT / "policies" / pack).documents:
        for ruleset in doc.policy.rulesets.values():
            missing |= {".".join(p) for p in ruleset.paths()} - set(labels)
        for inv in getattr(doc.policy, "invariants", ()) or ():
            for cond in (inv.given, inv.expect):
                missing |= {".".join(p) for p in paths(cond)} - set(labels)
    assert missing == set()


def test_every_fact_of_every_kind_has_a_label() -> None:
    for kind in kinds().values():
        assert set(kind.fields) - set(kind.labels) == set(), kind.name
        for label in kind.labels.values():
            assert label.en and label.zh


@pytest.mark.parametrize("pack", PACKS)
def test_rule_text_has_none_of_the_old_phrases(pack: str) -> None:
    text = _all_rule_text(pack)
    for phrase in _OLD:
        assert phrase not in text
    assert _UNLABELLED.findall(text) == []


def test_booleans_read_as_statements() -> None:
    assert render(Compare("eq", ("assessment", "present"), False)) == (
        "a risk assessment is not on file")
    assert render(Compare("eq", ("product", "securities"), True)) == (
        "the product is governed by the securities suitability rule")
    assert render(Not(Compare("eq", ("grant", "expired"), True))) == (
        "the grant has not expired")
    assert render(All((Compare("eq", ("grant", "required"), True),
                       Compare("eq", ("grant", "offered"), 0)))) == (
        "an approved grant is required and the number of grants presented is 0")
    assert render(Compare("ne", ("subject", "permitted"), True)) == (
        "a role of the person does not permit the action on this data")


def test_chinese_labels_where_the_pack_is_chinese() -> None:
    age = Compare("ge", ("customer", "age"), 65)
    assert render(age, language="zh") == "the customer's age (客户年龄) is at least 65"
    assert render(age) == "the customer's age is at least 65"
    cn = docgen.pack_language(fp.load_bundle(ROOT / "policies" / "cn-banking"))
    uk = docgen.pack_language(fp.load_bundle(ROOT / "policies" / "uk-fca"))
    assert (cn, uk) == ("zh", "en")
    assert "(客户年龄)" in _all_rule_text("cn-banking")
    assert "(" + "投诉渠道" + ")" not in _all_rule_text("uk-fca")


def test_effects_show_no_internal_fields() -> None:
    assert docgen.effect_text({"effect": "deny", "applies_to": ("allow", "deny")}) == "deny"
    assert docgen.effect_text({"effect": "obligation", "applies_to": ("allow",)}) == (
        "the obligations apply when the request is allowed")
    assert docgen.effect_text({"outcome": "unsuitable"}) == "the outcome is unsuitable"


def test_a_statement_label_needs_both_forms() -> None:
    label = FactLabel("the data {moves|does not move} abroad")
    assert (label.state(True), label.state(False)) == ("the data moves abroad",
                                                       "the data does not move abroad")
    assert FactLabel("the customer's age").statement is False
