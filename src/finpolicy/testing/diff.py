"""Change impact: evaluate two bundles on the same inputs and report every decision that changed.

The inputs are the examples and test cases of both packs plus inputs generated from them, per
domain:

- an exhaustive matrix where the domain is finite: every customer level × product level
  (suitability), every role × action × data level × category × purpose (access), on the
  smallest example in full and on the others as far as ``samples`` allows;
- single-field perturbations of every example elsewhere (and in those domains too): numbers
  one either side and doubled, dates and times moved by an hour, a day, a week, a year, flags
  flipped, words swapped for the other words the inputs, the input models and the policies
  use, list items dropped or added, optional keys removed; and the evaluation date moved onto
  each policy version's first and last day and the days beside them.

A decision changed when its outcome, its hits (in any order), its obligations or any of the
domain's own fields (a level, a handling rule, SLA milestones and their due times) differ. The
rules responsible are the hits that differ, the hits whose definition changed, or, when the
hits are the same, the rules whose conditions held under one bundle only while the input was
evaluated (a derived field whose source changed level).

Values come from the bundles' own vocabulary — the values the inputs use, the ``Literal`` and
enum values of the domain's input models, the names the policies list under a key of the same
name (``roles``, ``purposes``, ``customer_levels`` …) and the literals their rules compare
with — and each is kept only if the domain accepts it, so generated inputs stay valid and land
on rule boundaries.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import itertools
import random
import re
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
from pydantic import BaseModel

from finpolicy.decisions import Decision
from finpolicy.documents.bundle import Bundle, canonical_json
from finpolicy.domains.base import Domain
from finpolicy.errors import FinpolicyError, InputError, InputProblem, NotInForceError
from finpolicy.rules.conditions import All, Compare, Condition, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.testing.cases import CASES_DIR, EXAMPLES_DIR, PolicyCase, _load_dir, _Recorder

__all__ = [
    "Change",
    "ChangeGroup",
    "DiffReport",
    "PolicyChange",
    "Sample",
    "Verdict",
    "diff",
    "parse_fail_on",
]

DEFAULT_SAMPLES = 2000
MAX_MATRIX = 50_000  # cells of one exhaustive matrix (access: roles × actions × levels × …)
INVALID = "<invalid input>"
NOT_IN_FORCE = "<not in force>"
ERROR = "<error>"
NONE = "<no decision>"

Path = tuple[str | int, ...]


# --- results --------------------------------------------------------------------------------

@attrs.frozen(slots=True)
class Sample:
    """One input both bundles are evaluated on.

    Attributes:
        domain: the domain whose ``evaluate_input`` takes it.
        input: the input, in the shape of the domain's API.
        as_of: the evaluation date or time.
        origin: where it came from: an example or case, a matrix cell, a perturbation.
    """

    domain: str
    input: Any = attrs.field(eq=False)
    as_of: dt.date | dt.datetime | None
    origin: str = attrs.field(eq=False)
    key: str = ""

    @property
    def size(self) -> int:
        return len(canonical_json(self.input))

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "as_of": None if self.as_of is None
                else self.as_of.isoformat(), "input": self.input, "origin": self.origin}


@attrs.frozen(slots=True)
class Verdict:
    """What one decision said (or which error the input raised).

    Attributes:
        outcome: the decision's outcome, or ``<invalid input>``, ``<not in force>``,
            ``<error>``, ``<no decision>``.
        hits: the rule ids it lists.
        obligations: its obligations.
        policy: the policy id and version that decided.
        extra: the domain's own fields of the decision (a level, SLA milestones and their
            due times …), compared as they are.
        decision: the decision itself (``None`` for an error).
    """

    outcome: str
    hits: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    policy: tuple[str, str] | None = None
    extra: tuple[Any, ...] = attrs.field(default=(), repr=False)
    decision: Decision | None = attrs.field(default=None, eq=False, repr=False)
    digest: str = attrs.field(default="", eq=False, repr=False)

    @classmethod
    def of(cls, decision: Decision) -> Verdict:
        # the domain's own fields compared as they are; flattened only for reports
        extra = tuple(getattr(decision, f.name) for f in attrs.fields(type(decision))
                      if f.name not in _COMMON_FIELDS)
        return cls(str(decision.outcome), decision.rule_ids, tuple(decision.obligations),
                   (decision.policy.id, decision.policy.version), extra, decision,
                   decision.input_digest)

    @property
    def details(self) -> dict[str, Any]:
        """The domain's own fields, flattened to ``path: value``."""
        if self.decision is None:
            return {}
        data = self.decision.to_dict()
        for key in _COMMON_FIELDS:
            data.pop(key, None)
        return dict(_flatten(data))

    def same(self, other: Verdict) -> bool:
        """Equal decisions: rule order and policy version do not count; hits, duties and the
        domain's own fields do."""
        return (self.outcome == other.outcome and set(self.hits) == set(other.hits)
                and self.obligations == other.obligations and self.extra == other.extra)

    def fields_changed(self, other: Verdict) -> tuple[str, ...]:
        """The domain fields that differ, as ``path: old → new``."""
        mine, theirs = self.details, other.details
        keys = sorted(mine.keys() | theirs.keys())
        return tuple(f"{k}: {mine.get(k, '—')} → {theirs.get(k, '—')}"
                     for k in keys if mine.get(k) != theirs.get(k))

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "hits": list(self.hits),
                "obligations": list(self.obligations),
                "policy": None if self.policy is None else "@".join(self.policy),
                "details": dict(self.details)}


# Decision fields every domain has; the rest are the domain's own.
_COMMON_FIELDS = ("outcome", "hits", "obligations", "policy", "engine", "input_digest", "as_of",
                  "evaluated_at")


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list) and data and any(isinstance(v, Mapping | list) for v in data):
        for i, v in enumerate(data):
            yield from _flatten(v, f"{prefix}.{i}" if prefix else str(i))
    else:
        yield prefix, tuple(data) if isinstance(data, list) else data


@attrs.frozen(slots=True)
class Change:
    """One decision that differs between the bundles.

    Attributes:
        sample: the input.
        index: which of the input's decisions (a record gives one per field).
        old: the decision under the old bundle.
        new: the decision under the new bundle.
        rules: the rules responsible: ``+id`` hit only under the new bundle, ``-id`` only under
            the old, ``~id`` hit under both but changed.
        fields: the domain fields of the decision that changed (``path: old → new``).
    """

    sample: Sample
    index: int
    old: Verdict
    new: Verdict
    rules: tuple[str, ...]
    fields: tuple[str, ...] = ()

    @property
    def domain(self) -> str:
        return self.sample.domain

    @property
    def kind(self) -> str:
        return f"{self.old.outcome}->{self.new.outcome}"

    def to_dict(self) -> dict[str, Any]:
        return {"sample": self.sample.to_dict(), "decision": self.index,
                "old": self.old.to_dict(), "new": self.new.to_dict(), "rules": list(self.rules),
                "fields": list(self.fields)}


@attrs.frozen(slots=True)
class ChangeGroup:
    """Every change of one domain from one outcome to another, with its smallest example."""

    domain: str
    old: str
    new: str
    count: int
    example: Change
    rules: tuple[str, ...]

    @property
    def kind(self) -> str:
        return f"{self.old}->{self.new}"

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "change": self.kind, "count": self.count,
                "rules": list(self.rules), "example": self.example.to_dict()}


@attrs.frozen(slots=True)
class PolicyChange:
    """A policy version added, removed or modified between the bundles, by rule."""

    policy_id: str
    version: str
    change: str  # added | removed | modified
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy_id, "version": self.version, "change": self.change,
                "rules_added": list(self.added), "rules_removed": list(self.removed),
                "rules_modified": list(self.modified)}


@attrs.frozen(slots=True)
class DiffReport:
    """What changed between two bundles.

    Attributes:
        groups: changed decisions grouped by domain and old → new outcome, largest first.
        changes: every changed decision.
        evaluated: inputs evaluated per domain.
        skipped: generated inputs both bundles reject as invalid, per domain.
        policies: policy versions whose text differs, with the rules added, removed, modified.
    """

    old: str
    new: str
    groups: tuple[ChangeGroup, ...]
    changes: tuple[Change, ...] = attrs.field(repr=False)
    evaluated: Mapping[str, int]
    skipped: Mapping[str, int]
    policies: tuple[PolicyChange, ...]

    @property
    def changed(self) -> bool:
        """Whether any decision changed."""
        return bool(self.groups)

    def matching(self, kinds: Iterable[str]) -> tuple[ChangeGroup, ...]:
        """The groups matching any of ``kinds`` (``any``, ``old->new``, ``*`` for any side)."""
        wanted = parse_fail_on(kinds)
        return tuple(g for g in self.groups
                     if any(a in ("*", g.old) and b in ("*", g.new) for a, b in wanted))

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changed": self.changed,
                "evaluated": dict(self.evaluated), "skipped": dict(self.skipped),
                "groups": [g.to_dict() for g in self.groups],
                "policies": [p.to_dict() for p in self.policies]}


def parse_fail_on(kinds: Iterable[str]) -> list[tuple[str, str]]:
    """Parse change kinds: ``any``, or ``old->new`` outcome pairs where ``*`` is any outcome.

    Raises:
        InputError: for a kind without ``->``.
    """
    out = []
    for kind in kinds:
        text = kind.replace("→", "->").replace(" ", "")
        if text.lower() == "any":
            out.append(("*", "*"))
            continue
        old, sep, new = text.partition("->")
        if not sep or not old or not new:
            raise InputError([InputProblem("fail_on", f"expected `any` or `old->new`, e.g. "
                                                      f"`deny->allow`, got `{kind}`", value=kind)])
        out.append((old, new))
    return out


# --- inputs ---------------------------------------------------------------------------------

def _key(domain: str, data: Any, as_of: dt.date | dt.datetime | None) -> str:
    return canonical_json([domain, data, None if as_of is None else as_of.isoformat()])


def _sample(domain: str, data: Any, as_of: dt.date | dt.datetime | None, origin: str) -> Sample:
    return Sample(domain, data, as_of, origin, _key(domain, data, as_of))


def _pack_inputs(bundle: Bundle) -> list[PolicyCase]:
    from pathlib import Path

    root = Path(bundle.root)
    return [*_load_dir(root / EXAMPLES_DIR, expect=False), *_load_dir(root / CASES_DIR,
                                                                       expect=False)]


def _leaves(data: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf (scalar, or list of scalars) with its path; lists of mappings are walked."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(data, list) and any(isinstance(v, Mapping | list) for v in data):
        for i, v in enumerate(data):
            yield from _leaves(v, (*path, i))
    else:
        yield path, data


def _abstract(path: Path) -> tuple[str, ...]:
    return tuple("*" if isinstance(p, int) else str(p) for p in path)


def _copy_path(data: Any, path: Path) -> tuple[Any, Any]:
    """Copy the containers along ``path`` (only those: inputs are never changed in place, so
    the rest is shared); returns the copy and the container holding ``path[-1]``."""
    out = copy.copy(data)
    node = out
    for part in path[:-1]:
        child = copy.copy(node[part])
        node[part] = child
        node = child
    return out, node


def _set(data: Any, path: Path, value: Any) -> Any:
    out, node = _copy_path(data, path)
    node[path[-1]] = value
    return out


def _drop(data: Any, path: Path) -> Any:
    out, node = _copy_path(data, path)
    del node[path[-1]]
    return out


_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Identifiers and free text: the policies' names for these are not values of the field.
_NOT_VOCABULARY = {"id", "name", "title", "description", "reason", "cite", "at", "date"}


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _head(name: str) -> str:
    """The noun a field name ends with: ``data_level`` → ``level``, ``roles`` → ``role``."""
    words = [w for w in re.split(r"[_\-.\s]+", name.lower()) if w]
    return _singular(words[-1]) if words else ""


def _named_values(value: Any) -> list[str]:
    """The names a policy lists under a key: list items, mapping keys, items' ``name``/``id``."""
    if isinstance(value, str):
        return [value] if _IDENT.fullmatch(value) else []
    if isinstance(value, Mapping):
        return [k for k in value if isinstance(k, str) and _IDENT.fullmatch(k)]
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, str) and _IDENT.fullmatch(item):
                out.append(item)
            elif isinstance(item, Mapping):
                for key in ("name", "id", "code", "level"):
                    if isinstance(item.get(key), str) and _IDENT.fullmatch(item[key]):
                        out.append(item[key])
                        break
        return out
    return []


def _spec_words(data: Any, head: str, out: set[Any]) -> None:
    """Names listed under every key of ``data`` whose name ends in the noun ``head``."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            if isinstance(k, str) and _head(k) == head:
                out.update(_named_values(v))
            _spec_words(v, head, out)
    elif isinstance(data, list):
        for v in data:
            _spec_words(v, head, out)


def _condition_literals(cond: Condition, head: str, out: set[Any]) -> None:
    """Words the rules compare a field ending in the noun ``head`` with."""
    if isinstance(cond, All | AnyOf):
        for item in cond.items:
            _condition_literals(item, head, out)
    elif isinstance(cond, Not):
        _condition_literals(cond.item, head, out)
    elif isinstance(cond, Compare) and cond.op != "matches" and cond.path \
            and _head(cond.path[-1]) == head:
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        out.update(v for v in values if isinstance(v, str))


def _annotation_values(annotation: Any, out: set[Any]) -> None:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        out.update(a for a in typing.get_args(annotation) if isinstance(a, str | int))
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        for member in annotation:
            # ordered int enums are written by name in inputs (``core``), others by value
            out.add(member.name.lower() if isinstance(member.value, int) else member.value)
    elif origin in (typing.Union, types.UnionType, list, tuple, set, frozenset) or (
            origin is not None and typing.get_args(annotation)):
        for arg in typing.get_args(annotation):
            _annotation_values(arg, out)


def _model_values(models: Sequence[type[BaseModel]], field: str) -> set[Any]:
    out: set[Any] = set()
    for model in models:
        if field in model.model_fields:
            _annotation_values(model.model_fields[field].annotation, out)
    return out


class _Vocabulary:
    """The values each input field may take, from inputs, input models and policies."""

    def __init__(self, domain: Domain, bases: Sequence[Sample], bundles: Sequence[Bundle],
                 accepts: Callable[[Sample], bool] = lambda _: True) -> None:
        self.seen: dict[tuple[str, ...], list[Any]] = {}
        for base in bases:
            for path, value in _leaves(base.input):
                bucket = self.seen.setdefault(_abstract(path), [])
                for v in value if isinstance(value, list) else [value]:
                    if v not in bucket and not isinstance(v, Mapping | list):
                        bucket.append(v)
        kinds = {k.name for k in domain.kinds}
        self.docs = [d for b in bundles for d in b.documents if d.kind in kinds]
        self.models = domain.input_models
        self.accepts = accepts
        self._cache: dict[tuple[str, ...], list[Any]] = {}
        self._policy_words: dict[str, tuple[set[Any], set[Any]]] = {}
        self._valid: dict[tuple[tuple[str, ...], str], bool] = {}

    def valid_values(self, base: Sample, path: Path, is_list: bool) -> list[Any]:
        """The values of ``path`` the domain accepts, tried one at a time on ``base``."""
        out = []
        for value in self.values(_abstract(path)):
            key = (_abstract(path), canonical_json(value))
            if key not in self._valid:
                data = _set(base.input, path, [value] if is_list else value)
                self._valid[key] = self.accepts(_sample(base.domain, data, base.as_of, ""))
            if self._valid[key]:
                out.append(value)
        return out

    def values(self, path: tuple[str, ...]) -> list[Any]:
        if path in self._cache:
            return self._cache[path]
        seen = list(self.seen.get(path, []))
        words: set[Any] = set()
        field = path[-1] if path else ""
        head = _head(field) if field and field != "*" else ""
        if head and all(isinstance(v, str) for v in seen):
            if head not in self._policy_words:
                listed: set[Any] = set()
                compared: set[Any] = set()
                for doc in self.docs:
                    _spec_words(doc.data.get("spec"), head, listed)
                    for ruleset in doc.policy.rulesets.values():
                        for rule in ruleset.rules:
                            _condition_literals(rule.when, head, compared)
                self._policy_words[head] = (listed, compared)
            listed, compared = self._policy_words[head]
            # what rules compare a name or an id with is vocabulary; what policies list under
            # `names` or `ids` is not
            words |= compared
            if head not in _NOT_VOCABULARY:
                words |= _model_values(self.models, field) | listed
        if head in _NOT_VOCABULARY:
            seen = []  # swapping one customer's id for another's tells nothing
        out = seen + sorted((w for w in words if w not in seen), key=str)
        self._cache[path] = out
        return out


def _shift(value: Any) -> list[Any]:
    """Nearby values of a scalar, to land on the boundaries of rules that compare it."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value - 1, value + 1, 0, value * 2]
    if isinstance(value, float):
        return [value - 1, value + 1, 0.0, value * 2, value / 2]
    if isinstance(value, str) and _DATETIME.match(value):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return []
        return [(when + d).isoformat() for d in (dt.timedelta(hours=-1), dt.timedelta(hours=1),
                                                 dt.timedelta(days=-1), dt.timedelta(days=1),
                                                 dt.timedelta(days=7), dt.timedelta(days=30))]
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return []
        return [(day + dt.timedelta(days=n)).isoformat() for n in (-1, 1, -7, 7, -365, 365)]
    return []


def _perturb(base: Sample, vocab: _Vocabulary) -> Iterator[Sample]:
    data = base.input
    for path, value in _leaves(data):
        if not path:
            continue
        where = ".".join(str(p) for p in path)
        if isinstance(value, list):
            for i in range(min(len(value), 3)):
                yield _sample(base.domain, _set(data, path, value[:i] + value[i + 1:]),
                              base.as_of, f"{base.origin}, {where} without {value[i]!r}")
            for word in vocab.values(_abstract(path))[:8]:
                if word not in value:
                    yield _sample(base.domain, _set(data, path, [*value, word]), base.as_of,
                                  f"{base.origin}, {where} plus {word!r}")
            continue
        for new in _shift(value):
            yield _sample(base.domain, _set(data, path, new), base.as_of,
                          f"{base.origin}, {where}={new!r}")
        if isinstance(value, str) and not _shift(value):
            for word in vocab.values(_abstract(path)):
                if word != value:
                    yield _sample(base.domain, _set(data, path, word), base.as_of,
                                  f"{base.origin}, {where}={word!r}")
        yield _sample(base.domain, _drop(data, path), base.as_of, f"{base.origin}, no {where}")


def _at_day(when: dt.date | dt.datetime, day: dt.date) -> dt.date | dt.datetime:
    if isinstance(when, dt.datetime):
        return when.replace(year=day.year, month=day.month, day=day.day)
    return day


def _dates(base: Sample, vocab: _Vocabulary) -> Iterator[Sample]:
    if base.as_of is None:
        return
    day = base.as_of.date() if isinstance(base.as_of, dt.datetime) else base.as_of
    days = {day - dt.timedelta(days=1), day + dt.timedelta(days=1)}
    for doc in vocab.docs:
        start, until = doc.metadata.effective_from, doc.metadata.effective_until
        days |= {start - dt.timedelta(days=1), start}
        if until is not None:
            days |= {until, until + dt.timedelta(days=1)}
    whens: list[dt.date | dt.datetime] = [_at_day(base.as_of, d) for d in sorted(days - {day})]
    if isinstance(base.as_of, dt.datetime):
        # clocks (SLA deadlines, grant expiry) tick in hours and days, not only on dates
        whens += [base.as_of + dt.timedelta(hours=h) for h in (-1, 1, 24 * 7, 24 * 30)]
    for when in whens:
        yield _sample(base.domain, base.input, when, f"{base.origin}, as of {when.isoformat()}")


GRID_BASES = 3


def _grid(domain: str) -> tuple[tuple[str, ...], ...]:
    from finpolicy.domains.registry import domain as find

    return find(domain).grid


def _grid_axes(base: Sample) -> int:
    """How many of its domain's grid fields an input has (the first such input wins ties)."""
    axes = _grid(base.domain)
    leaves = [p for p, _ in _leaves(base.input) if not any(isinstance(x, int) for x in p)]
    return sum(any(tuple(p[-len(s):]) == s for p in leaves) for s in axes)


def _matrix(base: Sample, vocab: _Vocabulary, *, limit: int | None = None,
            rng: random.Random | None = None) -> Iterator[Sample]:
    """Every combination of the matrix fields' values on ``base`` (``limit`` of them, drawn
    at random, when there are more)."""
    axes = _grid(base.domain)
    if not axes:
        return
    paths: list[tuple[Path, bool]] = []
    leaves = dict((p, v) for p, v in _leaves(base.input)
                  if not any(isinstance(x, int) for x in p))
    for suffix in axes:
        found = sorted((p for p in leaves if tuple(p[-len(suffix):]) == suffix), key=len)
        if found:
            paths.append((found[0], isinstance(leaves[found[0]], list)))
    if not paths:
        return
    choices = [vocab.valid_values(base, p, is_list) for p, is_list in paths]
    total = 1
    for c in choices:
        total *= len(c)
    if limit is None or total <= limit:
        combos: Iterable[tuple[Any, ...]] = itertools.product(*choices)
    else:
        combos = (_nth(choices, n) for n in sorted((rng or random.Random(0)).sample(
            range(total), limit)))
    for combo in combos:
        data = base.input
        parts = []
        for (path, is_list), value in zip(paths, combo, strict=True):
            data = _set(data, path, [value] if is_list else value)
            parts.append(f"{'.'.join(map(str, path))}={value!r}")
        yield _sample(base.domain, data, base.as_of, f"{base.origin}, {', '.join(parts)}")


def _nth(choices: Sequence[Sequence[Any]], n: int) -> tuple[Any, ...]:
    """The ``n``-th element of the product of ``choices``, in ``itertools.product`` order."""
    out = []
    for c in reversed(choices):
        n, i = divmod(n, len(c))
        out.append(c[i])
    return tuple(reversed(out))


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
    list of products comes back sorted by outcome, so positions move), else by position."""
    a = {v.digest: v for v in olds}
    b = {v.digest: v for v in news}
    if "" not in a and len(a) == len(olds) and len(b) == len(news) and a.keys() == b.keys():
        return [(v, b[v.digest]) for v in olds]
    return list(itertools.zip_longest(olds, news, fillvalue=Verdict(NONE)))


RuleIndex = Mapping[tuple[str, str, str], Any]


def _rule_index(bundle: Bundle) -> dict[tuple[str, str, str], Any]:
    out: dict[tuple[str, str, str], Any] = {}
    for doc in bundle.documents:
        for ruleset in doc.policy.rulesets.values():
            for rule in ruleset.rules:
                out[(doc.id, doc.version, rule.id)] = (
                    ruleset.name, rule.when, rule.effect_items, rule.obligations)
    return out


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
    digests_a = {(d.id, d.version): d.digest for d in old.documents}
    digests_b = {(d.id, d.version): d.digest for d in new.documents}
    changes = []
    for key in sorted(a.keys() | b.keys()):
        if key not in b:
            changes.append(PolicyChange(*key, "removed", removed=tuple(a[key])))
        elif key not in a:
            changes.append(PolicyChange(*key, "added", added=tuple(b[key])))
        elif digests_a[key] != digests_b[key]:
            changes.append(PolicyChange(
                *key, "modified",
                added=tuple(r for r in b[key] if r not in a[key]),
                removed=tuple(r for r in a[key] if r not in b[key]),
                modified=tuple(r for r in a[key] if r in b[key] and a[key][r] != b[key][r])))
    return changes


def _samples(bases: list[Sample], vocab: _Vocabulary, budget: int,
             rng: random.Random) -> list[Sample]:
    """The bases, the full matrix of the smallest base, then ``budget`` more drawn at random
    from the other bases' matrices and every base's perturbations."""
    out: dict[str, Sample] = {s.key: s for s in bases}
    # the full grid grows from the smallest input that has every grid field (a review input,
    # say, has none of an access request's)
    # (a review input, say, has none of an access request's); three such inputs, because one
    # alone fixes the fields outside the grid (a branch out of scope would hide every allow)
    most = max((_grid_axes(b) for b in bases), default=0)
    grids = [b for b in bases if most and _grid_axes(b) == most][:GRID_BASES]
    for grid in grids:
        for s in itertools.islice(_matrix(grid, vocab), MAX_MATRIX):
            out.setdefault(s.key, s)
    rest: dict[str, Sample] = {}
    for base in bases:
        matrix = _matrix(base, vocab, limit=budget, rng=rng) if base not in grids else ()
        for s in itertools.chain(matrix,
                                 _perturb(base, vocab), _dates(base, vocab)):
            if s.key not in out:
                rest.setdefault(s.key, s)
    pool = list(rest.values())
    for s in pool if len(pool) <= budget else rng.sample(pool, budget):
        out.setdefault(s.key, s)
    return list(out.values())


def _name(bundle: Bundle) -> str:
    return f"{bundle.name} {bundle.version} ({bundle.digest[:12]})"


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
    from finpolicy.domains.registry import names
    from finpolicy.facade import PolicyEngine

    if samples < 0:
        raise InputError.one("samples", "must be zero or more", "bad_option", samples)
    wanted = set(names() if domains is None else domains)
    unknown = wanted - set(names())
    if unknown:
        raise InputError.one("domains", f"unknown domain `{sorted(unknown)[0]}`, expected one "
                                        f"of {', '.join(names())}", "unknown_domain")
    engines = (PolicyEngine(old_bundle, engine=engine), PolicyEngine(new_bundle, engine=engine))
    rules = (_rule_index(old_bundle), _rule_index(new_bundle))
    by_domain: dict[str, list[Sample]] = {}
    seen: set[str] = set()
    for bundle in (old_bundle, new_bundle):
        for case in _pack_inputs(bundle):
            if case.domain not in wanted or not isinstance(case.input, Mapping):
                continue
            s = _sample(case.domain, case.input, case.as_of, f"{case.file}: {case.name}")
            if s.key not in seen:
                seen.add(s.key)
                by_domain.setdefault(case.domain, []).append(s)
    rng = random.Random(seed)
    changes: list[Change] = []
    evaluated: dict[str, int] = {}
    skipped: dict[str, int] = {}
    recorders = _Recorder(engines[0]), _Recorder(engines[1])
    with recorders[0], recorders[1]:
        for domain in sorted(by_domain):
            declared = find(domain)
            bases = sorted(by_domain[domain], key=lambda s: s.size)

            def accepts(sample: Sample, declared: Domain = declared) -> bool:
                return any(not isinstance(_evaluate(declared, e, sample), str)
                           for e in engines)

            vocab = _Vocabulary(declared, bases, (old_bundle, new_bundle), accepts)
            todo = _samples(bases, vocab, samples, rng)
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
    return DiffReport(_name(old_bundle), _name(new_bundle), _group(changes), tuple(changes),
                      evaluated, skipped, tuple(_policy_changes(old_bundle, new_bundle)))


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
        # smallest input first; among equals the one closest to a written example
        example = min(members, key=lambda c: (c.sample.size, len(c.sample.origin)))
        counts = Counter(r for c in members for r in c.rules)
        out.append(ChangeGroup(domain, old, new, len(members), example,
                               tuple(r for r, _ in counts.most_common())))
    return tuple(sorted(out, key=lambda g: (g.domain, -g.count, g.kind)))
