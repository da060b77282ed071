"""Every way the shipped packs refuse is explained, with a change that would flip it.

Rules are read from the loaded packs, not listed here, so a rule added to a pack is covered
the day it is added: every deny rule and the default deny of the access policy, every
`unsuitable` rule of each suitability version, every binding milestone's breach of each
complaint policy, every deny rule of each consent policy. For each, an input that gets the
refusal (a policy test case or example of the pack, or one found by the pack's hypothesis
strategies) is explained: the why-not names the rule with its cite and the comparisons in the
way, and a suggested change, applied and evaluated on both engines, gives a better outcome. A
rule whose conditions read only facts no person can change (a customer's legal capacity, the
data a marketing message uses) must say so instead."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.explain import Explanation, apply_changes, explain, explainer
from finpolicy.rules.model import Rule
from finpolicy.testing.cases import load_cases, load_examples

CN, UK = shipped_packs() / "cn-banking", shipped_packs() / "uk-fca"
FIND = settings(max_examples=4000, database=None, deadline=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def uk_engines() -> dict[str, fp.PolicyEngine]:
    bundle = fp.load_bundle(UK)
    return {name: fp.PolicyEngine(bundle, engine=name) for name in ("compiled", "durable")}


def pack_inputs(bundle: fp.Bundle, domain: str) -> list[tuple[Any, Any]]:
    """(input, as_of) of every test case and example of ``domain`` in the pack."""
    return [(c.input, c.as_of) for c in _pack_cases(bundle.root) if c.domain == domain]


@functools.lru_cache(maxsize=4)
def _pack_cases(root: Path) -> list[Any]:
    return load_cases(root) + load_examples(root)


def explained(engine: fp.PolicyEngine, domain: str, data: Any, as_of: Any
              ) -> Explanation | None:
    try:
        return explain(engine, domain, data, as_of=as_of)
    except (fp.InputError, fp.NotInForceError):  # a rejected input, or a review
        return None


def outcome_after(engines: dict[str, fp.PolicyEngine], x: Explanation,
                  changes: Any) -> set[str]:
    """The outcome of the changed input on each engine."""
    chosen = explainer(x.domain)
    changed = apply_changes(x.input, changes)
    return {chosen.decide(e.runtime, changed).outcome for e in engines.values()}


def assert_explained(x: Explanation, rule: str, cite: str) -> None:
    text = x.text()
    blocking = [o for o in x.why_not if o.id == rule]
    assert blocking, f"`{rule}` is not among the obstacles:\n{text}"
    assert blocking[0].cite == cite and blocking[0].conditions
    assert f"why not {x.target}:" in text and rule in text and cite in text
    for clause in blocking[0].conditions:
        assert clause.text in text


def assert_flips(engines: dict[str, fp.PolicyEngine], x: Explanation, worse_than: str) -> None:
    """Some suggestion, applied and evaluated on both engines, does better than the outcome."""
    chosen = explainer(x.domain)
    assert x.suggestions, x.text()
    assert "what would change it:" in x.text()
    for suggestion in x.suggestions:
        after = outcome_after(engines, x, suggestion.changes)
        assert after == {suggestion.outcome}, (suggestion, after)
        assert chosen.rank(suggestion.outcome) < chosen.rank(worse_than), suggestion


def decided(engine: fp.PolicyEngine, domain: str, data: Any, as_of: Any) -> fp.Decision | None:
    chosen = explainer(domain)
    try:
        return chosen.decide(engine.runtime, chosen.normalise(data, as_of))
    except (fp.InputError, fp.NotInForceError):  # a rejected input, or a review
        return None


def cases_hitting(engine: fp.PolicyEngine, domain: str, bundle: fp.Bundle,
                  wanted: Callable[[fp.Decision], bool],
                  strategy: Callable[[], Any]) -> Iterator[Explanation]:
    """Explanations of pack inputs whose decision ``wanted`` accepts; of one found by the
    pack's strategies when no pack input gets such a decision."""
    inputs = [(data, as_of) for data, as_of in pack_inputs(bundle, domain)
              if (d := decided(engine, domain, data, as_of)) is not None and wanted(d)]
    if not inputs:
        # no pack input gets it: find one that does and whose explanation suggests something
        # (the caller still checks every suggestion on both engines)
        def hit(item: tuple[Any, Any]) -> bool:
            d = decided(engine, domain, *item)
            if d is None or not wanted(d):
                return False
            x = explained(engine, domain, *item)
            return x is not None and bool(x.suggestions)

        try:
            inputs = [find(strategy(), hit, settings=FIND)]
        except NoSuchExample:
            pytest.fail(f"no input of the pack or of its strategies gets this ({domain})")
    for data, as_of in inputs:
        x = explained(engine, domain, data, as_of)
        assert x is not None
        yield x


def only_immutable(x: Explanation, rule: str) -> bool:
    return not next(o for o in x.why_not if o.id == rule).changeable


# --- access ---------------------------------------------------------------------------------

def access_rules(bundle: fp.Bundle) -> list[Rule]:
    return [r for doc in bundle.policies("AccessPolicy")
            for r in doc.policy.rulesets["access"].rules if r.effect.get("effect") == "deny"]


def _requests(bundle: fp.Bundle) -> Callable[[], Any]:
    """The pack's access requests, sometimes with one more of the policy's roles (so that
    separated pairs come with a role that permits the request)."""
    def strategy() -> Any:
        from hypothesis import strategies as st

        from finpolicy.domains.access.strategies import access_requests

        roles = sorted({r for doc in bundle.policies("AccessPolicy") for r in doc.spec.roles})

        def add(request: Any, extra: str | None) -> tuple[dict[str, Any], None]:
            data = request.model_dump(mode="json")
            if extra is not None and extra not in data["subject"]["roles"]:
                data["subject"]["roles"].append(extra)
            return data, None

        return st.builds(add, access_requests(bundle), st.none() | st.sampled_from(roles))

    return strategy


def test_every_access_deny_rule_is_explained_with_a_change_that_allows(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    rules = access_rules(bundle)
    assert len(rules) > 10  # the deny rules and the separation-of-duties pairs
    for rule in rules:
        flipped = False
        for x in cases_hitting(engines["compiled"], "access", bundle,
                               lambda d, r=rule: d.outcome == "deny" and r.id in d.rule_ids,
                               _requests(bundle)):
            assert_explained(x, rule.id, rule.cite)
            if x.suggestions:
                assert_flips(engines, x, "deny")
                flipped = True
        assert flipped, f"no explanation of `{rule.id}` suggests a change that allows"


def without_deny_rules(bundle: fp.Bundle, tmp_path: Path) -> fp.Bundle:
    """The pack with its access policy's deny rules (and separated pairs) left out, so that
    every refusal is the default deny."""
    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack)
    for doc in bundle.policies("AccessPolicy"):
        path = pack / Path(doc.file).name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["spec"]["rules"] = [r for r in data["spec"]["rules"] if r["effect"] != "deny"]
        data["spec"]["separation_of_duties"] = []
        data["spec"].pop("invariants", None)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return fp.load_bundle(pack)


def test_every_default_deny_names_the_nearest_allow_rules_and_a_change_that_allows(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    variant = without_deny_rules(bundle, tmp_path)
    engines = {name: fp.PolicyEngine(variant, engine=name) for name in ("compiled", "durable")}
    allow_rules = {r.id for doc in variant.policies("AccessPolicy")
                   for r in doc.policy.rulesets["access"].rules if r.effect["effect"] == "allow"}
    explained_count = flipped = 0
    for data, as_of in pack_inputs(bundle, "access"):
        x = explained(engines["compiled"], "access", data, as_of)
        if x is None or x.decision.rule_ids != ("default-deny",):
            continue
        explained_count += 1
        nearest = [o for o in x.why_not if o.role == "enables"]
        assert nearest and {o.id for o in nearest} <= allow_rules, x.text()
        assert [o.failed for o in nearest] == sorted(o.failed for o in nearest)
        assert all(o.conditions and not any(c.held for c in o.conditions) for o in nearest)
        assert "would give `allow`, but" in x.text()
        if x.suggestions:
            assert_flips(engines, x, "deny")
            flipped += 1
    assert explained_count > 10
    assert flipped > explained_count // 2, (flipped, explained_count)


def test_a_default_deny_in_the_shipped_access_policy_is_explained_too(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    # the shipped policy names a deny rule for every refusal it knows; should it ever refuse
    # by default, the explanation must still name the nearest allow rules
    for data, as_of in pack_inputs(bundle, "access"):
        x = explained(engines["compiled"], "access", data, as_of)
        if x is not None and x.decision.rule_ids == ("default-deny",):
            assert any(o.role == "enables" for o in x.why_not), x.text()


# --- suitability ------------------------------------------------------------------------------

def test_every_unsuitable_rule_of_each_suitability_version_is_explained(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    from finpolicy.domains.suitability.strategies import suitability_cases

    docs = list(bundle.policies("SuitabilityPolicy"))
    assert len(docs) >= 2
    for doc in docs:
        rules = [r for r in doc.policy.rulesets["suitability"].rules
                 if r.effect["outcome"] == "unsuitable"]
        assert rules
        for rule in rules:
            def wanted(decision: fp.Decision, r: Rule = rule, d: Any = doc) -> bool:
                return (decision.outcome == "unsuitable" and r.id in decision.rule_ids
                        and decision.policy.version == d.version)

            def strategy(d: Any = doc) -> Any:
                return suitability_cases(bundle, policy=d).map(lambda c: (
                    {"customer": c["customer"], "product": c["product"],
                     "amount": c["amount"], "sale": c["sale"]}, c["as_of"]))

            flipped = fixed = False
            for x in cases_hitting(engines["compiled"], "suitability", bundle, wanted,
                                   strategy):
                assert_explained(x, rule.id, rule.cite)
                if x.suggestions:
                    assert_flips(engines, x, "unsuitable")
                    flipped = True
                elif only_immutable(x, rule.id):
                    assert "cannot be changed by a person" in x.text()
                    fixed = True
            assert flipped or fixed, f"{doc.version} `{rule.id}`: no change suggested"


def test_only_rules_on_facts_no_one_can_change_go_without_a_suggestion(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    # the rule-by-rule test above accepts "cannot be changed" only where the why-not says no
    # changeable fact decides; here: which rules those are, read from the policy
    for data, as_of in pack_inputs(bundle, "suitability"):
        x = explained(engines["compiled"], "suitability", data, as_of)
        if x is None or x.outcome != "unsuitable" or x.suggestions:
            continue
        stuck = [o for o in x.why_not if o.effect == "unsuitable" and not o.changeable]
        assert stuck, x.text()
        for obstacle in stuck:
            assert all(not c.changeable for c in obstacle.conditions)


# --- complaints ------------------------------------------------------------------------------

def breaches(bundle: fp.Bundle) -> Iterator[tuple[str, dict[str, Any], str]]:
    """For every binding milestone of every complaint policy: (milestone, complaint, as_of)
    where that milestone is missed — once still open, once completed late — and every other
    milestone starting at receipt is met at once where an event allows. The complaint is of
    the first category the milestone applies to; every event states what the policy asks
    letters to state, and a conditional milestone's start comes inside its window."""
    engine = fp.PolicyEngine(bundle)
    for doc in bundle.policies("ComplaintPolicy"):
        spec = doc.spec
        zone = ZoneInfo(spec.calendar.time_zone)
        received = dt.datetime.combine(doc.metadata.effective_from + dt.timedelta(days=20),
                                       dt.time(10, 0), tzinfo=zone)
        states = sorted({c for m in spec.milestones for c in m.requires})
        as_of = received + dt.timedelta(days=200)

        def event(kind: str, minutes: int, received: dt.datetime = received,
                  states: list[str] = states) -> dict[str, Any]:
            at = received + dt.timedelta(minutes=minutes)
            return {"kind": kind, "at": at.isoformat(), "states": states}

        for m in spec.milestones:
            if not m.binding:
                continue
            events = []
            if m.starts_within is not None:
                events.append(event(m.starts_within.after, 1))
            if m.starts != "received":
                events.append(event(m.starts, 2))
            for other in spec.milestones:
                if other.name == m.name or other.starts != "received":
                    continue
                kinds = [k for k in other.completed_by if k not in m.completed_by]
                if kinds and kinds[0] not in {e["kind"] for e in events}:
                    events.append(event(kinds[0], 3))
            for category in spec.categories:
                base = {"id": f"{doc.id}-{m.name}", "received_at": received.isoformat(),
                        "channel": spec.channels[0].name, "category": category.name,
                        "severity": spec.severities[0].name, "events": events}
                report = engine.complaint_sla(base, as_of=as_of)
                if any(s.name == m.name for s in report.milestones):
                    break
            else:
                raise AssertionError(f"{doc.id}: `{m.name}` applies to no category")
            yield m.name, base, as_of.isoformat()
            late = dict(base, events=[*events, {
                "kind": m.completed_by[0], "at": (as_of - dt.timedelta(days=1)).isoformat(),
                "states": sorted(m.requires)}])
            yield m.name, late, as_of.isoformat()


@pytest.mark.parametrize("pack", [CN, UK], ids=["cn-banking", "uk-fca"])
def test_every_breach_says_what_should_have_happened_by_when_and_what_would_meet_it(
        pack: Path, engines: dict[str, fp.PolicyEngine],
        uk_engines: dict[str, fp.PolicyEngine]) -> None:
    bundle = fp.load_bundle(pack)
    pair = engines if pack == CN else uk_engines
    seen = set()
    for name, complaint, as_of in breaches(bundle):
        x = explain(pair["compiled"], "complaints", {"complaint": complaint}, as_of=as_of)
        assert x.outcome == "breached" and x.decision.milestone(name).status == "breached"
        missed = [o for o in x.why_not if o.id == name]
        assert missed, x.text()
        due = x.decision.milestone(name).due_at
        assert missed[0].effect == "breached" and missed[0].cite
        assert f"{due:%Y-%m-%d %H:%M}" in missed[0].note and "due" in missed[0].note
        assert "recorded by" in x.text()
        assert_flips(pair, x, "breached")
        fixes = [s for s in x.suggestions if
                 explainer("complaints").decide(pair["compiled"].runtime,
                                                apply_changes(x.input, s.changes))
                 .milestone(name).status == "met"]
        assert fixes, x.text()
        seen.add(name)
    assert seen == {m.name for doc in bundle.policies("ComplaintPolicy")
                    for m in doc.spec.milestones if m.binding}


# --- consent -------------------------------------------------------------------------------

def _consent_cases(bundle: fp.Bundle, doc: Any) -> Any:
    from finpolicy.domains.consent.strategies import consent_cases

    def dump(items: list[Any]) -> list[dict[str, Any]]:
        return [i.model_dump(mode="json") for i in items]

    return consent_cases(bundle, policy=doc).map(lambda c: (
        {"request": c["request"].model_dump(mode="json"), "consents": dump(c["consents"]),
         "contacts": dump(c["contacts"])}, None))


@pytest.mark.parametrize("pack", [CN, UK], ids=["cn-banking", "uk-fca"])
def test_every_consent_deny_rule_is_explained_with_a_change_that_allows_or_says_none_can(
        pack: Path, engines: dict[str, fp.PolicyEngine],
        uk_engines: dict[str, fp.PolicyEngine]) -> None:
    bundle = fp.load_bundle(pack)
    pair = engines if pack == CN else uk_engines
    docs = list(bundle.policies("ConsentPolicy"))
    assert docs
    for doc in docs:
        rules = [r for r in doc.policy.rulesets["processing"].rules
                 if r.effect["effect"] == "deny"]
        assert len(rules) > 5
        for rule in rules:
            def wanted(decision: fp.Decision, r: Rule = rule, d: Any = doc) -> bool:
                return (decision.outcome == "deny" and r.id in decision.rule_ids
                        and (decision.policy.id, decision.policy.version) == (d.id, d.version))

            def strategy(d: Any = doc) -> Any:
                return _consent_cases(bundle, d)

            flipped = fixed = False
            for x in cases_hitting(pair["compiled"], "consent", bundle, wanted, strategy):
                assert_explained(x, rule.id, rule.cite)
                if x.suggestions:
                    assert_flips(pair, x, "deny")
                    flipped = True
                elif only_immutable(x, rule.id):
                    assert "cannot be changed by a person" in x.text()
                    fixed = True
            assert flipped or fixed, f"{doc.id} `{rule.id}`: no change suggested"
