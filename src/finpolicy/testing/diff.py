"""Change impact: evaluate two bundles on the same inputs and report every decision that changed.

The inputs are the examples and test cases of both packs plus inputs generated from them, per
domain (``finpolicy.testing.samples``: exhaustive grids where a domain's input is finite,
single-field perturbations of every example, evaluation dates around every version's window).

A decision changed when its outcome, its hits (in any order), its obligations or any of the
domain's own fields (a level, a handling rule, SLA milestones and their due times) differ. The
rules responsible are the hits that differ, the hits whose definition changed, or, when the
hits are the same, the rules whose conditions held under one bundle only while the input was
evaluated (a derived field whose source changed level).
"""

from __future__ import annotations

import difflib
import itertools
import pathlib
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from finpolicy.documents.bundle import Bundle
from finpolicy.domains.base import Domain
from finpolicy.domains.registry import domains
from finpolicy.errors import FinpolicyError, InputError, NotInForceError
from finpolicy.testing.diff_report import (
    Change,
    ChangeGroup,
    DiffReport,
    DiffWarning,
    PolicyChange,
    Verdict,
    fail_on_kinds,
    parse_fail_on,
    report_warnings,
)
from finpolicy.testing.focus import FactReader, Focus, focus, focused_samples
from finpolicy.testing.runner import _Recorder
from finpolicy.testing.samples import (  # noqa: F401  (_nth: tests read it from here)
    Sample,
    Vocabulary,
    _nth,
    generate_samples,
    make_sample,
    pack_inputs,
)

__all__ = [
    "Change",
    "ChangeGroup",
    "DiffReport",
    "DiffWarning",
    "PolicyChange",
    "Sample",
    "Verdict",
    "declared_outcomes",
    "diff",
    "fail_on_kinds",
    "known_outcomes",
    "parse_fail_on",
]

DEFAULT_SAMPLES = 2000
INVALID = "<invalid input>"
NOT_IN_FORCE = "<not in force>"
ERROR = "<error>"
NONE = "<no decision>"

Path = tuple[str | int, ...]


# --- evaluation -----------------------------------------------------------------------------

def _evaluate(domain: Domain, engine: Any, sample: Sample) -> list[Verdict] | str:
    try:
        return [Verdict.of(d) for d in domain.evaluate_input(engine, sample.input,
                                                             as_of=sample.as_of)]
    except InputError:
        return INVALID
    except NotInForceError:
        return NOT_IN_FORCE
    except FinpolicyError:
        return ERROR


def _pairs(olds: list[Verdict], news: list[Verdict]) -> list[tuple[Verdict, Verdict]]:
    """Pair the decisions of one input: by input digest where each names one decision (a
    list of products comes back sorted by outcome, so positions move), else in order, equal
    decisions with each other: a finding added before others (a review's) is one decision
    added, not each later finding changed into the one before it."""
    a = {v.digest: v for v in olds}
    b = {v.digest: v for v in news}
    if "" not in a and len(a) == len(olds) and len(b) == len(news) and a.keys() == b.keys():
        return [(v, b[v.digest]) for v in olds]
    if len(olds) == len(news) and all(x.same(y) for x, y in zip(olds, news, strict=True)):
        return list(zip(olds, news, strict=True))
    keys = [[_same_key(v) for v in side] for side in (olds, news)]
    out: list[tuple[Verdict, Verdict]] = []
    matcher = difflib.SequenceMatcher(None, keys[0], keys[1], autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        out += itertools.zip_longest(olds[i1:i2], news[j1:j2], fillvalue=Verdict(NONE))
    return out


def _same_key(v: Verdict) -> str:
    """A text equal for two verdicts exactly when ``Verdict.same`` holds."""
    return repr((v.outcome, sorted(v.hits), v.obligations, v.extra))


RuleIndex = Mapping[tuple[str, str, str], Any]


def _rule_index(bundle: Bundle) -> dict[tuple[str, str, str], Any]:
    out: dict[tuple[str, str, str], Any] = {}
    for doc in bundle.documents:
        for ruleset in doc.policy.rulesets.values():
            for rule in ruleset.rules:
                out[(doc.id, doc.version, rule.id)] = (
                    ruleset.name, rule.when, rule.effect_items, rule.obligations)
    return out


def declared_outcomes() -> frozenset[str]:
    """The outcomes the registered domains declare (``Domain.outcomes``) and the marks of a
    failed evaluation (``<invalid input>`` …)."""
    return frozenset({INVALID, NOT_IN_FORCE, ERROR, NONE}.union(
        *(domain.outcomes for domain in domains())))


def known_outcomes(*bundles: Bundle) -> frozenset[str]:
    """The outcomes decisions over ``bundles`` can have: the declared ones
    (``declared_outcomes``) and every text a rule's effect gives (an access review's finding
    kinds, a plug-in's outcomes)."""
    found = set(declared_outcomes())
    for bundle in bundles:
        for doc in bundle.documents:
            for ruleset in doc.policy.rulesets.values():
                for rule in ruleset.rules:
                    found.update(v for v in rule.effect.values() if isinstance(v, str))
    return frozenset(found)


def _responsible_matched(old: frozenset[tuple[str, str, str]],
                         new: frozenset[tuple[str, str, str]], old_rules: RuleIndex,
                         new_rules: RuleIndex) -> tuple[str, ...]:
    """Rules whose conditions held under one bundle only, or under both but changed: the
    cause when the decision's own hits are the same (say a source field's level changed)."""
    out = [f"-{r}" for _, _, r in sorted(old - new) if r not in {x for _, _, x in new}]
    out += [f"+{r}" for _, _, r in sorted(new - old) if r not in {x for _, _, x in old}]
    out += [f"~{key[2]}" for key in sorted(old & new) if old_rules.get(key) != new_rules.get(key)]
    return tuple(dict.fromkeys(out))


def _responsible(old: Verdict, new: Verdict, old_rules: RuleIndex,
                 new_rules: RuleIndex) -> tuple[str, ...]:
    out = [f"-{r}" for r in old.hits if r not in new.hits]
    out += [f"+{r}" for r in new.hits if r not in old.hits]
    if old.policy is not None and new.policy is not None:
        for r in old.hits:
            if r in new.hits and old_rules.get((*old.policy, r)) != new_rules.get((*new.policy, r)):
                out.append(f"~{r}")
    return tuple(out)


def _policy_changes(old: Bundle, new: Bundle) -> list[PolicyChange]:
    def rules(bundle: Bundle) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for (pid, version, rid), definition in _rule_index(bundle).items():
            out.setdefault((pid, version), {})[rid] = definition
        for doc in bundle.documents:
            out.setdefault((doc.id, doc.version), {})
        return out

    a, b = rules(old), rules(new)
    docs_a = {(d.id, d.version): d for d in old.documents}
    docs_b = {(d.id, d.version): d for d in new.documents}
    changes = []
    for key in sorted(a.keys() | b.keys()):
        if key not in b:
            successor = _successor(docs_a[key], [d for k, d in docs_b.items() if k not in a])
            changes.append(PolicyChange(*key, "removed", removed=tuple(a[key]) if successor
                                        is None else (), replaced_by=successor))
        elif key not in a:
            before = _predecessor(docs_b[key], list(docs_a.values()))
            if before is None:
                changes.append(PolicyChange(*key, "added", added=tuple(b[key])))
            else:
                # what a new version changes is what it changes from the one it replaces
                diffed = _modified(key, a[(before.id, before.version)], b[key], before,
                                   docs_b[key], ignore=_WINDOW | {"metadata.version"})
                changes.append(attrs.evolve(diffed, change="added", replaces=before.version))
        elif docs_a[key].digest != docs_b[key].digest:
            changes.append(_modified(key, a[key], b[key], docs_a[key], docs_b[key]))
    return changes


def _predecessor(doc: Any, olds: Sequence[Any]) -> Any:
    """The version of the old bundle that ``doc``, a new version, replaces: the one in force
    on its first day, else the latest to start before it (``None``: a new policy)."""
    same = [d for d in olds if d.id == doc.id]
    start = doc.metadata.effective_from
    for d in same:
        if d.metadata.in_force(start):
            return d
    earlier = [d for d in same if d.metadata.effective_from <= start]
    return max(earlier or same, key=lambda d: d.metadata.effective_from, default=None)


def _successor(doc: Any, added: Sequence[Any]) -> str | None:
    """The version added in the new bundle that replaces ``doc`` (it left the pack)."""
    found = [d for d in added if d.id == doc.id]
    return min(found, key=lambda d: d.metadata.effective_from).version if found else None


_WINDOW = {"metadata.effective_from", "metadata.effective_until"}


def _modified(key: tuple[str, str], rules_a: dict[str, Any], rules_b: dict[str, Any],
              doc_a: Any, doc_b: Any, ignore: frozenset[str] | set[str] = frozenset(),
              ) -> PolicyChange:
    """A version whose text changed; when only its effective window moved (a version ended,
    as releasing a new one does), the change is ``window``, lifecycle, not an edit."""
    added = tuple(r for r in rules_b if r not in rules_a)
    removed = tuple(r for r in rules_a if r not in rules_b)
    modified = tuple(r for r in rules_a if r in rules_b and rules_a[r] != rules_b[r])
    settings = tuple(p for p in _settings_changed(doc_a.data, doc_b.data) if p not in ignore)
    if settings and set(settings) <= _WINDOW and not (added or removed or modified):
        return PolicyChange(*key, "window", settings=settings,
                            window=(doc_a.metadata.window(), doc_b.metadata.window()))
    sides = _settings_sides(doc_a.data, doc_b.data)
    return PolicyChange(*key, "modified", added=added, removed=removed, modified=modified,
                        settings=settings,
                        settings_removed=tuple(p for p in settings if sides.get(p) == "removed"),
                        settings_added=tuple(p for p in settings if sides.get(p) == "added"))


def _settings_changed(old: Any, new: Any) -> tuple[str, ...]:
    """Paths (``spec.roles.teller.permissions``, ``metadata.title``) of what changed outside
    the rule lists, three levels deep at most."""
    def without_rules(data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        spec = data.get("spec")
        if isinstance(spec, Mapping):
            spec = {k: v for k, v in spec.items() if not _is_rule_list(v)}
        return {**data, "spec": spec}

    return tuple(_paths_changed(without_rules(old), without_rules(new), ()))


def _settings_sides(old: Any, new: Any) -> dict[str, str]:
    """The changed settings (as ``_settings_changed`` names them) only one side has:
    ``removed`` or ``added`` (a milestone dropped)."""
    spec_a, spec_b = (d.get("spec") if isinstance(d, Mapping) else None for d in (old, new))
    return {p: side for p, side in _paths_and_sides(
        {"spec": spec_a}, {"spec": spec_b}, ()) if side}


def _is_rule_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, Mapping) and "id" in item and "when" in item for item in value)


def _by_name(value: Any) -> Any:
    """A list of named items (milestones, levels) as a mapping by name, so that a change is
    named by the item (``spec.milestones.final_response.duration``), not by its position."""
    if not isinstance(value, list) or not value:
        return value
    for key in ("name", "id", "level"):
        names = [item.get(key) if isinstance(item, Mapping) else None for item in value]
        if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
            return dict(zip(names, value, strict=True))
    return value


_GONE = object()  # a key one side does not have


def _paths_changed(a: Any, b: Any, path: tuple[str, ...]) -> Iterator[str]:
    yield from (p for p, _ in _paths_and_sides(a, b, path))


def _paths_and_sides(a: Any, b: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Each changed path with ``removed`` or ``added`` when only one side has it."""
    if a == b:
        return
    a, b = _by_name(a), _by_name(b)
    if isinstance(a, Mapping) and isinstance(b, Mapping) and len(path) < 4:
        for key in sorted(set(a) | set(b), key=str):
            yield from _paths_and_sides(a.get(key, _GONE), b.get(key, _GONE),
                                        (*path, str(key)))
        return
    yield ".".join(path), "removed" if b is _GONE else "added" if a is _GONE else ""


def _name(bundle: Bundle) -> str:
    return f"{bundle.name} {bundle.version} ({bundle.digest[:12]})"


def _bases(bundles: Sequence[Bundle], wanted: set[str]) -> dict[str, list[Sample]]:
    """The packs' examples and cases per domain, without repeats, smallest first."""
    by_domain: dict[str, list[Sample]] = {}
    seen: set[str] = set()
    for bundle in bundles:
        for case in pack_inputs(bundle):
            if case.domain not in wanted or not isinstance(case.input, Mapping):
                continue
            s = make_sample(case.domain, case.input, case.as_of,
                            f"case `{case.name}` ({_relative(bundle, case.file, case.line)})")
            if s.key not in seen:
                seen.add(s.key)
                by_domain.setdefault(case.domain, []).append(s)
    return {d: sorted(found, key=lambda s: s.size) for d, found in by_domain.items()}


def _relative(bundle: Bundle, file: str, line: int | None) -> str:
    """``tests/access.yaml:16``: a file of the pack named from the pack's folder, never from
    where the pack is installed."""
    path = pathlib.Path(file)
    try:
        shown = path.resolve().relative_to(pathlib.Path(bundle.root).resolve()).as_posix()
    except ValueError:
        shown = path.name
    return f"{shown}:{line}" if line is not None else shown


def _wanted(domains: Iterable[str] | None) -> set[str]:
    from finpolicy.domains.registry import names

    wanted = set(names() if domains is None else domains)
    unknown = wanted - set(names())
    if unknown:
        raise InputError.one("domains", f"unknown domain `{sorted(unknown)[0]}`, expected one "
                                        f"of {', '.join(names())}", "unknown_domain")
    return wanted


def diff(old_bundle: Bundle, new_bundle: Bundle, *, samples: int = DEFAULT_SAMPLES,
         seed: int = 0, engine: str = "compiled", domains: Iterable[str] | None = None,
         progress: Callable[[str, int, int], None] | None = None) -> DiffReport:
    """Evaluate both bundles on the same inputs and report every decision that changed.

    Args:
        old_bundle: the bundle as it was.
        new_bundle: the bundle as proposed.
        samples: generated inputs per domain drawn at random, on top of the packs' examples
            and cases and the full matrix of the smallest example.
        seed: seeds the choice among generated inputs, so a run can be repeated.
        engine: the engine both bundles are evaluated with.
        domains: only these domains (default: every domain the packs have inputs for).
        progress: called as ``progress(domain, done, total)`` while evaluating.

    Returns:
        A ``DiffReport``; ``report.changed`` is false for identical bundles.
    """
    from finpolicy.domains.registry import domain as find
    from finpolicy.facade import PolicyEngine

    if samples < 0:
        raise InputError.one("samples", "must be zero or more", "bad_option", samples)
    by_domain = _bases((old_bundle, new_bundle), _wanted(domains))
    engines = (PolicyEngine(old_bundle, engine=engine), PolicyEngine(new_bundle, engine=engine))
    rules = (_rule_index(old_bundle), _rule_index(new_bundle))
    rng = random.Random(seed)
    changes: list[Change] = []
    evaluated: dict[str, int] = {}
    skipped: dict[str, int] = {}
    recorders = _Recorder(engines[0]), _Recorder(engines[1])
    with recorders[0], recorders[1]:
        for domain, bases in sorted(by_domain.items()):
            declared = find(domain)

            def accepts(sample: Sample, declared: Domain = declared) -> bool:
                return any(not isinstance(_evaluate(declared, e, sample), str)
                           for e in engines)

            vocab = Vocabulary(declared, bases, (old_bundle, new_bundle), accepts)
            where = focus(old_bundle, new_bundle, {k.name for k in declared.kinds})
            todo = generate_samples(bases, vocab, samples, rng,
                                    _aimer(declared, engines, where), where.retargeted)
            evaluated[domain] = skipped[domain] = 0
            for n, sample in enumerate(todo):
                if progress is not None and n % 100 == 0:
                    progress(domain, n, len(todo))
                found = _compare(declared, sample, recorders, rules)
                if found is None:
                    skipped[domain] += 1
                else:
                    evaluated[domain] += 1
                    changes += found
            if progress is not None:
                progress(domain, len(todo), len(todo))
    policies = tuple(_policy_changes(old_bundle, new_bundle))
    return DiffReport(_name(old_bundle), _name(new_bundle), _group(changes), tuple(changes),
                      evaluated, skipped, policies,
                      report_warnings(old_bundle, new_bundle, policies))


def _aimer(domain: Domain, engines: tuple[Any, Any],
           where: Focus) -> Callable[[Sample], Iterator[Sample]]:
    """The inputs aimed at what changed (``focused_samples``), reading facts under the new
    bundle (the old one where the new has none of a fact: a removed rule's)."""
    def evaluator(engine: Any) -> Callable[[Sample], object]:
        return lambda sample: _evaluate(domain, engine, sample)

    readers = [FactReader(evaluator(e)) for e in engines]

    def probe(sample: Sample, path: tuple[str, ...]) -> list[float]:
        return readers[1].read(sample, path) or readers[0].read(sample, path)

    def aimed(base: Sample) -> Iterator[Sample]:
        with engines[0].observe(readers[0]), engines[1].observe(readers[1]):
            yield from list(focused_samples(base, where, probe))

    return aimed


def _compare(domain: Domain, sample: Sample, recorders: tuple[_Recorder, _Recorder],
             rules: tuple[RuleIndex, RuleIndex]) -> list[Change] | None:
    """The changed decisions of one input (``None`` when no bundle could judge it)."""
    matched: list[frozenset[tuple[str, str, str]]] = []
    results: list[list[Verdict] | str] = []
    for recorder in recorders:
        recorder.matched.clear()
        results.append(_evaluate(domain, recorder.engine, sample))
        matched.append(frozenset(recorder.matched))
    old, new = results
    if INVALID in (old, new) and {old, new} <= {INVALID, NOT_IN_FORCE}:
        # rejected by one bundle, not even checked by the other: nothing to compare
        return None
    # an error stands against every decision the other bundle made
    olds = [Verdict(old)] * max(len(new) if isinstance(new, list) else 1, 1) \
        if isinstance(old, str) else old
    news = [Verdict(new)] * max(len(old) if isinstance(old, list) else 1, 1) \
        if isinstance(new, str) else new
    out = []
    for i, (a, b) in enumerate(_pairs(olds, news)):
        if not a.same(b):
            responsible = _responsible(a, b, *rules) or _responsible_matched(
                matched[0], matched[1], *rules)
            out.append(Change(sample, i, a, b, responsible, a.fields_changed(b)))
    return out


def _group(changes: Sequence[Change]) -> tuple[ChangeGroup, ...]:
    groups: dict[tuple[str, str, str], list[Change]] = {}
    for change in changes:
        groups.setdefault((change.domain, change.old.outcome, change.new.outcome),
                          []).append(change)
    out = []
    for (domain, old, new), members in groups.items():
        # the pack's own example or case when one changed this way: a reviewer knows it by
        # name, and a shorter variant of it (`'retail' → 'risk' throughout`) would show a
        # change that plays no part; else the smallest input, among equals the one closest
        # to a written example
        written = [c for c in members if not c.sample.changes]
        example = min(written or members, key=lambda c: (c.sample.size, len(c.sample.origin)))
        counts = Counter(r for c in members for r in c.rules)
        out.append(ChangeGroup(domain, old, new, len(members), example,
                               tuple(r for r, _ in counts.most_common())))
    return tuple(sorted(out, key=lambda g: (g.domain, -g.count, g.kind)))
