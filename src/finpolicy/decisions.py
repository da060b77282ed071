"""Decisions: immutable, explainable, serialisable results of every evaluation."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from finpolicy.rules.model import Rule


@attrs.frozen(slots=True)
class Hit:
    """A rule that contributed to a decision, with its reason and source."""

    rule_id: str
    reason: str
    cite: str

    @classmethod
    def of(cls, rule: Rule) -> Hit:
        return cls(rule.id, rule.reason, rule.cite)


@attrs.frozen(slots=True)
class PolicyRef:
    """Exactly which policy text produced a decision."""

    id: str
    version: str
    kind: str
    bundle: str
    bundle_version: str
    bundle_digest: str


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name.lower() if isinstance(value.value, int) else value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


@attrs.frozen(slots=True, kw_only=True)
class Decision:
    """The result of one evaluation.

    Attributes:
        outcome: the domain's outcome word (``allow``/``deny``, ``suitable``…, a level, a status).
        hits: the rules that decided, in policy order.
        obligations: duties that come with the outcome, sorted, without repeats.
        policy: the policy id, version and bundle digest.
        engine: ``"compiled"`` or ``"durable"``.
        input_digest: sha256 of the canonical input, for audit replay.
        as_of: the date or time the decision was evaluated for.
        evaluated_at: when it was computed (ignored by equality).
    """

    outcome: str
    hits: tuple[Hit, ...] = ()
    obligations: tuple[str, ...] = ()
    policy: PolicyRef
    engine: str
    input_digest: str
    as_of: dt.date | dt.datetime
    evaluated_at: dt.datetime = attrs.field(
        factory=lambda: dt.datetime.now(dt.UTC), eq=False)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(h.rule_id for h in self.hits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for audit logs."""
        return _plain(self)  # type: ignore[no-any-return]

    def _details(self) -> list[str]:
        return []

    def explain(self) -> str:
        """A readable account: outcome, why, duties and which policy decided."""
        p = self.policy
        lines = [f"{self.outcome} — {p.kind} `{p.id}` {p.version} as of {self.as_of} "
                 f"(bundle {p.bundle} {p.bundle_version}, {p.bundle_digest[:12]}; "
                 f"{self.engine} engine)"]
        lines += self._details()
        if self.hits:
            lines.append("because:")
            lines += [f"  - {h.rule_id}: {h.reason} [{h.cite}]" for h in self.hits]
        else:
            lines.append("no rule matched")
        if self.obligations:
            lines.append("obligations: " + ", ".join(self.obligations))
        return "\n".join(lines)
