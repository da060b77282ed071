"""Access requests over tables: one request per row in, one decision per row out, exactly
``authorize``'s decisions.

Columns (named by the fields of ``AccessRequest``, nested fields dotted):

- ``subject.id`` (required), ``subject.roles`` (an Arrow list of texts, or one text with the
  roles separated by ``;``), ``subject.department``, ``subject.branch``;
- ``action``, ``purpose``, ``resource.type``, ``resource.data_level``, ``resource.category``
  (all required), ``resource.department``, ``resource.branch``;
- ``as_of``: a timestamp with a time zone, or ISO text with an offset; empty cells take the
  table's ``as_of`` (the call's, or the time the call started);
- and, for the rows that have them: ``grants`` (an Arrow list of grant structs, or JSON
  text), ``resource.fields`` (an Arrow map or struct, JSON text, or one
  ``resource.fields.<name>`` column per field), ``recipient``, and the consent decision
  attached to a request whose data leaves the bank (``consent.outcome``, ``consent.as_of``,
  ``consent.recipient``, ``consent.input_digest``, or ``consent`` as JSON text).

Text cells are taken as they are (a role ``"teller "`` is not ``teller``); empty CSV cells are
absent. Any other column is an error of the row engine, at the first row holding a value.

A *plain* request (no grants, field levels, recipient or consent) is decided by the policy in
force on its day (in the policy's time zone) and a few of its values: its roles, action,
purpose, resource type, level, category and whether subject and resource share a branch and
a department (the key of the row engine's own memo). These are read column-wise (ids
compared in canonical form, each distinct value validated once), the fact of each distinct
key derived once by ``access_fact``, the access rule set run over those facts as array
expressions, and deny overrides combined once per distinct set of hits; each row then takes
its key's decision.
Every other row (grants, field levels, a recipient, a consent decision, an invalid or unknown
value, a time the arrays do not read, a day next to a change of policy, and every row while
observers watch the engine) is decided by ``authorize`` itself, one by one: the table gets
exactly the row engine's decisions, or its error located at the row. Access fails closed on
both paths alike.

The decisions table holds the fields of ``AccessDecision`` (``SCHEMA``): the input digest is
not computed here (the row API gives it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from finpolicy.columnar.decisions import list_column
from finpolicy.columnar.rejects import RowErrors
from finpolicy.columnar.tables import column_or_none, first_and_inverse, without_key
from finpolicy.columnar.workdays import to_micros
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.columnar_facts import (
    Key,
    Result,
    decide_keys,
    reads_type,
    result_codes,
)
from finpolicy.domains.access.columnar_in import (
    TIME,
    identities,
    micros,
    plain_only,
    request_row,
    roles,
    scopes,
    terms,
)
from finpolicy.domains.access.columnar_review import prepare_review, records
from finpolicy.domains.access.directory import AssignmentDirectory, RoleDirectory, as_directory
from finpolicy.domains.access.evaluation import authorize
from finpolicy.domains.access.model import AccessRequest, AttachedConsent, RoleAssignment
from finpolicy.domains.access.spec import POLICY_KIND
from finpolicy.errors import FinpolicyError, InputError, NotInForceError
from finpolicy.runtime import Runtime

__all__ = ["SCHEMA", "decide_batch", "prepare"]

_WORD = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema([
    ("subject_id", pa.string()), ("outcome", _WORD), ("allowed", pa.bool_()),
    ("rule_ids", pa.list_(_WORD)), ("reasons", pa.list_(_WORD)),
    ("obligations", pa.list_(_WORD)), ("grant_id", pa.string()),
    ("grant_failures", pa.list_(pa.string())), ("masked_fields", pa.list_(pa.string())),
    ("consent_decision", pa.string()), ("as_of", TIME), ("policy_id", _WORD),
    ("policy_version", _WORD),
])
"""The decisions table: one row per request, the fields of ``AccessDecision`` (``reasons``:
the reason of each hit; ``subject_id`` in canonical form)."""

_KEY_WORDS = ("action", "purpose", "resource.type", "resource.data_level", "resource.category")
_DAY_US = 86_400_000_000


def _documents(runtime: Runtime, at: Any, policy: str | None
               ) -> tuple[list[PolicyDocument[Any]], np.ndarray[Any, np.dtype[np.int32]]]:
    """The policy of each row (an index into the list; -1: left to the row engine): the one
    in force the UTC day before, on and after its time, since the row engine takes its day in
    the policy's time zone (``days.policy_day``)."""
    days = np.floor_divide(at, _DAY_US)
    first, inverse = first_and_inverse(days)
    distinct = days[first]
    docs: list[PolicyDocument[Any]] = []
    index = []
    epoch = dt.date(1970, 1, 1)
    for day in distinct.tolist():
        try:
            date = epoch + dt.timedelta(days=day)
            found = [runtime.policy(POLICY_KIND, date + dt.timedelta(days=k), policy)
                     for k in (-1, 0, 1)]
        except (FinpolicyError, OverflowError):
            index.append(-1)
            continue
        if not found[0] is found[1] is found[2]:
            index.append(-1)
            continue
        if not any(d is found[0] for d in docs):
            docs.append(found[0])
        index.append(next(i for i, d in enumerate(docs) if d is found[0]))
    return docs, np.asarray(index or [-1], np.int32)[inverse.reshape(-1)]


def _keys(columns: list[Any], sizes: list[int]) -> tuple[Any, Any]:
    """The first row of each distinct combination of the coded columns and each row's
    combination (re-coded on the way when the product of the sizes grows large)."""
    key = np.zeros(len(columns[0]), np.int64)
    space = 1
    for column, size in zip(columns, sizes, strict=True):
        if space * (size + 1) >= 1 << 62:
            first, dense = first_and_inverse(key)
            key, space = dense.astype(np.int64), len(first)
        key = key * (size + 1) + (column.astype(np.int64) + 1)
        space *= size + 1
    return first_and_inverse(key, space)


class _Columns:
    """What the arrays read of a batch: key codes per row and the rows they cannot decide."""

    def __init__(self, runtime: Runtime, batch: pa.RecordBatch, default: dt.datetime,
                 policy: str | None) -> None:
        n = batch.num_rows
        needs = ~plain_only(batch)
        if getattr(runtime, "observed", True):  # observers see every decision: row engine
            needs[:] = True
        self.ids, bad = identities(batch, "subject.id", n)
        needs |= bad
        self.role_codes, self.role_sets, bad = roles(batch, n)
        needs |= bad
        self.words = []
        for name in _KEY_WORDS:
            found, bad = terms(batch, name, n)
            self.words.append(found)
            needs |= bad
        departments, bad = scopes(batch, ("subject.department", "resource.department"), n)
        needs |= bad
        branches, bad = scopes(batch, ("subject.branch", "resource.branch"), n)
        needs |= bad
        self.same_department = (departments[0] >= 0) & (departments[0] == departments[1])
        self.same_branch = (branches[0] >= 0) & (branches[0] == branches[1])
        self.at, bad = micros(column_or_none(batch, "as_of"), n, to_micros(default))
        needs |= bad
        self.docs, self.doc_codes = _documents(runtime, self.at, policy)
        self.needs = needs | (self.doc_codes < 0)

    def keys(self, rows: Any, with_type: bool) -> tuple[list[tuple[int, Key]], Any]:
        """The distinct ``(policy, key)`` of ``rows`` and each row's."""
        words = [codes[rows] for codes, _ in self.words]
        if not with_type:
            words[2] = np.zeros(len(rows), np.int32)
        first, inverse = _keys(
            [self.role_codes[rows], *words, self.same_branch[rows],
             self.same_department[rows], self.doc_codes[rows]],
            [len(self.role_sets), *(len(v) for _, v in self.words), 2, 2, len(self.docs)])
        out = []
        for row in rows[first].tolist():
            code = self.role_codes[row]
            action, purpose, kind, level, category = (
                values[codes[row]] for codes, values in self.words)
            out.append((int(self.doc_codes[row]), (
                self.role_sets[code] if code >= 0 else (), action, purpose,
                kind if with_type else None, level, category, bool(self.same_branch[row]),
                bool(self.same_department[row]))))
        return out, inverse


def _words(values: list[str], which: Any) -> pa.Array:
    texts = sorted(set(values))
    codes = np.asarray([texts.index(v) for v in values] or [0], np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes[which]), pa.array(texts, pa.string()))


def _empty_lists(n: int) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)),
                                    pa.array([], pa.string()))


def _assemble(c: _Columns, rows: Any, results: list[Result], which: Any) -> pa.Table:
    """The decisions of ``rows`` (each with the result ``which``)."""
    n = len(rows)
    doc_codes = c.doc_codes[rows]
    allowed = np.asarray([r[1] for r in results] or [False], np.bool_)
    return pa.Table.from_arrays([
        c.ids.take(pa.array(rows)), _words([r[0] for r in results], which),
        pa.array(allowed[which] if n else np.zeros(0, np.bool_)),
        list_column([[h.rule_id for h in r[2]] for r in results], which),
        list_column([[h.reason for h in r[2]] for r in results], which),
        list_column([list(r[3]) for r in results], which), pa.nulls(n, pa.string()),
        _empty_lists(n), _empty_lists(n), pa.nulls(n, pa.string()),
        pa.array(c.at[rows], pa.int64()).cast(TIME),
        pa.DictionaryArray.from_arrays(pa.array(doc_codes), pa.array(
            [d.id for d in c.docs], pa.string())),
        pa.DictionaryArray.from_arrays(pa.array(doc_codes), pa.array(
            [d.version for d in c.docs], pa.string())),
    ], schema=SCHEMA)


def _row_table(runtime: Runtime, batch: pa.RecordBatch, rows: Any, default: dt.datetime,
               policy: str | None, directory: RoleDirectory | None,
               first_row: int) -> pa.Table:
    """The decisions of ``rows`` by ``authorize``, one by one (its error located at the
    row)."""
    out = []
    errors = RowErrors()  # (every bad row named at once while bad rows are set aside)
    cells = batch.take(pa.array(rows)).to_pylist()
    for i, row_cells in zip(rows.tolist(), cells, strict=True):
        line = first_row + i + 1
        try:
            data, consent = request_row(row_cells, line, default)
            request = AccessRequest.parse(data)
            attached = None if consent is None else AttachedConsent.parse(consent,
                                                                         field="consent")
            d = authorize(runtime, request, policy=policy, consent=attached,
                          directory=directory)
        except InputError as exc:
            errors.add(exc if any(p.line is not None for p in exc.problems)
                       else exc.located("table", line))
            continue
        except NotInForceError as exc:  # the row's own as_of: an error of the row
            errors.add(InputError.one("as_of", str(exc), "not_in_force",
                                      row_cells.get("as_of")).located("table", line))
            continue
        out.append({"subject_id": request.subject.id, "outcome": d.outcome,
                    "allowed": d.allowed, "rule_ids": [h.rule_id for h in d.hits],
                    "reasons": [h.reason for h in d.hits], "obligations": list(d.obligations),
                    "grant_id": d.grant_id, "grant_failures": list(d.grant_failures),
                    "masked_fields": list(d.masked_fields),
                    "consent_decision": d.consent_decision, "as_of": d.as_of,
                    "policy_id": d.policy.id, "policy_version": d.policy.version})
    errors.check()
    return pa.Table.from_pylist(out, schema=SCHEMA)


def decide_batch(runtime: Runtime, batch: pa.RecordBatch, *, default: dt.datetime,
                 policy: str | None = None, directory: RoleDirectory | None = None,
                 first_row: int = 0) -> pa.Table:
    """The decisions of one batch of requests, in row order (``default``: the time of rows
    without ``as_of``; ``directory`` confirms the approvers of grants).

    Raises:
        InputError: the row engine's error for the first row it refuses, located at its row
            (``first_row`` + index, counting from 1).
    """
    if batch.num_rows == 0:
        return SCHEMA.empty_table()
    c = _Columns(runtime, batch, default, policy)
    keep = np.flatnonzero(~c.needs)
    with_type = any(reads_type(runtime, doc) for doc in c.docs)
    keys, inverse = c.keys(keep, with_type) if len(keep) else ([], np.zeros(0, np.intp))
    results, key_result = result_codes(decide_keys(runtime, c.docs, keys))
    which = key_result[inverse]
    decided = which >= 0
    keep, which = keep[decided], which[decided]
    decided_rows = np.zeros(batch.num_rows, np.bool_)
    decided_rows[keep] = True
    slow = np.flatnonzero(~decided_rows)
    table = _assemble(c, keep, results, which)
    if not len(slow):
        return table
    # the row engine's rows first, in row order, so its first error is the first row's
    extra = _row_table(runtime, batch, slow, default, policy, directory, first_row)
    order = np.argsort(np.concatenate([keep, slow]), kind="stable")
    return pa.concat_tables([table, extra]).take(pa.array(order))


def _time(value: Any) -> dt.datetime:
    """The table's ``as_of``: an aware datetime (a bare date is its midnight UTC)."""
    from finpolicy.domains.access.review import review_time

    at = review_time(value)
    if at is None:
        return dt.datetime.now(dt.UTC)
    if at.utcoffset() is None:
        raise InputError.one("as_of", "expected a datetime with a time zone offset",
                             "naive_datetime", value)
    return at


def _directory(source: Any) -> RoleDirectory | None:
    """The role directory of a table call: a file's bad row is an error at its file and line
    (``roles.csv line 6``), as a review's assignments file's is, not at ``directory.4``."""
    if isinstance(source, str | Path):
        from finpolicy.domains.access.review_tables import table_rows

        return AssignmentDirectory(table_rows(str(source), RoleAssignment))
    return as_directory(records(source))


def prepare(runtime: Runtime, /, *, as_of: Any = None, policy: str | None = None,
            directory: Any = None, what: str = "requests", assignments: Any = None,
            usage: Any = None, key: str | None = None) -> Any:
    """The chunk evaluator of the batch API.

    Args:
        runtime: the engine's runtime.
        as_of: the time of the rows without one (an aware datetime, ISO text with an offset,
            or a date: its midnight UTC); the time of the call when absent. For a review,
            the review time.
        policy: an access policy id, when the bundle has several.
        directory: the role directory that confirms the approvers of grants, as
            ``authorize`` takes it (a ``RoleDirectory`` or a list of role assignments), or a
            table source of role assignments (one per row); ``PolicyEngine`` passes its own
            when none is given; without one no grant of a request counts (a review verifies
            approvers against its ``assignments``).
        what: ``"requests"`` (one decision per request) or ``"review"`` (the source is a
            table of grants, the result one row per finding: ``columnar_review``).
        assignments: for a review, the role assignments reviewed (a list or a table source).
        usage: for a review, the usage records of the grants (a list or a table source).
        key: for requests, a column that is no field of a request (a request id), copied
            unchanged as the first column of the decisions to join them back to their rows
            where row order is not kept, as with Spark.
    """
    default = _time(as_of)
    roles_directory = _directory(directory)
    if what == "review" and key is not None:  # findings name their grant_id already
        raise InputError.one("key", "a review's findings name their grant (grant_id); `key` "
                                    "goes with requests", "bad_input", key)
    if what == "review":
        return prepare_review(runtime, default, policy, assignments, usage, roles_directory)
    if what != "requests":
        raise InputError.one("what", f"expected `requests` or `review`, got `{what}`",
                             "bad_input", what)
    if assignments is not None or usage is not None:
        raise InputError.one("assignments" if assignments is not None else "usage",
                             "only a review (`what=\"review\"`) reads assignments and usage; "
                             "a request's approvers are confirmed by `directory`", "bad_input")

    if key is not None and not isinstance(key, str):
        raise InputError.one("key", f"expected a column name, got {type(key).__name__}",
                             "bad_table", key)

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        kept = None
        if key is not None:
            kept, batch = without_key(batch, key, SCHEMA.names)
        table = decide_batch(runtime, batch, default=default, policy=policy,
                             directory=roles_directory, first_row=first_row)
        return table if kept is None else table.add_column(0, key, kept)
    return evaluate
