"""Explaining classifications: why a field has its level, and what would give it a lower one.

A lower level is the "better" outcome here only in the sense of lighter handling; the
question a data steward asks is "why is this column core, and is that right?". Rules whose
level is above the one asked about block it. What the field's owner can change:

- its **tags** (remove a tag the owning system set, where it is wrong);
- its **content**: remove sample values a content detector recognises (ID or card numbers in
  a free-text column), as many as it takes to fall below the policy's threshold.

The field's name and its sources (``derived_from``) are what the field is, not levers; a
derived field's level from its sources is reported, not changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from finpolicy.decisions import Decision
from finpolicy.domains.classification.classify import _as_field, classify, without_as_of
from finpolicy.domains.classification.model import ClassificationDecision, DataField, DataLevel
from finpolicy.domains.classification.spec import ClassificationRules
from finpolicy.domains.clock import now
from finpolicy.domains.detectors import DETECTORS
from finpolicy.errors import InputError
from finpolicy.explain.explainer import Explainer, Move, Role, bad_operation
from finpolicy.explain.model import Change, Obstacle
from finpolicy.explain.patch import pointer
from finpolicy.inputs import evaluation_date
from finpolicy.rules.evaluate import Target, meets
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.explain.record import Analysis

__all__ = ["EXPLAINER", "ClassificationExplainer"]


class ClassificationExplainer(Explainer):
    """The classification domain's explainer (see the module docstring)."""

    domain = "classification"
    operations = ("classify",)
    outcomes = tuple(str(level) for level in DataLevel)
    immutable = "the field's name and the fields it is derived from"

    # --- the input ----------------------------------------------------------------------------

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        if method != "classify":
            raise bad_operation(self, method)
        if kwargs.get("policy") is not None:
            raise InputError.one("policy", "explanations use the classification policy in "
                                           "force", "unknown_option", kwargs["policy"])
        field = kwargs.get("field", args[0] if args else None)
        return self._fixed(_as_field(field, "field"), kwargs.get("as_of"))

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        if isinstance(data, Mapping) and ("record" in data or "fields" in data):
            raise InputError.one("input", "expected one `field` (records and lists of fields "
                                          "are explained one field at a time)", "bad_input")
        if isinstance(data, Mapping):  # an explanation's input carries its as_of
            data, own = without_as_of(data)
            as_of = own if as_of is None else as_of
        if isinstance(data, Mapping) and "field" in data:
            if len(data) != 1:
                raise InputError.one("input", "`field` comes alone", "bad_input")
            data = data["field"]
        return self._fixed(_as_field(data, "field"), as_of)

    @staticmethod
    def _fixed(field: DataField, as_of: Any) -> dict[str, Any]:
        evaluation_date(as_of)  # (validates)
        # now: the day is then taken in the policy's zone, as classify takes it
        when = now().replace(microsecond=0) if as_of is None else as_of
        return {"field": field.model_dump(mode="json"),
                "as_of": when if isinstance(when, str) else when.isoformat()}

    def decide(self, runtime: Runtime, case: Mapping[str, Any]) -> Decision:
        return classify(runtime, DataField.parse(case["field"], field="field"),
                        as_of=case["as_of"])

    # --- rules --------------------------------------------------------------------------------

    def role(self, rule: Rule, target: str) -> Role | None:
        level = DataLevel.parse(rule.effect["level"])
        return "blocks" if level > DataLevel.parse(target) else None

    def effect(self, rule: Rule) -> str:
        return str(rule.effect["level"])

    def target(self, decision: Decision) -> str | None:
        rank = self.rank(decision.outcome)
        return self.outcomes[rank - 1] if 0 < rank < len(self.outcomes) else None

    def obstacles(self, analysis: Analysis) -> list[Obstacle]:
        from finpolicy.explain.words import rule_obstacles

        out = rule_obstacles(analysis)
        decision = analysis.decision
        target = analysis.target
        if isinstance(decision, ClassificationDecision) and target is not None:
            overridden = any(r.effect.get("overrides_sources") for r in analysis.runs[-1].matched)
            for name, level in sorted(decision.sources.items()):
                if level > DataLevel.parse(target) and not overridden:
                    out.append(Obstacle("source", name, "blocks", str(level),
                                        f"a derived field takes at least the level of its "
                                        f"sources, and `{name}` is {level}", "",
                                        changeable=False))
        return out

    # --- levers -------------------------------------------------------------------------------

    def changeable(self, analysis: Analysis, path: tuple[str, ...]) -> bool:
        return path == ("field", "tags") or path[0] in ("detected", "detector")

    def moves(self, analysis: Analysis, target: Target) -> list[Move]:
        if target.path == ("field", "tags") and target.op == "excludes":
            return _untag(analysis, str(target.value))
        if target.path == ("detected",) and target.op == "excludes":
            return _cleanse(analysis, str(target.value), None)
        if target.path[0] == "detector" and len(target.path) == 3:
            return _cleanse(analysis, target.path[1], target)
        return []


def _rules(analysis: Analysis) -> ClassificationRules:
    doc = analysis.doc
    assert doc is not None  # a classification always runs its rule set
    rules: ClassificationRules = doc.policy
    return rules


def _untag(analysis: Analysis, tag: str) -> list[Move]:
    tags = list(analysis.case["field"].get("tags", []))
    kept = [t for t in tags if t.strip().lower() != tag]
    if len(kept) == len(tags):
        return []
    return [Move(f"remove the tag `{tag}` (if the owning system set it wrongly)",
                 (Change("replace", pointer("field", "tags"), kept),), "tags", 1)]


def _cleanse(analysis: Analysis, detector: str, target: Target | None) -> list[Move]:
    """Remove the fewest sample values ``detector`` recognises for it to stop counting."""
    rules, samples = _rules(analysis), list(analysis.case["field"].get("sample_values", []))
    check = DETECTORS[detector].check if detector in DETECTORS else None
    if check is None:
        return []
    filled = [s for s in samples if s.strip()]
    matched = [i for i, s in enumerate(samples) if s.strip() and check(s)]
    total = len(filled)
    for k in range(1, len(matched) + 1):
        left, hits = total - k, len(matched) - k
        share = hits / left if left else 0.0
        if target is not None:
            enough = meets(Target(target.path, target.op, target.value), share)
        else:
            enough = left < rules.min_samples or share < rules.threshold
        if enough:
            drop = set(matched[:k])
            kept = [s for i, s in enumerate(samples) if i not in drop]
            what = DETECTORS[detector].description.rstrip(".")
            return [Move(f"remove {k} of the {len(matched)} sample values recognised as "
                         f"{detector} ({what}) from the field, or keep them elsewhere",
                         (Change("replace", pointer("field", "sample_values"), kept),),
                         "content", 2)]
    return []


EXPLAINER = ClassificationExplainer()
