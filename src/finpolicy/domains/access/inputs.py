"""The mapping form of access inputs: ``finpolicy eval access``, the demo, policy test cases,
``diff`` and replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from finpolicy._compat import deprecated_alias
from finpolicy.decisions import Decision
from finpolicy.domains.access.directory import AssignmentDirectory
from finpolicy.domains.access.evaluation import authorize
from finpolicy.domains.access.model import (
    AccessGrant,
    AccessRequest,
    AttachedConsent,
    RoleAssignment,
    UsageRecord,
)
from finpolicy.domains.access.review import (
    RepeatedGrant,
    _items,
    assignment_key,
    assignment_twice,
    grant_key,
    refuse_repeated_assignments,
    refuse_repeated_grants,
    review_access,
    review_time,
)
from finpolicy.domains.clock import decided_at
from finpolicy.errors import InputError, InputProblem
from finpolicy.runtime import Runtime

__all__ = ["evaluate_input", "read_review_file"]

_REVIEW_KEYS = ("grants", "assignments", "usage", "as_of", "directory")


def _review_decisions(runtime: Runtime, data: Any, as_of: Any) -> list[Decision]:
    """One decision per finding of ``{grants, assignments, usage?, as_of?, directory?}``
    (``directory``: role assignments standing for the role directory that confirms the
    approvers, as a request's ``assignments`` do; the decision log keeps a review's so)."""
    if not isinstance(data, Mapping):
        raise InputError.one("review", "expected a mapping with grants, assignments and "
                                       "optionally usage and as_of", "bad_input")
    if "at" in data:
        deprecated_alias("at", "as_of", "review")
        data = {("as_of" if k == "at" else k): v for k, v in data.items()}
    unknown = sorted(str(k) for k in data if k not in _REVIEW_KEYS)
    if unknown:
        raise InputError([InputProblem(f"review.{k}", "unknown key (expected grants, "
                                                      "assignments, usage, as_of, directory)",
                                       "unknown_key")
                          for k in unknown])
    own = review_time(data.get("as_of"), "review.as_of")  # (checked even when replaced)
    # ``as_of`` given takes the place of the review's own, as in every domain
    at = review_time(as_of) if as_of is not None else own
    grants = _items(data.get("grants"), AccessGrant, "review.grants",
                    none_is_empty=True)
    refuse_repeated_grants(grants, "review.grants")  # named where the input has it
    assignments = _items(data.get("assignments"), RoleAssignment, "review.assignments",
                         none_is_empty=True)
    refuse_repeated_assignments(assignments, "review.assignments")
    usage = (None if data.get("usage") is None
             else _items(data["usage"], UsageRecord, "review.usage"))
    directory = (None if data.get("directory") is None else AssignmentDirectory(
        _items(data["directory"], RoleAssignment, "review.directory")))
    return review_access(runtime, grants, assignments, as_of=at, usage=usage,
                         directory=directory).decisions()


def evaluate_input(runtime: Runtime, data: Any, *,
                   as_of: dt.date | dt.datetime | None = None) -> list[Decision]:
    """Decide one request, or review grants and assignments, in mapping form.

    A request ``{subject, action, resource, purpose, grants?, as_of?, assignments?,
    consent?}`` gives one ``AccessDecision``, decided at ``as_of`` when given (a bare date
    means its midnight UTC; it takes the place of the request's own), else at the request's
    own; a request with no ``as_of`` of its own, or the same instant, is left as given (so the
    decision, its input digest included, is the one a call at that moment made).
    ``assignments`` stands for the application's role directory (a list of role assignments)
    that confirms the grants' approvers; without it no grant counts. ``consent`` is the
    consent decision attached to a request whose data leaves the bank, as ``{outcome, as_of,
    recipient, input_digest}``. A review ``{review: {grants, assignments, usage?, as_of?}}``
    gives one ``Decision`` per finding (none when the review is clean), reviewed
    as of ``as_of``, else the review's own ``as_of`` (now when both are absent); see
    ``AccessReviewReport.decisions``.
    """
    if not isinstance(data, Mapping):
        raise InputError.one("input", "expected a mapping with subject, action, resource, "
                                      "purpose", "bad_input")
    if "review" in data:
        if len(data) != 1:
            raise InputError.one("input", "`review` comes alone", "bad_input")
        return _review_decisions(runtime, data["review"], as_of)
    payload = dict(data)
    consent = payload.pop("consent", None)
    directory = payload.pop("assignments", None)
    if directory is not None and not isinstance(directory, list):
        raise InputError.one("assignments", "expected a list of role assignments", "bad_input")
    roles = None if directory is None else AssignmentDirectory(directory)
    attached = None if consent is None else AttachedConsent.parse(consent, field="consent")
    request = AccessRequest.parse(payload)
    at = review_time(as_of)
    if at is not None and request.as_of is not None and request.as_of != at:
        # ``as_of`` given takes the place of the request's own, as in every domain (the same
        # instant keeps the request as given: a logged call replays to its input digest)
        request = request.model_copy(update={"as_of": at})
    with decided_at(at):
        return [authorize(runtime, request, consent=attached, directory=roles)]


_FILE_KEYS = {"grant": "grants", "assignment": "assignments", "usage": "usage"}
_MODELS: dict[str, Any] = {"grants": AccessGrant, "assignments": RoleAssignment,
                           "usage": UsageRecord}


def _read_lines(path: str) -> dict[str, Any]:
    """The records of a JSON lines review file, an error at its line (``grants.3`` counted
    only the grants, not the file's lines)."""
    from finpolicy.readers import iter_json_lines

    out: dict[str, Any] = {"grants": [], "assignments": [], "usage": None}
    first_line: dict[str, int] = {}
    assigned_line: dict[tuple[Any, ...], int] = {}
    for number, record in iter_json_lines(path):
        if not isinstance(record, dict) or len(record) != 1 or \
                next(iter(record)) not in _FILE_KEYS:
            raise InputError([InputProblem(
                "", 'expected one of {"grant": …}, {"assignment": …}, {"usage": …}',
                "bad_input", file=path, line=number)])
        ((key, value),) = record.items()
        bucket = _FILE_KEYS[key]
        try:
            item = _MODELS[bucket].parse(value)
        except InputError as exc:
            raise exc.located(path, number) from None
        if bucket == "grants" and first_line.setdefault(grant_key(item.id), number) != number:
            raise InputError([RepeatedGrant("id", "", "duplicate_value", item.id, path, number,
                                            first=first_line[grant_key(item.id)])])
        if bucket == "assignments":
            first = assigned_line.setdefault(assignment_key(item), number)
            if first != number:
                raise InputError.one("", assignment_twice(
                    item, f"lines {first} and {number}"), "duplicate_value").located(
                    path, number)
        if out[bucket] is None:
            out[bucket] = []
        out[bucket].append(item)
    return out


def read_review_file(path: str) -> dict[str, Any]:
    """Grants, assignments and usage records from a file, for ``review_access``.

    JSON or YAML: a mapping with ``grants``, ``assignments`` and an optional ``usage`` list.
    JSON lines (``.jsonl``): one ``{"grant": {...}}``, ``{"assignment": {...}}`` or
    ``{"usage": {...}}`` object a line, each read as it comes, so an error names its line
    (a grant id given twice both lines). ``usage`` is ``None`` when the file has none.
    """
    from finpolicy.readers import read_document

    if path.endswith(".jsonl"):
        return _read_lines(path)
    data = read_document(path)
    if not isinstance(data, Mapping):
        raise InputError([InputProblem("", "expected a mapping with `grants`, `assignments` "
                                           "and optional `usage` lists", "bad_input",
                                       file=path)])
    unknown = sorted(str(k) for k in set(data) - set(_FILE_KEYS.values()))
    if unknown:
        raise InputError([InputProblem(unknown[0], "unknown key, expected grants, assignments "
                                                   "or usage", "unknown_key", file=path)])
    return {"grants": data.get("grants") or [], "assignments": data.get("assignments") or [],
            "usage": data.get("usage")}
