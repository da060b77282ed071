"""Finding the entries of a decision log that hold a value: a customer's id, a card number, a
clerk's id — what an auditor asks for first ("why was this customer sold that product?").

The log does not hold a masked value, only its keyed hash (HMAC under the sealing secret), so a
search needs the sealing secret: each value sought is hashed and compared with the entries'
hashes. A value an entry shows in clear (one no rule masks, or the caller context's user) is
compared as text. A number is found however it is written (``500000``, ``500000.0``), as the
log hashes the number it was given.

Like replay, a search reads records without checking their hashes: ``verify_log`` first.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from finpolicy.audit.calls import parse_as_of
from finpolicy.audit.encode import exact_dumps
from finpolicy.audit.errors import AuditError
from finpolicy.audit.keys import AuditKeys, checked_keys
from finpolicy.audit.replay import Entry, entries_holding
from finpolicy.audit.retention import as_day
from finpolicy.audit.sinks import Sink, open_sink
from finpolicy.domains.detectors import bank_card, cn_resident_id
from finpolicy.domains.registry import names
from finpolicy.identity import canonical_id

__all__ = ["Found", "Place", "decision_places", "find_entries"]

_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_RESIDENT_ID = re.compile(r"[0-9]{17}[xX]")
_SEPARATORS = re.compile(r"[ -]")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")


@attrs.frozen(slots=True)
class Place:
    """Where an entry holds a value sought: ``input.customer.id``, ``context.user`` …, and the
    level the log masked it at (``None``: shown in clear)."""

    value: str
    path: str
    level: str | None


@attrs.frozen(slots=True)
class Found:
    """An entry that holds every value sought, and where it holds them."""

    entry: Entry
    places: tuple[Place, ...]

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"entry": e.seq, "at": e.at, "domain": e.domain, "method": e.method,
                "as_of": e.as_of, "bundle": e.env.get("bundle"), "context": e.context,
                "places": [attrs.asdict(p) for p in self.places],
                "decisions": e.decisions, "decided_for": decision_places(e)}


def spellings(value: str) -> frozenset[str]:
    """The texts the log may have hashed for ``value``: itself, a number's JSON forms, and
    a card or resident ID number however it is usually written (``identifier_spellings``)."""
    found = {value, *identifier_spellings(value)}
    if _NUMBER.fullmatch(value):
        number = float(value)
        if not math.isfinite(number):  # digits beyond a float's range: only as written
            return frozenset(found)
        found.add(exact_dumps(number).decode())
        if number.is_integer() and abs(number) < 2**63:
            found.add(str(int(number)))
    return frozenset(found)


def identifier_spellings(value: str) -> set[str]:
    """A card, resident ID or mobile number as an input may hold it: whole, in groups of four
    (a card), of six, eight and four digits (an ID) or of three, four and four (a mobile,
    also after +86, 0086 or 86) with spaces or hyphens, and an ID's check character ``X`` in
    either case. The log hashes a value as it was given, so each form the customer's number
    came in under is sought. Empty for any other value."""
    compact = _SEPARATORS.sub("", value)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        m = mobile.group(1)
        return {f"{prefix}{sep.join((m[:3], m[3:7], m[7:]))}" for sep in ("", " ", "-")
                for prefix in ("", "+86", "+86 ", "+86-", "0086", "86")}
    if _RESIDENT_ID.fullmatch(compact) or (compact.isdigit() and cn_resident_id(compact)):
        ids = {compact[:-1] + "X", compact[:-1] + "x"} if compact[-1] in "xX" else {compact}
        return {sep.join((i[:6], i[6:14], i[14:])) for i in ids for sep in ("", " ", "-")}
    if compact.isdigit() and bank_card(compact):
        groups = [compact[i:i + 4] for i in range(0, len(compact), 4)]
        return {sep.join(groups) for sep in ("", " ", "-")}
    return set()


def find_entries(target: str | os.PathLike[str] | Sink, keys: AuditKeys | None,
                 values: Sequence[str] = (), *, rules: Sequence[str] = (),
                 domain: str | None = None, since: dt.date | str | None = None,
                 until: dt.date | str | None = None, as_of_from: dt.date | str | None = None,
                 as_of_to: dt.date | str | None = None) -> Iterator[Found]:
    """The decision entries of a log that hold every one of ``values`` and were decided by
    every one of ``rules``, in order.

    Args:
        target: the log (a folder, an SQLite file, a ``postgresql://`` URL or a ``Sink``).
        keys: keys with the sealing secret (masked values are found by their keyed hash);
            ``None`` (or keys without the secret) when no value is sought.
        values: the values sought, as text; an entry must hold all of them.
        rules: rule ids (``above-tolerance``); an entry must hold a decision that each one
            decided (a hit of the decision, anywhere in it).
        domain: only entries of this domain: one installed here, or one the log's entries
            name (a plug-in's, not installed where the log is read).
        since, until: only entries written on or after, on or before, these days (UTC): a
            date, an aware datetime (its UTC day) or ISO text.
        as_of_from, as_of_to: as ``since``, ``until``, by the day of the entry's ``as_of``
            (a time's at its own offset), whenever it was written (``as_of_day``).

    Raises:
        AuditError: nothing to find (no value, rule, domain nor day), a blank value or rule,
            values sought with keys that are no ``AuditKeys`` or lack the sealing secret, a
            domain neither installed nor in the log, a day that is none, or a record that
            cannot be read.
    """
    wanted, ruled, days = _criteria(keys, values, rules, domain,
                                    (since, until, as_of_from, as_of_to))
    if domain is not None:  # a typo would find nothing, silently: refused
        check_domain(target, domain)
    # an id's canonical form too: the inputs keep a subject's id, a grant's people and a
    # consent's customer so (`U-HEAD-7` as `u-head-7`), and the log hashed that
    texts = {value: spellings(value) | {canonical_id(value)} - {""} for value in wanted}
    sealed = keys if wanted else None
    hashes = {} if sealed is None else {sealed.keyed_hash(t): value
                                        for value, forms in texts.items() for t in forms}
    clear = {t: value for value, forms in texts.items() for t in forms}
    needles = [found for value in wanted
               if sealed is not None and (found := _needles(value, texts[value], sealed))
               is not None]
    needles += [_Needles((b'"' + r.encode() + b'"',)) for r in ruled if _plain(r)]
    checked = sealed is None

    def holds(body: bytes) -> bool:  # until the keys are checked, every entry is read
        return not checked or all(group.held(body) for group in needles)

    for entry in entries_holding(target, holds if needles else None):
        if not checked and (entry.sealing is not None or entry.sealed is not None):
            assert sealed is not None
            _check_keys(entry, sealed)
            checked = True
        if (domain is not None and entry.domain != domain) or not days.admit(entry):
            continue
        places = _places(entry, hashes, clear)
        decided = _rule_places(entry, set(ruled))
        if {p.value for p in places} >= set(wanted) and {p.value for p in decided} >= set(ruled):
            yield Found(entry, places + decided)


def check_domain(target: str | os.PathLike[str] | Sink, domain: str) -> None:
    """Refuse a domain that is neither installed here nor named by an entry of the log (a
    typo, which would find nothing); a plug-in's domain not installed where the log is read
    is accepted when its entries are there.

    Raises:
        AuditError: naming the domains installed and those the log's entries name.
    """
    problem = unknown_domain(target, domain)
    if problem is not None:
        raise AuditError(f"domain: {problem}")


def unknown_domain(target: str | os.PathLike[str] | Sink, domain: str) -> str | None:
    """What is wrong with ``domain`` (``check_domain``), or ``None``: it is installed, or
    the log's entries name it."""
    if domain in names():
        return None
    needle = b'"domain":' + exact_dumps(domain)
    if any(e.domain == domain for e in entries_holding(target, lambda body: needle in body)):
        return None
    logged = {e.domain for e in entries_holding(target, None)}  # however the record spells it
    if domain in logged:
        return None
    return (f"`{domain}` is no domain; expected one of {', '.join(sorted({*names(), *logged}))}"
            " (the domains installed here and those the log's entries name)")


# calls whose decisions come sorted by outcome, each outcome's in the order of their items
# (``suitable_products``: suitable first, then conditional, then unsuitable)
_BY_OUTCOME = frozenset({("suitability", "suitable_products")})


def decision_places(entry: Entry) -> list[tuple[str, ...]] | None:
    """The input places (``products.1``) each of an entry's decisions may concern, when it
    made one per item of an input list (``suitable_products``: one per product); ``None``
    for any other entry. A decision is matched to the items whose id the log shows as the
    decision shows its own (``product_id``), to the places its rank among the decisions of its
    outcome allows, and to none another decision surely concerns: one place when that tells,
    several when the log cannot (ids masked alike, outcomes that differ)."""
    count = len(entry.decisions)
    lists = [k for k, v in entry.input.items() if isinstance(v, list) and len(v) == count] \
        if isinstance(entry.input, dict) and count > 1 else []
    if len(lists) != 1:
        return None
    key, outcomes = lists[0], [_field(d, "outcome") for d in entry.decisions]
    items, name = entry.input[key], f"{key.removesuffix('s')}_id"
    found: list[set[int]] = []
    for at, decision in enumerate(entry.decisions):
        places = set(range(count))
        if (entry.domain, entry.method) in _BY_OUTCOME:
            alike = [k for k in range(count) if outcomes[k] == outcomes[at]]
            rank = alike.index(at)
            places = set(range(rank, count - len(alike) + rank + 1))
        shown = _field(decision, name)
        same = {i for i in places if shown is not None and _field(items[i], "id") == shown}
        found.append(same or places)
    while True:  # each item has one decision: one a decision surely concerns is no other's
        sure = {next(iter(p)) for p in found if len(p) == 1}
        narrowed = [p - sure if len(p) > 1 and p - sure else p for p in found]
        if narrowed == found:
            break
        found = narrowed
    return [tuple(f"{key}.{i}" for i in sorted(p)) for p in found]


def _field(data: Any, name: str) -> Any:
    return data.get(name) if isinstance(data, dict) else None


def segments_gone(target: str | os.PathLike[str] | Sink) -> list[int]:
    """The segments no longer in the log: those before its first (retention deletes whole
    segments, oldest first, and a ``pruned`` record says so; ``verify_log`` checks it). A
    search does not see their entries."""
    sink = open_sink(target)
    try:
        kept = sink.segments()
    finally:
        if not isinstance(target, Sink):
            sink.close()
    return list(range(1, min(kept))) if kept else []


@attrs.frozen(slots=True)
class _Days:
    """The days an entry must fall on: written (``since``, ``until``, UTC) and decided as of
    (``as_of_from``, ``as_of_to``); ``None`` leaves that end open."""

    first: dt.date | None
    last: dt.date | None
    as_of_first: dt.date | None
    as_of_last: dt.date | None

    def admit(self, entry: Entry) -> bool:
        if (self.first is not None and entry.day < self.first) or \
                (self.last is not None and entry.day > self.last):
            return False
        if self.as_of_first is None and self.as_of_last is None:
            return True
        day = as_of_day(entry)
        return not ((self.as_of_first is not None and day < self.as_of_first) or
                    (self.as_of_last is not None and day > self.as_of_last))


def as_of_day(entry: Entry) -> dt.date:
    """The day an entry's decisions were made as of: its ``as_of``'s date (a time's day at
    the offset it was given with: the day the decision applied the rules of); the day the
    entry was written when it names none."""
    when = parse_as_of(entry.as_of)
    if when is None:
        return entry.day
    return when.date() if isinstance(when, dt.datetime) else when


def _criteria(keys: AuditKeys | None, values: Sequence[str], rules: Sequence[str],
              domain: str | None, when: tuple[dt.date | str | None, ...]
              ) -> tuple[list[str], list[str], _Days]:
    """The values and rules sought and the days, each checked (see ``find_entries``)."""
    wanted = _wanted(values, "values", "a customer id, a card number …")
    ruled = _wanted(rules, "rules", "a rule's id")
    if not (wanted or ruled or domain is not None or any(d is not None for d in when)):
        raise AuditError("give the values to find (a customer id, a card number …), the "
                         "rules, a domain or the days to list (written, or decided as of)")
    if wanted and (keys is None or checked_keys(keys).sealing_secret is None):
        raise AuditError("finding entries needs the sealing secret: the log holds masked "
                         "values only as keyed hashes (AuditKeys.load(folder) of a folder "
                         "with sealing-secret.b64)")
    days = _Days(*(None if day is None else as_day(day, name) for day, name in
                   zip(when, ("since", "until", "as_of_from", "as_of_to"), strict=True)))
    for low, high, names_ in ((days.first, days.last, "since, until"),
                              (days.as_of_first, days.as_of_last, "as_of_from, as_of_to")):
        if low is not None and high is not None and low > high:
            raise AuditError(f"{names_}: {low} is after {high}; no entry could be found")
    if domain is not None and not isinstance(domain, str):
        raise AuditError(f"domain: expected a domain's name, got {type(domain).__name__} "
                         f"{domain!r:.40}")
    return wanted, ruled, days


def _plain(text: str) -> bool:
    """Whether JSON writes ``text`` as it is (no character it escapes)."""
    return not any(c in text for c in '"\\') and all(ord(c) >= 0x20 for c in text)


def _rule_places(entry: Entry, rules: set[str]) -> tuple[Place, ...]:
    """Where the entry's decisions name a rule sought as a hit (``decisions.0.hits.1``)."""
    if not rules:
        return ()
    found: list[Place] = []

    def walk(data: Any, path: str) -> None:
        if isinstance(data, dict):
            rule = data.get("rule_id")
            if isinstance(rule, str) and rule in rules:
                found.append(Place(rule, path, None))
            for key, value in data.items():
                walk(value, f"{path}.{key}")
        elif isinstance(data, list):
            for i, value in enumerate(data):
                walk(value, f"{path}.{i}")

    walk(entry.decisions, "decisions")
    return tuple(found)


def _wanted(values: Sequence[str], name: str, example: str) -> list[str]:
    """The values (or rules) sought, as texts: a list of them, none blank, each text."""
    if isinstance(values, str | bytes):
        raise AuditError(f"{name} to find: expected a list of texts, got the text "
                         f"{values!r} alone (put it in a list)")
    wanted = [str(v) for v in values]
    if any(not v.strip() for v in wanted):
        raise AuditError(f"give the {name} to find ({example}), none of them blank")
    for value in wanted:
        try:
            value.encode()
        except UnicodeEncodeError:  # bytes no encoding gave (a terminal's, an argument's)
            raise AuditError(f"{name} to find: {value!r} is not text (it holds bytes that "
                             "are not UTF-8)") from None
    return wanted


_CONTEXT = b'"context":{'


@attrs.frozen(slots=True)
class _Needles:
    """Bytes one of which is in every stored entry that holds a value: ``exact`` anywhere in
    it, or ``folded`` (ASCII, lower case) in its caller context lowered — the context is
    compared by canonical id (``U-HEAD-7`` is ``u-head-7``), as ``_places`` compares it."""

    exact: tuple[bytes, ...]
    folded: frozenset[bytes] = frozenset()

    def held(self, body: bytes) -> bool:
        if any(n in body for n in self.exact):
            return True
        at = body.find(_CONTEXT) if self.folded else -1
        while at >= 0:  # every object so named: a record's own, or an input's
            end = body.find(b"}", at)
            context = body[at + len(_CONTEXT):end]
            # canonical_id of other text than plain ASCII is more than lower case: read it
            if end < 0 or not context.isascii() or any(
                    c in context for c in (b"{", b"\\", b"  ", b"\t")):
                return True
            if any(n in context.lower() for n in self.folded):
                return True
            at = body.find(_CONTEXT, end)
        return False


def _needles(value: str, forms: frozenset[str], keys: AuditKeys) -> _Needles | None:
    """Bytes one of which is in every stored entry that holds ``value``: the keyed hash of
    each of its spellings (``spellings``), and each as the log writes it in clear (a whole
    number's digits are in ``500000.0`` too), or as its caller context holds it in any case.
    ``None`` where the writing could differ — text with characters JSON escapes, a number
    with a fraction or exponent, or one beyond 15 digits (written ``1e+16`` by one encoder,
    ``1e16`` by another): then every entry is read."""
    if any(c in value for c in '"\\') or any(ord(c) < 0x20 for c in value):
        return None
    if _NUMBER.fullmatch(value):
        number = float(value)
        if not (math.isfinite(number) and number.is_integer() and abs(number) < 1e15):
            return None
    folded = {canonical_id(t) for t in forms} - {""}
    return _Needles((*(keys.keyed_hash(t).encode() for t in forms),
                     *(t.encode() for t in forms)),
                    frozenset(t.encode() for t in folded if t.isascii()))


def _check_keys(entry: Entry, keys: AuditKeys) -> None:
    """Other keys would hash every value differently, and find nothing: refused."""
    if entry.sealing is not None and entry.sealing != keys.secret_id:
        raise AuditError(f"the log was written with sealing secret {entry.sealing}, these "
                         f"keys hold {keys.secret_id}: no masked value could be found; give "
                         "the key folder of the log's secret")
    try:
        entry.opened(keys)
    except AuditError:
        raise AuditError(f"entry {entry.seq}: its sealed values do not open with these "
                         "keys, so no masked value could be found: give the key folder of "
                         "the secret the log was written with (or the entry was altered: "
                         "`finpolicy audit verify` the log)") from None


def _places(entry: Entry, hashes: dict[str, str], clear: dict[str, str]) -> tuple[Place, ...]:
    found: list[Place] = []
    for path, mark in entry.masked.items():
        if not isinstance(mark, list) or len(mark) not in (2, 3):
            continue
        # the value's own hash, then those of identifiers inside it (an ID in a remark)
        inside: list[Any] = mark[2] if len(mark) == 3 and isinstance(mark[2], list) else []
        for value in dict.fromkeys(hashes[h] for h in (mark[1], *inside)
                                   if isinstance(h, str) and h in hashes):
            found.append(Place(value, f"input.{path}", str(mark[0])))
    masked = set(entry.masked)
    for path, text in _scalars(entry.input, ""):
        if path not in masked and text in clear:
            found.append(Place(clear[text], f"input.{path}", None))
    for path, text in _scalars(entry.context, ""):  # ids in any case (`U-HEAD-7`)
        if text in clear or canonical_id(text) in clear:
            value = clear.get(text) or clear[canonical_id(text)]
            found.append(Place(value, f"context.{path}", None))
    return tuple(found)


def _scalars(data: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(path, text)`` of every text or number in ``data``, paths as the log's ``masked``
    names them (``customer.id``, ``events.0.at``)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _scalars(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _scalars(value, f"{path}.{i}" if path else str(i))
    elif isinstance(data, str):
        yield path, data
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path, exact_dumps(data).decode()
