"""The limits domain's method, typed: a type checker does not see a plug-in's methods on
``PolicyEngine`` (they exist only at run time, through its ``__getattr__``), so under
``mypy --strict`` ``engine.check_limit(...)`` is an ``attr-defined`` error. An application
that wants it typed builds its engine from this mixin, as finpolicy's own domains declare
theirs (``finpolicy/domains/*/api.py``)::

    from finpolicy_limits.api import LimitsEngine

    engine = LimitsEngine(fp.load_bundle("limits-pack"))
    decision = engine.check_limit({"id": "t1", "amount": 10, "channel": "branch"})
    decision.transaction_id  # a LimitDecision to the type checker too
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from finpolicy import PolicyEngine
from finpolicy.runtime import EngineAPI
from finpolicy_limits import LimitDecision, Transaction, check_limit

__all__ = ["LimitsAPI", "LimitsEngine"]


class LimitsAPI(EngineAPI):
    """``check_limit`` as a typed engine method (logged like any call)."""

    __slots__ = ()

    def check_limit(self, txn: Transaction | Mapping[str, Any], /, *,
                    as_of: dt.date | str | None = None,
                    policy: str | None = None) -> LimitDecision:
        """Allow, refer or block one transaction on the day ``as_of`` (today when absent)."""
        return self._invoke(check_limit, txn, as_of=as_of, policy=policy)


class LimitsEngine(LimitsAPI, PolicyEngine):
    """A ``PolicyEngine`` whose ``check_limit`` a type checker sees."""

    __slots__ = ()
