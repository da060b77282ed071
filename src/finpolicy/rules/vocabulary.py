"""Declared vocabularies: the names a policy may use, checked in its rules and in inputs.

A bundle (``bundle.yaml``) and each policy (``spec.vocabulary``) declare vocabularies by name::

    vocabulary:
      obligations: {terms: [reassess_risk_tolerance, compliance_review]}
      product_kinds: {fields: [product.kind], terms: [fund, insurance, structured_deposit]}

A policy's vocabulary adds terms (and fields) to the bundle's vocabulary of the same name. The
vocabulary named ``obligations`` covers every rule's obligations; a vocabulary with ``fields``
covers every literal a condition compares one of those facts with, every setting a domain
binds to the fact (``BuildContext.check_term``) and every input value of the fact
(``check_fact``). A name outside its vocabulary is an error with the nearest declared name.
Without declared vocabularies nothing is checked, so older packs keep loading.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from finpolicy.documents.models import VocabularySpec
from finpolicy.errors import InputError, InputProblem
from finpolicy.rules.conditions import All, Compare, Condition, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf

__all__ = ["OBLIGATIONS", "Vocabularies", "Vocabulary", "check_fact", "closest", "hint",
           "literal_path", "written_literals"]

OBLIGATIONS = "obligations"
"""The vocabulary that covers the obligations of every rule."""

# How alike (difflib's ratio) a name must be to be suggested: at 0.6 `secret` would suggest
# `core` (two letters in common); a typo of one or two letters is well above 0.7.
_CUTOFF = 0.7


def closest(word: str, choices: Any) -> str | None:
    """The declared name nearest ``word`` (case and ``-``/``_`` aside first), or ``None``."""
    names = [str(c) for c in choices]
    if len(word) > 100 or not names:
        return None
    folded = {n.lower().replace("-", "_"): n for n in names}
    same = folded.get(word.lower().replace("-", "_").replace(" ", "_"))
    if same is not None:
        return same
    close = difflib.get_close_matches(word, names, n=1, cutoff=_CUTOFF)
    if close:
        return close[0]
    close = difflib.get_close_matches(word.lower(), list(folded), n=1, cutoff=_CUTOFF)
    return folded[close[0]] if close else None


_LISTED = 12  # terms a message lists when none is close to the unknown one


def hint(word: str, choices: Any) -> str:
    """`` (did you mean `x`?)`` or an empty string."""
    found = closest(word, choices)
    return f" (did you mean `{found}`?)" if found is not None else ""


@attrs.frozen(slots=True)
class Vocabulary:
    """One declared vocabulary: its name, terms and the facts it covers."""

    name: str
    terms: frozenset[str]
    fields: frozenset[str] = frozenset()

    @property
    def singular(self) -> str:
        """``product_kinds`` → ``product kind`` (for messages)."""
        words = self.name.replace("_", " ")
        return words[:-1] if words.endswith("s") and not words.endswith("ss") else words

    def unknown(self, value: str) -> str:
        """The message for ``value`` outside this vocabulary: the term meant, when one is
        close, else every term, when there are few enough to read."""
        terms = sorted(self.terms)
        said = hint(value, terms)
        if not said and len(terms) <= _LISTED:
            said = f" (one of: {', '.join(terms)})"
        return (f"unknown {self.singular} `{value}`, not in the declared vocabulary "
                f"`{self.name}`{said}")


@attrs.frozen(slots=True)
class Vocabularies:
    """The vocabularies in force for one policy (the bundle's merged with the policy's)."""

    by_name: Mapping[str, Vocabulary] = attrs.field(factory=dict)

    @classmethod
    def merge(cls, *layers: Mapping[str, VocabularySpec]) -> Vocabularies:
        """Vocabularies of the bundle, then of the policy (later layers add terms)."""
        terms: dict[str, set[str]] = {}
        fields: dict[str, set[str]] = {}
        for layer in layers:
            for name, spec in layer.items():
                terms.setdefault(name, set()).update(spec.terms)
                fields.setdefault(name, set()).update(spec.fields)
        return cls({name: Vocabulary(name, frozenset(terms[name]), frozenset(fields[name]))
                    for name in sorted(terms)})

    def __bool__(self) -> bool:
        return bool(self.by_name)

    @property
    def obligations(self) -> Vocabulary | None:
        return self.by_name.get(OBLIGATIONS)

    def for_field(self, field: str) -> Vocabulary | None:
        """The vocabulary covering the fact ``field`` (dotted), if one does."""
        for vocabulary in self.by_name.values():
            if field in vocabulary.fields:
                return vocabulary
        return None

    def bound_fields(self) -> tuple[tuple[tuple[str, ...], Vocabulary], ...]:
        """``(path, vocabulary)`` of every fact a vocabulary covers."""
        return tuple((tuple(field.split(".")), v) for v in self.by_name.values()
                     for field in sorted(v.fields))

    def literals(self, condition: Condition) -> Iterator[tuple[str, str, Vocabulary]]:
        """``(field, literal, vocabulary)`` of every text literal ``condition`` compares with
        a covered fact that is not a declared term."""
        stack = [condition]
        while stack:
            node = stack.pop()
            if isinstance(node, All | AnyOf):
                stack.extend(node.items)
            elif isinstance(node, Not):
                stack.append(node.item)
            elif isinstance(node, Compare) and node.op != "matches" \
                    and not isinstance(node.value, FieldRef):
                vocabulary = self.for_field(node.dotted)
                if vocabulary is None:
                    continue
                values = node.value if isinstance(node.value, tuple) else (node.value,)
                for value in values:
                    if isinstance(value, str) and value not in vocabulary.terms:
                        yield node.dotted, value, vocabulary


def literal_path(when: Any, field: str, value: str) -> tuple[str | int, ...] | None:
    """Where in the YAML form of a condition ``field`` is compared with ``value`` (for the
    line of a problem), or ``None``."""
    if isinstance(when, Mapping):
        if when.get("field") == field:
            for op, operand in when.items():
                if operand == value or (isinstance(operand, list) and value in operand):
                    return (op,) if operand == value else (op, operand.index(value))
        for key in ("all", "any", "not"):
            inner = when.get(key)
            items = inner if isinstance(inner, list) else [inner] if inner is not None else []
            for k, item in enumerate(items):
                found = literal_path(item, field, value)
                if found is not None:
                    return ((key, k) if isinstance(inner, list) else (key,)) + found
    return None


_LITERAL_OPS = ("eq", "ne", "in", "not_in", "contains", "matches")


def written_literals(when: Any, at: tuple[Any, ...] = ()
                     ) -> Iterator[tuple[str, str, str, tuple[Any, ...]]]:
    """``(field, operator, text literal, path)`` of every comparison of a rule's ``when`` as
    written (YAML form), for checks a domain makes of the names its rules compare with."""
    if not isinstance(when, Mapping):
        return
    field = when.get("field")
    if isinstance(field, str):
        for op in _LITERAL_OPS:
            operand = when.get(op)
            if isinstance(operand, str):
                yield field, op, operand, (*at, op)
            elif isinstance(operand, list):
                yield from ((field, op, v, (*at, op, k)) for k, v in enumerate(operand)
                            if isinstance(v, str))
    for key in ("all", "any", "not"):
        inner = when.get(key)
        items = inner if isinstance(inner, list) else [inner] if inner is not None else []
        for k, item in enumerate(items):
            place = (*at, key, k) if isinstance(inner, list) else (*at, key)
            yield from written_literals(item, place)


def check_fact(bound: tuple[tuple[tuple[str, ...], Vocabulary], ...],
               fact: Mapping[str, Any]) -> None:
    """Raise ``InputError`` when a covered fact of ``fact`` holds a name outside its
    vocabulary (a list fact: any of its items)."""
    problems = []
    for path, vocabulary in bound:
        value: Any = fact
        for step in path:
            value = value.get(step) if isinstance(value, Mapping) else None
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if isinstance(item, str) and item not in vocabulary.terms:
                problems.append(InputProblem(".".join(path), vocabulary.unknown(item),
                                             "unknown_input_term", item))
    if problems:
        raise InputError(problems)
