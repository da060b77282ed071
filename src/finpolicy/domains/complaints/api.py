"""The complaint methods of ``PolicyEngine`` (typed: each returns its decision class)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from finpolicy._compat import renamed
from finpolicy.domains.complaints.evaluate import complaint_sla, complaint_sla_batch, single
from finpolicy.domains.complaints.models import Complaint, SlaDecision
from finpolicy.runtime import EngineAPI

__all__ = ["ComplaintsAPI"]

ComplaintInput = Complaint | Mapping[str, Any]
When = dt.datetime | str | None


class ComplaintsAPI(EngineAPI):
    """Complaint SLAs: routing, escalation and milestone deadlines on a working calendar."""

    __slots__ = ()

    def complaint_sla(self, complaint: ComplaintInput, /, *, as_of: When = None,
                      policy: str | None = None, now: When = None) -> SlaDecision:
        """The SLA position of one complaint as of ``as_of`` (an aware datetime; now by
        default). ``now`` is the deprecated name of ``as_of``."""
        when = as_of if now is None else renamed(as_of, now, old_name="now",
                                                 new_name="as_of", where="complaint_sla")
        runtime = self._direct()
        if runtime is not None:  # nothing to record: straight to the domain (the hot path)
            return single(runtime, complaint, when, policy)
        return self._invoke(complaint_sla, complaint, as_of=when, policy=policy)

    def complaint_sla_batch(self, complaints: Iterable[ComplaintInput], /, *,
                            as_of: When = None, policy: str | None = None,
                            now: When = None) -> list[SlaDecision]:
        """The SLA position of many complaints as of one ``as_of``, in input order (rule
        results and deadlines are cached, so large batches are cheap). ``now`` is the
        deprecated name of ``as_of``."""
        when = renamed(as_of, now, old_name="now", new_name="as_of",
                       where="complaint_sla_batch")
        return self._invoke(complaint_sla_batch, complaints, as_of=when, policy=policy)
