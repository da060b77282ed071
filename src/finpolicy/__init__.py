"""finpolicy: policy-as-code for banks.

Load a bundle of versioned YAML policies, compile it once into a ``PolicyEngine``, then ask it
to classify data, authorize access, check suitability and track complaint SLAs::

    import finpolicy as fp
    engine = fp.PolicyEngine(fp.load_bundle())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finpolicy import facade
from finpolicy.decisions import Decision, Hit, PolicyRef
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle
from finpolicy.errors import (
    CalendarError,
    EvaluationError,
    FinpolicyError,
    InputError,
    InputProblem,
    NotInForceError,
    PolicyError,
    Problem,
)
from finpolicy.facade import *  # noqa: F403  (PolicyEngine and the built-in domains' types)
from finpolicy.identity import canonical_id
from finpolicy.periods import Period

__version__ = "0.1.0"

__all__ = ["Bundle", "CalendarError", "Decision", "EvaluationError", "FinpolicyError", "Hit",
           "InputError", "InputProblem", "NotInForceError", "Period", "PolicyDocument",
           "PolicyError", "PolicyRef", "Problem", "__version__", "canonical_id", "load_bundle"]
__all__ += facade.__all__
__all__.sort()  # plug-in domains' names are not listed: dir() shows them


def _plugin_exports() -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """Public names of every registered domain (plug-ins included) and their deprecated
    aliases (old name → (domain package, new name))."""
    from finpolicy.domains.registry import domains

    names: dict[str, Any] = {}
    old: dict[str, tuple[str, str]] = {}
    for domain in domains():
        names.update(domain.exports)
        old.update({k: (domain.package, v) for k, v in domain.deprecated.items()})
    return names, old


if TYPE_CHECKING:
    # the built-in domains' deprecated names, as a type checker sees them (at run time they
    # come from ``__getattr__``, with a warning); a plug-in's names are not seen statically
    AccessReview = facade.AccessReviewReport
    Classification = facade.ClassificationDecision
    RecordClassification = facade.RecordClassificationDecision
    ScanResult = facade.ScanReport
    SlaReport = facade.SlaDecision
else:
    # hidden from type checkers: a module ``__getattr__`` would make every misspelt name
    # (``fp.AccesRequest``) an ``Any`` that ``mypy --strict`` accepts
    def __getattr__(name: str) -> Any:
        names, old = _plugin_exports()
        if name in names:
            globals()[name] = names[name]
            return names[name]
        if name in old:
            from finpolicy._compat import deprecated_alias

            deprecated_alias(name, old[name][1], "finpolicy")
            return names[old[name][1]]
        raise AttributeError(f"module 'finpolicy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_plugin_exports()[0]})
