"""Hypothesis strategies of the toy limits domain."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from finpolicy.testing.strategies import bundle_or_default, require
from finpolicy_limits import KIND, Transaction


def transactions(bundle: Any = None) -> st.SearchStrategy[Transaction]:
    """Transactions on the policy's channels, with amounts either side of its limits."""
    docs = require(bundle_or_default(bundle), KIND) if bundle is not None else []
    channels = sorted({c for d in docs for c in d.spec.channels}) or ["branch", "online"]
    return st.builds(Transaction, id=st.just("t1"),
                     amount=st.sampled_from([0.0, 49_999.0, 50_000.0, 50_001.0, 1e6]),
                     channel=st.sampled_from(channels), foreign=st.booleans())


STRATEGIES = ("transactions",)
TYPE_STRATEGIES = {Transaction: transactions}
