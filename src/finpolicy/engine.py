"""``PolicyEngine``: compile a bundle once, then evaluate many inputs with one engine."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from finpolicy.decisions import PolicyRef
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle
from finpolicy.engines import ENGINES, Evaluator, make_evaluator
from finpolicy.errors import EvaluationError, FinpolicyError, InputError, InputProblem
from finpolicy.rules.model import Rule

if TYPE_CHECKING:
    from finpolicy.audit.log import DecisionLog


class PolicyEngine:
    """Evaluates a bundle's policies through one engine.

    Args:
        bundle: a loaded ``Bundle``; ``None`` loads the shipped default pack.
        engine: ``"compiled"`` (Python closures, the default) or ``"durable"``
            (durable_rules rulesets). Both give identical decisions.
        log: a ``finpolicy.audit.DecisionLog`` that records every decision (inputs masked,
            see the "Audit and replay" docs); ``None`` logs nothing.

    Compiling happens here, once; evaluation methods are safe to call from many threads.
    """

    def __init__(self, bundle: Bundle | None = None, *, engine: str = "compiled",
                 log: DecisionLog | None = None) -> None:
        if engine not in ENGINES:
            raise InputError([InputProblem("engine", f"unknown engine `{engine}`, expected one "
                                                     f"of {', '.join(ENGINES)}", value=engine)])
        if bundle is None:
            bundle = load_bundle()
        if not isinstance(bundle, Bundle):
            raise InputError([InputProblem("bundle", "expected a Bundle from fp.load_bundle(), "
                                                     f"got {type(bundle).__name__}")])
        self.bundle = bundle
        self.engine_name = engine
        self.log = log
        self._evaluators: dict[tuple[str, str, str], Evaluator] = {}
        self._lock = threading.Lock()
        for doc in bundle.documents:
            for name, ruleset in doc.policy.rulesets.items():
                self._evaluators[(doc.id, doc.version, name)] = make_evaluator(
                    ruleset, engine, source=doc.file)
        self._refs = {doc.key: PolicyRef(doc.id, doc.version, doc.kind, bundle.name,
                                         bundle.version, bundle.digest)
                      for doc in bundle.documents}

    def __repr__(self) -> str:
        return (f"PolicyEngine(bundle={self.bundle.name!r} {self.bundle.version}, "
                f"engine={self.engine_name!r})")

    # --- shared plumbing for the domains ---------------------------------------------------

    def policy(self, kind: str, on: dt.date, policy_id: str | None = None) -> PolicyDocument:
        """The document of ``kind`` in force on ``on`` (raises ``NotInForceError``)."""
        return self.bundle.in_force(kind, on, policy_id)

    def ref(self, doc: PolicyDocument) -> PolicyRef:
        return self._refs[doc.key]

    def run(self, doc: PolicyDocument, ruleset: str, fact: Mapping[str, Any]) -> list[Rule]:
        """The rules of ``doc``'s rule set ``ruleset`` whose conditions hold for ``fact``."""
        evaluator = self._evaluators[(doc.id, doc.version, ruleset)]
        try:
            indices = evaluator.matches(fact)
        except FinpolicyError:
            raise
        except Exception as exc:  # an engine bug must surface as ours, never as theirs
            raise EvaluationError(f"{self.engine_name} engine failed on `{doc.id}` "
                                  f"{doc.version} rule set `{ruleset}`: {exc}") from exc
        rules = evaluator.ruleset.rules
        return [rules[i] for i in indices]

    def _record(self, method: str, inputs: Mapping[str, Any], result: Any) -> None:
        """Hand one call to the decision log (the only place the engine meets it)."""
        assert self.log is not None
        self.log.record(self, method, inputs, result)

    # --- domain APIs (implemented in finpolicy.domains) ------------------------------------

    def classify(self, field: Any, /, *, as_of: dt.date | None = None,
                 policy: str | None = None) -> Any:
        """Classify one data field (see ``finpolicy.domains.classification``)."""
        from finpolicy.domains import classification

        result = classification.classify(self, field, as_of=as_of, policy=policy)
        if self.log is not None:
            self._record("classify", {"field": field, "as_of": as_of, "policy": policy}, result)
        return result

    def classify_record(self, record: Mapping[str, Any], /, *, as_of: dt.date | None = None,
                        policy: str | None = None) -> Any:
        """Classify every field of a record; the record takes its highest level."""
        from finpolicy.domains import classification

        result = classification.classify_record(self, record, as_of=as_of, policy=policy)
        if self.log is not None:
            self._record("classify_record", {"record": record, "as_of": as_of,
                                             "policy": policy}, result)
        return result

    def mask(self, value: Any, /, *, field: Any, as_of: dt.date | None = None,
             policy: str | None = None) -> str:
        """Mask ``value`` for display by the rule of ``field`` (a name or a ``DataField``)."""
        from finpolicy.domains import classification

        return classification.mask(self, value, field=field, as_of=as_of, policy=policy)

    def scan(self, source: Any, /, **options: Any) -> Any:
        """Classify the columns of a CSV, Parquet or SQLite table."""
        from finpolicy.domains import scanning

        return scanning.scan(self, source, **options)

    def authorize(self, request: Any, /, *, policy: str | None = None) -> Any:
        """Decide an access request; fails closed."""
        from finpolicy.domains import access

        result = access.authorize(self, request, policy=policy)
        if self.log is not None:
            self._record("authorize", {"request": request, "policy": policy}, result)
        return result

    def review_access(self, grants: Any, assignments: Any, /, *, at: dt.datetime | None = None,
                      usage: Any = None, policy: str | None = None) -> Any:
        """Review grants and role assignments; returns findings with severity."""
        from finpolicy.domains import access

        result = access.review_access(self, grants, assignments, at=at, usage=usage,
                                      policy=policy)
        if self.log is not None:
            self._record("review_access", {"grants": grants, "assignments": assignments,
                                           "at": at, "usage": usage, "policy": policy}, result)
        return result

    def check_suitability(self, customer: Any, product: Any, /, *, amount: Any = None,
                          as_of: dt.date | None = None, policy: str | None = None) -> Any:
        """Decide whether ``product`` suits ``customer`` on ``as_of``."""
        from finpolicy.domains import suitability

        result = suitability.check_suitability(self, customer, product, amount=amount,
                                               as_of=as_of, policy=policy)
        if self.log is not None:
            self._record("check_suitability", {"customer": customer, "product": product,
                                               "amount": amount, "as_of": as_of,
                                               "policy": policy}, result)
        return result

    def suitable_products(self, customer: Any, products: Any, /, *,
                          as_of: dt.date | None = None, policy: str | None = None) -> Any:
        """Every product with its decision, suitable ones first."""
        from finpolicy.domains import suitability

        if self.log is not None and not isinstance(products, list | tuple):
            products = list(products)  # read once: evaluated, then logged
        result = suitability.suitable_products(self, customer, products, as_of=as_of,
                                               policy=policy)
        if self.log is not None:
            self._record("suitable_products", {"customer": customer, "products": products,
                                               "as_of": as_of, "policy": policy}, result)
        return result

    def complaint_sla(self, complaint: Any, /, *, now: dt.datetime | None = None,
                      policy: str | None = None) -> Any:
        """SLA status of one complaint at ``now``."""
        from finpolicy.domains import complaints

        result = complaints.complaint_sla(self, complaint, now=now, policy=policy)
        if self.log is not None:
            self._record("complaint_sla", {"complaint": complaint, "now": now,
                                           "policy": policy}, result)
        return result

    def complaint_sla_batch(self, complaints_: Any, /, *, now: dt.datetime | None = None,
                            policy: str | None = None) -> Any:
        """SLA status of many complaints at ``now``."""
        from finpolicy.domains import complaints

        if self.log is not None and not isinstance(complaints_, list | tuple):
            complaints_ = list(complaints_)  # read once: evaluated, then logged
        result = complaints.complaint_sla_batch(self, complaints_, now=now, policy=policy)
        if self.log is not None:
            self._record("complaint_sla_batch", {"complaints": complaints_, "now": now,
                                                 "policy": policy}, result)
        return result
