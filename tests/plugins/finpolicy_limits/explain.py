"""The toy limits domain's explainer: why a transfer is referred or blocked, and which smaller
amount or other channel would be allowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from finpolicy.explain.explainer import Explainer, Move, bad_operation, set_value
from finpolicy.inputs import evaluation_date
from finpolicy.rules.evaluate import meets
from finpolicy_limits import _ORDER, Transaction, check_limit


class LimitExplainer(Explainer):
    domain = "limits"
    operations = ("check_limit",)
    outcomes = _ORDER  # the better first
    immutable = "whether the transfer is foreign"

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        if method != "check_limit":
            raise bad_operation(self, method)
        return self._fixed(kwargs.get("txn", args[0] if args else None), kwargs.get("as_of"))

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        data = dict(data) if isinstance(data, Mapping) else {"transaction": data}
        own = data.pop("as_of", None)
        return self._fixed(data.get("transaction"), own if as_of is None else as_of)

    @staticmethod
    def _fixed(txn: Any, as_of: Any) -> dict[str, Any]:
        return {"transaction": Transaction.parse(txn, field="transaction").model_dump(),
                "as_of": evaluation_date(as_of).isoformat()}

    def decide(self, runtime: Any, case: Mapping[str, Any]) -> Any:
        return check_limit(runtime, case["transaction"],
                           as_of=dt.date.fromisoformat(case["as_of"]))

    def role(self, rule: Any, target: str) -> Any:
        return "blocks" if self.rank(rule.effect["outcome"]) > self.rank(target) else None

    def changeable(self, analysis: Any, path: tuple[str, ...]) -> bool:
        return path in (("txn", "amount"), ("txn", "channel"))

    def moves(self, analysis: Any, target: Any) -> list[Move]:
        """A smaller amount, or another of the policy's channels, that meets ``target``."""
        if target.path == ("txn", "amount") and target.op in ("le", "lt"):
            amount = float(target.value) - (0.01 if target.op == "lt" else 0)
            return [Move(f"reduce the amount to at most {amount:,.2f}",
                         (set_value(analysis.case, "transaction", "amount", value=amount),),
                         "amount", 1)]
        if target.path == ("txn", "channel"):
            channels = sorted(analysis.doc.policy.channels) if analysis.doc else []
            return [Move(f"send it through `{c}` instead",
                         (set_value(analysis.case, "transaction", "channel", value=c),),
                         "channel", 2, slot="channel")
                    for c in channels if meets(target, c)]
        return []

EXPLAINER = LimitExplainer()
