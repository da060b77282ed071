"""How ``check_invariants`` draws and evaluates inputs for each built-in policy kind."""

from __future__ import annotations

from finpolicy.testing import strategies
from finpolicy.testing.invariants import Adapter, register_adapter

register_adapter("SuitabilityPolicy", Adapter(
    cases=lambda bundle, doc: strategies.suitability_cases(bundle, policy=doc),
    evaluate=lambda engine, c: engine.check_suitability(c["customer"], c["product"],
                                                        amount=c["amount"], as_of=c["as_of"]),
    on=lambda c: c["as_of"],
))
