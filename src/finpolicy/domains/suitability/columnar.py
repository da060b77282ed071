"""Suitability over tables: customers' and products' facts derived column-wise, the rule set
run as array expressions, the most restrictive outcome combined once per distinct set of hits.

Every value is validated as ``Customer`` and ``Product`` validate it (once per distinct value);
a row with anything the arrays do not decide (an invalid or unknown value, a date after the
evaluation date, an assessment history) is decided by ``check_suitability`` itself, so a table
gets exactly the row engine's decisions, or its error naming the row.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from finpolicy.columnar.columns import NUMBER, Column, decimal_floats
from finpolicy.columnar.conditions import CompiledRuleSet, compile_ruleset
from finpolicy.columnar.decisions import combine_hits, list_column
from finpolicy.columnar.rejects import RowErrors
from finpolicy.columnar.repeated import SeenIds
from finpolicy.columnar.tables import column_or_none, distinct, distinct_rows, without_key
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.suitability.amounts import parse_amount
from finpolicy.domains.suitability.batch import TWICE
from finpolicy.domains.suitability.columnar_facts import (
    INVALID,
    CustomerColumns,
    Field,
    text_array,
)
from finpolicy.domains.suitability.columnar_offer import (
    GROUPS,
    checked_offer,
    known_column,
    product_list,
)
from finpolicy.domains.suitability.evaluate import (
    _SHARE_CAP,
    check_suitability,
    policy_in_force,
    product_facts,
)
from finpolicy.domains.suitability.models import Product
from finpolicy.domains.suitability.policy import RULESET, SuitabilityRules
from finpolicy.errors import InputError
from finpolicy.limits import MAX_AMOUNT
from finpolicy.rules.vocabulary import check_fact
from finpolicy.runtime import Runtime

__all__ = ["SCHEMA", "decide_batch", "prepare", "product_list"]

_WORD = pa.dictionary(pa.int32(), pa.string())
_DECIDED = pa.schema([
    ("customer_id", pa.string()), ("product_id", _WORD), ("outcome", _WORD),
    ("rule_ids", pa.list_(_WORD)), ("obligations", pa.list_(_WORD)),
    ("customer_level", pa.string()), ("product_level", _WORD), ("seller_level", _WORD),
    ("customer_age", pa.int64()),
    ("assessment_age_days", pa.int64()), ("assessment_expired", pa.bool_()),
    ("assessments_that_day", pa.int64()), ("assessments_12m", pa.int64()),
    ("amount", pa.float64()),
])
SCHEMA = pa.schema([*_DECIDED, ("policy_id", _WORD), ("policy_version", _WORD)])
"""The decisions table: one row per pair, the fields of ``SuitabilityDecision`` and the
policy that decided it (its id and version: a book decided on 2026-01-31 and again on
2026-02-01 is decided by two versions)."""


@functools.lru_cache(maxsize=256)
def _compiled(rules: SuitabilityRules) -> CompiledRuleSet:
    return compile_ruleset(rules.rulesets[RULESET])


def _row(batch: pa.RecordBatch, i: int, prefix: str) -> dict[str, Any]:
    """Row ``i``'s non-null cells under ``prefix`` (or bare names, without one)."""
    out: dict[str, Any] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        value = column[i].as_py()
        if value is None:
            continue
        if prefix and name.startswith(prefix):
            name = name[len(prefix):]
        elif prefix or "." in name:
            if not (not prefix and name.startswith("customer.")):
                continue
            name = name[len("customer."):]
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
            if name == "assessment_history":
                value = [v.strip() for v in value.replace("|", ";").split(";") if v.strip()]
        out[name] = value
    return out


def _product_index(batch: pa.RecordBatch) -> tuple[list[dict[str, Any]], Any]:
    """The distinct products of a pairs batch (``product.<field>`` columns) and each row's."""
    names = [n for n in batch.schema.names if n.startswith("product.")]
    if not names:
        return [{}], np.zeros(batch.num_rows, np.intp)
    parts = [distinct(column_or_none(batch, n)) for n in names]
    first, inverse = distinct_rows([c for c, _ in parts], [len(v) for _, v in parts])
    rows = [_row(batch, int(i), "product.") for i in first]
    return rows, inverse


def _products(doc: PolicyDocument[SuitabilityRules], rows: Sequence[Any]
              ) -> tuple[list[Product | None], list[dict[str, Any] | None]]:
    """Each product parsed with its facts (``None`` where the row engine must say why not:
    a kind outside the declared vocabulary too, which the rules never see as it is)."""
    rules = doc.policy
    bound = tuple(b for b in doc.vocabulary.bound_fields() if b[0][0] == "product")
    parsed: list[Product | None] = []
    facts: list[dict[str, Any] | None] = []
    for row in rows:
        try:
            product = row if isinstance(row, Product) else Product.parse(row, field="product")
            found = product_facts(rules, product, "product")
            if bound:
                check_fact(bound, {"product": found})
            facts.append(found)
            parsed.append(product)
        except InputError:
            parsed.append(None)
            facts.append(None)
    return parsed, facts


def _amounts(batch: pa.RecordBatch) -> tuple[Any, Any, Any]:
    array = column_or_none(batch, "amount")
    n = batch.num_rows
    if array is None:
        return np.zeros(n), np.zeros(n, np.bool_), np.zeros(n, np.bool_)
    exact = decimal_floats(array)  # a decimal amount, as Spark and warehouses give money
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or \
            exact is not None:
        values = exact if exact is not None else \
            array.to_numpy(zero_copy_only=False).astype(np.float64)
        valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
        values = np.where(valid, values, 0.0)
        bad = valid & ~(np.isfinite(values) & (values >= 0) & (values <= MAX_AMOUNT))
        return values, valid & ~bad, bad

    def convert(value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None  # an empty text cell is absent, as in every other column
        try:
            found = parse_amount(float(value.strip()) if isinstance(value, str) else value)
        except (InputError, ValueError):
            return INVALID
        return found
    field = Field(array, n, convert)
    return (field.each(float, 0.0, np.float64), field.each(lambda v: True, False, np.bool_),
            field.bad)


def _sale_flags(batch: pa.RecordBatch, n: int) -> tuple[dict[str, Any], Any]:
    out: dict[str, Any] = {}
    bad = np.zeros(n, np.bool_)
    for name in ("promoted_by_staff", "first_purchase"):
        array = column_or_none(batch, f"sale.{name}")

        def convert(value: Any, name: str = name) -> Any:
            from finpolicy.domains.suitability.models import SaleContext
            try:
                return getattr(SaleContext.parse({name: value}), name)
            except InputError:
                return INVALID
        field = Field(array, n, convert)
        bad |= field.bad
        out[name] = field.each(bool, False, np.bool_)
    return out, bad


def _nullable(values: Any, valid: Any, kind: pa.DataType) -> pa.Array:
    return pa.array(values, type=kind, mask=~np.asarray(valid, np.bool_))


def _assemble(rules: SuitabilityRules, c: CustomerColumns, ci: Any,
              products: list[Product | None], facts: list[dict[str, Any] | None], pi: Any,
              amounts: tuple[Any, Any], sale: dict[str, Any],
              compiled: CompiledRuleSet, shared: _Rows | None = None) -> pa.Table:
    """The decisions of the customer rows ``ci`` (indices, or a slice) with the products
    ``pi`` (an index per row, or one index for all of them); ``shared``: what the rows
    share across products, when several are decided for them."""
    shared = shared or _Rows(c, ci)
    cols = dict(shared.columns)
    n = len(c.rank[ci])
    single = isinstance(pi, int)
    rank, has_rank = c.rank[ci], c.has_rank[ci]
    term = product_rank = None
    for key in ("seller_rank", "kind", "securities", "principal_protected", "private",
                "issuer_rank", "rank", "level", "term_months", "redemption"):
        values = [None if f is None else f.get(key) for f in facts]
        column = Column.from_values([values[pi]] if single else values)
        cols[("product", key)] = column if single else column.take(pi)
        if key == "rank":
            product_rank = cols[("product", key)].number
        elif key == "term_months":
            term = cols[("product", key)]
    assert term is not None and product_rank is not None
    cols[("sale", "rank_gap")] = Column.numbers(product_rank - rank, has_rank)
    amount, has_amount = amounts
    assets, has_assets = c.assets[ci], c.has_assets[ci]
    share = np.where(assets > 0, amount / np.where(assets > 0, assets, 1.0),
                     np.where(amount > 0, _SHARE_CAP, 0.0))
    cols[("sale", "amount")] = Column.numbers(amount, has_amount)
    cols[("sale", "amount_share")] = Column.numbers(np.minimum(share, _SHARE_CAP),
                                                    has_amount & has_assets)
    horizon, has_horizon = c.horizon[ci], c.has_horizon[ci]
    cols[("sale", "term_exceeds_horizon_months")] = Column.numbers(
        np.broadcast_to(term.number - horizon, n), np.broadcast_to(
            (term.kind == NUMBER) & has_horizon, n))
    for name, values in sale.items():
        cols[("sale", name)] = Column.booleans(values)
    matrix = compiled.hits(cols, n, (shared.columns, shared.hits))
    results, which = combine_hits(matrix, compiled.ruleset.rules, rules.combine)
    outcomes = sorted({r[0] for r in results})
    outcome = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray([outcomes.index(r[0]) for r in results], np.int32)[which]),
        pa.array(outcomes, pa.string()))
    indices = pa.array(np.full(n, pi, np.int32) if single else np.asarray(pi, np.int32))
    customer_id, level, age, days, expired, count = shared.part
    return pa.table([
        customer_id, _dictionary(indices, [p.id if p else None for p in products]),
        outcome, list_column([[h.rule_id for h in r[1]] for r in results], which),
        list_column([list(r[2]) for r in results], which), level,
        _dictionary(indices, [f["level"] if f else None for f in facts]),
        _dictionary(indices, [p.risk_level if p else None for p in products]),
        age, days, expired, count, count, _nullable(amount, has_amount, pa.float64()),
    ], schema=_DECIDED)


def _stamped(table: pa.Table, doc: PolicyDocument[SuitabilityRules]) -> pa.Table:
    """The arrays' decisions ``table`` with the policy that decided them (``doc``)."""
    zeros = pa.array(np.zeros(table.num_rows, np.int32))
    for name, value in (("policy_id", doc.id), ("policy_version", doc.version)):
        table = table.append_column(pa.field(name, _WORD), pa.DictionaryArray.from_arrays(
            zeros, pa.array([value], pa.string())))
    return table


class _Rows:
    """What customer rows share across the products decided for them: their fact columns,
    their decision columns (``_customer_part``), and the hits of the rules that read only
    customer facts."""

    def __init__(self, c: CustomerColumns, ci: Any) -> None:
        whole = isinstance(ci, slice) and ci == slice(None)
        self.columns = c.columns if whole else \
            {path: column.take(ci) for path, column in c.columns.items()}
        self.part = _customer_part(c, ci)
        self.hits: dict[int, Any] = {}


def _customer_part(c: CustomerColumns, ci: Any) -> tuple[pa.Array, ...]:
    """The decision columns that only the customer rows ``ci`` decide (the same for every
    product)."""
    present = c.present[ci]
    ids = c.ids if isinstance(ci, slice) and ci == slice(None) else \
        c.ids.take(pa.array(np.arange(c.n)[ci]))
    return (ids, text_array(c.level, ci, c.has_rank[ci]),
            _nullable(c.age[ci], c.has_age[ci], pa.int64()),
            _nullable(c.days[ci], present, pa.int64()),
            _nullable(c.expired[ci], present, pa.bool_()), pa.array(c.count[ci], pa.int64()))


def _dictionary(indices: pa.Array, values: list[str | None]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string()))


def _decision_row(decision: Any) -> dict[str, Any]:
    return {"customer_id": decision.customer_id, "product_id": decision.product_id,
            "outcome": decision.outcome, "rule_ids": [h.rule_id for h in decision.hits],
            "obligations": list(decision.obligations),
            "customer_level": decision.customer_level, "product_level": decision.product_level,
            "seller_level": decision.seller_level, "customer_age": decision.customer_age,
            "assessment_age_days": decision.assessment_age_days,
            "assessment_expired": decision.assessment_expired,
            "assessments_that_day": decision.assessments_that_day,
            "assessments_12m": decision.assessments_12m, "amount": decision.amount,
            "policy_id": decision.policy.id, "policy_version": decision.policy.version}


def decide_batch(runtime: Runtime, batch: pa.RecordBatch, *, on: dt.date,
                 products: Sequence[Product] | None = None, policy: str | None = None,
                 first_row: int = 0) -> pa.Table:
    """The decisions of one batch: pairs (``customer.<field>``, ``product.<field>``,
    ``amount``, ``sale.<field>`` columns) without ``products``, else every product (in the
    given order) against each customer row of the batch (in row order).

    Raises:
        InputError: the row engine's error for the first row it refuses, located at its row
            number (``first_row`` + index, counting from 1).
    """
    _check_columns(batch.schema.names, pairs=products is None)
    doc = policy_in_force(runtime, on, policy)
    rules = doc.policy
    compiled = _compiled(rules)
    n = batch.num_rows
    c = CustomerColumns(rules, batch, "customer." if products is None else "", on)
    if products is not None:
        return _cross(runtime, batch, c, list(products), on, policy, first_row)
    rows, pi = _product_index(batch)
    parsed, facts = _products(doc, rows)
    amount, has_amount, bad_amount = _amounts(batch)
    sale, bad_sale = _sale_flags(batch, n)
    broken = np.asarray([f is None for f in facts] or [False], np.bool_)
    needs = c.needs_row | bad_amount | bad_sale | broken[pi]
    keep = np.flatnonzero(~needs)
    table = _stamped(_assemble(rules, c, keep, parsed, facts, pi[keep],
                               (amount[keep], has_amount[keep]),
                               {k: v[keep] for k, v in sale.items()}, compiled), doc)
    slow = np.flatnonzero(needs)
    return _merge(table, keep, _row_table(runtime, batch, slow, None, 0, on, policy,
                                          first_row), slow)


def _check_columns(names: Sequence[str], *, pairs: bool) -> None:
    """Refuse a column that is no field, as ``Customer`` and ``Product`` refuse an unknown
    key and the CSV reader an unknown column: a misspelt ``risk_levl`` was read as no risk
    level at all, every customer then decided without one."""
    from finpolicy.rules.parse import suggest

    for name in names:
        if known_column(name, pairs=pairs):
            continue
        if pairs:
            expected = "customer.<field>, product.<field>, sale.<field> or amount"
            fields = [f"{g}.{f}" for g, group in GROUPS.items() for f in group]
        else:
            expected = "a field of a customer (id, risk_level, birth_date …)"
            fields = list(GROUPS["customer"])
        hint = suggest(name, fields)
        spelt = [f for f in fields if f.casefold() == name.strip().casefold()]
        if spelt:  # a warehouse's upper-case ID, RISK_LEVEL; a header's padded `id `
            why = "the name has spaces around it" if name.strip() == spelt[0] else \
                "columns are named as the fields are, in lower case"
            hint = f" (did you mean `{spelt[0]}`? {why})"
        raise InputError.one(name, f"unknown column `{name}`, expected {expected}{hint}",
                             "unknown_key", name)
    both = sorted(n for n in names if not pairs and f"customer.{n}" in names)
    if both:  # which one counts would be a guess
        raise InputError.one(f"customer.{both[0]}", f"columns `{both[0]}` and "
                             f"`customer.{both[0]}` both give the customer's {both[0]}: keep "
                             "one", "duplicate_value", both[0])


def _merge(table: pa.Table, keep: Any, extra: pa.Table | None, slow: Any) -> pa.Table:
    if extra is None:
        return table
    order = np.argsort(np.concatenate([keep, slow]), kind="stable")
    return pa.concat_tables([table, extra]).take(pa.array(order))


def _row_table(runtime: Runtime, batch: pa.RecordBatch, rows: Any,
               products: Sequence[Product] | None, product: int, on: dt.date,
               policy: str | None, first_row: int) -> pa.Table | None:
    if not len(rows):
        return None
    decided = [_decision_row(d) for d in _row_decisions(runtime, batch, rows, products,
                                                         product, on, policy, first_row)]
    return pa.Table.from_pylist(decided, schema=SCHEMA)


def _cross(runtime: Runtime, batch: pa.RecordBatch, c: CustomerColumns, products: list[Product],
           on: dt.date, policy: str | None, first_row: int) -> pa.Table:
    """Every product against every customer row, product by product (reordering a book's
    decisions customer by customer would cost more than deciding them)."""
    doc = policy_in_force(runtime, on, policy)
    rules = doc.policy
    parsed, facts = _products(doc, products)
    n = c.n
    nothing = np.zeros(n), np.zeros(n, np.bool_)
    keep = np.flatnonzero(~c.needs_row)
    rows: Any = slice(None) if len(keep) == n else keep
    parts = []
    shared = _Rows(c, rows)
    for j, found in enumerate(facts):
        if found is None:  # the row engine names the product's problem
            table = _row_table(runtime, batch, np.arange(n), products, j, on, policy,
                               first_row)
            assert table is not None
            parts.append(table)
            continue
        table = _stamped(_assemble(rules, c, rows, parsed, facts, j,
                                   (nothing[0][rows], nothing[1][rows]), {}, _compiled(rules),
                                   shared), doc)
        slow = np.flatnonzero(c.needs_row)
        parts.append(_merge(table, keep, _row_table(runtime, batch, slow, products, j, on,
                                                    policy, first_row), slow))
    if not parts:
        return SCHEMA.empty_table()
    return pa.concat_tables(parts)


def _row_decisions(runtime: Runtime, batch: pa.RecordBatch, rows: Any,
                   products: Sequence[Product] | None, product: int, on: dt.date,
                   policy: str | None, first_row: int) -> Iterator[Any]:
    errors = RowErrors()  # (every bad row named at once while bad rows are set aside)
    for r in rows:
        i = int(r)
        try:
            if products is None:
                amount = column_or_none(batch, "amount")
                sale = _row(batch, i, "sale.")
                yield check_suitability(
                    runtime, _row(batch, i, "customer."), _row(batch, i, "product."),
                    amount=None if amount is None else _plain_amount(amount[i].as_py()),
                    as_of=on, policy=policy, sale=sale or None)
            else:
                yield check_suitability(runtime, _row(batch, i, ""), products[product],
                                        as_of=on, policy=policy)
        except InputError as exc:
            errors.add(exc.located("table", first_row + i + 1))
    errors.check()


def _plain_amount(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return float(value)
        except ValueError:
            raise InputError.one("amount", f"expected a number, got `{value}`",
                                 "bad_amount", value) from None
    return value


def prepare(runtime: Runtime, /, *, as_of: Any = None, policy: str | None = None,
            products: Any = None, key: str | None = None) -> Any:
    """The chunk evaluator of the batch API: pairs, or customers against ``products`` (a
    list of ``Product`` or mappings, or a table source of products, one per row). A product
    the policy refuses (a risk level it does not know) is an error of the products, named at
    their row or position, before any customer is read. ``key`` names a column (a sale or
    customer id of the bank's) copied unchanged as the first column of the decisions, once
    per product for each customer, to join them back where row order is not kept, as with
    Spark; it is read as a field only when it is one. Against ``products``, a customer id
    that an earlier row decided gives is refused at its later row, naming the first (each
    row would be decided against every product, two levels giving conflicting decisions)."""
    from finpolicy.domains.suitability.evaluate import decision_date

    on = decision_date(runtime, as_of, policy)
    listed = None if products is None else checked_offer(
        policy_in_force(runtime, on, policy), products)
    if key is not None and not isinstance(key, str):
        raise InputError.one("key", f"expected a column name, got {type(key).__name__}",
                             "bad_table", key)
    seen = SeenIds("id", "customer", TWICE)

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        kept = None
        if key is not None:
            kept, batch = without_key(batch, key, SCHEMA.names,
                                      keep=known_column(key, pairs=listed is None))
        if batch.num_rows == 0:  # its columns checked all the same (Spark's driver does so)
            _check_columns(batch.schema.names, pairs=listed is None)
        table = SCHEMA.empty_table() if batch.num_rows == 0 else decide_batch(
            runtime, batch, on=on, products=listed, policy=policy, first_row=first_row)
        if listed:  # the first product's decisions: each row's customer id, in row order
            seen.add(seen.refuse(table.column("customer_id").slice(0, batch.num_rows),
                                 first_row))
        if kept is None:
            return table
        if listed is not None:  # product by product: each customer's key once per product
            kept = kept.take(pa.array(np.tile(np.arange(len(kept)), len(listed))))
        return table.add_column(0, pa.field(key, kept.type), kept)
    return evaluate
