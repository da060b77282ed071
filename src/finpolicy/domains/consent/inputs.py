"""The mapping form of consent inputs: ``finpolicy eval consent``, the demo, policy test cases,
``diff`` and replay.

Three shapes:

- ``{request: {...}, consents: [...], contacts: [...]}``: one ``ConsentDecision``;
- ``{review: {consents, contacts?, processing?, as_of?}}``: one ``Decision`` per finding;
- ``{export: {access: {...}, request: {...}, consents: [...], assignments: [...]}}``: the
  consent decision and the access decision that names it (``assignments`` stand for the
  application's role directory, which confirms the approvers of the access request's grants).

``as_of`` (the case's or the command's, ``finpolicy eval --as-of``) is when a request is decided
and a review made: it takes the place of their own ``as_of`` (a request's then is that time),
and fills it when they have none; a bare date means its midnight UTC. An export, which names
its time, takes it only when its access request names none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finpolicy.decisions import Decision
from finpolicy.domains.access.directory import as_directory
from finpolicy.domains.clock import decided_at
from finpolicy.domains.consent.evaluate import check_processing
from finpolicy.domains.consent.export import authorize_export
from finpolicy.domains.consent.model import ProcessingRequest
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
                                                       f"{', '.join(allowed)})"
                                                       f"{_nested(k, allowed)}",
                                       "unknown_key")
                          for k in unknown])
    return data


def _records(body: Mapping[str, Any], key: str) -> Any:
    """A file's list of records under ``key``: none when the key is absent or written without
    a value (``consents:``), as a file means it."""
    value = body.get(key)
    return () if value is None else value


def _nested(key: str, allowed: tuple[str, ...]) -> str:
    """Where a request's own field goes, when it is given beside ``request``."""
    if "request" in allowed and key in ProcessingRequest.model_fields:
        return f": `{key}` is a field of the request, written under `request`"
    return ""


def _own_time(value: Any, as_of: Any, field: str) -> Any:
    """The time a request or review is decided at: ``as_of`` when given (the command's
    time takes the place of the input's own), else the input's own ``value``. The same
    instant as the input's own keeps the input as given (a logged call replays to its
    digest)."""
    if as_of is None or value is None:
        return value
    at = review_time(as_of)
    return value if review_time(value, field) == at else at


def _request_at(request: Any, as_of: Any) -> Any:
    """``request`` decided at ``as_of``: its own ``as_of`` replaced when it has one (one it
    lacks is filled by the clock, the request left as given)."""
    if as_of is None or not isinstance(request, Mapping) or request.get("as_of") is None:
        return request
    own = ProcessingRequest.parse(request, field="request").as_of
    at = _own_time(own, as_of, "request.as_of")
    return request if at is own else {**request, "as_of": at}


def evaluate_input(runtime: Runtime, data: Any, *, as_of: Any = None) -> list[Decision]:
    """Decide a request, review records, or decide an export, in mapping form, at ``as_of``
    when given (see the module docstring). A request with no ``as_of`` of its own is decided
    at ``as_of``, the request left as given (so the decision, its input digest included, is
    the one a call at that moment made); an export, which must name its time, takes
    ``as_of`` as its access request's when it names none."""
    if isinstance(data, Mapping) and len(data) == 1 and next(iter(data)) in ("review",
                                                                             "export"):
        ((shape, body),) = data.items()
        body = _keys(body, _SHAPES[shape], shape)
        if shape == "review":
            report = review_consents(runtime, _records(body, "consents"),
                                     contacts=_records(body, "contacts"),
                                     processing=_records(body, "processing"),
                                     as_of=_own_time(body.get("as_of"), as_of,
                                                     "review.as_of") or as_of)
            return report.decisions()
        # an export names its time (it is never "now"): ``as_of`` fills it in
        access = body.get("access")
        if isinstance(access, Mapping) and access.get("as_of") is None and as_of is not None:
            access = {**access, "as_of": review_time(as_of)}
        both = authorize_export(runtime, access, body.get("request"),
                                consents=_records(body, "consents"),
                                contacts=_records(body, "contacts"),
                                directory=as_directory(body.get("assignments"),
                                                       field="export.assignments"))
        return [both.consent, both.access]
    body = _keys(data, _SHAPES["request"], "")
    if "request" not in body:
        raise InputError.one("request", "missing", "missing")
    with decided_at(None if as_of is None else review_time(as_of)):
        return [check_processing(runtime, _request_at(body["request"], as_of),
                                 consents=_records(body, "consents"),
                                 contacts=_records(body, "contacts"))]
