"""An invariant's counter-example as a policy test case, and the ``invariant`` expectation that
such a case checks.

A failing invariant prints its shrunk input as a case of ``PACK/tests/*.yaml``, ready to paste
under ``cases:`` of a file of its domain::

      - name: 'counter-example: marketing never reads core data'
        as_of: '2026-03-02T10:00:00+08:00'
        input: {subject: {...}, action: read, resource: {...}, purpose: marketing}
        expect: {invariant: marketing never reads core data}

``expect: {invariant: NAME}`` says that the input's decision keeps the invariant ``NAME`` of
the policy version that decided it: when its ``given`` holds, its ``expect`` does. ``finpolicy
test`` judges it on the same facts the invariant checker reads, so the pasted case fails as
the invariant did until the policy is fixed, and guards the fix afterwards.

This module does not import hypothesis (``finpolicy test`` runs cases without it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

from finpolicy.documents.git import shown_text
from finpolicy.domains.base import Case, InvariantAdapter
from finpolicy.engines.compiled import compile_condition
from finpolicy.rules.invariants import Invariant
from finpolicy.rules.parse import suggest
from finpolicy.rules.render import render

if TYPE_CHECKING:
    from finpolicy.decisions import Decision
    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = [
    "adapter_of",
    "case_yaml",
    "invariant_case",
    "invariant_facts",
    "invariant_failures",
    "plain",
]


def adapter_of(kind: str) -> tuple[str, InvariantAdapter]:
    """The domain declaring ``kind``, and its invariant adapter (every kind has one)."""
    from finpolicy.domains.registry import domains

    for domain in domains():
        found = domain.invariants.get(kind)
        if found is not None:
            return domain.name, found
    raise KeyError(kind)


def invariant_facts(last: Mapping[str, Any], found: InvariantAdapter, decision: Any,
                    case: Case) -> dict[str, Any]:
    """What an invariant's conditions read: the facts the rules were given (``last``) and
    ``decision.*`` (outcome, obligations, rules, and what the kind adds)."""
    about = {"outcome": decision.outcome, "obligations": list(decision.obligations),
             "rules": [h.rule_id for h in decision.hits]}
    if found.extra is not None:
        about.update(found.extra(decision, case))
    return {**last, "decision": about}


# --- a counter-example as a case ------------------------------------------------------------

def plain(case: Case) -> Case:
    """The case as JSON- and YAML-ready data: models (also inside lists and mappings) as their
    fields, dates and times in ISO 8601, decimal amounts as text (as a case file takes them)."""
    return {key: _plain_value(value) for key, value in case.items()}


def _plain_value(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json", exclude_defaults=True)
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, dt.date):  # as the models' own dates and times print: ISO 8601
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def invariant_case(found: InvariantAdapter, case: Case, name: str) -> dict[str, Any]:
    """The adapter's ``case`` as a policy test case expecting the invariant ``name``: its
    ``as_of`` (the case's own, else the adapter's day of it unless the input carries its own
    time, like a request's ``as_of``), its ``input`` in the domain's mapping form (the
    adapter's keys, absent values left out) and ``expect: {invariant: name}``."""
    data = plain(case)
    as_of = data.pop("as_of", None)
    given = {key: value for key, value in data.items() if value is not None}
    own_time = any(isinstance(v, Mapping) and "as_of" in v for v in given.values())
    if as_of is None and not own_time:
        as_of = found.on(case).isoformat()
    out: dict[str, Any] = {"name": f"counter-example: {name}"}
    if as_of is not None:
        out["as_of"] = as_of
    out.update(input=given, expect={"invariant": name})
    return out


class _Dumper(yaml.SafeDumper):
    """Lists of mappings indented under their key, as the pack's files write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def case_yaml(case: Mapping[str, Any]) -> str:
    """``case`` as an item of a case file's ``cases:`` list, indented as the shipped files
    are (two spaces), so the lines paste under ``cases:`` as they are."""
    text = yaml.dump([dict(case)], Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=96)
    return re.sub(r"(?m)^(?=.)", "  ", text)


# --- checking `expect: {invariant: NAME}` ---------------------------------------------------

def _model_case(domain: str, data: Mapping[str, Any], as_of: Any) -> Case:
    """The test case's input as the adapter's case: each key named after one of the domain's
    input models (``complaint``: ``Complaint``) parsed into it, for what a kind adds to the
    decision's facts (``decision.min_hours_to_due`` reads the complaint's receipt)."""
    from finpolicy.domains.registry import domain as domain_named

    models = {re.sub(r"(?<!^)(?=[A-Z])", "_", m.__name__).lower(): m
              for m in domain_named(domain).input_models}
    out: Case = {}
    for key, value in data.items():
        model = models.get(str(key))
        out[key] = model.model_validate(value) if model is not None and isinstance(
            value, Mapping) else value
    if as_of is not None and "as_of" not in out:
        out["as_of"] = as_of
    return out


def _deciding(bundle: Bundle, decision: Decision) -> PolicyDocument[Any] | None:
    for doc in bundle.documents:
        if (doc.id, doc.version) == (decision.policy.id, decision.policy.version):
            return doc
    return None


def invariant_failures(bundle: Bundle, domain: str, name: str, data: Mapping[str, Any],
                       as_of: Any, decisions: Sequence[Decision],
                       last: Mapping[str, Any]) -> list[str]:
    """Why the first of ``decisions`` breaks the invariant ``name`` of the policy version that
    made it (one line each; none when it keeps it). ``last`` holds the facts its rules read.
    An invariant whose ``given`` the input does not meet fails too: the case checks nothing."""
    if not decisions:
        return ["expected a decision, got none"]
    decision = decisions[0]
    doc = _deciding(bundle, decision)
    invariants: tuple[Invariant, ...] = () if doc is None else getattr(
        doc.policy, "invariants", ())
    named = [i for i, inv in enumerate(invariants) if inv.name == name]
    who = f"{decision.policy.id} {decision.policy.version}"
    if doc is None or not named:
        return [f"invariant: `{name}` is no invariant of {who}, which decided"
                f"{suggest(name, [i.name for i in invariants])}"]
    invariant = invariants[named[0]]
    line = None if doc.source is None else doc.source.line_of(("spec", "invariants", named[0]))
    where = shown_text(doc.file) + (f":{line}" if line is not None else "")
    case = _model_case(domain, data, as_of)
    fact = invariant_facts(last, adapter_of(doc.kind)[1], decision, case)
    if not compile_condition(invariant.given)(fact):
        return [f"invariant `{name}` of {who} ({where}): its given ({render(invariant.given)}) "
                "does not hold for this input, so the case checks nothing"]
    if compile_condition(invariant.expect)(fact):
        return []
    rules = ", ".join(decision.rule_ids) or "none"
    return [f"invariant `{name}` of {who} ({where}) VIOLATED: {render(invariant.expect)} does "
            f"not hold; outcome: {decision.outcome}; rules fired: {rules}"]
