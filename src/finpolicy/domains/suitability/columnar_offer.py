"""The products of a suitability table's offer, and the names of its columns: products read
from a list or a table source and checked against the policy before any customer is read
(an error names the product's file and line, or its list position); which columns are
fields of a customer, a product or a sale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.suitability.evaluate import product_facts
from finpolicy.domains.suitability.models import (
    Customer,
    Product,
    SaleContext,
    repeated_product,
)
from finpolicy.domains.suitability.policy import SuitabilityRules
from finpolicy.errors import InputError
from finpolicy.rules.vocabulary import check_fact

__all__ = ["GROUPS", "checked_offer", "known_column", "product_checks", "product_list"]

GROUPS: dict[str, Any] = {"customer": Customer.model_fields, "product": Product.model_fields,
                          "sale": SaleContext.model_fields}
"""The fields of each part of a sale, by the prefix of their columns."""


def known_column(name: str, *, pairs: bool) -> bool:
    """Whether ``name`` is a field column: ``customer.<field>``, ``product.<field>``,
    ``sale.<field>`` or ``amount`` in a table of sales (``pairs``), a customer's field
    (bare or ``customer.<field>``) in a table of customers."""
    if pairs and name == "amount":
        return True
    group, _, field = name.rpartition(".")
    if pairs:
        return bool(group) and field in GROUPS.get(group, {})
    return group in ("", "customer") and field in GROUPS["customer"]


_Place = Callable[[int], tuple[str, Callable[[InputError], InputError]]]


def product_list(products: Any, *, where: str = "products") -> list[Product]:
    """The products of a list (``Product`` or mappings) or a table source, one per row
    (errors located at the source's file and line, ``where`` and the row for a table in
    memory, or the list position)."""
    return _offer(products, where)[0]


def _offer(products: Any, where: str) -> tuple[list[Product], _Place]:
    """The products and, for the ``i``-th, the field its errors name and how they are
    located."""
    from finpolicy.columnar.tables import csv_lines, read_table

    if isinstance(products, list | tuple):
        def at_position(i: int) -> tuple[str, Callable[[InputError], InputError]]:
            return f"products.{i}", lambda exc: exc
        return [Product.parse(p, field=f"products.{i}") for i, p in enumerate(products)], \
            at_position
    path = str(products) if isinstance(products, str | Path) else None

    def at_row(i: int) -> tuple[str, Callable[[InputError], InputError]]:
        line = csv_lines(path, [i + 1])[i + 1] if path is not None and \
            path.lower().endswith(".csv") else i + 1
        return "product", lambda exc: exc.located(path or where, line)
    out: list[Product] = []
    for i, row in enumerate(read_table(products).to_pylist()):
        cells = {}
        for name, value in row.items():
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                continue
            cells[name[8:] if name.startswith("product.") else name] = value
        try:
            out.append(Product.parse(cells, field="product"))
        except InputError as exc:
            raise at_row(i)[1](exc) from None
    return out, at_row


def product_checks(doc: PolicyDocument[SuitabilityRules], product: Product, field: str
                   ) -> None:
    """Raise the error the row engine gives for ``product`` under ``doc`` (named ``field``)."""
    found = product_facts(doc.policy, product, field)
    bound = tuple(b for b in doc.vocabulary.bound_fields() if b[0][0] == "product")
    if bound:
        check_fact(bound, {"product": found})


def checked_offer(doc: PolicyDocument[SuitabilityRules], products: Any) -> list[Product]:
    """The products of ``products``, each checked as the row engine checks it under ``doc``
    (the error every customer's row would have had, named at the product)."""
    listed, place = _offer(products, "products")
    for i, product in enumerate(listed):
        field, locate = place(i)
        try:
            product_checks(doc, product, field)
        except InputError as exc:
            raise locate(exc) from None
    twice = repeated_product(listed)
    if twice is not None:  # (each customer would have two decisions for the one product)
        field, locate = place(twice[1])
        first, at_first = place(twice[0])
        line = at_first(InputError.one(first, "", "")).problems[0].line
        where = f"line {line}" if first == field and line is not None else first
        raise locate(InputError.one(f"{field}.id", f"product `{listed[twice[1]].id}` is listed "
                                    f"twice (first at {where})", "duplicate_value",
                                    listed[twice[1]].id)) from None
    return listed
