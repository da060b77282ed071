"""The results of change impact (``finpolicy.testing.diff``): what each decision said, the
decisions that changed and their groups by outcome, the policy versions that changed, and the
report holding them, with the change kinds ``--fail-on`` accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

import attrs

from finpolicy.decisions import Decision
from finpolicy.errors import InputError, InputProblem
from finpolicy.testing.samples import Sample

__all__ = [
    "Change",
    "ChangeGroup",
    "DiffReport",
    "DiffWarning",
    "PolicyChange",
    "Verdict",
    "fail_on_kinds",
    "parse_fail_on",
]


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
        out: dict[str, str] = {}
        for k in keys:
            if mine.get(k) == theirs.get(k):
                continue
            whole = _whole_item(k, mine, theirs) or _whole_item(k, theirs, mine)
            if whole is None:
                out[k] = f"{k}: {mine.get(k, '—')} → {theirs.get(k, '—')}"
            elif whole not in out:  # an item only one side has: one line, by its name
                name = (mine.get(f"{whole}.name") or theirs.get(f"{whole}.name") or "…")
                out[whole] = f"{whole}: {name if whole in _prefixes(mine) else '—'} → " \
                             f"{name if whole in _prefixes(theirs) else '—'}"
        return tuple(out.values())

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
        for key, v in zip(_item_keys(data), data, strict=True):
            yield from _flatten(v, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, tuple(data) if isinstance(data, list) else data


def _prefixes(flat: Mapping[str, Any]) -> set[str]:
    return {k.rsplit(".", n)[0] for k in flat for n in range(1, k.count(".") + 1)}


def _whole_item(key: str, has: Mapping[str, Any], lacks: Mapping[str, Any]) -> str | None:
    """The item of a list (``milestones.handling_opinion``) whose every field ``has`` has and
    ``lacks`` has none of, when ``key`` is one of them: an item added or removed."""
    if key not in has or key in lacks:
        return None
    parts = key.split(".")
    for end in range(1, len(parts)):
        prefix = ".".join(parts[:end]) + "."
        if any(k.startswith(prefix) for k in lacks):
            continue
        if end == 1:  # the whole list is absent: each item apart
            return ".".join(parts[:2]) if len(parts) > 2 else None
        return prefix[:-1]
    return None


def _item_keys(items: list[Any]) -> list[str]:
    """How a path names each item of a list: by its ``name`` when every item has a distinct
    one (``milestones.final_response.due_at``, as a reader and a test case's ``fields`` know
    it, and unmoved when an earlier item is removed), else by its index."""
    names = [v.get("name") if isinstance(v, Mapping) else None for v in items]
    if all(isinstance(n, str) and n and not n.isdecimal() and "." not in n for n in names) \
            and len(set(names)) == len(names):
        return [str(n) for n in names]
    return [str(i) for i in range(len(items))]


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
    """A policy version added, removed or modified between the bundles, by rule; ``window``
    when only its effective window moved (ending a version is lifecycle: no new version
    needed). An added version that replaces one of the old bundle (``replaces``: the version
    in force on its first day) lists the rules and settings it changes from that one; a
    removed version replaced by an added one names it (``replaced_by``)."""

    policy_id: str
    version: str
    change: str  # added | removed | modified | window (only the effective window moved)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    window: tuple[str, str] | None = None  # old and new ``from..until``, for ``window``
    replaces: str | None = None  # an added version: the old version it replaces
    replaced_by: str | None = None  # a removed version: the version added in its place
    settings_removed: tuple[str, ...] = ()  # of ``settings``: only the old version has them
    settings_added: tuple[str, ...] = ()  # of ``settings``: only the new version has them

    @property
    def version_unchanged(self) -> bool:
        """The content changed but ``metadata.version`` did not (a released version should
        never change: raise the version)."""
        return self.change == "modified"

    def describe(self) -> str:
        """The change in words: rules, then permissions and settings by their path."""
        if self.window is not None:
            return f"in force {self.window[0]} → {self.window[1]}"
        if self.replaced_by is not None:
            return f"left the pack, replaced by {self.replaced_by}"
        parts = [f"replaces {self.replaces}"] if self.replaces is not None else []
        for word, rules in (("added", self.added), ("removed", self.removed),
                            ("changed", self.modified)):
            if rules:
                parts.append(f"rules {word}: {', '.join(rules)}")
        if self.settings:
            parts.append("settings changed: " + ", ".join(
                p + (" (removed)" if p in self.settings_removed else " (added)"
                     if p in self.settings_added else "") for p in self.settings))
        if parts == [f"replaces {self.replaces}"]:
            parts.append("no rule or setting changed")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy_id, "version": self.version, "change": self.change,
                "rules_added": list(self.added), "rules_removed": list(self.removed),
                "rules_modified": list(self.modified), "settings_changed": list(self.settings),
                "settings_removed": list(self.settings_removed),
                "settings_added": list(self.settings_added),
                "version_unchanged": self.version_unchanged,
                "replaces": self.replaces, "replaced_by": self.replaced_by,
                **({"window": {"old": self.window[0], "new": self.window[1]}}
                   if self.window is not None else {})}


@attrs.frozen(slots=True)
class DiffWarning:
    """Something a reviewer should fix whatever the decisions say: ``bundle_version_unchanged``
    (the packs differ, ``bundle.yaml`` gives both the same version),
    ``policy_version_unchanged`` (a version's rules or settings changed in place) or
    ``version_removed`` (a version left the pack, so decisions it made could not be
    replayed) or ``retroactive_window`` (a version's window moved on a day already past, so
    decisions already made would replay to another version); a ``bundle.lock`` refuses the
    last three. ``invariant_removed`` and ``invariant_changed``: an invariant a version (or the
    version it replaces) declared is gone or has another ``given`` or ``expect``, so what it
    guarded is no longer checked as it was, which no changed decision shows."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


LOST_OBLIGATION = ("lost-obligation", "")
"""``--fail-on lost-obligation`` as ``parse_fail_on`` gives it: a decision that keeps or changes
its outcome but loses an obligation it had (``audit_log``, ``dual_recording``)."""

WARNING_CODES = ("bundle_version_unchanged", "policy_version_unchanged", "version_removed",
                 "retroactive_window", "invariant_removed", "invariant_changed")
"""Every ``DiffWarning.code`` (``finpolicy diff --fail-on-warning`` takes these, or ``any``)."""


def report_warnings(old: Any, new: Any, policies: Iterable[PolicyChange],
                    today: dt.date | None = None) -> tuple[DiffWarning, ...]:
    """The warnings of a diff of bundle ``old`` against ``new`` whose policy versions changed
    as ``policies`` say, on ``today`` (default: the local clock's)."""
    out = [DiffWarning("policy_version_unchanged",
                       f"{p.policy_id} changed but its metadata.version is still "
                       f"{p.version}; a released version should never change, raise it")
           for p in policies if p.version_unchanged]
    out += [DiffWarning("version_removed",
                        f"{p.policy_id} {p.version} left the pack: decisions it made could no "
                        "longer be replayed; end it (effective_until) and keep its file")
            for p in policies if p.change == "removed"]
    out += _retroactive(old, new, today or dt.date.today())
    out += _invariants_dropped(old, new, policies)
    if old.digest != new.digest and (old.name, old.version) == (new.name, new.version):
        out.insert(0, DiffWarning(
            "bundle_version_unchanged",
            f"the packs differ but both are {new.name} {new.version}: raise `version` in "
            "bundle.yaml, so that the two can be told apart"))
    return tuple(out)


def _invariant_names(doc: Any) -> dict[str, Any]:
    return {i.name: (i.given, i.expect) for i in getattr(doc.policy, "invariants", ()) or ()}


def _invariants_dropped(old: Any, new: Any, policies: Iterable[PolicyChange]
                        ) -> list[DiffWarning]:
    """An invariant a version (or the version it replaces) declared that the new pack no
    longer declares, or declares with another ``given`` or ``expect``: what it guarded is no
    longer checked, or checked otherwise, and no decision shows it."""
    before = {(d.id, d.version): d for d in old.documents}
    replaces = {(p.policy_id, p.version): p.replaces for p in policies if p.replaces}
    out = []
    for doc in new.documents:
        was = before.get((doc.id, doc.version))
        who = f"{doc.id} {doc.version}"
        if was is None and (doc.id, doc.version) in replaces:
            was = before.get((doc.id, replaces[(doc.id, doc.version)]))
            who += f" (replacing {replaces[(doc.id, doc.version)]})"
        if was is None:
            continue
        mine, theirs = _invariant_names(was), _invariant_names(doc)
        out += [DiffWarning("invariant_removed",
                            f"{who} no longer declares the invariant `{name}`: what it "
                            "guarded is no longer checked; keep it, or say why it no longer "
                            "holds") for name in mine if name not in theirs]
        out += [DiffWarning("invariant_changed",
                            f"{who} changed the invariant `{name}` (its given or expect): "
                            "check that it was not weakened")
                for name in mine if name in theirs and mine[name] != theirs[name]]
    return out


def _retroactive(old: Any, new: Any, today: dt.date) -> list[DiffWarning]:
    from finpolicy.documents.lock import _first_changed_day

    windows = {(d.id, d.version): d.metadata for d in old.documents}
    out = []
    for doc in new.documents:
        was = windows.get((doc.id, doc.version))
        if was is None or was.window() == doc.metadata.window():
            continue
        first = _first_changed_day((was.effective_from, was.effective_until),
                                   (doc.metadata.effective_from, doc.metadata.effective_until))
        if first <= today:
            out.append(DiffWarning(
                "retroactive_window",
                f"{doc.id} {doc.version}: its window moves from {was.window()} to "
                f"{doc.metadata.window()}, changing the version in force from {first}, not "
                f"after today ({today}): decisions already made would replay to another "
                "version"))
    return out


@attrs.frozen(slots=True)
class DiffReport:
    """What changed between two bundles.

    Attributes:
        groups: changed decisions grouped by domain and old → new outcome, largest first.
        changes: every changed decision.
        evaluated: inputs evaluated per domain.
        skipped: generated inputs both bundles reject as invalid, per domain.
        policies: policy versions whose text differs, with the rules added, removed, modified.
        warnings: what a reviewer should fix whatever the decisions say (``DiffWarning``): a
            pack or a policy version changed without a new version.
    """

    old: str
    new: str
    groups: tuple[ChangeGroup, ...]
    changes: tuple[Change, ...] = attrs.field(repr=False)
    evaluated: Mapping[str, int]
    skipped: Mapping[str, int]
    policies: tuple[PolicyChange, ...]
    warnings: tuple[DiffWarning, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether any decision changed."""
        return bool(self.groups)

    def matching(self, kinds: Iterable[str]) -> tuple[ChangeGroup, ...]:
        """The groups matching any of ``kinds`` (``any``, ``old->new``, ``*`` for any side,
        ``lost-obligation``: a group in which a decision lost an obligation it had)."""
        wanted = parse_fail_on(kinds)
        lost = {(c.domain, c.old.outcome, c.new.outcome) for c in self.changes
                if set(c.old.obligations) - set(c.new.obligations)} \
            if LOST_OBLIGATION in wanted else set()
        return tuple(g for g in self.groups
                     if any(a in ("*", g.old) and b in ("*", g.new) for a, b in wanted
                            if (a, b) != LOST_OBLIGATION)
                     or (g.domain, g.old, g.new) in lost)

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changed": self.changed,
                "evaluated": dict(self.evaluated), "skipped": dict(self.skipped),
                "groups": [g.to_dict() for g in self.groups],
                "policies": [p.to_dict() for p in self.policies],
                "warnings": [w.to_dict() for w in self.warnings]}


def fail_on_kinds(values: Iterable[str], name: str = "fail_on") -> list[str]:
    """The change kinds of ``--fail-on`` values, each one kind or several separated by
    commas.

    Raises:
        InputError: a value names no kind (``''``, ``',,,'``), naming ``name``.
    """
    out = []
    for value in values:
        kinds = [k.strip() for k in value.split(",") if k.strip()]
        if not kinds:
            raise InputError([InputProblem(name, "expected `any` or `old->new`, e.g. "
                                                 f"`deny->allow`, got `{value}`", "bad_option",
                                           value)])
        out += kinds
    return out


def parse_fail_on(kinds: Iterable[str], *, known: Collection[str] | None = None,
                  listed: Collection[str] = (), name: str = "fail_on") -> list[tuple[str, str]]:
    """Parse change kinds: ``any``, or ``old->new`` outcome pairs where ``*`` is any outcome.

    Args:
        known: the outcomes there are (``known_outcomes``); a kind naming another is refused
            (it could never match). ``None``: not checked.
        listed: the outcomes an error lists (the domains' own; ``known`` also holds what the
            packs' rules give, such as finding kinds); ``known`` when empty.
        name: what to name in an error (the option, ``--fail-on``).

    Raises:
        InputError: for a kind without ``->``, or with an outcome not in ``known``.
    """
    out = []
    for kind in kinds:
        text = kind.replace("→", "->").strip()
        if text.lower() == "any":
            out.append(("*", "*"))
            continue
        if text.lower() == "lost-obligation":
            out.append(LOST_OBLIGATION)
            continue
        old, sep, new = (side.strip() for side in text.partition("->"))
        if not sep or not old or not new:
            raise InputError([InputProblem(name, "expected `any` or `old->new`, e.g. "
                                                 f"`deny->allow`, or `lost-obligation`, got "
                                                 f"`{kind}`", "bad_option", kind)])
        unknown = [side for side in (old, new) if known is not None and side != "*"
                   and side not in known]
        if unknown:
            shown = ", ".join(sorted(listed or known or ()))
            more = " or a finding a rule of the packs gives" if listed else ""
            raise InputError([InputProblem(
                name, f"unknown outcome `{unknown[0]}` in `{kind}`: expected `*`, one of "
                      f"{shown}{more}", "bad_option", kind)])
        out.append((old, new))
    return out
