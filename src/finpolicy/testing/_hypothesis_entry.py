"""Registered through hypothesis' entry point, so ``st.from_type(fp.Customer)`` works for every
input type a registered domain declares a strategy for (``TYPE_STRATEGIES``).

Strategies are deferred: nothing (not even the default bundle) loads until one is drawn.
"""

from __future__ import annotations


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from finpolicy.domains.registry import domains

    for domain in domains():
        module = domain.strategies_module()
        for kind, factory in getattr(module, "TYPE_STRATEGIES", {}).items():
            st.register_type_strategy(kind, st.deferred(factory))
