"""The bodies the service answers, as pydantic models: the OpenAPI document declares each
response with them, so a client generated from it reads what is actually sent."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

__all__ = ["BatchBody", "BatchItem", "BundleMetadata", "BundleRef", "DecisionBody",
           "DocumentRef", "ErrorBody", "FieldProblem", "HealthBody", "ReadyBody",
           "ReloadBody"]

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


class HealthBody(BaseModel):
    """Liveness: ``degraded`` when the last reload failed (the previous bundle serves on),
    ``failing`` when the decision log has (``log_failure`` says why; every decision is then
    refused)."""

    status: Literal["ok", "degraded", "failing"]
    log_failure: str | None = Field(default=None, description="Present when failing.")
    bundle: BundleRef
    loaded_at: Moment = Field(description="When the bundle serving was loaded.")
    watching: str | None = Field(description="The folder watched for new versions.")
    last_reload: ReloadBody | None


class ReadyBody(BaseModel):
    """Readiness: ``ready`` is false (503) once the decision log has failed."""

    ready: bool
    bundle: BundleRef
    reason: str | None = Field(default=None, description="Present when not ready.")


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
