"""The columns of an access-requests table, read and validated as ``AccessRequest`` validates
them, once per distinct value (ids column-wise); and one row in the mapping form the row
engine takes, for the rows the arrays leave to it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.columnar.tables import column_or_none, distinct
from finpolicy.errors import InputError
from finpolicy.identity import canonical_id
from finpolicy.limits import MAX_ID_LENGTH, MAX_ITEMS, MAX_TERM_LENGTH

__all__ = ["PLAIN", "TIME", "Codes", "identities", "micros", "plain_only", "request_row",
           "roles", "scopes", "split_list", "terms"]

PLAIN = ("subject.id", "subject.roles", "subject.department", "subject.branch", "action",
         "purpose", "resource.type", "resource.data_level", "resource.category",
         "resource.department", "resource.branch", "as_of")
"""The columns a plain request has (anything else in a row sends it to the row engine)."""
TIME = pa.timestamp("us", tz="UTC")
_NONE = np.iinfo(np.int64).max
_SEPARATOR = "\x1f"  # joins a list's items into one key; an item holding it: row engine
# ISO times both pydantic and Arrow read alike (others go to the row engine)
_ISO = (r"^\d{4}-[01]\d-[0-3]\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
        r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")

Codes = tuple[np.ndarray[Any, np.dtype[np.int32]], list[Any]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _present(array: pa.Array) -> Mask:
    return ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)


def _bad_codes(codes: Any, flags: list[bool]) -> Mask:
    """Rows whose distinct value is flagged."""
    if not any(flags):
        return np.zeros(len(codes), np.bool_)
    out: Mask = np.asarray(flags, np.bool_)[np.maximum(codes, 0)] & (codes >= 0)
    return out


def plain_only(batch: pa.RecordBatch) -> Mask:
    """Rows holding anything a plain request has not: grants, field levels, a recipient, a
    consent decision, or a column ``AccessRequest`` does not know."""
    needs = np.zeros(batch.num_rows, np.bool_)
    for name, array in zip(batch.schema.names, batch.columns, strict=True):
        if name in PLAIN:
            continue
        kind = array.type
        if pa.types.is_map(kind):  # no list_value_length kernel for maps: their offsets
            lengths = np.diff(np.asarray(array.offsets.to_numpy(zero_copy_only=False)))
            needs |= _present(array) & (lengths > 0)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            lengths = pc.list_value_length(array).fill_null(0)
            needs |= np.asarray(lengths.to_numpy(zero_copy_only=False)) > 0
        else:
            needs |= _present(array)
    return ~needs


def terms(batch: pa.RecordBatch, name: str, n: int) -> tuple[Codes, Mask]:
    """A required vocabulary word: codes, distinct values, and rows left to the row engine
    (missing, not text, empty or too long)."""
    array = column_or_none(batch, name)
    if array is None:
        return (np.full(n, -1, np.int32), []), np.ones(n, np.bool_)
    codes, values = distinct(array)
    bad = _bad_codes(codes, [not (isinstance(v, str) and 1 <= len(v) <= MAX_TERM_LENGTH)
                             for v in values])
    return (codes, values), bad | (codes < 0)


def scopes(batch: pa.RecordBatch, names: tuple[str, ...], n: int
           ) -> tuple[list[np.ndarray[Any, np.dtype[np.int64]]], Mask]:
    """Departments or branches in canonical form as numbers shared by ``names`` (-1: none),
    and rows left to the row engine."""
    shared: dict[str, int] = {}
    out = []
    bad = np.zeros(n, np.bool_)
    for name in names:
        array = column_or_none(batch, name)
        if array is None:
            out.append(np.full(n, -1, np.int64))
            continue
        codes, values = distinct(array)
        numbers = []
        for value in values:
            if not isinstance(value, str) or len(value) > MAX_TERM_LENGTH:
                numbers.append(-2)
                continue
            canonical = canonical_id(value)
            numbers.append(shared.setdefault(canonical, len(shared)) if canonical else -1)
        table = np.asarray([*numbers, -1], np.int64)
        mapped = table[np.where(codes >= 0, codes, len(numbers))]
        bad |= mapped == -2
        out.append(mapped)
    return out, bad


def identities(batch: pa.RecordBatch, name: str, n: int) -> tuple[pa.Array, Mask]:
    """Ids in canonical form (``finpolicy.identity``) and rows left to the row engine:
    printable ASCII column-wise (lower case, spaces collapsed), other text once per value."""
    array = column_or_none(batch, name)
    if array is None or not _is_text(array.type):
        return pa.nulls(n, pa.string()), np.ones(n, np.bool_)
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    array = _rebased(array)
    lengths = np.asarray(pc.utf8_length(array).fill_null(0).to_numpy(zero_copy_only=False))
    fast = pc.and_(pc.string_is_ascii(array), pc.ascii_is_printable(array)).fill_null(False)
    lowered = pc.ascii_lower(array)
    if pc.any(pc.match_substring(lowered, "  ")).as_py():  # runs of spaces made one
        lowered = pc.replace_substring_regex(lowered, " +", " ")
    lowered = pc.utf8_trim(lowered, " ")
    slow = np.flatnonzero(~np.asarray(fast.to_numpy(zero_copy_only=False), np.bool_)
                          & _present(array))
    if len(slow):
        rows = pa.array(slow)
        codes, values = distinct(array.take(rows))
        canon = pa.array([canonical_id(v) for v in values] + [None], pa.string())
        found = canon.take(pa.array(np.where(codes >= 0, codes, len(values))))
        lowered = pc.replace_with_mask(lowered, _mask_at(n, slow), found)
    empty = np.asarray(pc.utf8_length(lowered).fill_null(0).to_numpy(zero_copy_only=False)) == 0
    return lowered, empty | (lengths > MAX_ID_LENGTH)


def _rebased(array: pa.Array) -> pa.Array:
    """``array`` (plain text) with value offsets from 0. pyarrow's ``ascii_lower`` reads the
    values of an array whose offsets start elsewhere (a cast of a slice of large text, as a
    polars frame in chunks gives) from the start of its data: other rows' bytes."""
    offsets = array.buffers()[1]
    if len(array) == 0 or offsets is None or \
            np.frombuffer(offsets, np.int32, 1, array.offset * 4)[0] == 0:
        return array
    return pa.concat_arrays([array])


def _mask_at(n: int, rows: Any) -> pa.Array:
    mask = np.zeros(n, np.bool_)
    mask[rows] = True
    return pa.array(mask)


def split_list(text: str) -> list[str]:
    """A list in a text cell: items separated by ``;``, each trimmed, empty ones dropped."""
    return [item.strip() for item in text.split(";") if item.strip()]


def _roles_of(items: list[Any]) -> tuple[str, ...] | None:
    """The distinct roles in order, or ``None`` when ``Subject`` refuses them."""
    if len(items) > MAX_ITEMS or not all(
            isinstance(r, str) and 1 <= len(r) <= MAX_TERM_LENGTH for r in items):
        return None
    return tuple(dict.fromkeys(items))


def roles(batch: pa.RecordBatch, n: int) -> tuple[np.ndarray[Any, np.dtype[np.int32]],
                                                  list[tuple[str, ...]], Mask]:
    """Each row's distinct roles as codes into role tuples (-1: none), and rows left to the
    row engine. Lists are keyed by their items joined, so each distinct list is read once."""
    array = column_or_none(batch, "subject.roles")
    if array is None:
        return np.full(n, -1, np.int32), [], np.zeros(n, np.bool_)
    bad = np.zeros(n, np.bool_)
    kind = array.type
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and _is_text(kind.value_type):
        items = array.flatten()
        if pa.types.is_dictionary(items.type):
            items = items.cast(items.type.value_type)
        # a null or empty item (which joined items would hide) or one holding the separator
        odd = pc.or_(pc.is_null(items), pc.or_(
            pc.equal(pc.utf8_length(items), 0),
            pc.match_substring(items, _SEPARATOR)).fill_null(False))
        parents = np.asarray(pc.list_parent_indices(array).to_numpy(zero_copy_only=False))
        bad[parents[np.asarray(odd.to_numpy(zero_copy_only=False), np.bool_)]] = True
        keep = pc.if_else(pa.array(bad), pa.scalar(None, array.type), array)
        codes, joined = distinct(pc.binary_join(keep.cast(pa.list_(pa.string())), _SEPARATOR))
        parsed = [_roles_of(j.split(_SEPARATOR) if j else []) for j in joined]
    elif _is_text(kind):
        codes, texts = distinct(array)
        parsed = [_roles_of(split_list(t)) for t in texts]
    else:
        return np.full(n, -1, np.int32), [], _present(array)
    bad |= _bad_codes(codes, [p is None for p in parsed])
    return codes, [p or () for p in parsed], bad


def micros(array: pa.Array | None, n: int, default: int) -> tuple[Any, Mask]:
    """UTC microseconds of the ``as_of`` cells (``default`` where empty) and the rows whose
    time the arrays do not read (left to the row engine)."""
    if array is None:
        return np.full(n, default, np.int64), np.zeros(n, np.bool_)
    present = _present(array)
    if pa.types.is_timestamp(array.type) and array.type.tz is not None:
        try:
            values = array.cast(TIME).cast(pa.int64()).fill_null(default)
        except pa.ArrowInvalid:  # nanoseconds a microsecond cannot hold: the row engine
            return np.full(n, default, np.int64), present
        return np.asarray(values.to_numpy(zero_copy_only=False)), np.zeros(n, np.bool_)
    if not _is_text(array.type):
        return np.full(n, default, np.int64), present
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    strict = pc.match_substring_regex(array, _ISO).fill_null(False)
    readable = pc.if_else(strict, array, pa.scalar(None, array.type))
    try:
        stamps = pc.cast(readable, TIME).cast(pa.int64())
    except pa.ArrowInvalid:
        return np.full(n, default, np.int64), present
    values = np.asarray(stamps.fill_null(default).to_numpy(zero_copy_only=False))
    return values, present & ~np.asarray(strict.to_numpy(zero_copy_only=False), np.bool_)


def _cell(name: str, value: Any, row: int) -> Any:
    """A cell as the request's mapping form takes it (texts in CSV cells parsed)."""
    if isinstance(value, str):
        if name == "subject.roles":
            return split_list(value)
        if name in ("grants", "resource.fields", "consent"):
            try:
                return json.loads(value)
            except ValueError:
                raise InputError.one(name, "expected JSON text (a list of grants, a mapping "
                                           "of field levels or a consent decision)",
                                     "bad_input", value).located("table", row) from None
    if name == "resource.fields" and isinstance(value, list):  # an Arrow map: key, value pairs
        return dict(value)
    if name == "grants" and isinstance(value, list):  # Arrow structs: a null field is absent
        return [_present_fields(g) for g in value]
    return _present_fields(value)


def _present_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


def _twice(path: str, name: str, row: int) -> InputError:
    """Two columns give one field (a ``subject`` structure holding an id beside a
    ``subject.id`` column): which one counts would be a guess, and the request's subject
    was whichever came last."""
    return InputError.one(name, f"`{path}` is given twice (a column `{name}` and another "
                                "column holding it): keep one", "duplicate_value",
                          path).located("table", row)


def request_row(cells: dict[str, Any], row: int, default: dt.datetime
                ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A row's cells as a request mapping (dotted names nested) and its consent decision, as
    ``finpolicy eval access`` takes them; ``as_of`` is ``default`` where the row has none."""
    data: dict[str, Any] = {}
    for name, value in cells.items():
        if value is None:
            continue
        parts = name.split(".", 2)
        target = data
        for depth, part in enumerate(parts[:-1]):
            inner = target.get(part)
            if inner is not None and not isinstance(inner, dict):
                raise _twice(".".join(parts[:depth + 1]), name, row)
            if inner is None:
                inner = target[part] = {}
            target = inner
        if parts[-1] in target:
            raise _twice(name, name, row)
        target[parts[-1]] = _cell(name, value, row)
    consent = data.pop("consent", None)
    data.setdefault("as_of", default)
    return data, consent
