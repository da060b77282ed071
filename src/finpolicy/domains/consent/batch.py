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

from finpolicy.columnar.rejected import reject_record
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


def _json_lines(path: str, progress: Progress,
                held: _Held | None = None) -> CampaignFile:
    out: dict[str, list[Any]] = {"customers": [], "consents": [], "contacts": []}
    lines: dict[str, list[int]] = {"customers": [], "consents": [], "contacts": []}
    listed: dict[str, str] = {}
    for number, record in progress(iter_json_lines(path)):
        try:
            kind, item = _record(path, number, record)
            if kind == "customer":
                _once(listed, item.id, f"line {number}", path, number)
        except InputError as exc:
            if held is None:
                raise
            held.refuse(number, record, exc)
            continue
        bucket = _KINDS[kind][0]
        out[bucket].append(item)
        lines[bucket].append(number)
    records = CampaignFile(tuple(out["customers"]), tuple(out["consents"]),
                           tuple(out["contacts"]), {k: tuple(v) for k, v in lines.items()})
    return records if held is None else held.without_refused(records)


def _record(path: str, number: int, record: Any) -> tuple[str, Any]:
    """The kind and the parsed record of a line (its error located at the line)."""
    if not isinstance(record, dict) or len(record) != 1 or next(iter(record)) not in _KINDS:
        raise InputError([InputProblem(
            "", 'expected one of {"customer": …}, {"consent": …}, {"contact": …}',
            "bad_input", file=path, line=number)])
    ((kind, value),) = record.items()
    try:
        return kind, _KINDS[kind][1].parse(value, field=kind)
    except InputError as exc:
        raise exc.located(path, number) from None


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
    try:
        data = read_document(path)
    except InputError as exc:
        if not path.lower().endswith(".json") or "Extra data" not in str(exc):
            raise
        raise InputError([attrs.evolve(p, message=f"{p.message} (one record a line is JSON "
                                       "lines: name the file .jsonl)")
                          for p in exc.problems], model=exc.model) from None
    if not isinstance(data, Mapping):
        raise InputError([InputProblem("", "expected a mapping with `customers`, `consents` "
                                           "and `contacts` lists (a campaign file is JSON or "
                                           "YAML, or JSON lines named .jsonl)", "bad_input",
                                       file=path)])
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


def read_campaign(path: str, *, progress: Progress = lambda rows: rows,
                  rejects: list[dict[str, Any]] | None = None) -> CampaignFile:
    """The customers, consents and contacts of a campaign file (see the module docstring);
    with ``rejects``, the records refused are set aside there (see ``_Held``)."""
    return _read(path, progress, None if rejects is None else _Held(path, rejects))


def _read(path: str, progress: Progress, held: _Held | None) -> CampaignFile:
    if path.lower().endswith(".jsonl"):  # as the other readers take a suffix in any case
        return _json_lines(path, progress, held)
    if held is not None:
        raise InputError.one("bad_rows", "setting bad records aside needs a JSON-lines "
                             "campaign file (.jsonl), whose records have lines to name",
                             "bad_option", path)
    return _document(path)


def plan_file(runtime: Runtime, path: str, *, channels: Sequence[str] = (),
              purpose: str = "marketing", as_of: dt.datetime | None = None,
              data_levels: Sequence[str] = (), categories: Sequence[str] = (),
              personalised: bool = False, reading: Progress = lambda rows: rows,
              deciding: Progress = lambda rows: rows,
              rejects: list[dict[str, Any]] | None = None) -> CampaignReport:
    """Read a campaign file and plan it (``plan_campaign``); ``reading`` and ``deciding``
    wrap the record and customer iterators (progress bars, say). With ``rejects`` (a JSON
    lines file), the records refused are set aside there, with the customers they concern,
    and the other customers planned (``_Held``)."""
    held = None if rejects is None else _Held(path, rejects)
    records = _read(path, reading, held)
    while True:
        try:
            return plan_campaign(runtime, records.customers, consents=records.consents,
                                 contacts=records.contacts, purpose=purpose,
                                 channels=channels, data_levels=data_levels,
                                 categories=categories, personalised=personalised,
                                 as_of=as_of, progress=deciding)
        except InputError as exc:
            error = _in_file(exc, path, records.lines)
            if held is None or not held.refuse_planned(records, exc, error):
                raise error from None
            records = held.without_refused(records)


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


@attrs.define
class _Held:
    """Records set aside (``rejects``, ``columnar.rejected.reject_record`` at their lines).

    A customer record refused is set aside alone. A consent or contact record refused is
    set aside with the customer it names, and every other record of that customer: planned
    without a withdrawal or an earlier contact, the customer could be contacted against
    their will or past a frequency cap. A record that names no customer (not a customer,
    consent or contact, or one without a readable customer) may be any customer's: it stops
    the campaign, as by default. Access fails closed; so does contact.
    """

    path: str
    rejects: list[dict[str, Any]]
    customers: dict[str, int] = attrs.field(factory=dict)  # canonical id -> the line refused

    def refuse(self, line: int, record: Any, exc: InputError) -> None:
        """Set the record at ``line`` aside for ``exc`` (raise ``exc`` when it names no
        customer)."""
        kind, value = next(iter(record.items())) if isinstance(record, dict) and \
            len(record) == 1 else (None, None)
        field = "id" if kind == "customer" else "customer"
        who = value.get(field) if isinstance(value, dict) and kind in _KINDS else None
        named = isinstance(who, str) and bool(canonical_id(who))
        if kind not in _KINDS or (kind != "customer" and not named):
            raise exc
        self.rejects.append(reject_record(self.path, line, who if named else None,
                                          exc.problems))
        if kind != "customer":
            self.customers.setdefault(canonical_id(str(who)), line)

    def refuse_planned(self, records: CampaignFile, exc: InputError,
                       error: InputError) -> bool:
        """Set aside the records a planning error names; ``False`` when a problem names no
        record (an option's error, or a document without lines)."""
        lines = records.lines
        if lines is None:
            return False
        found: list[tuple[str, int, InputProblem]] = []
        for raw, located in zip(exc.problems, error.problems, strict=True):
            bucket, _, rest = raw.path.partition(".")
            number = rest.partition(".")[0]
            if raw.file is not None or bucket not in _SINGULAR or not number.isdecimal() \
                    or int(number) >= len(lines[bucket]):
                return False
            found.append((bucket, int(number), located))
        for bucket, index, located in found:
            item = getattr(records, bucket)[index]
            who = item.id if bucket == "customers" else item.customer
            line = lines[bucket][index]
            self.rejects.append(reject_record(self.path, line, who,
                                              [attrs.evolve(located, file=None, line=None)]))
            self.customers.setdefault(who, line)
        return True

    def without_refused(self, records: CampaignFile) -> CampaignFile:
        """``records`` without the records set aside and the customers' they concern."""
        assert records.lines is not None
        done = {(r["file"], r["row"]) for r in self.rejects}
        kept: dict[str, list[Any]] = {}
        lines: dict[str, list[int]] = {}
        for bucket in ("customers", "consents", "contacts"):
            kept[bucket], lines[bucket] = [], []
            for item, line in zip(getattr(records, bucket), records.lines[bucket],
                                  strict=True):
                who = item.id if bucket == "customers" else item.customer
                if (self.path, line) in done:
                    continue
                if who in self.customers:
                    if bucket == "customers":
                        self._with_record(line, who)
                    continue
                kept[bucket].append(item)
                lines[bucket].append(line)
        return CampaignFile(tuple(kept["customers"]), tuple(kept["consents"]),
                            tuple(kept["contacts"]), {k: tuple(v) for k, v in lines.items()})

    def _with_record(self, line: int, who: str) -> None:
        self.rejects.append(reject_record(self.path, line, who, [InputProblem(
            "customer", f"set aside with the record at line {self.customers[who]}, which "
            "was refused: planned without it, the customer might be contacted against a "
            "withdrawal or past a frequency cap", "set_aside_with_record", who)]))


def file_lines(path: str) -> int | None:
    """The number of lines of a JSON-lines file (for a progress bar), else ``None``."""
    return count_lines(path) if path.lower().endswith(".jsonl") else None
