"""The shipped strategies: eager argument checks, bundle vocabulary, ``st.from_type``."""

from __future__ import annotations

import datetime as dt
from importlib import metadata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.testing import strategies
from finpolicy.testing._hypothesis_entry import _hypothesis_setup_hook

_hypothesis_setup_hook()  # what the entry point does when finpolicy is installed


def test_strategies_reject_a_bundle_that_is_not_a_bundle() -> None:
    with pytest.raises(fp.InputError, match="expected a Bundle"):
        strategies.customers("policies/cn-banking")  # type: ignore[arg-type]


def test_grants_need_an_aware_time() -> None:
    with pytest.raises(fp.InputError, match="time zone"):
        strategies.grants(as_of=dt.datetime(2026, 1, 1))


@given(st.from_type(fp.Customer), st.from_type(fp.Product))
def test_from_type_draws_customers_and_products_from_the_pack(
    customer: fp.Customer, product: fp.Product
) -> None:
    assert customer.risk_level in {None, "C1", "C2", "C3", "C4", "C5"}
    assert product.risk_level in {"R1", "R2", "R3", "R4", "R5"}


@given(st.from_type(fp.AccessRequest))
def test_access_requests_use_the_policy_vocabulary(request_: fp.AccessRequest) -> None:
    assert request_.action in {"read", "write", "export", "delete"}
    assert request_.resource.data_level in {"ordinary", "important", "core"}


@given(strategies.data_fields())
def test_data_fields_classify_on_both_engines_alike(field: fp.DataField) -> None:
    engines = _engines()
    a, b = (engines[n].classify(field) for n in ("compiled", "durable"))
    assert (a.level, a.category, a.rule_ids) == (b.level, b.category, b.rule_ids)


_CACHE: dict[str, fp.PolicyEngine] = {}


def _engines() -> dict[str, fp.PolicyEngine]:
    if not _CACHE:
        bundle = fp.load_bundle()
        _CACHE.update({n: fp.PolicyEngine(bundle, engine=n) for n in ("compiled", "durable")})
    return _CACHE


def test_the_entry_point_is_declared_for_hypothesis() -> None:
    try:
        dist = metadata.distribution("finpolicy")
    except metadata.PackageNotFoundError:
        pytest.skip("finpolicy is not installed (running from the source tree)")
    points = [e for e in dist.entry_points if e.group == "hypothesis"]
    assert [e.value for e in points] == [
        "finpolicy.testing._hypothesis_entry:_hypothesis_setup_hook"]
