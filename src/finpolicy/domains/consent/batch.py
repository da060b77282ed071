"""Campaign files: customers, consents and contacts in one file, read with their locations.

JSON lines (``.jsonl``): one record a line, ``{"customer": {...}}``, ``{"consent": {...}}`` or
``{"contact": {...}}``. JSON or YAML: a mapping with ``customers``, ``consents`` and
``contacts`` lists. Every bad record is an ``InputError`` naming the file and line (JSON
lines) or the list position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from finpolicy.domains.consent.campaign import (
    CampaignCustomer,
    CampaignReport,
    Progress,
    plan_campaign,
)
from finpolicy.domains.consent.model import Consent, ContactRecord
from finpolicy.errors import InputError, InputProblem
from finpolicy.identity import canonical_id
from finpolicy.readers import count_lines, iter_json_lines, read_document
from finpolicy.runtime import Runtime

__all__ = ["CampaignFile", "plan_file", "read_campaign"]

_KINDS: dict[str, tuple[str, type[Any]]] = {
    "customer": ("customers", CampaignCustomer),
    "consent": ("consents", Consent),
    "contact": ("contacts", ContactRecord),
}


@attrs.frozen(slots=True)
class CampaignFile:
    """The records of a campaign file (``lines``: for JSON lines, each record's line, by
    list: ``{"consents": (4, 9), ...}``)."""

    customers: tuple[CampaignCustomer, ...]
    consents: tuple[Consent, ...]
    contacts: tuple[ContactRecord, ...]
    lines: Mapping[str, tuple[int, ...]] | None = None


def _json_lines(path: str, progress: Progress) -> CampaignFile:
    out: dict[str, list[Any]] = {"customers": [], "consents": [], "contacts": []}
    lines: dict[str, list[int]] = {"customers": [], "consents": [], "contacts": []}
    listed: dict[str, str] = {}
    for number, record in progress(iter_json_lines(path)):
        if not isinstance(record, dict) or len(record) != 1 or next(iter(record)) not in _KINDS:
            raise InputError([InputProblem(
                "", 'expected one of {"customer": …}, {"consent": …}, {"contact": …}',
                "bad_input", file=path, line=number)])
        ((kind, value),) = record.items()
        bucket, model = _KINDS[kind]
        try:
            out[bucket].append(model.parse(value, field=kind))
        except InputError as exc:
            raise exc.located(path, number) from None
        lines[bucket].append(number)
        if kind == "customer":
            _once(listed, out[bucket][-1].id, f"line {number}", path, number)
    return CampaignFile(tuple(out["customers"]), tuple(out["consents"]),
                        tuple(out["contacts"]), {k: tuple(v) for k, v in lines.items()})


def _once(listed: dict[str, str], customer: str, where: str, path: str,
          line: int | None) -> None:
    """Refuse a customer listed twice: each entry is planned against the contacts before the
    campaign only, so both went out 'now', past the channel's frequency cap."""
    earlier = listed.setdefault(canonical_id(customer), where)
    if earlier != where:
        raise InputError([InputProblem("customer.id", f"customer `{customer}` is listed twice "
                                       f"({earlier} and {where}): a campaign plans each "
                                       "customer once", "duplicate_value", customer, file=path,
                                       line=line)])


def _document(path: str) -> CampaignFile:
    data = read_document(path)
    if not isinstance(data, Mapping):
        raise InputError([InputProblem("", "expected a mapping with `customers`, `consents` "
                                           "and `contacts` lists", "bad_input", file=path)])
    buckets = {bucket: model for bucket, model in _KINDS.values()}
    unknown = sorted(str(k) for k in data if k not in buckets)
    if unknown:
        raise InputError([InputProblem(unknown[0], "unknown key, expected customers, consents "
                                                   "or contacts", "unknown_key", file=path)])
    parsed: dict[str, list[Any]] = {}
    for bucket, model in buckets.items():
        values = data.get(bucket) or []
        if not isinstance(values, list):
            raise InputError([InputProblem(bucket, "expected a list", "bad_input", file=path)])
        try:
            parsed[bucket] = [model.parse(v, field=f"{bucket}.{i}")
                              for i, v in enumerate(values)]
        except InputError as exc:
            raise exc.located(path, None) from None
    listed: dict[str, str] = {}
    for i, customer in enumerate(parsed["customers"]):
        _once(listed, customer.id, f"customers.{i}", path, None)
    return CampaignFile(tuple(parsed["customers"]), tuple(parsed["consents"]),
                        tuple(parsed["contacts"]))


def read_campaign(path: str, *, progress: Progress = lambda rows: rows) -> CampaignFile:
    """The customers, consents and contacts of a campaign file (see the module docstring)."""
    if path.lower().endswith(".jsonl"):  # as the other readers take a suffix in any case
        return _json_lines(path, progress)
    return _document(path)


def plan_file(runtime: Runtime, path: str, *, channels: Sequence[str] = (),
              purpose: str = "marketing", as_of: dt.datetime | None = None,
              data_levels: Sequence[str] = (), categories: Sequence[str] = (),
              personalised: bool = False, reading: Progress = lambda rows: rows,
              deciding: Progress = lambda rows: rows) -> CampaignReport:
    """Read a campaign file and plan it (``plan_campaign``); ``reading`` and ``deciding``
    wrap the record and customer iterators (progress bars, say)."""
    records = read_campaign(path, progress=reading)
    try:
        return plan_campaign(runtime, records.customers, consents=records.consents,
                             contacts=records.contacts, purpose=purpose, channels=channels,
                             data_levels=data_levels, categories=categories,
                             personalised=personalised, as_of=as_of, progress=deciding)
    except InputError as exc:
        raise _in_file(exc, path, records.lines) from None


_SINGULAR = {"customers": "customer", "consents": "consent", "contacts": "contact"}


def _in_file(exc: InputError, path: str, lines: Mapping[str, tuple[int, ...]] | None
             ) -> InputError:
    """A planning error about a record (``consents.3.channels``: a channel the policy does
    not know) located at the file, and for JSON lines at the record's line, named as its
    reading errors are (``consent.channels``); an option's error (``purpose``) is kept."""
    problems = []
    for p in exc.problems:
        bucket, _, rest = p.path.partition(".")
        index, _, tail = rest.partition(".")
        if p.file is not None or bucket not in _SINGULAR or not index.isdecimal():
            problems.append(p)
        elif lines is None or int(index) >= len(lines[bucket]):
            problems.append(attrs.evolve(p, file=path))
        else:
            kind = _SINGULAR[bucket]
            problems.append(attrs.evolve(p, path=f"{kind}.{tail}" if tail else kind,
                                         file=path, line=lines[bucket][int(index)]))
    return InputError(problems, model=exc.model)


def file_lines(path: str) -> int | None:
    """The number of lines of a JSON-lines file (for a progress bar), else ``None``."""
    return count_lines(path) if path.lower().endswith(".jsonl") else None
