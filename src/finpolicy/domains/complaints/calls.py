"""The JSON form of the complaint operations' calls (``finpolicy serve`` request bodies)."""

from __future__ import annotations

from pydantic import Field

from finpolicy.domains.base import Call
from finpolicy.domains.complaints.models import Complaint
from finpolicy.inputs import Moment
from finpolicy.limits import MAX_LONG_ITEMS, MAX_TERM_LENGTH

__all__ = ["CALLS", "ComplaintSlaBatchCall", "ComplaintSlaCall"]


class ComplaintSlaCall(Call):
    """``complaint_sla(complaint, as_of=..., policy=...)``."""

    complaint: Complaint
    as_of: Moment | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


class ComplaintSlaBatchCall(Call):
    """``complaint_sla_batch(complaints, as_of=..., policy=...)``."""

    complaints: list[Complaint] = Field(max_length=MAX_LONG_ITEMS)
    as_of: Moment | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


CALLS: dict[str, type[Call]] = {"complaint_sla": ComplaintSlaCall,
                                "complaint_sla_batch": ComplaintSlaBatchCall}
