"""A decision entry's fields: the call's input masked (the masked values sealed, their keyed
hashes beside the masks), its decisions with any echo of a masked value masked too, its
``as_of``, environment, caller context and the day its retention ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from finpolicy.audit import calls
from finpolicy.audit.caller import Call
from finpolicy.audit.encode import decision_json, to_json
from finpolicy.audit.errors import AuditError
from finpolicy.audit.masking import Maskers
from finpolicy.audit.records import b64
from finpolicy.audit.scrub import Echo, scrubbed

__all__ = ["decision_fields"]

_KEYS: dict[str, bytes] = {}  # input keys as JSON


def decision_fields(masking: Maskers, call: Call, written: dt.datetime,
                    sealed_as: bytes) -> dict[str, Any]:
    """The fields of the entry for ``call``, written at ``written``; its masked values are
    sealed with ``sealed_as`` (the log's id and the entry's number) as associated data."""
    method = calls.logged(call.method)
    if method is None:
        raise AuditError(f"cannot log engine method `{call.method}`")
    domain, how = method
    decisions = how.decisions(call.result)
    at = calls.as_of_of(call.inputs, decisions, call.result)
    # exactly: isoformat keeps an offset's seconds (local mean time); JSON encoders don't
    when = orjson.dumps(at.isoformat()) if isinstance(at, dt.datetime) else to_json(at)
    masker = masking.masker(call.bundle, written)
    shown: list[bytes] = []
    originals: list[bytes] = []
    masked: list[bytes] = []
    replaced: list[tuple[Echo, ...]] = []
    days = masker.retention_days(how.levels(call.inputs, call.result))
    for key, part in masking.parts(masker, how.data(call.inputs, call.result),
                                   how.vocabulary):
        name = _KEYS.get(key) or _KEYS.setdefault(key, orjson.dumps(key))
        shown.append(name + b":" + part.shown)
        if part.masked:
            masked.append(part.masked)
            originals.append(part.originals)
            if part.replaced:
                replaced.append(part.replaced)
        days = None if days is None or part.days is None else max(days, part.days)
    blob = b"[" + b",".join(decision_json(d) for d in decisions) + b"]"
    if replaced:
        blob = scrubbed(blob, tuple(replaced))
    retain = None if days is None else (written.date() + dt.timedelta(days=days)).isoformat()
    sealed = None
    if originals:  # only the masked values are sealed: the rest is in the entry already
        sealed = b64(masking.keys.seal(b"[" + b",".join(originals) + b"]", sealed_as))
    return {"domain": domain, "method": call.method, "as_of": orjson.Fragment(when),
            "env": calls.environment(call.bundle, call.engine), "context": call.context,
            "input": orjson.Fragment(b"{" + b",".join(shown) + b"}"),
            "masked": orjson.Fragment(b"{" + b",".join(masked) + b"}"),
            "sealed": sealed, "decisions": orjson.Fragment(blob), "retain_until": retain,
            **({"policy": call.inputs["policy"]} if call.inputs.get("policy") else {})}
