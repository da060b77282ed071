"""Masking logged inputs by the bundle's own classification policy.

Every scalar of a logged input (text or a number) is classified as a field named by its key —
a list's items by the list's key — with the value as its one sample, so content detectors see
it too. A ``{name, sample_values, ...}`` mapping describes a field: its sample values are
classified under that name, and its name, tags and description are kept as they are. The
value is kept in clear only when the level's handling asks for neither encryption at rest nor
masking on display and no matching rule names a display mask. Otherwise the log shows the
policy's display mask (``110***********002X``; ``*`` for the whole value when the rule names
none) and, beside it, the level and a keyed hash (HMAC-SHA256 under the bank's sealing secret)
so the key holder can find every entry about a value without the log holding it. The masked
values themselves are stored sealed (AES-256-GCM, ``[path, value]`` pairs), so replay can put
them back; nothing in clear is stored twice.

Text at a place of the domain's closed vocabulary (``LoggedCall.vocabulary``: an action, a
complaint channel, a request's evaluation time) is kept as it is unless a rule of the policy
matches it: the domain refuses anything else there, so it holds no customer's data.

When the bundle has no classification policy in force, every scalar is masked: the log fails
closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple, TypeVar

import orjson

from finpolicy.audit.encode import exact_dumps, exact_loads, to_json
from finpolicy.audit.keys import AuditKeys
from finpolicy.audit.scrub import Echo
from finpolicy.documents.bundle import Bundle
from finpolicy.domains.classification.model import bounded_sample
from finpolicy.domains.detectors import DETECTORS, accepting, identifiers_in_text
from finpolicy.errors import FinpolicyError, NotInForceError
from finpolicy.inputs import InputModel
from finpolicy.limits import MAX_SAMPLE_LENGTH

_MAX_CACHE = 100_000
K = TypeVar("K")
V = TypeVar("V")
_MAX_PARTS = 20_000
_MAX_PART = 4096  # bytes of JSON; larger parts are masked afresh each time
_FAIL_CLOSED = ("unclassified", "*")
_CLEAR = None
_FAILED = "failed"  # the value could not be classified: masked whole, as unclassified
_Rule = tuple[str, str] | str | None
_KIND = "ClassificationPolicy"
_SAMPLES = "sample_values"
_BLANK = ("",)  # the facts of blank text (no detector is named "")
_IN_TEXT = "_in_text"  # the suffix of the detectors that find an identifier inside text
Verdict = tuple[str, str, tuple[str, ...]]


class Part(NamedTuple):
    """One masked top-level value: its JSON as logged, ``"path":[level, keyed hash]`` of each
    masked scalar (JSON members), the ``(value, shown)`` pairs replaced (text and numbers),
    the days its entry must be kept (``None``: keep), and the masked values themselves."""

    shown: bytes
    masked: bytes
    replaced: tuple[Echo, ...]
    days: int | None
    originals: bytes  # JSON items ``[path, value]``, sealed in the entry


def _days(handling: Any, day: dt.date) -> int:
    """Days from ``day`` to the end of the audit-log retention of ``handling``."""
    period = getattr(handling, "audit_log_retention", None)
    if period is not None:
        last: dt.date = period.last_day(day)
        return (last - day).days
    return int(handling.audit_log_retention_days)


class Masker:
    """Masks inputs by one bundle's classification policy in force on ``day``."""

    def __init__(self, bundle: Bundle, keys: AuditKeys, day: dt.date) -> None:
        from finpolicy.engine import PolicyEngine

        self.keys = keys
        self.day = day
        self._engine: PolicyEngine | None = None
        self._cache: dict[tuple[str, str], Verdict | None] = {}
        self._parts: dict[tuple[str, bytes, int], Part] = {}
        # input models are immutable: one is written and masked once, however often it comes
        self._models: dict[tuple[str, int, int], tuple[InputModel, Part]] = {}
        # a number per vocabulary for the caches' keys (a frozenset would keep every key
        # tracked by the garbage collector, and the caches hold many)
        self._vocabularies: dict[frozenset[str], int] = {}
        # a field's classification follows from the facts its rules read: its name, whether
        # its one sample is blank, and which detectors accept it (as in columnar_facts). The
        # rule is worked out once per such set; a new value costs only the detectors' checks
        self._detectors: tuple[str, ...] | None = None  # the policy's, by name
        self._by_facts: dict[tuple[str, tuple[str, ...]], tuple[_Rule, bool]] = {}
        self._ruled: dict[tuple[str, str], bool] = {}
        self._hashes: dict[str, str] = {}
        self.retention: dict[str, int] = {}
        """Days an entry written on ``day`` is kept, per level name (the policy's audit-log
        retention); empty when nothing may be deleted."""
        try:
            doc = bundle.in_force(_KIND, day)
        except NotInForceError:
            self._engine = None
        else:
            self._engine = PolicyEngine(bundle)  # no log: masking is not a decision
            names = list(dict.fromkeys(getattr(doc.policy, "detectors", ())))
            if all(n in DETECTORS for n in names):  # else every value takes the full path
                self._detectors = tuple(names)
            handling = getattr(doc.policy, "handling", {})
            self.retention = {str(level): _days(h, day) for level, h in handling.items()}

    def retention_days(self, levels: Any) -> int | None:
        """Days to keep an entry whose input holds values of ``levels``: the longest period
        among them and the lowest level's; ``None`` (keep) when a level has no period."""
        if not self.retention:
            return None
        days = [min(self.retention.values(), default=0)]
        for level in levels:
            if level not in self.retention:
                return None
            days.append(self.retention[level])
        return max(days)

    def verdict(self, name: str, text: str) -> Verdict | None:
        """``(level, shown, inside)`` when ``text`` under ``name`` must not be stored in clear:
        ``inside`` the keyed hashes of the identifiers it holds inside it (``_inside``)."""
        key = (name, text)
        try:
            return self._cache[key]
        except KeyError:
            pass
        return _keep(self._cache, key, self._classify(name, text))

    def _classify(self, name: str, text: str) -> Verdict | None:
        if self._engine is None:
            return (_FAIL_CLOSED[0], _masked(text), self._inside(text, None))
        facts = self._facts(text)
        rule = self._facts_rule(name, text, facts)[0]
        if rule is _CLEAR:
            return _CLEAR
        inside = self._inside(text, facts)
        if rule is _FAILED:
            return (_FAIL_CLOSED[0], _masked(text), inside)
        from finpolicy.domains.classification import apply_mask

        assert isinstance(rule, tuple)
        return (rule[0], apply_mask(rule[1], text) if text.strip() else "*", inside)

    def _inside(self, text: str, facts: tuple[str, ...] | None) -> tuple[str, ...]:
        """The keyed hashes of the identifiers ``text`` holds inside it (an ID number in a
        remark), so a search finds its entry by the identifier too. Looked for only when an
        ``*_in_text`` detector accepted ``text`` (``facts``), or its facts are unknown."""
        if facts is not None and not any(n.endswith(_IN_TEXT) for n in facts):
            return ()
        whole = text.strip()
        return tuple(self.keyed_hash(i) for i in identifiers_in_text(text) if i != whole)

    def ruled(self, name: str, text: str) -> bool:
        """Whether a rule of the classification policy speaks of ``text`` as the one sample
        of a field ``name`` (with no policy in force: yes)."""
        if self._engine is None:
            return True
        key = (name, text)
        found = self._ruled.get(key)
        if found is None:
            found = _keep(self._ruled, key, self._facts_rule(name, text, self._facts(text))[1])
        return found

    def _facts(self, text: str) -> tuple[str, ...] | None:
        """The detectors of the policy that accept ``text`` as a field's one sample
        (``_BLANK`` for blank text, which rules read apart); ``None`` when they cannot be run
        here (see ``_facts_rule``)."""
        if self._detectors is None or len(text) > MAX_SAMPLE_LENGTH:
            return None
        # (only the checks whose pre-filter the one RE2 pass finds in the text run)
        return _BLANK if not text.strip() else \
            accepting(text, self._detectors)

    def _facts_rule(self, name: str, text: str,
                    facts: tuple[str, ...] | None) -> tuple[_Rule, bool]:
        """``_rule`` of ``text`` under ``name``, worked out once per set of facts."""
        if facts is None:
            return self._rule(name, text)
        key = (name, facts)
        try:
            return self._by_facts[key]
        except KeyError:
            pass
        return _keep(self._by_facts, key, self._rule(name, text))

    def _rule(self, name: str, text: str) -> tuple[_Rule, bool]:
        """What the policy does with ``text`` as the one sample of a field ``name`` — keep it
        in clear, ``(level, mask)``, or ``_FAILED`` when it cannot be classified — and
        whether any of its rules matched."""
        from finpolicy.domains.classification import DataField, classify

        assert self._engine is not None
        try:
            # (a text too long for a sample is classified by what it holds, as scans do)
            c = classify(self._engine, DataField(name=name[:200] or "value",
                                                 sample_values=[bounded_sample(text)]),
                         as_of=self.day)
        except FinpolicyError:
            return _FAILED, True
        handling = c.handling
        if c.mask is None and handling.encryption_at_rest is None \
                and not handling.mask_on_display:
            return _CLEAR, bool(c.hits)
        return (str(c.level), c.mask or "full"), bool(c.hits)

    def keyed_hash(self, text: str) -> str:
        """``AuditKeys.keyed_hash`` of ``text``, kept: the same values recur in entry after
        entry (levels, dates, amounts)."""
        found = self._hashes.get(text)
        if found is None:
            found = _keep(self._hashes, text, self.keys.keyed_hash(text))
        return found

    def part(self, key: str, raw: bytes, vocabulary: frozenset[str] = frozenset()) -> Part:
        """Mask one top-level value of an input, given as JSON; cached, because customers,
        products, subjects and resources come back again and again. Text at a place of
        ``vocabulary`` (``LoggedCall.vocabulary``) is kept as it is."""
        cache_key = (key, raw, self._vocabulary_number(vocabulary))
        found = self._parts.get(cache_key)
        if found is not None:
            return found
        seen = _Seen(vocabulary)
        shown = self._walk(exact_loads(raw), (key,), key, seen, key)
        found = Part(exact_dumps(shown) if seen.masked else raw,
                     orjson.dumps(seen.masked)[1:-1], tuple(seen.replaced),
                     self.retention_days({mark[0] for mark in seen.masked.values()}),
                     exact_dumps(seen.originals)[1:-1])
        if len(raw) <= _MAX_PART:
            if len(self._parts) >= _MAX_PARTS:
                self._parts.clear()
            self._parts[cache_key] = found
        return found

    def part_of(self, key: str, value: Any, to_json: Any,
                vocabulary: frozenset[str] = frozenset()) -> Part:
        """``part`` of one top-level value of an input, written by ``to_json``; an input model
        (frozen) is written and masked once per instance."""
        if not isinstance(value, InputModel):
            return self.part(key, to_json(value), vocabulary)
        ident = (key, id(value), self._vocabulary_number(vocabulary))
        found = self._models.get(ident)
        if found is not None and found[0] is value:
            return found[1]
        raw = to_json(value)
        part = self.part(key, raw, vocabulary)
        if len(raw) <= _MAX_PART:  # the entry keeps the model alive, so its id stays its own
            if len(self._models) >= _MAX_PARTS:
                self._models.clear()
            self._models[ident] = (value, part)
        return part

    def _vocabulary_number(self, vocabulary: frozenset[str]) -> int:
        found = self._vocabularies.get(vocabulary)
        if found is None:
            found = self._vocabularies[vocabulary] = len(self._vocabularies)
        return found

    def _walk(self, data: Any, trail: tuple[str | int, ...], name: str, seen: _Seen,
              place: str) -> Any:
        if isinstance(data, dict):
            field = data.get("name")
            describes = _SAMPLES in data and isinstance(field, str)
            out: dict[str, Any] = {}
            for key, value in data.items():
                if describes and key != _SAMPLES:
                    out[key] = value  # a field's name and tags describe data, hold none
                    continue
                named = str(field) if describes else str(key)
                out[key] = self._walk(value, (*trail, key), named, seen,
                                      seen.place(place, key))
            return out
        if isinstance(data, list):
            return [self._walk(v, (*trail, i), name, seen, place) for i, v in enumerate(data)]
        if isinstance(data, bool) or data is None:
            return data
        if place in seen.vocabulary and isinstance(data, str) and not self.ruled(name, data):
            return data  # one of a closed list the domain checked, and no rule speaks of it
        text = data if isinstance(data, str) else \
            str(data) if isinstance(data, int) else orjson.dumps(data).decode()
        found = self.verdict(name, text)
        if found is None:
            return data
        level, shown, inside = found
        seen.masked[".".join(map(str, trail))] = [level, self.keyed_hash(text), *(
            [list(inside)] if inside else [])]
        seen.originals.append([list(trail), data])
        seen.replaced.append((data, shown))  # (text or a number: decisions may echo either)
        return shown


class _Seen:
    """What a walk masked."""

    __slots__ = ("masked", "originals", "replaced", "vocabulary")

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self.masked: dict[str, list[Any]] = {}
        self.replaced: list[Echo] = []
        self.originals: list[list[Any]] = []
        self.vocabulary = vocabulary

    def place(self, parent: str, key: str) -> str:
        """The place of ``key`` under ``parent``, as ``LoggedCall.vocabulary`` names it."""
        if not self.vocabulary:
            return ""
        anything = f"{parent}.*"
        return anything if anything in self.vocabulary else f"{parent}.{key}"


class Maskers:
    """The writer's maskers, one per bundle and day, and the fields of request models as JSON
    (per instance: models are immutable, and a request comes back again and again)."""

    def __init__(self, keys: AuditKeys) -> None:
        self.keys = keys
        self._maskers: dict[tuple[str, dt.date], Masker] = {}
        self._zones: dict[tuple[str, dt.date], dt.tzinfo] = {}
        self._requests: dict[int, tuple[Any, list[tuple[str, bytes]]]] = {}

    def masker(self, bundle: Bundle, written: dt.datetime) -> Masker:
        """The masker of the classification policy in force when an entry was ``written``
        (aware): on that instant's day in the policy's time zone, as ``classify`` takes it."""
        day = written.astimezone(self._zone(bundle, written.date())).date()
        key = (bundle.digest, day)
        found = self._maskers.get(key)
        if found is None:
            if len(self._maskers) > 16:
                self._maskers.clear()
            found = self._maskers[key] = Masker(bundle, self.keys, day)
        return found

    def _zone(self, bundle: Bundle, own: dt.date) -> dt.tzinfo:
        """The time zone of the classification policy in force on ``own`` or beside it (UTC
        when none is: every value is then masked anyway)."""
        key = (bundle.digest, own)
        found = self._zones.get(key)
        if found is None:
            found = dt.UTC
            for day in (own, own + dt.timedelta(days=1), own - dt.timedelta(days=1)):
                try:
                    found = getattr(bundle.in_force(_KIND, day).policy, "zone", dt.UTC)
                    break
                except (NotInForceError, OverflowError):
                    continue
            if len(self._zones) > 64:
                self._zones.clear()
            self._zones[key] = found
        return found

    def parts(self, masker: Masker, data_in: Any,
              vocabulary: frozenset[str]) -> list[tuple[str, Part]]:
        """The top-level values of a logged input, each masked."""
        if isinstance(data_in, Mapping):
            return [(k, masker.part_of(k, v, to_json, vocabulary)) for k, v in data_in.items()]
        # a request model: its fields are the parts
        found = self._requests.get(id(data_in))
        if found is None or found[0] is not data_in:
            items = [(k, exact_dumps(v)) for k, v in exact_loads(to_json(data_in)).items()]
            if isinstance(data_in, InputModel):  # immutable: written once per instance
                if len(self._requests) >= _MAX_PARTS:
                    self._requests.clear()
                self._requests[id(data_in)] = (data_in, items)
        else:
            items = found[1]
        return [(k, masker.part(k, raw, vocabulary)) for k, raw in items]


def restore(shown: Any, originals: list[list[Any]]) -> Any:
    """The input in clear: the logged (masked) input with each sealed original put back."""
    data = exact_loads(exact_dumps(shown))
    for trail, value in originals:
        node = data
        for step in trail[:-1]:
            node = node[step]
        node[trail[-1]] = value
    return data


def shown_pairs(shown: Any, originals: list[list[Any]]) -> list[Echo]:
    """The ``(value, shown)`` pairs of a logged input: each sealed original that is text or
    a number, and what the log shows in its place."""
    out = []
    for trail, value in originals:
        node = shown
        try:
            for step in trail:
                if not isinstance(node, dict | list):
                    raise TypeError(step)
                node = node[step]
        except (KeyError, IndexError, TypeError):
            continue  # (not where the entry says: the scrub has nothing to add for it)
        if isinstance(value, str | int | float) and not isinstance(value, bool) \
                and isinstance(node, str):
            out.append((value, node))
    return out


def _keep(cache: dict[K, V], key: K, value: V) -> V:
    """Store ``value`` under ``key`` in one of the module's caches (emptied when full)."""
    if len(cache) >= _MAX_CACHE:
        cache.clear()
    cache[key] = value
    return value


def _masked(text: str) -> str:
    return "*" * max(len(text), 1)
