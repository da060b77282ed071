"""Regression guard: a small benchmark run; the compiled engine must beat the durable one.

A ratio within one run, never an absolute time: machines differ, the ordering must not.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import finpolicy as fp


def _best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def test_compiled_engine_is_faster_than_durable_on_every_domain(
    engines: dict[str, fp.PolicyEngine],
) -> None:
    on = dt.date(2026, 3, 2)
    at = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    customers = [fp.Customer(id=f"c{i}", risk_level=f"C{i % 5 + 1}",
                             assessment_date=on - dt.timedelta(days=i * 7),
                             birth_date=dt.date(1950 + i, 1, 1)) for i in range(50)]
    product = fp.Product(id="p", kind="wealth_management", risk_level="R3")
    request = fp.AccessRequest(
        subject=fp.Subject(id="u1", roles=["teller"], department="retail", branch="BJ01"),
        action="read", purpose="account_service", as_of=at,
        resource=fp.Resource(type="customer_record", data_level="ordinary",
                             category="basic_identity", department="retail", branch="BJ01"))
    field = fp.DataField(name="身份证号")
    complaint = fp.Complaint(id="c1", received_at=at, channel="phone", category="service")

    def workload(engine: fp.PolicyEngine) -> Callable[[], object]:
        def run() -> None:
            for customer in customers:
                engine.check_suitability(customer, product, as_of=on)
                engine.authorize(request)
                engine.classify(field)
                engine.complaint_sla(complaint, as_of=at + dt.timedelta(days=3))
        return run

    compiled = _best_of(5, workload(engines["compiled"]))
    durable = _best_of(5, workload(engines["durable"]))
    assert compiled < durable, f"compiled {compiled:.4f}s vs durable {durable:.4f}s"
