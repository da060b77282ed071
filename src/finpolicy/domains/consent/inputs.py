"""The mapping form of consent inputs: ``finpolicy eval consent``, the demo, policy test cases,
``diff`` and replay.

Three shapes:

- ``{request: {...}, consents: [...], contacts: [...]}``: one ``ConsentDecision``;
- ``{review: {consents, contacts?, processing?, as_of?}}``: one ``Decision`` per finding;
- ``{export: {access: {...}, request: {...}, consents: [...], assignments: [...]}}``: the
  consent decision and the access decision that names it (``assignments`` stand for the
  application's role directory, which confirms the approvers of the access request's grants).

``as_of`` (the case's or the command's) fills the request's ``as_of`` when it has none; a bare
date means its midnight UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finpolicy.decisions import Decision
from finpolicy.domains.access.directory import as_directory
from finpolicy.domains.clock import decided_at
from finpolicy.domains.consent.evaluate import check_processing
from finpolicy.domains.consent.export import authorize_export
from finpolicy.domains.consent.review import review_consents, review_time
from finpolicy.errors import InputError, InputProblem
from finpolicy.runtime import Runtime

__all__ = ["evaluate_input"]

_SHAPES = {
    "request": ("request", "consents", "contacts"),
    "review": ("consents", "contacts", "processing", "as_of"),
    "export": ("access", "request", "consents", "contacts", "assignments"),
}


def _keys(data: Any, allowed: tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InputError.one(where, f"expected a mapping with {', '.join(allowed)}",
                             "bad_input")
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise InputError([InputProblem(f"{prefix}{k}", f"unknown key (expected "
                                                       f"{', '.join(allowed)})", "unknown_key")
                          for k in unknown])
    return data


def evaluate_input(runtime: Runtime, data: Any, *, as_of: Any = None) -> list[Decision]:
    """Decide a request, review records, or decide an export, in mapping form. A request
    with no ``as_of`` of its own is decided at ``as_of``, the request left as given (so the
    decision, its input digest included, is the one a call at that moment made); an export,
    which must name its time, takes ``as_of`` as its access request's when it names none."""
    if isinstance(data, Mapping) and len(data) == 1 and next(iter(data)) in ("review",
                                                                             "export"):
        ((shape, body),) = data.items()
        body = _keys(body, _SHAPES[shape], shape)
        if shape == "review":
            report = review_consents(runtime, body.get("consents"),
                                     contacts=body.get("contacts"),
                                     processing=body.get("processing"),
                                     as_of=body.get("as_of", as_of))
            return report.decisions()
        # an export names its time (it is never "now"): ``as_of`` fills it in
        access = body.get("access")
        if isinstance(access, Mapping) and access.get("as_of") is None and as_of is not None:
            access = {**access, "as_of": review_time(as_of)}
        both = authorize_export(runtime, access, body.get("request"),
                                consents=body.get("consents"), contacts=body.get("contacts"),
                                directory=as_directory(body.get("assignments"),
                                                       field="export.assignments"))
        return [both.consent, both.access]
    body = _keys(data, _SHAPES["request"], "")
    if "request" not in body:
        raise InputError.one("request", "missing", "missing")
    with decided_at(None if as_of is None else review_time(as_of)):
        return [check_processing(runtime, body["request"], consents=body.get("consents"),
                                 contacts=body.get("contacts"))]
