"""Masking the values a decision echoes from its input (a suitability decision names the
customer id) in the decisions' JSON, with the ``(value, shown)`` pairs the input's masking
replaced.

Text is replaced in string values only: as a whole string always, and inside longer text when
it is long enough to be telling (6+ characters) and cannot be mistaken for a JSON number. A
masked number of four or more digits (an amount) is replaced where the decisions hold a number
of the same value (``876543`` in the input, ``876543.0`` in the decision), not inside text; a
smaller one (a horizon of 12 months) tells little, and would mask the decisions' own counts.
Keys are left alone (they name fields and hold no value), and so is what the policy and
finpolicy write, never the input (``KEPT``): a department called ``marketing`` must not turn
the rule ``marketing-never-core`` into ``*********-never-core``, nor a branch called ``hits``
rename a decision's ``hits``.

The quick way replaces bytes in the JSON, each place a value was found judged apart (a key
or a kept value is left as it is); when a place cannot be judged from the bytes around it
(beside an escape) or the result is no JSON (a value that matched JSON's own syntax), the
decisions are decoded and walked instead. Both ways give the same result (a
property test holds them to it).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from finpolicy.audit.encode import exact_dumps, exact_loads

__all__ = ["KEPT", "scrub", "scrubbed"]

KEPT_TEXT = ("rule_id", "cite", "outcome", "engine")
"""Keys whose text value is kept as it is."""
KEPT = frozenset({*KEPT_TEXT, "obligations", "policy"})
"""``KEPT_TEXT``, ``obligations`` (a list of text) and ``policy`` (a reference: text, or an
object of text, numbers, flags and nulls)."""

_NUMBER_CHARS = frozenset("0123456789+-.eE")
_TELLING_NUMBER = 1000
_Pair = tuple[str, str]
Echo = tuple[str | float, str]
"""A masked value of the input (text or a number) and what the log shows instead."""
# the bytes to replace (the quoted string, or the text alone to replace it inside longer text
# too); whether whole only; what is shown instead (unquoted); the replacement
_Step = tuple[bytes, bool, bytes, bytes]
# a masked number: its value, the bytes that may spell it in JSON, what is shown instead
_Number = tuple[float, tuple[bytes, ...], str]
_PLANS: dict[tuple[tuple[Echo, ...], ...], tuple[tuple[_Step, ...], tuple[_Number, ...]]] = {}
# one value's step, kept: a plan for new parts mostly repeats values seen before
_STEPS: dict[_Pair, tuple[int, _Step]] = {}
_MAX_PLANS = 4096
_MAX_STEPS = 100_000

_STRING = rb'"(?:[^"\\]++|\\.)*+"'  # possessive: a failed match tries nothing again
# from the end of text found inside a string: the rest of it and a key's colon
_KEY_AFTER = re.compile(rb'(?:[^"\\]++|\\.)*+":')
_COLON = re.compile(rb":")  # after a whole string: it is a key
_FLAT_POLICY = re.compile(rb'"policy":\{(?:[^"{}\[\]]++|' + _STRING + rb')*+\}')
_KEPT_KEYS = frozenset(key.encode() for key in KEPT)
_KEPT_TEXT_KEYS = frozenset(key.encode() for key in (*KEPT_TEXT, "policy"))


def scrub(blob: bytes, replaced: list[Echo]) -> bytes:
    """``blob`` (JSON) with every replaced value that it echoes shown masked."""
    return scrubbed(blob, (tuple(replaced),))


def scrubbed(blob: bytes, groups: tuple[tuple[Echo, ...], ...]) -> bytes:
    """``scrub`` of ``blob`` for the ``(value, shown)`` pairs of ``groups`` (the parts' own
    tuples, so the replacements to try are worked out once per combination of parts)."""
    plan = _PLANS.get(groups)
    if plan is None:
        pairs = [pair for group in groups for pair in group]
        plan = (_plan([(v, s) for v, s in pairs if isinstance(v, str)]),
                _numbers_plan([(v, s) for v, s in pairs if not isinstance(v, str)]))
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[groups] = plan
    steps, numbers = plan
    out = _texts_scrubbed(blob, steps) if steps else blob
    return _numbers_scrubbed(out, numbers) if numbers else out


def _texts_scrubbed(blob: bytes, steps: tuple[_Step, ...]) -> bytes:
    # most values are not echoed: one search tells
    found = [step for step in steps if step[0] in blob]
    if not found:
        return blob
    out = blob
    policies: list[tuple[int, int]] | None = None  # the kept policy references, found once
    for raw, whole, _, replacement in found:  # longest first, each on what the last left
        at = out.find(raw)
        pieces: list[bytes] = []
        starts: list[int] = []
        last = 0
        while at >= 0:
            if policies is None:
                policies = _policies(out)
            place = _place(out, at, at + len(raw), policies, whole=whole)
            if place is _UNSURE:
                return _decoded(blob, found)
            if place is _KEEP:
                at = out.find(raw, at + 1)
                continue
            pieces += (out[last:at], replacement)
            starts.append(at)
            last = at + len(raw)
            at = out.find(raw, last)  # (as bytes.replace: the next one after this one)
        if pieces:
            out = b"".join((*pieces, out[last:]))
            if policies and len(replacement) != len(raw):
                policies = _moved(policies, starts, len(replacement) - len(raw))
    if out is not blob:
        try:
            exact_loads(out)
        except ValueError:  # a value matched across an escape (`n` of `\n`), or
            # JSON's own syntax (`","` between two strings)
            return _decoded(blob, found)
    return out


def _moved(spans: list[tuple[int, int]], starts: list[int],
           change: int) -> list[tuple[int, int]]:
    """``spans`` once the bytes at ``starts`` were replaced by ``change`` bytes more than
    they had (none of them inside a span)."""
    return [(first + change * (n := sum(at < first for at in starts)), last + change * n)
            for first, last in spans]


def _policies(blob: bytes) -> list[tuple[int, int]]:
    """Where each flat policy reference of ``blob`` starts and ends."""
    spans = []
    at = blob.find(b'"policy":{')
    while at >= 0:
        flat = _FLAT_POLICY.match(blob, at)
        if flat is not None:
            spans.append((at, flat.end()))
        at = blob.find(b'"policy":{', at + 1)
    return spans


# where a value found in the bytes is: to be replaced, kept (in a key or a kept value), or
# where only the exact way can tell (beside an escape; a kept key's list or object)
_REPLACE, _KEEP, _UNSURE = "replace", "keep", "unsure"


def _place(blob: bytes, start: int, end: int, policies: list[tuple[int, int]], *,
           whole: bool) -> str:
    """Where the bytes from ``start`` to ``end`` (a whole quoted string when ``whole``, else
    text inside one) are, as the exact way (``_decoded``) judges them: a value belongs to
    the nearest key before it."""
    if blob[start - 1] == 92:  # after a backslash: an escape's letter, or an escaped quote
        return _UNSURE
    if (_COLON if whole else _KEY_AFTER).match(blob, end):  # a key, or in one
        return _KEEP
    if any(first < start < last for first, last in policies):
        return _KEEP
    colon = blob.rfind(b'":', 0, start)
    opened = blob.rfind(b'"', 0, colon)
    if colon < 1 or blob[colon - 1] == 92 or blob[opened - 1] == 92:
        return _UNSURE
    key = blob[opened + 1:colon]
    if key not in _KEPT_KEYS:
        return _REPLACE
    # kept when it is in the key's own text (not an item of a list, nor in an object)
    first = colon + 2
    if key in _KEPT_TEXT_KEYS and blob[first:first + 1] == b'"' and (
            start == first or blob.find(b'"', first + 1, start) < 0):
        return _KEEP
    return _UNSURE


def _decoded(blob: bytes, steps: list[_Step]) -> bytes:
    """``scrubbed`` on the decoded JSON (slower, exact): for a value that is not really there
    in the bytes (``nabcdef`` in an escaped newline followed by ``abcdef``), and for one that
    is also in a key or a kept value."""
    pairs = [(orjson.loads(raw if whole else b'"' + raw + b'"'),
              orjson.loads(b'"' + shown + b'"'), not whole)
             for raw, whole, shown, _ in steps]

    def text(value: str) -> str:
        for clear, masked, inside in pairs:
            if value == clear:
                value = masked
            elif inside and clear in value:
                value = value.replace(clear, masked)
        return value

    return _rewritten(blob, lambda value: text(value) if isinstance(value, str) else value)


def _rewritten(blob: bytes, scalar: Any) -> bytes:
    """``blob`` (JSON) with ``scalar`` applied to every text, number, flag and null in it but
    keys and kept values (``KEPT``)."""

    def walk(data: Any) -> Any:
        if isinstance(data, list):
            return [walk(v) for v in data]
        if isinstance(data, dict):
            return {k: v if k in KEPT and _kept(k, v) else walk(v) for k, v in data.items()}
        return scalar(data)

    return exact_dumps(walk(exact_loads(blob)))


def _kept(key: str, value: Any) -> bool:
    if key in KEPT_TEXT:
        return isinstance(value, str)
    if key == "obligations":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == "policy":
        return isinstance(value, str) or (isinstance(value, dict) and not any(
            isinstance(v, dict | list) for v in value.values()))
    return False


def _numbers_plan(replaced: list[tuple[float, str]]) -> tuple[_Number, ...]:
    """``_numbers_scrubbed``'s table: each masked number once, shown as ``_plan`` chooses."""
    shown: dict[float, str] = {}
    for value, masked in replaced:
        if not abs(value) >= _TELLING_NUMBER:
            continue
        other = shown.get(value)
        if other is None or _kept_in_clear(masked) < _kept_in_clear(other):
            shown[value] = masked
    return tuple((value, _spellings(value), masked) for value, masked in shown.items())


def _spellings(value: float) -> tuple[bytes, ...]:
    """What to look for in JSON bytes to learn whether ``value`` may be there (the integer
    digits are found inside ``876543.0`` too; ``1e16`` needs its own)."""
    out = {exact_dumps(value)}
    try:
        out.add(exact_dumps(float(value)))
        if float(value).is_integer():
            out.add(exact_dumps(int(value)))
    except (OverflowError, ValueError):  # (beyond what a float holds)
        pass
    return tuple(sorted(out))


def _numbers_scrubbed(blob: bytes, numbers: tuple[_Number, ...]) -> bytes:
    """``blob`` with every number equal to a masked one shown masked (but in kept values)."""
    live = {value: shown for value, spellings, shown in numbers
            if any(s in blob for s in spellings)}
    if not live:  # most decisions echo no amount: one search tells
        return blob

    def number(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return live.get(value, value)
        return value

    return _rewritten(blob, number)


def _plan(replaced: list[_Pair]) -> tuple[_Step, ...]:
    """The steps of ``scrub``, longest value first (a shorter value inside a longer one must
    not cut it first). A value the input shows masked two ways (a recipient's name under
    ``name`` and under ``recipients``) is shown the way that keeps least of it in clear —
    the same way whatever the order the masking met them in, so replay masks it as the
    writer did."""
    shown: dict[str, str] = {}
    for value, masked in replaced:
        other = shown.get(value)
        if other is None or _kept_in_clear(masked) < _kept_in_clear(other):
            shown[value] = masked
    steps = []
    for pair in sorted(shown.items()):
        step = _STEPS.get(pair)
        if step is None:
            if len(_STEPS) >= _MAX_STEPS:
                _STEPS.clear()
            step = _STEPS[pair] = _step(*pair)
        steps.append(step)
    steps.sort(key=_longest_first)
    return tuple(step for _, step in steps)


def _kept_in_clear(masked: str) -> tuple[int, str]:
    return len(masked) - masked.count("*"), masked


def _longest_first(step: tuple[int, Any]) -> int:
    return step[0]


def _step(value: str, shown: str) -> tuple[int, _Step]:
    """``scrub``'s step for one value, with its sort key."""
    raw, masked = orjson.dumps(value), orjson.dumps(shown)[1:-1]
    if len(value) >= 6 and not set(value) <= _NUMBER_CHARS:  # inside longer text too
        return -len(value), (raw[1:-1], False, masked, masked)
    return -len(value), (raw, True, masked, b'"' + masked + b'"')
