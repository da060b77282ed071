"""The inputs ``diff`` evaluates both bundles on: the packs' examples and cases, exhaustive
grids where a domain's input is finite, and single-field perturbations of every example.

- an exhaustive matrix where the domain is finite (``Domain.grid``): every customer level ×
  product level (suitability), every role × action × data level × category × purpose (access),
  on the smallest example in full and on the others as far as the budget allows;
- single-field perturbations of every example elsewhere (and in those domains too): numbers
  one either side and doubled, dates and times moved by an hour, a day, a week, a year, flags
  flipped, words swapped for the other words the inputs, the input models and the policies
  use, list items dropped or added, optional keys removed; and the evaluation date moved onto
  each policy version's first and last day and the days beside them.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs
from pydantic import BaseModel

from finpolicy.documents.bundle import Bundle
from finpolicy.documents.digests import canonical_json
from finpolicy.domains.base import Domain
from finpolicy.rules.conditions import All, Compare, Condition, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.testing.cases import CASES_DIR, EXAMPLES_DIR, PolicyCase, _load_dir

__all__ = ["GRID_BASES", "MAX_MATRIX", "Sample", "Vocabulary", "generate_samples", "make_sample",
           "pack_inputs"]

MAX_MATRIX = 50_000  # cells of one exhaustive matrix (access: roles × actions × levels × …)
GRID_BASES = 3

Path = tuple[str | int, ...]


@attrs.frozen(slots=True)
class Sample:
    """One input both bundles are evaluated on.

    Attributes:
        domain: the domain whose ``evaluate_input`` takes it.
        input: the input, in the shape of the domain's API.
        as_of: the evaluation date or time.
        origin: where it came from: an example or case, a matrix cell, a perturbation.
        base: the example or case it was derived from (its own ``origin`` when written).
        changes: how it differs from that example or case (empty when it is the example).
    """

    domain: str
    input: Any = attrs.field(eq=False)
    as_of: dt.date | dt.datetime | None
    origin: str = attrs.field(eq=False)
    key: str = ""
    base: str = attrs.field(default="", eq=False)
    changes: tuple[str, ...] = attrs.field(default=(), eq=False)

    @property
    def label(self) -> str:
        """The name a report gives it, the case itself or a generated variant of it (never with
        the case's name alone, which describes another input)."""
        if not self.changes:
            return self.origin
        return (f"a generated input: the input of {self.base} with "
                f"{'; '.join(self.changes)}")

    @property
    def size(self) -> int:
        return len(canonical_json(self.input))

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "as_of": None if self.as_of is None
                else self.as_of.isoformat(), "input": self.input, "origin": self.origin,
                "base": self.base, "changes": list(self.changes), "label": self.label}


def _key(domain: str, data: Any, as_of: dt.date | dt.datetime | None) -> str:
    return canonical_json([domain, data, None if as_of is None else as_of.isoformat()])


def make_sample(domain: str, data: Any, as_of: dt.date | dt.datetime | None, origin: str) -> Sample:
    return Sample(domain, data, as_of, origin, _key(domain, data, as_of), origin)


def derive(base: Sample, data: Any, as_of: dt.date | dt.datetime | None, change: str) -> Sample:
    """A variant of ``base``: ``data`` at ``as_of``, differing from it by ``change``."""
    return Sample(base.domain, data, as_of, f"{base.origin}, {change}",
                  _key(base.domain, data, as_of), base.base or base.origin,
                  (*base.changes, change))


def pack_inputs(bundle: Bundle) -> list[PolicyCase]:
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


class Vocabulary:
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
                self._valid[key] = self.accepts(make_sample(base.domain, data, base.as_of, ""))
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
        return _near(when, _TIME_STEPS)
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return []
        return _near(day, _DAY_STEPS)
    return []


_TIME_STEPS = tuple(dt.timedelta(hours=h) for h in (-1, 1, -24, 24, 7 * 24, 30 * 24))
_DAY_STEPS = tuple(dt.timedelta(days=n) for n in (-1, 1, -7, 7, -365, 365))


def _near(value: dt.date, steps: tuple[dt.timedelta, ...]) -> list[Any]:
    """``value`` moved by each of ``steps``, as ISO text; a step past year 1 or 9999 gives no
    neighbour."""
    out = []
    for step in steps:
        try:
            out.append((value + step).isoformat())
        except OverflowError:
            continue
    return out


def _perturb(base: Sample, vocab: Vocabulary) -> Iterator[Sample]:
    data = base.input
    for path, value in _leaves(data):
        if not path:
            continue
        where = ".".join(str(p) for p in path)
        if isinstance(value, list):
            for i in range(min(len(value), 3)):
                yield derive(base, _set(data, path, value[:i] + value[i + 1:]),
                             base.as_of, f"{where} without {value[i]!r}")
            for word in vocab.values(_abstract(path))[:8]:
                if word not in value:
                    yield derive(base, _set(data, path, [*value, word]), base.as_of,
                                 f"{where} plus {word!r}")
            continue
        for new in _shift(value):
            yield derive(base, _set(data, path, new), base.as_of, f"{where}={new!r}")
        if isinstance(value, str) and not _shift(value):
            for word in vocab.values(_abstract(path)):
                if word != value:
                    yield derive(base, _set(data, path, word), base.as_of, f"{where}={word!r}")
        yield derive(base, _drop(data, path), base.as_of, f"no {where}")


def _at_day(when: dt.date | dt.datetime, day: dt.date) -> dt.date | dt.datetime:
    if isinstance(when, dt.datetime):
        return when.replace(year=day.year, month=day.month, day=day.day)
    return day


D = TypeVar("D", dt.date, dt.datetime)


def _shifted(when: D, **delta: float) -> D | None:
    """``when`` moved by ``delta``, or ``None`` past the ends of the calendar."""
    try:
        return when + dt.timedelta(**delta)
    except OverflowError:
        return None


def _dates(base: Sample, vocab: Vocabulary) -> Iterator[Sample]:
    if base.as_of is None:
        return
    day = base.as_of.date() if isinstance(base.as_of, dt.datetime) else base.as_of
    near = {_shifted(day, days=-1), _shifted(day, days=1)}
    for doc in vocab.docs:
        start, until = doc.metadata.effective_from, doc.metadata.effective_until
        near |= {_shifted(start, days=-1), start}
        if until is not None:
            near |= {until, _shifted(until, days=1)}
    days = {d for d in near if d is not None and d != day}
    whens: list[dt.date | dt.datetime] = [_at_day(base.as_of, d) for d in sorted(days)]
    if isinstance(base.as_of, dt.datetime):
        # clocks (SLA deadlines, grant expiry) tick in hours and days, not only on dates
        later = (_shifted(base.as_of, hours=h) for h in (-1, 1, 24 * 7, 24 * 30))
        whens += [when for when in later if when is not None]
    for when in whens:
        yield derive(base, base.input, when, f"as of {when.isoformat()}")


def _grid(domain: str) -> tuple[tuple[str, ...], ...]:
    from finpolicy.domains.registry import domain as find

    return find(domain).grid


def _grid_axes(base: Sample) -> int:
    """How many of its domain's grid fields an input has (the first such input wins ties)."""
    axes = _grid(base.domain)
    leaves = [p for p, _ in _leaves(base.input) if not any(isinstance(x, int) for x in p)]
    return sum(any(tuple(p[-len(s):]) == s for p in leaves) for s in axes)


def _matrix(base: Sample, vocab: Vocabulary, *, limit: int | None = None,
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
        yield derive(base, data, base.as_of, ", ".join(parts))


def _nth(choices: Sequence[Sequence[Any]], n: int) -> tuple[Any, ...]:
    """The ``n``-th element of the product of ``choices``, in ``itertools.product`` order."""
    out = []
    for c in reversed(choices):
        n, i = divmod(n, len(c))
        out.append(c[i])
    return tuple(reversed(out))


def generate_samples(bases: list[Sample], vocab: Vocabulary, budget: int,
                     rng: random.Random,
                     focused: Callable[[Sample], Iterable[Sample]] | None = None,
                     retarget: Callable[[Sample], Iterable[Sample]] = lambda s: [s],
                     ) -> list[Sample]:
    """The bases, what ``focused`` derives from each (always: the inputs aimed at what
    changed, ``finpolicy.testing.focus``), the full matrix of the smallest bases, then
    ``budget`` more drawn at random from the other bases' matrices and every base's
    perturbations. Matrices and perturbations grow from what ``retarget`` makes of each base
    (``Focus.retargeted``: the base moved onto the days the bundles decide apart)."""
    out: dict[str, Sample] = {s.key: s for s in bases}
    for base in bases:
        for s in focused(base) if focused is not None else ():
            out.setdefault(s.key, s)
    # the full grid grows from the smallest input that has every grid field (a review input,
    # say, has none of an access request's); three such inputs, because one
    # alone fixes the fields outside the grid (a branch out of scope would hide every allow)
    most = max((_grid_axes(b) for b in bases), default=0)
    grids = [b for b in bases if most and _grid_axes(b) == most][:GRID_BASES]
    for grid in grids:
        for each in retarget(grid):
            for s in itertools.islice(_matrix(each, vocab), MAX_MATRIX):
                out.setdefault(s.key, s)
    from finpolicy.testing.renames import renamed

    rest: dict[str, Sample] = {}
    for base in bases:
        for each in retarget(base):
            matrix = _matrix(each, vocab, limit=budget, rng=rng) if base not in grids else ()
            for s in itertools.chain(matrix, _perturb(each, vocab), renamed(each, vocab),
                                     _dates(each, vocab)):
                if s.key not in out:
                    rest.setdefault(s.key, s)
    pool = list(rest.values())
    for s in pool if len(pool) <= budget else rng.sample(pool, budget):
        out.setdefault(s.key, s)
    return list(out.values())
