"""Customer facts over a batch, column-wise (the facts ``evaluate.CustomerFacts`` derives
one customer at a time): each value validated as ``Customer`` validates it, once per distinct
value; dates and numbers read as arrays where the column is typed. ``needs_row`` marks the
rows left to the row engine (an invalid or unknown value, a date after the evaluation date,
an assessment history)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.columnar.columns import PLAIN_ID, Column, decimal_floats
from finpolicy.columnar.tables import column_or_none, distinct
from finpolicy.domains.suitability.models import Customer, Product
from finpolicy.domains.suitability.policy import SuitabilityRules
from finpolicy.errors import InputError
from finpolicy.limits import MAX_AMOUNT, MAX_MONTHS

__all__ = ["INVALID", "CustomerColumns", "Field", "text_array", "validator"]

INVALID: Any = object()
"""A value its model refuses."""


def validator(model: type[Customer] | type[Product], name: str) -> Any:
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
            return INVALID
    return convert


class Field:
    """A customer field over the rows: per row a code into the distinct values (validated)."""

    def __init__(self, array: pa.Array | None, n: int, convert: Any) -> None:
        if array is None:
            self.codes, self.values = np.full(n, -1, np.int32), []
        else:
            self.codes, raw = distinct(array)
            self.values = [convert(v) for v in raw]
        self.bad = self._mask([v is INVALID for v in self.values])

    def _mask(self, flags: Sequence[bool]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        if not any(flags):
            return np.zeros(len(self.codes), np.bool_)
        return np.asarray(flags, np.bool_)[np.maximum(self.codes, 0)] & (self.codes >= 0)

    def lookup(self, table: Sequence[Any], missing: Any, dtype: Any) -> np.ndarray[Any, Any]:
        """``table[code]`` per row (``missing`` for a null)."""
        values = np.asarray([*table, missing], dtype=dtype)
        return values[np.where(self.codes >= 0, self.codes, len(table))]

    def each(self, function: Any, missing: Any, dtype: Any) -> np.ndarray[Any, Any]:
        return self.lookup([missing if v in (None, INVALID) else function(v)
                            for v in self.values], missing, dtype)


def _number(array: pa.Array | None, n: int, name: str, top: float, integral: bool
            ) -> tuple[Any, Any, Any]:
    """Values, presence and rows to leave to the row engine, of a numeric field."""
    exact = None if array is None or integral else decimal_floats(array)  # money's type
    if array is not None and (pa.types.is_integer(array.type) or exact is not None or (
            pa.types.is_floating(array.type) and not integral)):
        values = exact if exact is not None else \
            array.to_numpy(zero_copy_only=False).astype(np.float64)
        valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
        values = np.where(valid, values, 0.0)
        bad = valid & ~((values >= 0) & (values <= top))
        return values, valid & ~bad, bad
    field = Field(array, n, validator(Customer, name))
    return (field.each(float, 0.0, np.float64),
            field.each(lambda v: True, False, np.bool_), field.bad)


def _text(field: Field) -> Column:
    texts = [v if isinstance(v, str) else "" for v in field.values]
    codes = np.where(field.bad | (field.codes < 0), -1, field.codes)
    usable = np.asarray([isinstance(v, str) for v in field.values] or [False], np.bool_)
    codes = np.where(usable[np.maximum(codes, 0)], codes, -1)
    return Column.coded(codes, texts)


def _local_ordinal(rules: SuitabilityRules, value: Any) -> int:
    if isinstance(value, dt.datetime):
        try:
            return value.astimezone(rules.zone).date().toordinal()
        except OverflowError:  # no day in the policy's zone: after any date, so the row
            return _NO_DAY     # goes to the row engine (which says why)
    return int(value.toordinal())


_NO_DAY = dt.date.max.toordinal() + 1


_Mask = np.ndarray[Any, np.dtype[np.bool_]]
_Columns = dict[tuple[str, ...], Column]
_Getter = Callable[[str], pa.Array | None]


class CustomerColumns:
    """The customer facts of a batch's rows (``needs_row``: rows left to the row engine)."""

    def __init__(self, rules: SuitabilityRules, batch: pa.RecordBatch, prefix: str,
                 on: dt.date) -> None:
        n = batch.num_rows
        self.n = n

        def get(name: str) -> pa.Array | None:
            return column_or_none(batch, f"{prefix}{name}") if prefix else \
                column_or_none(batch, name, f"customer.{name}")

        def field(name: str) -> Field:
            return Field(get(name), n, validator(Customer, name))

        self.ids, needs = _ids(get("id"), n)
        cols: _Columns = {}
        texts = {name: field(name) for name in (
            "kind", "investor_type", "legal_capacity", "liquidity_need",
            "assessment_filled_by", "risk_level")}
        flags = {name: field(name) for name in ("guardian_consent", "assessment_in_branch")}
        # dates, and times with a zone (an assessment's), are read as arrays
        dates = {name: Field(None, n, None) if _is_date(get(name)) or (
                     name != "birth_date" and _zoned(rules, get(name)) is not None)
                 else field(name)
                 for name in ("birth_date", "assessment_date", "change_reported_at")}
        history = field("assessment_history")
        for f in (*texts.values(), *flags.values(), *dates.values(), history):
            needs |= f.bad
        # an assessment history, or a level the policy does not know: the row engine decides
        needs |= history.each(bool, False, np.bool_)
        self._profile(rules, texts, flags, needs, cols)
        self._means(get, n, texts, dates, on, needs, cols)
        self._assessment(rules, get, texts, flags, dates, on, needs, cols)
        self.columns = cols
        self.needs_row = needs

    def _profile(self, rules: SuitabilityRules, texts: dict[str, Field],
                 flags: dict[str, Field], needs: _Mask, cols: _Columns) -> None:
        """The kind, investor type, capacity and risk level columns; marks unknown levels."""
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
        self.rank, self.has_rank = rank, has_rank
        self.level = level

    def _means(self, get: _Getter, n: int, texts: dict[str, Field], dates: dict[str, Field],
               on: dt.date, needs: _Mask, cols: _Columns) -> None:
        """The age, horizon, liquidity need and assets columns; marks births after ``on`` and
        numbers out of range."""
        born, age = _birth(get("birth_date"), dates["birth_date"], on)
        needs |= born > on.toordinal()
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

    def _assessment(self, rules: SuitabilityRules, get: _Getter, texts: dict[str, Field],
                    flags: dict[str, Field], dates: dict[str, Field], on: dt.date,
                    needs: _Mask, cols: _Columns) -> None:
        """The assessment columns (after ``_profile``: they need ``has_rank``); marks dates
        after ``on``."""
        on_ordinal = on.toordinal()
        assessed = _ordinals(rules, get("assessment_date"), dates["assessment_date"])
        present = assessed >= 0
        needs |= assessed > on_ordinal
        reported = _ordinals(rules, get("change_reported_at"), dates["change_reported_at"])
        needs |= reported > on_ordinal
        days = on_ordinal - assessed
        self.days, self.present = days, present
        self.expired = days > rules.valid_days
        cols[("assessment", "present")] = Column.booleans(present & self.has_rank)
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


def _ids(ids: pa.Array | None, n: int) -> tuple[pa.Array, _Mask]:
    """The id column (all null when absent or not text) and the rows whose id is unusable.
    Ids are read as the other text cells are, trimmed; a plain id (``PLAIN_ID``) needs no
    check, any other is validated as ``Customer`` validates it (a blank one such as
    ``"\\u200b"`` goes to the row engine, which refuses it) once per distinct value."""
    needs = np.zeros(n, np.bool_)
    kind = ids.type.value_type if ids is not None and pa.types.is_dictionary(ids.type) \
        else None if ids is None else ids.type
    if ids is None or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        needs[:] = True
        return pa.nulls(n, pa.string()), needs
    ids = ids.cast(pa.string())  # pandas and polars give large or dictionary text
    plain = pc.match_substring_regex(ids, PLAIN_ID).fill_null(False)
    odd = np.flatnonzero(~np.asarray(plain.to_numpy(zero_copy_only=False), np.bool_))
    if not len(odd):
        return ids, needs
    field = Field(ids.take(pa.array(odd)), len(odd), validator(Customer, "id"))
    needs[odd] = field.bad | (field.codes < 0)
    where = np.arange(n)
    where[odd] = n + np.arange(len(odd))
    fixed = text_array(field, slice(None), ~needs[odd])
    return pa.concat_arrays([ids, fixed]).take(pa.array(where)), needs




def text_array(field: Field, rows: Any, keep: Any) -> pa.Array:
    """Each row's valid text (null where ``keep`` is false or the value is no text)."""
    texts = pa.array([v if isinstance(v, str) else None for v in field.values] + [None],
                     pa.string())
    codes = field.codes[rows]
    return texts.take(pa.array(np.where(keep & (codes >= 0), codes, len(field.values))))


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _is_date(array: pa.Array | None) -> bool:
    return array is not None and pa.types.is_date32(array.type)


def _day_numbers(array: pa.Array) -> Any:
    """Days since 1970-01-01 of a date32 array, -1 - _EPOCH_ORDINAL for a null (so that the
    ordinal is -1)."""
    days = array.cast(pa.int32()).fill_null(-1 - _EPOCH_ORDINAL)
    return days.to_numpy(zero_copy_only=False).astype(np.int64)


def _ordinals(rules: SuitabilityRules, array: pa.Array | None, field: Field) -> Any:
    """Local date ordinals of a date field (-1 where absent); dates are read as arrays,
    other values once per distinct value."""
    if _is_date(array):
        assert array is not None
        return _day_numbers(array) + _EPOCH_ORDINAL
    zoned = _zoned(rules, array)
    if zoned is not None:
        return zoned
    return field.each(lambda v: _local_ordinal(rules, v), -1, np.int64)


_MODERN = (int(dt.datetime(1901, 1, 1, tzinfo=dt.UTC).timestamp() * 1e6),
           int(dt.datetime(2038, 1, 1, tzinfo=dt.UTC).timestamp() * 1e6))


def _zoned(rules: SuitabilityRules, array: pa.Array | None) -> Any:
    """Local date ordinals (-1 where absent) of times with a zone, read as arrays in the
    policy's zone; ``None`` for any other column, or when a time falls outside 1901–2037
    (Arrow's and Python's zone rules differ after 2037: daylight saving time in New York) or
    Arrow has no zone data, whose values are then read one by one."""
    if array is None or not pa.types.is_timestamp(array.type) or array.type.tz is None:
        return None
    try:
        micros = array.cast(pa.timestamp("us", tz="UTC"))
        low, high = (v.as_py() for v in pc.min_max(micros.cast(pa.int64())).values())
        if low is not None and (low < _MODERN[0] or high >= _MODERN[1]):
            return None
        local = pc.local_timestamp(micros.cast(pa.timestamp("us", tz=rules.zone.key)))
        return _day_numbers(local.cast(pa.date32())) + _EPOCH_ORDINAL
    except pa.ArrowException:  # nanoseconds a microsecond cannot hold, no zone data
        return None


def _birth(array: pa.Array | None, field: Field, on: dt.date) -> tuple[Any, Any]:
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


def _masked_text(field: Field, keep: Any) -> Column:
    return _masked(_text(field), keep)


def _text_default(field: Field, default: str) -> Column:
    """A text field whose absence means ``default`` (a model default)."""
    texts = [v if isinstance(v, str) else default for v in field.values]
    codes = np.where(field.codes >= 0, field.codes, len(texts))
    return Column.coded(codes, [*texts, default])
