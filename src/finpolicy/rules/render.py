"""Render conditions in plain words, for documentation and explanations.

Facts read as their domain's vocabulary names them (``FactLabel``): a number or a text as a
noun phrase ("the customer's age is at least 65"), a boolean as a statement ("the customer is
a professional investor", "no risk assessment is on file"). Every registered kind declares the
labels of its facts (``PolicyKind.labels``); ``render`` uses them unless given others. Where a
pack's language is Chinese (``language: zh`` in ``bundle.yaml``) each fact also shows its
Chinese label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from finpolicy.rules.conditions import All, Any, Compare, Condition, Exists, FieldRef, Not

__all__ = ["FactLabel", "Labels", "all_labels", "render", "render_path", "render_value"]

_OPS = {
    "eq": "is", "ne": "is not", "lt": "is less than", "le": "is at most",
    "gt": "is greater than", "ge": "is at least", "in": "is one of", "not_in": "is none of",
    "matches": "matches the pattern", "contains": "includes",
}
_NEGATED = {
    "eq": "is not", "ne": "is", "lt": "is at least", "le": "is greater than",
    "gt": "is at most", "ge": "is less than", "in": "is none of", "not_in": "is one of",
}
# the verb of a statement, as it reads when the statement holds and when it does not
_VERBS = {"is": ("is", "is not"), "are": ("are", "are not"), "was": ("was", "was not"),
          "has": ("has", "has not"), "have": ("have", "have not"), "can": ("can", "cannot")}
# `{is}` … or any verb with its negation spelt out: `{permits|does not permit}`
_VERB = re.compile(r"\{(" + "|".join(_VERBS) + r"|[^{}|]+\|[^{}|]+)\}")


@attrs.frozen(slots=True)
class FactLabel:
    """How one fact reads in rule text.

    Attributes:
        en: a noun phrase ("the customer's age"); for a boolean fact, a statement with its
            verb in braces ("the customer {is} a professional investor", "the grant {has}
            expired"): ``{is}``, ``{are}``, ``{was}``, ``{has}``, ``{have}`` and ``{can}``
            turn negative where the fact is false, and any other verb names both forms
            (``{permits|does not permit}``).
        zh: the Chinese label (``客户年龄``), shown where the pack's language is Chinese.
    """

    en: str
    zh: str = ""

    @property
    def statement(self) -> bool:
        return bool(_VERB.search(self.en))

    def phrase(self, language: str = "en") -> str:
        """The noun phrase (a statement reads "whether …")."""
        text = f"whether {self.state(True)}" if self.statement else self.en
        return self._zh(text, language)

    def state(self, holds: bool, language: str = "en") -> str:
        """The statement, or its negation."""
        def verb(match: re.Match[str]) -> str:
            word = match.group(1)
            forms: tuple[str, ...] = _VERBS.get(word) or tuple(word.split("|"))
            return forms[0 if holds else 1]

        text = re.sub(r"\s+", " ", _VERB.sub(verb, self.en)).strip()
        return self._zh(text, language)

    def _zh(self, text: str, language: str) -> str:
        return f"{text} ({self.zh})" if language == "zh" and self.zh else text


Labels = Mapping[str, FactLabel]

# Facts every kind's invariants may read about the decision itself.
DECISION_LABELS: Labels = MappingProxyType({
    "decision.outcome": FactLabel("the outcome", "结果"),
    "decision.obligations": FactLabel("the obligations", "义务"),
    "decision.rules": FactLabel("the rules that fired", "触发的规则"),
})


_CACHE: list[tuple[object, Labels]] = []  # (the registration, its labels)


def all_labels() -> Labels:
    """The labels of every fact of every registered kind (the first kind naming a path wins)."""
    from finpolicy.domains.registry import domains  # the registry sits above this module

    registered = domains()
    if _CACHE and _CACHE[0][0] is registered:
        return _CACHE[0][1]
    out: dict[str, FactLabel] = dict(DECISION_LABELS)
    for domain in registered:
        for kind in domain.kinds:
            for path, label in kind.labels.items():
                out.setdefault(path, label)
    found = MappingProxyType(out)
    _CACHE[:] = [(registered, found)]  # only the current registration is kept
    return found


class _Words:
    def __init__(self, labels: Labels | None, language: str) -> None:
        self.labels = all_labels() if labels is None else labels
        self.language = language

    def subject(self, path: tuple[str, ...]) -> str:
        label = self.labels.get(".".join(path))
        if label is not None:
            return label.phrase(self.language)
        if len(path) == 1:
            return f"the {path[0].replace('_', ' ')}"
        owner = path[0].replace("_", " ")
        return f"the {owner}'s {' '.join(p.replace('_', ' ') for p in path[1:])}"

    def value(self, value: object) -> str:
        if isinstance(value, FieldRef):
            return self.subject(value.path)
        if isinstance(value, tuple):
            return ", ".join(self.value(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return f"“{value}”"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def statement(self, op: str, path: tuple[str, ...], value: object,
                  negated: bool) -> str | None:
        """A boolean fact compared with a literal, as a statement (``None`` otherwise)."""
        label = self.labels.get(".".join(path))
        if label is None or not label.statement or not isinstance(value, bool):
            return None
        if op == "eq":
            holds = value
        elif op == "ne":
            holds = not value
        else:
            return None
        return label.state(holds != negated, self.language)

    def render(self, condition: Condition, top: bool) -> str:
        match condition:
            case All(()):
                return "always"
            case Any(()):
                return "never"
            case All(items) | Any(items) if len(items) == 1:
                return self.render(items[0], top)
            case All(items) | Any(items):
                joiner = " and " if isinstance(condition, All) else " or "
                text = joiner.join(self.render(i, False) for i in items)
                return text if top else f"({text})"
            case Not(Compare(op, path, value)) if op in _NEGATED:
                said = self.statement(op, path, value, negated=True)
                return said or f"{self.subject(path)} {_NEGATED[op]} {self.value(value)}"
            case Not(Exists(path, present)):
                return self.render(Exists(path, not present), top)
            case Not(item):
                return f"not {self.render(item, False)}"
            case Exists(path, present):
                return f"{self.subject(path)} is {'given' if present else 'not given'}"
            case Compare(op, path, value):
                said = self.statement(op, path, value, negated=False)
                return said or f"{self.subject(path)} {_OPS[op]} {self.value(value)}"
        raise TypeError(f"not a condition: {condition!r}")


def render_value(value: object, *, labels: Labels | None = None) -> str:
    """A literal (or a list of them, or another field) in the words ``render`` uses."""
    # only another field needs the registered labels
    words = _Words({} if labels is None and not isinstance(value, FieldRef) else labels, "en")
    if isinstance(value, list):
        return "[" + ", ".join(words.value(v) for v in value) + "]" if value else "an empty list"
    return words.value(value)


def render_path(path: tuple[str, ...], *, labels: Labels | None = None,
                language: str = "en") -> str:
    """A field path in words (``the customer's age``)."""
    return _Words(labels, language).subject(path)


def render(condition: Condition, *, top: bool = True, labels: Labels | None = None,
           language: str = "en") -> str:
    """Describe ``condition`` in one sentence fragment.

    Args:
        condition: the condition.
        top: whether it stands alone (inner groups are parenthesised).
        labels: the labels of its facts (default: those of every registered kind).
        language: ``zh`` adds each fact's Chinese label.

    >>> from finpolicy.rules.conditions import Compare
    >>> render(Compare("ge", ("customer", "age"), 65), labels={})
    "the customer's age is at least 65"
    """
    return _Words(labels, language).render(condition, top)
