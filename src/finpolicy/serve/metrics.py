"""Prometheus metrics of one service: decisions by domain and outcome, latency, reloads,
the decision log's state.

Each service has its own registry (several services may run in one process, in tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from finpolicy.documents.bundle import Bundle

__all__ = ["Metrics"]

# decisions take microseconds to milliseconds; batches and reviews up to seconds
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    """The service's counters, histograms and gauges, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "finpolicy_decisions", "Decisions taken, by domain, operation and outcome",
            ("domain", "method", "outcome"), registry=self.registry)
        self.errors = Counter(
            "finpolicy_request_errors", "Requests answered with an error status (401, 413, "
            "422, 500 ...), and calls of a batch that failed, by domain, operation and error "
            "code", ("domain", "method", "error"), registry=self.registry)
        self.latency = Histogram(
            "finpolicy_request_seconds", "Time to answer a decision request",
            ("domain", "method"), buckets=_BUCKETS, registry=self.registry)
        self.reloads = Counter(
            "finpolicy_reloads", "Bundle reload attempts, by result (swapped, failed; "
            "unchanged after a failure)",
            ("result",), registry=self.registry)
        self.bundle = Gauge(
            "finpolicy_bundle_info", "The bundle decisions are taken on (1 for the current one)",
            ("name", "version", "digest"), registry=self.registry)
        self.reload_failing = Gauge(
            "finpolicy_reload_failing", "1 when the last reload attempt failed",
            registry=self.registry)
        self.log_failing = Gauge(
            "finpolicy_decision_log_failing", "1 when the decision log has failed (every "
            "decision is refused until the service restarts)", registry=self.registry)

    def serving(self, bundle: Bundle) -> None:
        """Record that ``bundle`` is the one decisions are taken on now."""
        self.bundle.clear()
        self.bundle.labels(bundle.name, bundle.version, bundle.digest).set(1)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
