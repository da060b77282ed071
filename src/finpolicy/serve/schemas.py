"""The bodies the service answers, as pydantic models: the OpenAPI document declares each
response with them, so a client generated from it reads what is actually sent."""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from finpolicy.decisions import Decision

__all__ = ["BatchBody", "BatchItem", "BundleMetadata", "BundleRef", "DecisionBody",
           "DecisionResult", "DocumentRef", "ErrorBody", "FieldProblem", "HealthBody",
           "ReadyBody", "ReloadBody", "answer_models"]

Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
"""An ISO 8601 date and time with its offset, as the service writes it."""
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]


class BundleRef(BaseModel):
    """The bundle that took a decision."""

    name: str
    version: str
    digest: str


class FieldProblem(BaseModel):
    """One problem of an invalid request: the field's path, what is wrong, a stable code."""

    path: str
    message: str
    code: str


class ErrorBody(BaseModel):
    """A refused request. ``outcome`` and ``allowed`` deny on a server error (fail closed)."""

    error: str
    message: str
    problems: list[FieldProblem] = []
    outcome: Literal["deny"] | None = None
    allowed: Literal[False] | None = None


class DecisionBody(BaseModel):
    """An operation's result (``to_dict()`` of its decision or report) and its bundle."""

    bundle: BundleRef
    result: Any


class BatchItem(BaseModel):
    """One call of a batch: its status and its result, or the error."""

    status: int
    result: Any = None
    error: ErrorBody | None = None


class BatchBody(BaseModel):
    """The results of a batch, in call order, all decided on one bundle."""

    bundle: BundleRef
    results: list[BatchItem]


class ReloadBody(BaseModel):
    """The last reload attempt that changed something or failed."""

    outcome: Literal["swapped", "unchanged", "failed"]
    at: Moment
    bundle: BundleRef = Field(description="The bundle serving after the attempt.")
    error: str | None = Field(description="Why the new version was refused, when failed.")
    folder: str | None = Field(description="The folder the watched path led to: the release "
                                           "tried, when the path is a link.")


_WITH_TOKEN = ("Only for a caller that sends a token of --token-file, when the service has "
               "one (a probe without it reads the status alone).")


class ReloadGuardBody(BaseModel):
    """What the watcher lets a reload serve: a monitor can tell a service left running with
    downgrades allowed, or taking unsigned versions, from one that refuses them."""

    signed_only: bool = Field(description="A version no trusted key signed is refused "
                                          "(--trusted-key).")
    allow_downgrade: bool = Field(description="An older version than the one serving may be "
                                              "swapped in (--allow-downgrade).")
    min_version: str | None = Field(description="No version below this one is served, "
                                                "downgrades allowed or not (--min-version, "
                                                "--min-version-file).")


class HealthBody(BaseModel):
    """Liveness: ``degraded`` when the last reload failed (the previous bundle serves on),
    ``failing`` when the decision log has (``log_failure`` says why; every decision is then
    refused)."""

    status: Literal["ok", "degraded", "failing"]
    log_failure: str | None = Field(default=None, description="Present when failing.")
    bundle: BundleRef | None = Field(default=None, description=_WITH_TOKEN)
    loaded_at: Moment | None = Field(default=None, description="When the bundle serving was "
                                                               "loaded. " + _WITH_TOKEN)
    watching: str | None = Field(default=None, description="The folder watched for new "
                                                           "versions. " + _WITH_TOKEN)
    last_reload: ReloadBody | None = Field(default=None, description=_WITH_TOKEN)
    reload_guard: ReloadGuardBody | None = Field(default=None, description="What a reload "
                                                 "may serve, when watching. " + _WITH_TOKEN)


class ReadyBody(BaseModel):
    """Readiness: ``ready`` is false (503) once the decision log has failed."""

    ready: bool
    bundle: BundleRef | None = Field(default=None, description=_WITH_TOKEN)
    reason: str | None = Field(default=None, description="Present when not ready. "
                                                        + _WITH_TOKEN)


class DocumentRef(BaseModel):
    """One policy document of the bundle."""

    id: str
    version: str
    kind: str
    effective_from: Day
    effective_until: Day | None


class BundleMetadata(BaseModel):
    """The bundle decisions are taken on."""

    name: str
    version: str
    description: str
    digest: str
    engine: str
    loaded_at: Moment
    documents: list[DocumentRef]


class HitBody(BaseModel):
    """A rule that decided, with its reason and source."""

    model_config = ConfigDict(title="Hit")

    rule_id: str
    reason: str
    cite: str


class PolicyRefBody(BaseModel):
    """The policy that decided and the bundle it came from."""

    model_config = ConfigDict(title="PolicyRef")

    id: str
    version: str
    kind: str
    bundle: str
    bundle_version: str
    bundle_digest: str


class DecisionResult(BaseModel):
    """A decision (``Decision.to_dict()``): what every domain's decision holds; each adds its
    own fields (``allowed``, ``level``, ``customer_level``, ``milestones`` …)."""

    model_config = ConfigDict(extra="allow")

    outcome: str
    hits: list[HitBody]
    obligations: list[str]
    policy: PolicyRefBody
    engine: str
    input_digest: str
    as_of: str = Field(description="The date or date and time it was decided for.")
    evaluated_at: Moment


def _result(returns: Any) -> Any:
    """The JSON form of what an operation returns: a decision's, a list of them, text, or
    any other report as an object."""
    if isinstance(returns, type) and issubclass(returns, Decision):
        return DecisionResult
    if typing.get_origin(returns) is list:
        [item] = typing.get_args(returns) or (Any,)
        inner = _result(item)
        return list[inner] if inner is not Any else list[Any]  # type: ignore[valid-type]
    if returns in (str, int, float, bool):
        return returns
    if isinstance(returns, type) and hasattr(returns, "to_dict"):
        return dict[str, Any]
    return Any


def answer_models(name: str, returns: Any) -> tuple[type[BaseModel], type[BaseModel]]:
    """The models of an operation's answer and of its batch's answer (``name``: the call
    model's name without ``Call``), their ``result`` what the operation returns."""
    result = _result(returns)
    if result is Any:
        return DecisionBody, BatchBody
    item = create_model(f"{name}BatchItem", __base__=BatchItem, __doc__=BatchItem.__doc__,
                        result=(result | None, None))
    single = create_model(f"{name}Answer", __base__=DecisionBody,
                          __doc__=DecisionBody.__doc__, result=(result, ...))
    batch = create_model(f"{name}BatchAnswer", __base__=BatchBody, __doc__=BatchBody.__doc__,
                         results=(list[item], ...))
    return single, batch
