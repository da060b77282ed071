"""Registered through hypothesis' entry point, so ``st.from_type(fp.Customer)`` works for every
input type a registered domain declares a strategy for (``TYPE_STRATEGIES``).

Strategies are deferred: nothing (not even the default bundle, nor a domain's strategies
module) loads until one is drawn. The hook runs while hypothesis is being imported, which may
be from a domain's strategies module (a plug-in's that imports hypothesis first): that module
is then half-imported and has no ``TYPE_STRATEGIES`` yet, so the hook registers each input
model the domain declares (``input_models``, and the keys of a strategies module already
imported) and reads ``TYPE_STRATEGIES`` only when the first value is drawn.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.domains.base import Domain


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from finpolicy.domains.registry import domains

    for domain in domains():
        if domain.strategies is None:
            continue
        models = dict.fromkeys(domain.input_models)
        loaded = sys.modules.get(domain.strategies)  # (its TYPE_STRATEGIES, once it has them)
        models.update(dict.fromkeys(getattr(loaded, "TYPE_STRATEGIES", {})))
        for model in models:
            st.register_type_strategy(model, st.deferred(_lookup(domain, model)))


def _lookup(domain: Domain, model: type[Any]) -> Any:
    """``() → strategy`` of ``model``: the one ``TYPE_STRATEGIES`` of ``domain``'s strategies
    module maps it to, read when first drawn (``st.builds(model)`` when it maps it to none,
    as hypothesis would draw it unregistered)."""

    def strategy() -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        module = domain.strategies_module()
        factory = getattr(module, "TYPE_STRATEGIES", {}).get(model)
        return st.builds(model) if factory is None else factory()

    return strategy
