"""Suitability over files: sales (customer and product per row) or customers × products,
read from CSV (``finpolicy suitability`` prints what ``decide_file`` returns)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from finpolicy.columnar.rejected import key_column, reject_record
from finpolicy.domains.suitability.evaluate import (
    check_suitability,
    decision_date,
    policy_in_force,
    suitable_products,
)
from finpolicy.domains.suitability.models import (
    OUTCOMES,
    Customer,
    Product,
    SuitabilityDecision,
    repeated_product,
)
from finpolicy.errors import InputError
from finpolicy.readers import iter_csv_rows
from finpolicy.runtime import Runtime

__all__ = ["TWICE", "decide_file", "outcome_counts", "read_products", "split_row"]

TWICE = ("each row is decided against every product, and two rows of one customer would give "
         "it conflicting decisions; give each customer one row")
"""Why a customer listed twice against products is refused (``columnar`` says it too)."""

_LISTS = {"assessment_history"}


def split_row(row: dict[str, str], default: str, *, sale: bool = False) -> dict[str, Any]:
    """Group ``customer.x`` / ``product.x`` columns (and ``sale.x``, how the sale came about,
    when ``sale``); bare columns go to ``default``; an ``amount`` column is the sale's
    amount. Empty cells are absent fields; list fields (``assessment_history``) hold values
    separated by ``;``. Without ``sale`` the row is one part alone (``default``: a customer
    against products, or a product), so an amount or another part's column is refused,
    whether its cell is empty or not: it would decide nothing."""
    out: dict[str, Any] = {"customer": {}, "product": {}}
    groups = ("customer", "product", "sale") if sale else (default,)
    for column, cell in row.items():
        group, _, name = column.rpartition(".")
        group = group or default
        # an amount goes with a sale; a column of another part, with that part
        if (not sale) if column == "amount" else group not in groups:
            raise InputError.one(column, _unknown_column(default, sale), "unknown_key")
        value = (cell or "").strip()
        if not value:
            continue
        if column == "amount":
            try:
                out["amount"] = float(value)
            except ValueError:
                raise InputError.one("amount", f"expected a number, got `{value}`",
                                     "bad_amount", value) from None
            continue
        out.setdefault(group, {})[name] = (
            [v.strip() for v in value.replace("|", ";").split(";") if v.strip()]
            if name in _LISTS else value)
    return out


def _unknown_column(default: str, sale: bool) -> str:
    if sale:
        return "unknown column (use customer.<field>, product.<field>, sale.<field> or amount)"
    if default == "customer":  # customers against --products: no sale, so no amount either
        return ("unknown column (a customers file against products holds customer fields, "
                "as id or customer.id: an amount or a product's field goes with one sale, in "
                "a sales file of customer.<field>, product.<field> and amount columns)")
    return f"unknown column (a products file holds product fields, as id or {default}.id)"


def read_products(path: str) -> list[Product]:
    """Every product of a products CSV or Parquet file (columns named by field)."""
    if path.lower().endswith((".parquet", ".pq")):  # as a Parquet book takes it
        from finpolicy.domains.suitability.columnar_offer import product_list

        return product_list(path, where=path)
    products: list[Product] = []
    lines: list[int] = []
    for line, row in iter_csv_rows(path):
        try:
            products.append(Product.parse(split_row(row, "product")["product"],
                                          field="product"))
        except InputError as exc:
            raise exc.located(path, line) from None
        lines.append(line)
    if (twice := repeated_product(products)) is not None:
        raise InputError.one("product.id", f"product `{products[twice[1]].id}` is listed twice "
                             f"(first at line {lines[twice[0]]})", "duplicate_value",
                             products[twice[1]].id).located(path, lines[twice[1]])
    return products


def decide_file(runtime: Runtime, path: str, *, products: Sequence[Product] | None = None,
                as_of: dt.date | None = None,
                rows: Callable[[Iterable[Any]], Iterable[Any]] = lambda r: r,
                rejects: list[dict[str, Any]] | None = None) -> list[SuitabilityDecision]:
    """Decide every row of the CSV ``path``.

    Without ``products`` each row is one sale (``customer.<field>``, ``product.<field>``,
    ``sale.<field>``, ``amount``); with them each row is a customer matched against every
    product. ``rows`` wraps the row iterator (a progress bar, say). With ``rejects`` (a
    list), a row refused is set aside there (``columnar.rejected.reject_record``, at its
    line) and the others decided; without it, the first row refused raises. Against
    ``products``, a customer id that an earlier row decided gives is refused at its later
    line, naming the first (set aside with ``rejects``, the first row's decisions kept).
    """
    decisions: list[SuitabilityDecision] = []
    lines: dict[str, int] = {}  # customer id -> the line it was decided at
    if products:  # a product the policy refuses is the offer's error, not the first row's
        from finpolicy.domains.suitability.columnar_offer import checked_offer

        checked_offer(policy_in_force(runtime, decision_date(runtime, as_of, None), None),
                      list(products))
    for line, row in rows(list(iter_csv_rows(path))):
        try:
            decided = _decide_row(runtime, row, products, as_of)
            if products and decided:
                _once(lines, decided[0].customer_id, line)
            decisions.extend(decided)
        except InputError as exc:
            if rejects is None:
                raise exc.located(path, line) from None
            column = key_column(list(row))
            rejects.append(reject_record(path, line, None if column is None
                                         else row[column] or None, exc.problems))
    return decisions


def _once(lines: dict[str, int], customer_id: str, line: int) -> None:
    """Refuse a customer met at an earlier line (``lines``), else count it as met."""
    first = lines.setdefault(customer_id, line)
    if first != line:
        raise InputError.one("id", f"customer `{customer_id}` is listed twice (lines {first} "
                             f"and {line}): {TWICE}", "duplicate_value", customer_id)


def _decide_row(runtime: Runtime, row: dict[str, str], products: Sequence[Product] | None,
                as_of: dt.date | None) -> list[SuitabilityDecision]:
    """The decisions of one row: a sale, or a customer against every product."""
    if products is None:
        data = split_row(row, "customer", sale=True)
        return [check_suitability(runtime, data["customer"], data["product"],
                                  amount=data.get("amount"), as_of=as_of,
                                  sale=data.get("sale"))]
    customer = Customer.parse(split_row(row, "customer")["customer"], field="customer")
    return suitable_products(runtime, customer, products, as_of=as_of)


def outcome_counts(decisions: Iterable[SuitabilityDecision]) -> dict[str, int]:
    """How many decisions of each outcome (every outcome listed)."""
    counts = Counter(d.outcome for d in decisions)
    return {name: counts.get(name, 0) for name in OUTCOMES}
