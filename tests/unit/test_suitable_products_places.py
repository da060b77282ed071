"""A problem with one product of many is named at its place in the list."""

from __future__ import annotations

import pytest

import finpolicy as fp


@pytest.mark.parametrize("engine", ["compiled", "durable"])
def test_a_product_kind_outside_the_vocabulary_names_which_product(bundle: fp.Bundle,
                                                                   engine: str) -> None:
    # it said `product.kind`, leaving the caller to find which of the products it was
    policy_engine = fp.PolicyEngine(bundle, engine=engine)
    customer = fp.Customer(id="c-1", risk_level="C3", assessment_date="2026-01-05",
                           birth_date="1980-04-01")
    products = [{"id": f"p-{i}", "risk_level": "R2", "kind": "fund"} for i in range(5)]
    products[3]["kind"] = "insurence"
    with pytest.raises(fp.InputError) as caught:
        policy_engine.suitable_products(customer, products, as_of="2026-03-02")
    assert caught.value.fields == ("products.3.kind",)
    assert "did you mean `insurance`" in str(caught.value)
    with pytest.raises(fp.InputError) as single:  # one product is still `product`
        policy_engine.check_suitability(customer, products[3], as_of="2026-03-02")
    assert single.value.fields == ("product.kind",)


def test_moved_renames_a_field_and_the_fields_under_it_only() -> None:
    error = fp.InputError([fp.InputProblem("product", "missing", "missing"),
                           fp.InputProblem("product.kind", "unknown", "unknown_input_term"),
                           fp.InputProblem("productivity", "other", "x"),
                           fp.InputProblem("customer.id", "other", "x")], model="Product")
    moved = error.moved("product", "products.7")
    assert moved.fields == ("products.7", "products.7.kind", "productivity", "customer.id")
    assert moved.model == "Product" and str(moved).startswith("invalid Product: products.7:")
