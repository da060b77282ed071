"""How ``check_invariants`` draws and evaluates inputs for each built-in policy kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from finpolicy.testing import strategies
from finpolicy.testing.invariants import Adapter, Case, register_adapter

register_adapter("SuitabilityPolicy", Adapter(
    cases=lambda bundle, doc: strategies.suitability_cases(bundle, policy=doc),
    evaluate=lambda engine, c: engine.check_suitability(c["customer"], c["product"],
                                                        amount=c["amount"], as_of=c["as_of"],
                                                        sale=c.get("sale")),
    on=lambda c: c["as_of"],
))


def _level_rank(decision: Any, case: Case) -> dict[str, Any]:
    return {"level_rank": int(decision.level)}


register_adapter("ClassificationPolicy", Adapter(
    cases=lambda bundle, doc: strategies.data_fields(bundle).map(lambda f: {"field": f}),
    evaluate=lambda engine, c: engine.classify(c["field"]),
    on=lambda c: dt.date.today(),
    extra=_level_rank,
))

register_adapter("AccessPolicy", Adapter(
    cases=lambda bundle, doc: strategies.access_requests(bundle).map(lambda r: {"request": r}),
    evaluate=lambda engine, c: engine.authorize(c["request"]),
    on=lambda c: c["request"].at.date(),
))


def _sla_facts(report: Any, case: Case) -> dict[str, Any]:
    received = case["complaint"].received_at
    dues = [(m.due_at - received).total_seconds() / 3600 for m in report.milestones
            if m.due_at is not None]
    facts: dict[str, Any] = {
        "status": report.status, "route": report.route,
        "milestone_count": len(report.milestones),
        "breached_count": sum(m.status == "breached" for m in report.milestones),
        "paused": bool(getattr(report, "paused", False)),
    }
    if dues:
        facts["min_hours_to_due"] = min(dues)
    return facts


register_adapter("ComplaintPolicy", Adapter(
    cases=lambda bundle, doc: strategies.complaint_cases(bundle, policy=doc),
    evaluate=lambda engine, c: engine.complaint_sla(c["complaint"], now=c["now"]),
    on=lambda c: c["complaint"].received_at.date(),
    extra=_sla_facts,
))
