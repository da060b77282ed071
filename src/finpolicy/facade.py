"""The typed façade: ``PolicyEngine`` and the public types of the built-in domains.

This is the one module that lists the built-in domains, so that a type checker sees every
method's decision class (``engine.check_suitability(...)`` is a ``SuitabilityDecision``) and
every input model. Each domain declares its methods in its own folder (``api.py``) and its
public names in its ``Domain.exports``; a test checks this list against them. Domains
installed as plug-ins are reached the same way at run time (``engine.<method>``,
``finpolicy.<Name>``), without static types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from finpolicy.columnar.methods import TablesAPI
from finpolicy.documents.bundle import Bundle
from finpolicy.domains.access import (
    AccessDecision,
    AccessGrant,
    AccessRequest,
    AccessReviewReport,
    Finding,
    Resource,
    RoleAssignment,
    Subject,
    UsageRecord,
)
from finpolicy.domains.access.api import AccessAPI
from finpolicy.domains.access.directory import AssignmentDirectory, RoleDirectory, as_directory
from finpolicy.domains.classification import (
    ClassificationDecision,
    ColumnResult,
    DataField,
    DataLevel,
    Handling,
    RecordClassificationDecision,
    ScanReport,
)
from finpolicy.domains.classification.api import ClassificationAPI
from finpolicy.domains.complaints import Complaint, ComplaintEvent, MilestoneStatus, SlaDecision
from finpolicy.domains.complaints.api import ComplaintsAPI
from finpolicy.domains.consent import (
    CampaignCustomer,
    CampaignEntry,
    CampaignReport,
    Consent,
    ConsentDecision,
    ConsentFinding,
    ConsentReviewReport,
    ContactRecord,
    ExportDecision,
    ProcessingRequest,
    Recipient,
    Refusal,
)
from finpolicy.domains.consent.api import ConsentAPI
from finpolicy.domains.suitability import Customer, Product, SaleContext, SuitabilityDecision
from finpolicy.domains.suitability.api import SuitabilityAPI
from finpolicy.engine import EngineCore

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

    from finpolicy.audit.log import DecisionLog
    from finpolicy.columnar.rejects import SetAside
    from finpolicy.explain.model import Explanation

__all__ = [
    "AccessDecision",
    "AccessGrant",
    "AccessRequest",
    "AccessReviewReport",
    "AssignmentDirectory",
    "CampaignCustomer",
    "CampaignEntry",
    "CampaignReport",
    "ClassificationDecision",
    "ColumnResult",
    "Complaint",
    "ComplaintEvent",
    "Consent",
    "ConsentDecision",
    "ConsentFinding",
    "ConsentReviewReport",
    "ContactRecord",
    "Customer",
    "DataField",
    "DataLevel",
    "ExportDecision",
    "Finding",
    "Handling",
    "MilestoneStatus",
    "PolicyEngine",
    "ProcessingRequest",
    "Product",
    "Recipient",
    "RecordClassificationDecision",
    "Refusal",
    "Resource",
    "RoleAssignment",
    "RoleDirectory",
    "SaleContext",
    "ScanReport",
    "SlaDecision",
    "Subject",
    "SuitabilityDecision",
    "UsageRecord",
]


class PolicyEngine(EngineCore, ClassificationAPI, AccessAPI, SuitabilityAPI, ComplaintsAPI,
                   ConsentAPI, TablesAPI):
    """Evaluates a bundle's policies through one engine: ``fp.PolicyEngine(bundle)``.

    Args:
        bundle: a loaded ``Bundle``; ``None`` loads the shipped default pack.
        engine: ``"compiled"`` (generated Python, the default) or ``"durable"``
            (durable_rules rulesets). Both give identical decisions.
        log: a ``finpolicy.audit.DecisionLog`` that records every decision; ``None`` logs
            nothing.
        directory: the application's role directory (a ``RoleDirectory``, or a list of
            ``RoleAssignment`` records, made an ``AssignmentDirectory``): ``authorize`` counts a
            grant only when it confirms the approver's role. Without one (and without a
            ``directory=`` on the call) no grant counts: access fails closed.

    Every method takes its evaluation time as ``as_of`` (a date, or an aware datetime where
    time of day matters; ``authorize``, ``check_processing`` and ``authorize_export`` read
    their request's own ``as_of`` field) and returns the domain's decision class.
    ``swap(bundle)`` replaces the bundle atomically; ``observe(callback)`` watches every
    rule-set run.
    """

    def __init__(self, bundle: Bundle | None = None, *, engine: str = "compiled",
                 log: DecisionLog | None = None,
                 directory: RoleDirectory | Iterable[RoleAssignment | Mapping[str, Any]]
                 | None = None) -> None:
        super().__init__(bundle, engine=engine, log=log)
        self.directory = as_directory(directory)

    def explain(self, method: str, /, *args: Any, limit: int = 5,
                **kwargs: Any) -> Explanation:
        # an explained `authorize` is decided with the engine's role directory, as the call is
        if method == "authorize" and kwargs.get("directory") is None:
            kwargs["directory"] = self.directory
        return super().explain(method, *args, limit=limit, **kwargs)

    @overload
    def evaluate_table(self, domain: str, source: Any, /, *,
                       bad_rows: Literal["raise"] = ..., **options: Any) -> pa.Table: ...

    @overload
    def evaluate_table(self, domain: str, source: Any, /, *, bad_rows: Literal["set_aside"],
                       **options: Any) -> SetAside: ...

    @overload
    def evaluate_table(self, domain: str, source: Any, /, *, bad_rows: str,
                       **options: Any) -> pa.Table | SetAside: ...

    def evaluate_table(self, domain: str, source: Any, /, **options: Any) -> Any:
        """The decisions of every row of ``source`` as one Arrow table (see
        ``TablesAPI.evaluate_table``; ``bad_rows="set_aside"``: the decided rows and the
        rows set aside); access requests are decided with the engine's role directory, as
        ``authorize`` decides them, unless ``directory`` is given."""
        return super().evaluate_table(domain, source, **self._table_options(domain, options))

    @overload
    def iter_tables(self, domain: str, source: Any, /, *, bad_rows: Literal["raise"] = ...,
                    **options: Any) -> Iterator[pa.Table]: ...

    @overload
    def iter_tables(self, domain: str, source: Any, /, *, bad_rows: Literal["set_aside"],
                    **options: Any) -> Iterator[SetAside]: ...

    @overload
    def iter_tables(self, domain: str, source: Any, /, *, bad_rows: str,
                    **options: Any) -> Iterator[pa.Table] | Iterator[SetAside]: ...

    def iter_tables(self, domain: str, source: Any, /, **options: Any) -> Iterator[Any]:
        """Like ``evaluate_table``, one decisions table (or ``SetAside`` pair) per chunk
        (see ``TablesAPI.iter_tables``)."""
        return super().iter_tables(domain, source, **self._table_options(domain, options))

    def _table_options(self, domain: str, options: dict[str, Any]) -> dict[str, Any]:
        if domain == "access" and options.get("what", "requests") == "requests" \
                and options.get("directory") is None:
            return {**options, "directory": self.directory}
        return options
