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

from finpolicy.columnar.columns import NUMBER, Column
from finpolicy.columnar.conditions import CompiledRuleSet, compile_ruleset
from finpolicy.columnar.decisions import combine_hits, list_column
from finpolicy.columnar.tables import column_or_none, distinct, distinct_rows
from finpolicy.domains.suitability.evaluate import (
    _SHARE_CAP,
    _amount,
    check_suitability,
    policy_in_force,
    product_facts,
)
from finpolicy.domains.suitability.models import Customer, Product
from finpolicy.domains.suitability.policy import RULESET, SuitabilityRules
from finpolicy.errors import InputError
from finpolicy.limits import MAX_AMOUNT, MAX_ID_LENGTH, MAX_MONTHS
from finpolicy.runtime import Runtime

__all__ = ["CUSTOMER_FIELDS", "PRODUCT_FIELDS", "SCHEMA", "decide_batch"]

CUSTOMER_FIELDS = tuple(n for n in Customer.model_fields if n != "id")
PRODUCT_FIELDS = tuple(n for n in Product.model_fields if n != "id")
_INVALID: Any = object()
_WORD = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema([
    ("customer_id", pa.string()), ("product_id", _WORD), ("outcome", _WORD),
    ("rule_ids", pa.list_(_WORD)), ("obligations", pa.list_(_WORD)),
    ("customer_level", pa.string()), ("product_level", _WORD), ("seller_level", _WORD),
    ("customer_age", pa.int64()),
    ("assessment_age_days", pa.int64()), ("assessment_expired", pa.bool_()),
    ("assessments_that_day", pa.int64()), ("assessments_12m", pa.int64()),
    ("amount", pa.float64()),
])
"""The decisions table: one row per pair, the fields of ``SuitabilityDecision``."""


def _validator(model: type[Customer] | type[Product], name: str) -> Any:
    base: dict[str, Any] = {"id": "x"} if model is Customer else \
        {"id": "x", "kind": "x", "risk_level": "x"}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = value.strip()
            if name == "assessment_history":
                value = [v.strip() for v in value.replace("|", ";").split(";") if v.strip()]
        try:
            return getattr(model.model_validate({**base, name: value}), name)
        except (InputError, ValueError):
            return _INVALID
    return convert


@functools.lru_cache(maxsize=256)
def _compiled(rules: SuitabilityRules) -> CompiledRuleSet:
    return compile_ruleset(rules.rulesets[RULESET])


class _Field:
    """A customer field over the rows: per row a code into the distinct values (validated)."""

    def __init__(self, array: pa.Array | None, n: int, convert: Any) -> None:
        if array is None:
            self.codes, self.values = np.full(n, -1, np.int32), []
        else:
            self.codes, raw = distinct(array)
            self.values = [convert(v) for v in raw]
        self.bad = self._mask([v is _INVALID for v in self.values])

    def _mask(self, flags: Sequence[bool]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        if not any(flags):
            return np.zeros(len(self.codes), np.bool_)
        return np.asarray(flags, np.bool_)[np.maximum(self.codes, 0)] & (self.codes >= 0)

    def lookup(self, table: Sequence[Any], missing: Any, dtype: Any) -> np.ndarray[Any, Any]:
        """``table[code]`` per row (``missing`` for a null)."""
        values = np.asarray([*table, missing], dtype=dtype)
        return values[np.where(self.codes >= 0, self.codes, len(table))]

    def each(self, function: Any, missing: Any, dtype: Any) -> np.ndarray[Any, Any]:
        return self.lookup([missing if v in (None, _INVALID) else function(v)
                            for v in self.values], missing, dtype)


def _number(array: pa.Array | None, n: int, name: str, top: float, integral: bool
            ) -> tuple[Any, Any, Any]:
    """Values, presence and rows to leave to the row engine, of a numeric field."""
    if array is not None and (pa.types.is_integer(array.type) or (
            pa.types.is_floating(array.type) and not integral)):
        values = array.to_numpy(zero_copy_only=False).astype(np.float64)
        valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
        values = np.where(valid, values, 0.0)
        bad = valid & ~((values >= 0) & (values <= top))
        return values, valid & ~bad, bad
    field = _Field(array, n, _validator(Customer, name))
    return (field.each(float, 0.0, np.float64),
            field.each(lambda v: True, False, np.bool_), field.bad)


def _text(field: _Field) -> Column:
    texts = [v if isinstance(v, str) else "" for v in field.values]
    codes = np.where(field.bad | (field.codes < 0), -1, field.codes)
    usable = np.asarray([isinstance(v, str) for v in field.values] or [False], np.bool_)
    codes = np.where(usable[np.maximum(codes, 0)], codes, -1)
    return Column.coded(codes, texts)


def _local_ordinal(rules: SuitabilityRules, value: Any) -> int:
    if isinstance(value, dt.datetime):
        return value.astimezone(rules.zone).date().toordinal()
    return int(value.toordinal())


class _Customers:
    """The customer facts of a batch's rows (``needs_row``: rows left to the row engine)."""

    def __init__(self, rules: SuitabilityRules, batch: pa.RecordBatch, prefix: str,
                 on: dt.date) -> None:
        n = batch.num_rows
        self.n = n

        def get(name: str) -> pa.Array | None:
            return column_or_none(batch, f"{prefix}{name}") if prefix else \
                column_or_none(batch, name, f"customer.{name}")

        def field(name: str) -> _Field:
            return _Field(get(name), n, _validator(Customer, name))

        ids = get("id")
        needs = np.zeros(n, np.bool_)
        if ids is None or not pa.types.is_string(ids.type):
            needs[:] = True
            ids = pa.nulls(n, pa.string())
        else:
            lengths = np.asarray(pa.compute.utf8_length(ids).fill_null(0).to_numpy(
                zero_copy_only=False))
            needs |= (lengths < 1) | (lengths > MAX_ID_LENGTH)
        self.ids = ids
        on_ordinal = on.toordinal()
        cols: dict[tuple[str, ...], Column] = {}
        texts = {name: field(name) for name in (
            "kind", "investor_type", "legal_capacity", "liquidity_need",
            "assessment_filled_by", "risk_level")}
        flags = {name: field(name) for name in ("guardian_consent", "assessment_in_branch")}
        dates = {name: _Field(None, n, None) if _is_date(get(name)) else field(name)
                 for name in ("birth_date", "assessment_date", "change_reported_at")}
        history = field("assessment_history")
        for f in (*texts.values(), *flags.values(), *dates.values(), history):
            needs |= f.bad
        # an assessment history, or a level the policy does not know: the row engine decides
        needs |= history.each(bool, False, np.bool_)
        level = texts["risk_level"]
        rank = level.each(lambda v: rules.customer_ranks.get(v, -1), -2, np.int64)
        needs |= rank == -1
        has_rank = rank >= 0
        kind = texts["kind"].each(lambda v: v == "institution", False, np.bool_)
        professional = texts["investor_type"].each(lambda v: v == "professional", False,
                                                   np.bool_)
        cols[("customer", "kind")] = _text_default(texts["kind"], "individual")
        cols[("customer", "investor_type")] = _text_default(texts["investor_type"], "ordinary")
        cols[("customer", "professional")] = Column.booleans(
            professional & (kind | rules.professional_individuals))
        cols[("customer", "legal_capacity")] = _text_default(texts["legal_capacity"], "full")
        cols[("customer", "guardian_consent")] = Column.booleans(
            flags["guardian_consent"].each(bool, False, np.bool_))
        cols[("customer", "level")] = _masked_text(level, has_rank)
        cols[("customer", "rank")] = Column.numbers(rank, has_rank)
        cols[("customer", "lowest_level")] = Column.booleans(
            rank == rules.lowest_customer_rank, has_rank)
        born, age = _birth(get("birth_date"), dates["birth_date"], on)
        needs |= born > on_ordinal
        self.age, self.has_age = age, born >= 0
        cols[("customer", "age")] = Column.numbers(age, self.has_age)
        horizon, has_horizon, bad = _number(get("investment_horizon_months"), n,
                                            "investment_horizon_months", MAX_MONTHS, True)
        needs |= bad
        self.horizon, self.has_horizon = horizon, has_horizon
        cols[("customer", "horizon_months")] = Column.numbers(horizon, has_horizon)
        cols[("customer", "liquidity_need")] = _text(texts["liquidity_need"])
        assets, has_assets, bad = _number(get("investable_assets"), n, "investable_assets",
                                          MAX_AMOUNT, False)
        needs |= bad
        self.assets, self.has_assets = assets, has_assets
        cols[("customer", "investable_assets")] = Column.numbers(assets, has_assets)
        assessed = _ordinals(rules, get("assessment_date"), dates["assessment_date"])
        present = assessed >= 0
        needs |= assessed > on_ordinal
        reported = _ordinals(rules, get("change_reported_at"), dates["change_reported_at"])
        needs |= reported > on_ordinal
        days = on_ordinal - assessed
        self.days, self.present = days, present
        self.expired = days > rules.valid_days
        cols[("assessment", "present")] = Column.booleans(present & has_rank)
        cols[("assessment", "days_since")] = Column.numbers(days, present)
        cols[("assessment", "expired")] = Column.booleans(self.expired, present)
        ones = present.astype(np.int64)
        self.count = ones
        cols[("assessment", "count_today")] = Column.numbers(ones, present)
        cols[("assessment", "count_12m")] = Column.numbers(ones, present)
        cols[("assessment", "change_reported")] = Column.booleans(
            (reported >= 0) & (reported > assessed), present)
        filled = _text_default(texts["assessment_filled_by"], "customer")
        cols[("assessment", "filled_by")] = _masked(filled, present)
        in_branch = flags["assessment_in_branch"]
        cols[("assessment", "in_branch")] = Column.booleans(
            in_branch.each(bool, False, np.bool_),
            present & in_branch.each(lambda v: True, False, np.bool_))
        self.rank, self.has_rank = rank, has_rank
        self.level = level
        self.columns = cols
        self.needs_row = needs


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _is_date(array: pa.Array | None) -> bool:
    return array is not None and pa.types.is_date32(array.type)


def _day_numbers(array: pa.Array) -> Any:
    """Days since 1970-01-01 of a date32 array, -1 - _EPOCH_ORDINAL for a null (so that the
    ordinal is -1)."""
    days = array.cast(pa.int32()).fill_null(-1 - _EPOCH_ORDINAL)
    return days.to_numpy(zero_copy_only=False).astype(np.int64)


def _ordinals(rules: SuitabilityRules, array: pa.Array | None, field: _Field) -> Any:
    """Local date ordinals of a date field (-1 where absent); dates are read as arrays,
    other values once per distinct value."""
    if _is_date(array):
        assert array is not None
        return _day_numbers(array) + _EPOCH_ORDINAL
    return field.each(lambda v: _local_ordinal(rules, v), -1, np.int64)


def _birth(array: pa.Array | None, field: _Field, on: dt.date) -> tuple[Any, Any]:
    """Birth date ordinals (-1 where absent) and full years on ``on``."""
    if not _is_date(array):
        born = field.each(lambda v: v.toordinal(), -1, np.int64)
        age = field.each(lambda d: on.year - d.year - ((on.month, on.day) < (d.month, d.day)),
                         -1, np.int64)
        return born, age
    assert array is not None
    days = _day_numbers(array)
    stamp = np.where(days > -_EPOCH_ORDINAL, days, 0).astype("datetime64[D]")
    month_start = stamp.astype("datetime64[M]")
    year = stamp.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (stamp - month_start).astype(np.int64) + 1
    later = (on.month < month) | ((on.month == month) & (on.day < day))
    return days + _EPOCH_ORDINAL, on.year - year - later


def _masked(column: Column, keep: Any) -> Column:
    return Column(kind=np.where(keep, column.kind, 0).astype(np.uint8), number=column.number,
                  boolean=column.boolean, text=np.where(keep, column.text, -1),
                  texts=column.texts)


def _masked_text(field: _Field, keep: Any) -> Column:
    return _masked(_text(field), keep)


def _text_default(field: _Field, default: str) -> Column:
    """A text field whose absence means ``default`` (a model default)."""
    texts = [v if isinstance(v, str) else default for v in field.values]
    codes = np.where(field.codes >= 0, field.codes, len(texts))
    return Column.coded(codes, [*texts, default])


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


def _products(rules: SuitabilityRules, rows: Sequence[Any]
              ) -> tuple[list[Product | None], list[dict[str, Any] | None]]:
    """Each product parsed with its facts (``None`` where the row engine must say why not)."""
    parsed: list[Product | None] = []
    facts: list[dict[str, Any] | None] = []
    for row in rows:
        try:
            product = row if isinstance(row, Product) else Product.parse(row, field="product")
            facts.append(product_facts(rules, product, "product"))
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
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = array.to_numpy(zero_copy_only=False).astype(np.float64)
        valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
        values = np.where(valid, values, 0.0)
        bad = valid & ~(np.isfinite(values) & (values >= 0) & (values <= MAX_AMOUNT))
        return values, valid & ~bad, bad

    def convert(value: Any) -> Any:
        try:
            found = _amount(float(value.strip()) if isinstance(value, str) else value)
        except (InputError, ValueError):
            return _INVALID
        return found
    field = _Field(array, n, convert)
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
                return _INVALID
        field = _Field(array, n, convert)
        bad |= field.bad
        out[name] = field.each(bool, False, np.bool_)
    return out, bad


def _nullable(values: Any, valid: Any, kind: pa.DataType) -> pa.Array:
    return pa.array(values, type=kind, mask=~np.asarray(valid, np.bool_))


def _assemble(rules: SuitabilityRules, c: _Customers, ci: Any,
              products: list[Product | None], facts: list[dict[str, Any] | None], pi: Any,
              amounts: tuple[Any, Any], sale: dict[str, Any],
              compiled: CompiledRuleSet) -> pa.Table:
    """The decisions of the customer rows ``ci`` (indices, or a slice) with the products
    ``pi`` (an index per row, or one index for all of them)."""
    cols = {path: column.take(ci) for path, column in c.columns.items()}
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
    matrix = compiled.hits(cols, n)
    results, which = combine_hits(matrix, compiled.ruleset.rules, rules.combine)
    outcomes = sorted({r[0] for r in results})
    outcome = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray([outcomes.index(r[0]) for r in results], np.int32)[which]),
        pa.array(outcomes, pa.string()))
    indices = pa.array(np.full(n, pi, np.int32) if single else np.asarray(pi, np.int32))
    present = c.present[ci]
    return pa.table([
        c.ids.take(pa.array(np.arange(c.n)[ci])), _dictionary(indices, [
            p.id if p else None for p in products]),
        outcome, list_column([[h.rule_id for h in r[1]] for r in results], which),
        list_column([list(r[2]) for r in results], which),
        _text_array(c.level, ci, has_rank),
        _dictionary(indices, [f["level"] if f else None for f in facts]),
        _dictionary(indices, [p.risk_level if p else None for p in products]),
        _nullable(c.age[ci], c.has_age[ci], pa.int64()),
        _nullable(c.days[ci], present, pa.int64()),
        _nullable(c.expired[ci], present, pa.bool_()),
        pa.array(c.count[ci], pa.int64()), pa.array(c.count[ci], pa.int64()),
        _nullable(amount, has_amount, pa.float64()),
    ], schema=SCHEMA)


def _dictionary(indices: pa.Array, values: list[str | None]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string()))


def _text_array(field: _Field, rows: Any, keep: Any) -> pa.Array:
    texts = pa.array([v if isinstance(v, str) else None for v in field.values] + [None],
                     pa.string())
    codes = field.codes[rows]
    return texts.take(pa.array(np.where(keep & (codes >= 0), codes, len(field.values))))


def _decision_row(decision: Any) -> dict[str, Any]:
    return {"customer_id": decision.customer_id, "product_id": decision.product_id,
            "outcome": decision.outcome, "rule_ids": [h.rule_id for h in decision.hits],
            "obligations": list(decision.obligations),
            "customer_level": decision.customer_level, "product_level": decision.product_level,
            "seller_level": decision.seller_level, "customer_age": decision.customer_age,
            "assessment_age_days": decision.assessment_age_days,
            "assessment_expired": decision.assessment_expired,
            "assessments_that_day": decision.assessments_that_day,
            "assessments_12m": decision.assessments_12m, "amount": decision.amount}


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
    doc = policy_in_force(runtime, on, policy)
    rules = doc.policy
    compiled = _compiled(rules)
    n = batch.num_rows
    c = _Customers(rules, batch, "customer." if products is None else "", on)
    if products is not None:
        return _cross(runtime, batch, c, list(products), on, policy, first_row)
    rows, pi = _product_index(batch)
    parsed, facts = _products(rules, rows)
    amount, has_amount, bad_amount = _amounts(batch)
    sale, bad_sale = _sale_flags(batch, n)
    broken = np.asarray([f is None for f in facts] or [False], np.bool_)
    needs = c.needs_row | bad_amount | bad_sale | broken[pi]
    keep = np.flatnonzero(~needs)
    table = _assemble(rules, c, keep, parsed, facts, pi[keep],
                      (amount[keep], has_amount[keep]), {k: v[keep] for k, v in sale.items()},
                      compiled)
    slow = np.flatnonzero(needs)
    return _merge(table, keep, _row_table(runtime, batch, slow, None, 0, on, policy,
                                          first_row), slow)


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


def _cross(runtime: Runtime, batch: pa.RecordBatch, c: _Customers, products: list[Product],
           on: dt.date, policy: str | None, first_row: int) -> pa.Table:
    """Every product against every customer row, product by product (reordering a book's
    decisions customer by customer would cost more than deciding them)."""
    rules = policy_in_force(runtime, on, policy).policy
    parsed, facts = _products(rules, products)
    n = c.n
    nothing = np.zeros(n), np.zeros(n, np.bool_)
    keep = np.flatnonzero(~c.needs_row)
    rows: Any = slice(None) if len(keep) == n else keep
    parts = []
    for j, found in enumerate(facts):
        if found is None:  # the row engine names the product's problem
            table = _row_table(runtime, batch, np.arange(n), products, j, on, policy,
                               first_row)
            assert table is not None
            parts.append(table)
            continue
        table = _assemble(rules, c, rows, parsed, facts, j, (nothing[0][rows], nothing[1][rows]),
                          {}, _compiled(rules))
        slow = np.flatnonzero(c.needs_row)
        parts.append(_merge(table, keep, _row_table(runtime, batch, slow, products, j, on,
                                                    policy, first_row), slow))
    if not parts:
        return SCHEMA.empty_table()
    return pa.concat_tables(parts)


def _row_decisions(runtime: Runtime, batch: pa.RecordBatch, rows: Any,
                   products: Sequence[Product] | None, product: int, on: dt.date,
                   policy: str | None, first_row: int) -> Iterator[Any]:
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
            raise exc.located("table", first_row + i + 1) from None


def _plain_amount(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise InputError.one("amount", f"expected a number, got `{value}`",
                                 "bad_amount", value) from None
    return value


def prepare(runtime: Runtime, /, *, as_of: Any = None, policy: str | None = None,
            products: Any = None) -> Any:
    """The chunk evaluator of the batch API: pairs, or customers against ``products`` (a
    list of ``Product`` or mappings, or a table source of products, one per row)."""
    from finpolicy.columnar.tables import Source, read_table
    from finpolicy.inputs import evaluation_date

    on = evaluation_date(as_of)
    listed: list[Product] | None = None
    if products is not None:
        listed = _product_list(products, read_table, Source)

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        if batch.num_rows == 0:
            return SCHEMA.empty_table()
        return decide_batch(runtime, batch, on=on, products=listed, policy=policy,
                            first_row=first_row)
    return evaluate


def _product_list(products: Any, read_table: Any, source_type: Any) -> list[Product]:
    if isinstance(products, list | tuple):
        return [Product.parse(p, field=f"products.{i}") for i, p in enumerate(products)]
    out: list[Product] = []
    for line, row in enumerate(read_table(products).to_pylist(), start=1):
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
            raise exc.located("products", line) from None
    return out
