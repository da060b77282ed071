"""``PolicyEngine``: compile a bundle once, then evaluate many inputs with one engine."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from finpolicy.decisions import PolicyRef
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle
from finpolicy.engines import ENGINES, Evaluator, make_evaluator
from finpolicy.errors import EvaluationError, FinpolicyError, InputError, InputProblem
from finpolicy.rules.model import Rule


class PolicyEngine:
    """Evaluates a bundle's policies through one engine.

    Args:
        bundle: a loaded ``Bundle``; ``None`` loads the shipped default pack.
        engine: ``"compiled"`` (Python closures, the default) or ``"durable"``
            (durable_rules rulesets). Both give identical decisions.

    Compiling happens here, once; evaluation methods are safe to call from many threads.
    """

    def __init__(self, bundle: Bundle | None = None, *, engine: str = "compiled") -> None:
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

    # --- domain APIs (implemented in finpolicy.domains) ------------------------------------

    def classify(self, field: Any, /, *, as_of: dt.date | None = None,
                 policy: str | None = None) -> Any:
        """Classify one data field (see ``finpolicy.domains.classification``)."""
        from finpolicy.domains import classification

        return classification.classify(self, field, as_of=as_of, policy=policy)

    def classify_record(self, record: Mapping[str, Any], /, *, as_of: dt.date | None = None,
                        policy: str | None = None) -> Any:
        """Classify every field of a record; the record takes its highest level."""
        from finpolicy.domains import classification

        return classification.classify_record(self, record, as_of=as_of, policy=policy)

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

        return access.authorize(self, request, policy=policy)

    def review_access(self, grants: Any, assignments: Any, /, *, at: dt.datetime | None = None,
                      usage: Any = None, policy: str | None = None) -> Any:
        """Review grants and role assignments; returns findings with severity."""
        from finpolicy.domains import access

        return access.review_access(self, grants, assignments, at=at, usage=usage,
                                    policy=policy)

    def check_suitability(self, customer: Any, product: Any, /, *, amount: Any = None,
                          as_of: dt.date | None = None, policy: str | None = None,
                          sale: Any = None) -> Any:
        """Decide whether ``product`` suits ``customer`` on ``as_of`` (``sale``: a
        ``SaleContext``)."""
        from finpolicy.domains import suitability

        return suitability.check_suitability(self, customer, product, amount=amount,
                                             as_of=as_of, policy=policy, sale=sale)

    def suitable_products(self, customer: Any, products: Any, /, *,
                          as_of: dt.date | None = None, policy: str | None = None,
                          sale: Any = None) -> Any:
        """Every product with its decision, suitable ones first."""
        from finpolicy.domains import suitability

        return suitability.suitable_products(self, customer, products, as_of=as_of,
                                             policy=policy, sale=sale)

    def complaint_sla(self, complaint: Any, /, *, now: dt.datetime | None = None,
                      policy: str | None = None) -> Any:
        """SLA status of one complaint at ``now``."""
        from finpolicy.domains import complaints

        return complaints.complaint_sla(self, complaint, now=now, policy=policy)

    def complaint_sla_batch(self, complaints_: Any, /, *, now: dt.datetime | None = None,
                            policy: str | None = None) -> Any:
        """SLA status of many complaints at ``now``."""
        from finpolicy.domains import complaints

        return complaints.complaint_sla_batch(self, complaints_, now=now, policy=policy)
