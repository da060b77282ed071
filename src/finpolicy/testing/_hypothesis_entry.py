"""Registered through hypothesis' entry point, so ``st.from_type(fp.Customer)`` works.

Strategies are deferred: nothing (not even the default bundle) loads until one is drawn.
"""

from __future__ import annotations


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from finpolicy.domains.access import AccessGrant, AccessRequest, Subject
    from finpolicy.domains.classification import DataField
    from finpolicy.domains.suitability import Customer, Product
    from finpolicy.testing import strategies

    st.register_type_strategy(Customer, st.deferred(strategies.customers))
    st.register_type_strategy(Product, st.deferred(strategies.products))
    st.register_type_strategy(AccessRequest, st.deferred(strategies.access_requests))
    st.register_type_strategy(AccessGrant, st.deferred(strategies.grants))
    st.register_type_strategy(Subject, st.deferred(strategies.subjects))
    st.register_type_strategy(DataField, st.deferred(strategies.data_fields))
